// No call on a card is made on the main thread: made there, a card that stops answering holds the
// whole process, where on the thread pool it holds a thread and its deadline reports it
// (archive/card-answers.ts; test/archive/card-stops-answering shows a stopped FUSE card). The
// stopped card catches only the call that happens to come first; here every synchronous call of
// node:fs is watched while the archive does all it does on a card (copies small and large, a
// taken name, a copy already there, a cut-short copy, a replace, a group's folder syncs, the
// cleaning of temporaries, retention's listing), and none may name the card.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { hashFileDropbox } from '../../src/engine/fsutil/index.js';
import { listArchive } from '../../src/engine/retention/retention.js';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from './helpers.js';

const PATH_CALLS = [
  'accessSync',
  'existsSync',
  'linkSync',
  'lstatSync',
  'mkdirSync',
  'openSync',
  'opendirSync',
  'readdirSync',
  'readFileSync',
  'realpathSync',
  'renameSync',
  'rmdirSync',
  'rmSync',
  'statSync',
  'statfsSync',
  'unlinkSync',
  'utimesSync',
  'writeFileSync',
] as const;
const FD_CALLS = ['closeSync', 'fstatSync', 'fsyncSync', 'readSync', 'writeSync'] as const;

type Patched = Record<string, (...args: unknown[]) => unknown>;

/** Every synchronous node:fs call naming a path below `root` (or a descriptor opened there). */
function watchSyncCalls(t: TestContext, root: string): string[] {
  const seen: string[] = [];
  const fds = new Set<number>();
  const api = fs as unknown as Patched;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  const below = (a: unknown): boolean =>
    (typeof a === 'string' || Buffer.isBuffer(a)) && String(a).startsWith(root);
  for (const name of PATH_CALLS) {
    const original = api[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    api[name] = (...args: unknown[]) => {
      const onCard = args.some(below);
      if (onCard) seen.push(`${name} ${String(args.find(below))}`);
      const result = original(...args);
      if (onCard && name === 'openSync') fds.add(result as number);
      return result;
    };
  }
  for (const name of FD_CALLS) {
    const original = api[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    api[name] = (...args: unknown[]) => {
      if (fds.has(args[0] as number)) seen.push(`${name} (a descriptor on the card)`);
      if (name === 'closeSync') fds.delete(args[0] as number);
      return original(...args);
    };
  }
  // The engine's modules import these by name: their bindings follow the patched object.
  syncBuiltinESMExports();
  t.after(() => {
    for (const [name, original] of originals) api[name] = original;
    syncBuiltinESMExports();
  });
  return seen;
}

/** Everything the archive does on a card, at `card`, from sources in `transit`. */
async function workTheArchive(card: string, transit: string): Promise<ArchiveTarget> {
  const target = new ArchiveTarget({ root: card, mustBeMountPoint: false, reserveBytes: 0 });
  assert.equal((await target.check()).problem, null);
  const source = async (name: string, body: string | Buffer) => {
    const p = join(transit, name);
    await writeFile(p, body);
    return { srcPath: p, size: Buffer.byteLength(body) };
  };
  const a = await target.store({ rel: 'RDL/USB0/a.csv', ...(await source('a1', 'a,1\n')) });
  // The same name, other bytes: kept both. The same bytes: already there.
  await target.store({ rel: 'RDL/USB0/a.csv', ...(await source('a2', 'a,2\n')) });
  await target.store({ rel: 'RDL/USB0/a.csv', ...(await source('a1', 'a,1\n')) });
  // A new version of our own copy: replaced in place.
  await target.store({
    rel: 'RDL/USB0/a.csv',
    ...(await source('a3', 'a,1\na,3\n')),
    replace: { path: a.path, contentHash: a.contentHash },
  });
  // A copy cut short (the beginning of the file) is replaced by the whole file.
  await mkdir(join(card, 'cameras'), { recursive: true });
  await writeFile(join(card, 'cameras/b.csv'), 'b,1\n');
  await target.store({ rel: 'cameras/b.csv', ...(await source('b', 'b,1\nb,2\n')) });
  // Larger than what is read whole, copied in chunks; a group's folders synced once.
  const big = Buffer.alloc(300 * 1024, 9);
  const c = await target.store({
    rel: 'cameras/c.bin',
    ...(await source('c', big)),
    deferFolderSync: true,
  });
  await target.syncFolders([c.folder as string], []);
  assert.equal(await hashFileDropbox(c.path), await hashFileDropbox(join(transit, 'c')));
  await target.cleanupTemps();
  const listed = await listArchive(card);
  assert.deepEqual(listed.map((f) => f.rel).sort(), [
    'RDL/USB0/a (1).csv',
    'RDL/USB0/a.csv',
    'cameras/b.csv',
    'cameras/c.bin',
  ]);
  assert.equal(await readFile(join(card, 'RDL/USB0/a.csv'), 'utf8'), 'a,1\na,3\n');
  assert.equal(await readFile(join(card, 'cameras/b.csv'), 'utf8'), 'b,1\nb,2\n');
  return target;
}

/** A folder holding the archive folder `card` and `transit` beside it; removed by the caller. */
async function rig(): Promise<{ base: string; card: string; transit: string }> {
  const base = await tempDir('rdl-card-calls-');
  const card = join(base, 'card');
  const transit = join(base, 'transit');
  await mkdir(card);
  await mkdir(transit);
  return { base, card, transit };
}

test('a card on a file system of its own: no call on it is made on the main thread', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, card, transit } = await rig();
  mountTmpfs(card, 4096);
  try {
    const seen = watchSyncCalls(t, card);
    await workTheArchive(card, transit);
    assert.deepEqual(seen, []);
  } finally {
    unmount(card);
    await removeDir(base);
  }
});

test('an archive on transit’s own disk (hard links) is worked inline: the watch above sees it', async (t) => {
  const { base, card, transit } = await rig();
  try {
    const seen = watchSyncCalls(t, card);
    await workTheArchive(card, transit);
    // What the watch would have caught on a card: the calls after the first hard link.
    assert.ok(
      seen.some((c) => c.startsWith('linkSync ')),
      seen.join('\n'),
    );
    assert.ok(
      seen.some((c) => c.startsWith('lstatSync ')),
      seen.join('\n'),
    );
  } finally {
    await removeDir(base);
  }
});

test('a card mounted over an archive folder that took hard links: its calls go to the pool again', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, card, transit } = await rig();
  try {
    const target = new ArchiveTarget({ root: card, mustBeMountPoint: false, reserveBytes: 0 });
    assert.equal((await target.check()).problem, null);
    await writeFile(join(transit, 'a'), 'a\n');
    const a = await target.store({ rel: 'RDL/a.csv', srcPath: join(transit, 'a'), size: 2 });
    assert.equal(a.linked, true, 'linked on transit’s own disk');
    // A card put in at the archive folder; the next pass's check finds it.
    mountTmpfs(card, 1024);
    assert.equal((await target.check()).problem, null);
    const seen = watchSyncCalls(t, card);
    await writeFile(join(transit, 'b'), 'b\n');
    const b = await target.store({ rel: 'RDL/b.csv', srcPath: join(transit, 'b'), size: 2 });
    assert.equal(await readFile(b.path, 'utf8'), 'b\n');
    assert.deepEqual(seen, []);
  } finally {
    unmount(card);
    await removeDir(base);
  }
});
