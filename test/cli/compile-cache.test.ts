// Where V8's compile cache may go on (bin/compile-cache.js): Node runs whatever compiled code it
// finds there, so the folder and those holding it must be this user's alone. Checked on real
// folders with real owners, modes and links (the tests run as root: a folder handed to user
// 65534 is another user's); the rule is the runtime's business only once it passes, so it is
// tested here whatever Node runs the tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  COMPILE_CACHE_MAX_AGE_MS,
  compileCacheDir,
  compileCacheRefusal,
  pruneCompileCache,
} from '../../bin/compile-cache.js';

const NOBODY = 65534;
const euid = process.geteuid!();

/** A home folder of our own, with the cache folder the way the XDG rule places it. */
async function withHome(run: (home: string, dir: string) => Promise<void>): Promise<void> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cache-home-'));
  try {
    await run(home, compileCacheDir({}, 'linux', home));
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

test('the cache folder: $XDG_CACHE_HOME when absolute, else ~/.cache; never the temp folder', () => {
  assert.equal(compileCacheDir({}, 'linux', '/home/pi'), '/home/pi/.cache/rdl-sync/compile-cache');
  assert.equal(
    compileCacheDir({ XDG_CACHE_HOME: '/var/cache/pi' }, 'linux', '/home/pi'),
    '/var/cache/pi/rdl-sync/compile-cache',
  );
  // A relative XDG_CACHE_HOME is invalid by the XDG rules: ignored.
  assert.equal(
    compileCacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', '/home/pi'),
    '/home/pi/.cache/rdl-sync/compile-cache',
  );
});

test('a home of our own, nothing there yet: the cache may go on (the folders are made 0700)', async () => {
  await withHome(async (_home, dir) => {
    assert.equal(compileCacheRefusal(dir, {}, euid), null);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(dir, 'v22.23.5-x64-9ac5647c-0'), { mode: 0o700 });
    assert.equal(compileCacheRefusal(dir, {}, euid), null, "its own folders, Node's included");
  });
});

test("another user's home (sudo keeping HOME): refused, nothing made there", async () => {
  await withHome(async (home, dir) => {
    await fs.chown(home, NOBODY, NOBODY);
    assert.match(compileCacheRefusal(dir, {}, euid) ?? '', /belongs to user 65534/);
    await assert.rejects(fs.stat(path.join(home, '.cache')), { code: 'ENOENT' });
  });
});

test('a cache folder others may write to, or own, or a link in the chain: refused', async () => {
  await withHome(async (home, dir) => {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(dir, 0o777);
    assert.match(compileCacheRefusal(dir, {}, euid) ?? '', /may be written by other users/);
    await fs.chmod(dir, 0o700);
    assert.equal(compileCacheRefusal(dir, {}, euid), null);

    // A folder inside it made by someone else (a Node version's folder planted ahead of us).
    const planted = path.join(dir, 'v22.23.5-x64-9ac5647c-0');
    await fs.mkdir(planted, { mode: 0o755 });
    await fs.chown(planted, NOBODY, NOBODY);
    assert.match(compileCacheRefusal(dir, {}, euid) ?? '', /belongs to user 65534/);
    await fs.rm(planted, { recursive: true });

    // As user 65534 (home and .cache root's): the folders above rdl-sync/ may be root's, the
    // cache's own two may not.
    await fs.chown(dir, NOBODY, NOBODY);
    await fs.chown(path.dirname(dir), NOBODY, NOBODY);
    assert.equal(compileCacheRefusal(dir, {}, NOBODY), null);
    await fs.chown(path.dirname(dir), 0, 0);
    assert.match(compileCacheRefusal(dir, {}, NOBODY) ?? '', /rdl-sync belongs to user 0/);
    await fs.chown(dir, euid, euid);
    await fs.chown(path.dirname(dir), euid, euid);

    // The cache base a link to somewhere else.
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cache-elsewhere-'));
    try {
      await fs.rm(path.join(home, '.cache'), { recursive: true });
      await fs.symlink(elsewhere, path.join(home, '.cache'));
      assert.match(compileCacheRefusal(dir, {}, euid) ?? '', /is not a folder/);
    } finally {
      await fs.rm(elsewhere, { recursive: true, force: true });
    }
  });
});

test('an AppImage (mounted at a new path at every start, so nothing would be read back): refused', async () => {
  await withHome(async (_home, dir) => {
    assert.equal(compileCacheRefusal(dir, {}, euid), null);
    assert.match(
      compileCacheRefusal(dir, { APPIMAGE: '/opt/RDL_Sync.AppImage' }, euid) ?? '',
      /AppImage/,
    );
  });
});

test("old runtimes' folders are removed after 30 days unused; the one in use, others recent, links and files stay", async () => {
  await withHome(async (home, dir) => {
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    const folder = async (name: string, ageMs: number, file = true): Promise<string> => {
      const p = path.join(dir, name);
      await fs.mkdir(p, { recursive: true, mode: 0o700 });
      if (file) await fs.writeFile(path.join(p, '112ef0ee'), 'compiled');
      const t = new Date(now - ageMs);
      await fs.utimes(p, t, t);
      return p;
    };
    const active = await folder('v22.23.5-x64-9ac5647c-0', 90 * day); // in use, written long ago
    const upgradedAway = await folder('v22.12.0-x64-1b2c3d4e-0', 45 * day);
    const justOver = await folder('v22.14.0-x64-5f6a7b8c-0', COMPILE_CACHE_MAX_AGE_MS + 60_000);
    const otherRuntime = await folder('v22.20.0-x64-0a1b2c3d-0', 3 * day); // Electron's, say
    const notNodes = await folder('notes', 90 * day);
    const elsewhere = await folder('v20.0.0-x64-00000000-0', 0);
    const target = path.join(home, 'kept-target');
    await fs.cp(elsewhere, target, { recursive: true });
    await fs.rm(elsewhere, { recursive: true });
    await fs.symlink(target, path.join(dir, 'v21.0.0-x64-00000000-0'));
    await fs.writeFile(path.join(dir, 'v21.1.0-x64-00000000-0'), 'a file, not a folder');
    // Both old enough to go, were they followed or taken for folders.
    const old = new Date(now - 90 * day);
    await fs.utimes(target, old, old);
    await fs.utimes(path.join(dir, 'v21.1.0-x64-00000000-0'), old, old);

    pruneCompileCache(dir, path.basename(active), now);

    assert.deepEqual(
      (await fs.readdir(dir)).sort(),
      [
        path.basename(notNodes),
        path.basename(otherRuntime),
        'v21.0.0-x64-00000000-0',
        'v21.1.0-x64-00000000-0',
        path.basename(active),
      ].sort(),
    );
    for (const gone of [upgradedAway, justOver])
      await assert.rejects(fs.lstat(gone), { code: 'ENOENT' });
    assert.deepEqual(await fs.readdir(target), ['112ef0ee'], "a link's target is never touched");
    // The folder in use is marked used now, so it outlives the next 30 days of starts.
    assert.ok(Math.abs((await fs.stat(active)).mtimeMs - now) < 1000);
    assert.deepEqual(await fs.readdir(active), ['112ef0ee']);
  });
});

test('pruning a cache folder that is missing does nothing and never throws', async () => {
  await withHome(async (_home, dir) => {
    assert.doesNotThrow(() => pruneCompileCache(dir, 'v22.23.5-x64-9ac5647c-0'));
    await assert.rejects(fs.stat(dir), { code: 'ENOENT' });
  });
});
