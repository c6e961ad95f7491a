import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFile,
  link,
  lstat,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import {
  cleanupTransitTemps,
  listTransit,
  removeFromTransit,
  stageFile,
  TRANSIT_TEMP_DIR,
} from '../../src/engine/stage/index.js';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import type { ScannedFile } from '../../src/engine/scan/index.js';
import { copyFileHashed, dropboxContentHash } from '../../src/engine/fsutil/index.js';
import { isSyncError } from '../../src/engine/errors.js';
import {
  bindMount,
  canMount,
  mountTmpfs,
  removeDir,
  tempDir,
  unmount,
} from '../archive/helpers.js';
import { put } from '../scan/helpers.js';
import { FolderSyncs } from '../../src/engine/fsutil/folder-syncs.js';

async function setup(): Promise<{ base: string; watch: string; transit: string }> {
  const base = await tempDir('rdl-stage-');
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  await mkdir(watch);
  await mkdir(transit);
  return { base, watch, transit };
}

async function scanned(watch: string, rel: string): Promise<ScannedFile> {
  const absPath = join(watch, ...rel.split('/'));
  const s = await stat(absPath);
  return { rel, absPath, size: s.size, mtimeMs: s.mtimeMs };
}

const exdev = async (): Promise<void> => {
  throw Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
};

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

test('same disk: the file moves atomically into transit/<rel>; the watch subfolder stays', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'USB0/2026-11-24.csv', 'a,b\n1,2\n');
    // Written a minute ago, as a logger's file is older than the stable time when it is staged.
    const old = new Date(Date.now() - 60_000);
    await utimes(join(watch, 'USB0', '2026-11-24.csv'), old, old);
    const file = await scanned(watch, 'USB0/2026-11-24.csv');
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    const dest = join(transit, 'USB0', '2026-11-24.csv');
    // The same inode under its transit name: staging hands on its identity, no look needed, and
    // that it synced the bytes (any write since would change the mtime it is older than the move).
    const there = await lstat(dest);
    assert.deepEqual(r, {
      status: 'staged',
      transitPath: dest,
      identity: {
        size: there.size,
        mtimeMs: there.mtimeMs,
        dev: there.dev,
        ino: there.ino,
        bytesSynced: true,
      },
    });
    assert.equal(await readFile(dest, 'utf8'), 'a,b\n1,2\n');
    assert.equal((await stat(dest)).mtimeMs, file.mtimeMs, 'mtime kept');
    assert.deepEqual(await readdir(join(watch, 'USB0')), [], 'source gone, its folder kept');
  } finally {
    await removeDir(base);
  }
});

test('a file whose mtime is not older than its move into transit is not said synced: a write after the fsync could leave that mtime as it was', async () => {
  const { base, watch, transit } = await setup();
  try {
    // A logger with its clock ahead: every write from now on gets an mtime before this one, so an
    // unchanged mtime later could not tell that nothing was written.
    await put(watch, 'cam.jpg', 'jpeg');
    const ahead = new Date(Date.now() + 3_600_000);
    await utimes(join(watch, 'cam.jpg'), ahead, ahead);
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'cam.jpg'),
    });
    assert.equal(r.status, 'staged');
    assert.ok(r.status === 'staged' && r.identity, 'the same inode moved');
    assert.equal(r.identity.bytesSynced, undefined);
  } finally {
    await removeDir(base);
  }
});

test('a transit folder removed after an earlier file was staged into it (pruned when that file finished) is made again for the next file', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'cam/2026-11-24/a.jpg', 'a');
    await put(watch, 'cam/2026-11-24/b.jpg', 'b');
    const a = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'cam/2026-11-24/a.jpg'),
    });
    assert.equal(a.status, 'staged');
    // What finishing a file does: its copy goes, and so do the folders it left empty.
    await removeFromTransit(transit, 'cam/2026-11-24/a.jpg');
    assert.equal(await exists(join(transit, 'cam')), false, 'the emptied folders were pruned');
    const b = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'cam/2026-11-24/b.jpg'),
    });
    assert.equal(b.status, 'staged');
    assert.equal(await readFile(join(transit, 'cam', '2026-11-24', 'b.jpg'), 'utf8'), 'b');
    assert.equal(await exists(join(watch, 'cam', '2026-11-24', 'b.jpg')), false);
  } finally {
    await removeDir(base);
  }
});

test('busy: transit already holds the rel; both files stay untouched', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(transit, 'd/x.csv', 'first');
    await put(watch, 'd/x.csv', 'second');
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'd/x.csv'),
    });
    assert.deepEqual(r, { status: 'busy' });
    assert.equal(await readFile(join(transit, 'd/x.csv'), 'utf8'), 'first');
    assert.equal(await readFile(join(watch, 'd/x.csv'), 'utf8'), 'second');
  } finally {
    await removeDir(base);
  }
});

test('a move cut short between link and unlink (a kill) is finished: the watch name goes, transit keeps the one inode', async () => {
  const { base, watch, transit } = await setup();
  try {
    const src = await put(watch, 'd/x.csv', 'rows\n');
    await mkdir(join(transit, 'd'));
    const dest = join(transit, 'd', 'x.csv');
    await link(src, dest); // what a SIGKILL between the link and the unlink leaves behind
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'd/x.csv'),
    });
    assert.deepEqual(r, { status: 'staged', transitPath: dest });
    assert.equal(await exists(src), false, 'the watch name is gone: it would be synced again');
    assert.equal(await readFile(dest, 'utf8'), 'rows\n');
    assert.equal((await stat(dest)).nlink, 1);
  } finally {
    await removeDir(base);
  }
});

test('busy even when the transit copy appears after the check (no-replace placing)', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'x.csv', 'second');
    const file = await scanned(watch, 'x.csv');
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file,
      fsOps: {
        link: async (from, to) => {
          await writeFile(to, 'first'); // another stager won the race
          await link(from, to);
        },
      },
    });
    assert.deepEqual(r, { status: 'busy' });
    assert.equal(await readFile(join(transit, 'x.csv'), 'utf8'), 'first');
    assert.equal(await readFile(join(watch, 'x.csv'), 'utf8'), 'second');
  } finally {
    await removeDir(base);
  }
});

test('vanished and changed files are reported, nothing moves', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'gone.csv', 'x');
    await put(watch, 'grows.csv', 'x');
    const gone = await scanned(watch, 'gone.csv');
    const grows = await scanned(watch, 'grows.csv');
    await rm(gone.absPath);
    await appendFile(grows.absPath, 'more');
    assert.deepEqual(await stageFile({ watchDir: watch, transitDir: transit, file: gone }), {
      status: 'vanished',
    });
    assert.deepEqual(await stageFile({ watchDir: watch, transitDir: transit, file: grows }), {
      status: 'changed',
    });
    assert.deepEqual(await readdir(transit), []);
    assert.equal(await readFile(grows.absPath, 'utf8'), 'xmore');
  } finally {
    await removeDir(base);
  }
});

/** Link and rename fail with EXDEV when they cross from `watch` to elsewhere, as between disks. */
function crossDevice(watch: string, counter: { calls: number }) {
  const crosses = (from: string): boolean => from.startsWith(watch + '/');
  return {
    link: async (from: string, to: string) => {
      counter.calls++;
      if (crosses(from)) return exdev();
      return link(from, to);
    },
    rename: async (from: string, to: string) => {
      if (crosses(from)) return exdev();
      const { rename } = await import('node:fs/promises');
      return rename(from, to);
    },
  };
}

test('EXDEV (injected): copy, verify, place, then unlink; hash returned; no temp left', async () => {
  const { base, watch, transit } = await setup();
  try {
    const body = Buffer.alloc(5 * 1024 * 1024 + 17, 'q');
    await put(watch, 'big/ü data.bin', body);
    const file = await scanned(watch, 'big/ü data.bin');
    const counter = { calls: 0 };
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file,
      fsOps: crossDevice(watch, counter),
    });
    const dest = join(transit, 'big', 'ü data.bin');
    assert.deepEqual(r, {
      status: 'staged',
      transitPath: dest,
      contentHash: dropboxContentHash(body),
    });
    assert.equal(counter.calls, 2, 'tried the source link, then placed the temp');
    assert.ok((await readFile(dest)).equals(body));
    assert.equal(Math.round((await stat(dest)).mtimeMs), Math.round(file.mtimeMs), 'mtime kept');
    assert.equal(await exists(file.absPath), false, 'source removed after the copy was placed');
    assert.deepEqual(await readdir(join(transit, 'big')), ['ü data.bin'], 'no temp left');
  } finally {
    await removeDir(base);
  }
});

test('EXDEV: transit gains the rel while copying -> busy, temp removed, source kept', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'r.csv', 'mine');
    const file = await scanned(watch, 'r.csv');
    const ops = crossDevice(watch, { calls: 0 });
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file,
      fsOps: {
        ...ops,
        link: async (from: string, to: string) => {
          if (!from.startsWith(watch + '/')) await writeFile(to, 'theirs');
          return ops.link(from, to);
        },
      },
    });
    assert.deepEqual(r, { status: 'busy' });
    assert.deepEqual(await readdir(transit), ['r.csv']);
    assert.equal(await readFile(join(transit, 'r.csv'), 'utf8'), 'theirs');
    assert.equal(await readFile(file.absPath, 'utf8'), 'mine');
  } finally {
    await removeDir(base);
  }
});

test('EXDEV: placing the verified copy fails -> error, temp removed, source kept', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'e.csv', 'data');
    const file = await scanned(watch, 'e.csv');
    const r = stageFile({
      watchDir: watch,
      transitDir: transit,
      file,
      fsOps: {
        link: async (from: string) => {
          if (from.startsWith(watch + '/')) return exdev();
          throw Object.assign(new Error('i/o error'), { code: 'EIO' });
        },
      },
    });
    const out = await r;
    assert.equal(out.status, 'blocked', 'the transit disk is at fault: staging stops for the pass');
    assert.ok(out.status === 'blocked' && isSyncError(out.error));
    assert.match(out.error.message, new RegExp(`transit folder ${transit}.*EIO`));
    assert.deepEqual(await readdir(transit), []);
    assert.equal(await readFile(file.absPath, 'utf8'), 'data');
  } finally {
    await removeDir(base);
  }
});

test('EXDEV for real: transit on its own tmpfs', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, watch, transit } = await setup();
  mountTmpfs(transit, 8192);
  try {
    const body = Buffer.alloc(1_500_000, 'z');
    await put(watch, 'site/day 1/log.csv', body);
    const file = await scanned(watch, 'site/day 1/log.csv');
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'staged');
    assert.equal(r.status === 'staged' && r.contentHash, dropboxContentHash(body));
    assert.ok((await readFile(join(transit, 'site/day 1/log.csv'))).equals(body));
    assert.equal(await exists(file.absPath), false);
    const listed = [];
    for await (const f of listTransit(transit)) listed.push(f.rel);
    assert.deepEqual(listed, ['site/day 1/log.csv']);
    // A file too big for the transit disk waits in the watch folder, named, without a copy being
    // tried; other files are not held up (the stage step goes on with them).
    await put(watch, 'huge.bin', Buffer.alloc(9 * 1024 * 1024, 1));
    const huge = await scanned(watch, 'huge.bin');
    const full = await stageFile({ watchDir: watch, transitDir: transit, file: huge });
    assert.equal(full.status, 'no-room');
    assert.match(
      full.status === 'no-room' ? full.error.message : '',
      /^huge\.bin \(9\.4 MB\) does not fit on the disk of the transit folder .*\(6\.\d MB free\)/,
    );
    assert.equal((await stat(huge.absPath)).size, 9 * 1024 * 1024);
    assert.equal(
      await exists(join(transit, TRANSIT_TEMP_DIR)),
      false,
      'no partial temp in transit',
    );
  } finally {
    unmount(transit);
    await removeDir(base);
  }
});

test('EXDEV for real: a copy cut short before the watch name went (a kill) is finished, not synced twice; another file of that name waits', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, watch, transit } = await setup();
  mountTmpfs(transit, 8192);
  try {
    // What a SIGKILL after the verified copy took its transit name, and before the watch name was
    // unlinked, leaves behind: the engine's own copy (same bytes, the source's mtime) in transit.
    const body = Buffer.alloc(300_000, 'q');
    const src = await put(watch, 'cam/shot.jpg', body);
    await mkdir(join(transit, 'cam'));
    const dest = join(transit, 'cam', 'shot.jpg');
    await copyFileHashed(src, dest);
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'cam/shot.jpg'),
    });
    assert.deepEqual(r, {
      status: 'staged',
      transitPath: dest,
      contentHash: dropboxContentHash(body),
    });
    assert.equal(await exists(src), false, 'the watch name is gone: it would be synced again');
    assert.ok((await readFile(dest)).equals(body));

    // A different file under a name transit holds (same size and mtime, other bytes) waits.
    const other = Buffer.alloc(300_000, 'r');
    const second = await put(watch, 'cam/shot.jpg', other);
    const { atime, mtime } = await stat(dest);
    await utimes(second, atime, mtime);
    const again = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'cam/shot.jpg'),
    });
    assert.deepEqual(again, { status: 'busy' });
    assert.ok((await readFile(second)).equals(other), 'the waiting file is untouched');
    assert.ok((await readFile(dest)).equals(body));
  } finally {
    unmount(transit);
    await removeDir(base);
  }
});

test('a transit disk with space but no free inodes stops staging ("blocked", naming the inodes), not "does not fit" for every small file', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, watch, transit } = await setup();
  // Megabytes free, eight inodes: a folder of many tiny files (a logger's per-minute CSVs) uses
  // up a disk's inodes long before its space.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=8', 'tmpfs', transit]);
  try {
    // (Its folders are there already: the file's copy is what meets the refusal.)
    await mkdir(join(transit, TRANSIT_TEMP_DIR));
    await mkdir(join(transit, 'RDL'));
    let made = 0;
    for (let i = 0; i < 100; i++) {
      try {
        await writeFile(join(transit, `filler-${i}`), '');
        made++;
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    assert.ok(made > 0 && made < 100, `the inodes ran out after ${made} files`);
    await put(watch, 'RDL/a.csv', 'row 1\n');
    const file = await scanned(watch, 'RDL/a.csv');
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'blocked', JSON.stringify(r));
    assert.match(
      r.status === 'blocked' ? r.error.message : '',
      /transit folder .* can hold no more files \(no free inodes, however much space is free\)/,
    );
    assert.equal(await readFile(file.absPath, 'utf8'), 'row 1\n', 'the file waits whole');
  } finally {
    unmount(transit);
    await removeDir(base);
  }
});

test('a new dated folder on a transit disk with no free inodes names the inodes, not "(ENOENT): check that it exists"', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, watch, transit } = await setup();
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=8', 'tmpfs', transit]);
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await writeFile(join(transit, `filler-${i}`), '');
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    // The day's first file: its folder is not in transit yet (Node 20's recursive mkdir said
    // ENOENT for the refused level).
    await put(watch, 'RDL/2026-12-03/a.csv', 'row 1\n');
    const file = await scanned(watch, 'RDL/2026-12-03/a.csv');
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'blocked', JSON.stringify(r));
    const message = r.status === 'blocked' ? r.error.message : '';
    assert.match(message, /\(ENOSPC\): its disk can hold no more files \(no free inodes/);
    assert.doesNotMatch(message, /ENOENT|check that it exists/);
    assert.equal(await readFile(file.absPath, 'utf8'), 'row 1\n', 'the file waits whole');
  } finally {
    unmount(transit);
    await removeDir(base);
  }
});

test('a rel that would leave the watch or transit folder is refused', async () => {
  const { base, watch, transit } = await setup();
  try {
    const file = { rel: '../escape.csv', absPath: join(base, 'escape.csv'), size: 0, mtimeMs: 0 };
    await writeFile(file.absPath, '');
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'failed');
    assert.ok(r.status === 'failed');
    assert.deepEqual([r.error.kind, r.error.code], ['file-failed', 'malformed-path']);
    assert.match(r.error.message, /"\.\.\/escape\.csv" cannot be used .*rename the file/);
    assert.equal(await exists(file.absPath), true);
  } finally {
    await removeDir(base);
  }
});

test('source cannot be removed from the watch folder (injected EACCES): one name only, file-failed', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'd/locked.csv', 'data');
    const file = await scanned(watch, 'd/locked.csv');
    const r = stageFile({
      watchDir: watch,
      transitDir: transit,
      file,
      fsOps: {
        unlink: async (p: string) => {
          if (p.startsWith(watch + '/'))
            throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
          const { unlink } = await import('node:fs/promises');
          return unlink(p);
        },
      },
    });
    const out = await r;
    assert.ok(out.status === 'failed', 'this file alone fails');
    const e = out.error;
    assert.deepEqual([e.kind, e.code], ['file-failed', 'file-unreadable']);
    assert.match(
      e.message,
      /Cannot move .*locked\.csv out of the watch folder \(EACCES\): give the user/,
    );
    assert.equal(await readFile(file.absPath, 'utf8'), 'data');
    assert.equal(await exists(join(transit, 'd', 'locked.csv')), false);
  } finally {
    await removeDir(base);
  }
});

test('read-only watch folder (real read-only bind mount): copied, then taken back; file-failed', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { base, watch, transit } = await setup();
  const roWatch = join(base, 'ro-watch');
  await mkdir(roWatch);
  await put(watch, 'a.csv', 'logger data');
  bindMount(watch, roWatch, true);
  try {
    const file = await scanned(roWatch, 'a.csv');
    const r = await stageFile({ watchDir: roWatch, transitDir: transit, file });
    assert.ok(r.status === 'failed');
    assert.equal(r.error.code, 'file-unreadable');
    assert.match(r.error.message, /EROFS/);
    assert.equal(await readFile(file.absPath, 'utf8'), 'logger data');
    assert.deepEqual(await readdir(transit), [], 'no copy and no temp left in transit');
  } finally {
    unmount(roWatch);
    await removeDir(base);
  }
});

test('a transit file where the new path needs a folder: busy, nothing moves', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(transit, 'a', 'an older file named a');
    await put(watch, 'a/b.csv', 'new');
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, 'a/b.csv'),
    });
    assert.deepEqual(r, { status: 'busy' });
    assert.equal(await readFile(join(watch, 'a', 'b.csv'), 'utf8'), 'new');
    assert.equal(await readFile(join(transit, 'a'), 'utf8'), 'an older file named a');
  } finally {
    await removeDir(base);
  }
});

test('engine temps live only in transit/.rdl-sync-tmp: a user file named .rdl-stage-x is staged, listed, and survives clean-up', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'USB0/.rdl-stage-x', 'user bytes');
    await put(watch, 'USB0/big.csv', 'across disks');
    // Dotfiles synced: no ignore patterns at all.
    const scan = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    assert.deepEqual(scan.stable.map((f) => f.rel).sort(), ['USB0/.rdl-stage-x', 'USB0/big.csv']);
    const tempsSeen: string[] = [];
    for (const file of scan.stable) {
      const r = await stageFile({
        watchDir: watch,
        transitDir: transit,
        file,
        fsOps: {
          link: async (from: string, to: string) => {
            if (from.startsWith(watch + '/')) return exdev();
            tempsSeen.push(from);
            return link(from, to);
          },
        },
      });
      assert.equal(r.status, 'staged');
    }
    assert.equal(tempsSeen.length, 2);
    for (const tmp of tempsSeen) {
      assert.ok(tmp.startsWith(join(transit, TRANSIT_TEMP_DIR) + '/'), `temp ${tmp} is ours`);
    }
    await put(transit, `${TRANSIT_TEMP_DIR}/stage-leftover`, 'a crash leftover');
    assert.equal(await cleanupTransitTemps(transit), 1);
    const listed: string[] = [];
    for await (const f of listTransit(transit)) listed.push(f.rel);
    assert.deepEqual(listed.sort(), ['USB0/.rdl-stage-x', 'USB0/big.csv']);
    assert.equal(await readFile(join(transit, 'USB0', '.rdl-stage-x'), 'utf8'), 'user bytes');
  } finally {
    await removeDir(base);
  }
});

test('a rel inside the reserved folder is refused for that file alone, nothing moves', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, `${TRANSIT_TEMP_DIR}/x.csv`, 'user file');
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: await scanned(watch, `${TRANSIT_TEMP_DIR}/x.csv`),
    });
    assert.ok(r.status === 'failed');
    assert.equal(r.error.code, 'malformed-path');
    assert.match(r.error.message, /reserves for its own temporary files .*rename the top folder/);
    assert.equal(await readFile(join(watch, TRANSIT_TEMP_DIR, 'x.csv'), 'utf8'), 'user file');
    assert.deepEqual(await readdir(transit), []);
  } finally {
    await removeDir(base);
  }
});

test('EXDEV: many files staged at once across disks all land, none blocked by another copy tidying the temporaries folder', async () => {
  const { base, watch, transit } = await setup();
  try {
    const files: ScannedFile[] = [];
    for (let i = 0; i < 40; i++) {
      await put(watch, `USB0/f${i}.csv`, `line ${i}\n`.repeat(i + 1));
      files.push(await scanned(watch, `USB0/f${i}.csv`));
    }
    const counter = { calls: 0 };
    // As staging runs them: a few at a time, each next file starting as another one finishes.
    const results: Array<Awaited<ReturnType<typeof stageFile>>> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < files.length; i = next++) {
        results[i] = await stageFile({
          watchDir: watch,
          transitDir: transit,
          file: files[i]!,
          fsOps: crossDevice(watch, counter),
        });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(
      results.map((r) => r.status),
      files.map(() => 'staged'),
    );
    for (const [i, file] of files.entries()) {
      assert.equal(
        await readFile(join(transit, 'USB0', `f${i}.csv`), 'utf8'),
        `line ${i}\n`.repeat(i + 1),
      );
      assert.equal(await exists(file.absPath), false);
    }
    assert.equal(await exists(join(transit, TRANSIT_TEMP_DIR)), false, 'temporaries folder tidied');
  } finally {
    await removeDir(base);
  }
});

test('the watch-folder name goes only once the transit name is synced (its sync asked beside the bytes fsync), then the file is staged and said synced', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'USB0/held.csv', 'x,y\n', Date.now() - 60_000);
    const file = await scanned(watch, 'USB0/held.csv');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let asked = 0;
    const folderSyncs = new FolderSyncs(async () => {
      asked++;
      await gate;
    });
    const staging = stageFile({ watchDir: watch, transitDir: transit, file, folderSyncs });
    // Bounded: the folder's sync is asked for (it then waits for the test).
    for (let i = 0; i < 200 && asked === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(asked, 1, 'the transit folder sync was asked for');
    assert.ok(await exists(join(watch, 'USB0', 'held.csv')), 'both names while the sync runs');
    assert.ok(await exists(join(transit, 'USB0', 'held.csv')));
    release();
    const r = await staging;
    assert.equal(r.status, 'staged');
    assert.ok(r.status === 'staged' && r.identity?.bytesSynced, 'the bytes were synced too');
    assert.equal(await exists(join(watch, 'USB0', 'held.csv')), false, 'then the watch name goes');
  } finally {
    await removeDir(base);
  }
});

/**
 * A logger that saves a file whole writes a temporary and renames it over the name. Between
 * staging's link and its removal of the watch-folder name (the syncs in between: milliseconds,
 * more on an SD card), that new version was deleted unread: found by a trial with a 300 MB file.
 */
test('a new version renamed over the name while it is staged stays in the watch folder', async () => {
  const { base, watch, transit } = await setup();
  try {
    await put(watch, 'latest.csv', 'version 1\n');
    const file = await scanned(watch, 'latest.csv');
    const r = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file,
      fsOps: {
        link: async (from, to) => {
          await link(from, to);
          if (String(from).startsWith(watch + '/')) {
            await writeFile(join(watch, '.latest.tmp'), 'version 2\n');
            await rename(join(watch, '.latest.tmp'), from);
          }
        },
      },
    });
    assert.equal(r.status, 'staged');
    assert.equal(await readFile(join(transit, 'latest.csv'), 'utf8'), 'version 1\n');
    assert.equal(await readFile(join(watch, 'latest.csv'), 'utf8'), 'version 2\n', 'kept');
  } finally {
    await removeDir(base);
  }
});

/**
 * Across disks the last look at the original came before the copy's re-hash, placing and folder
 * sync: a line appended then, or a new version renamed over the name, was deleted with it.
 */
for (const how of ['appended to', 'replaced', 'replaced by a symlink', 'deleted'] as const) {
  test(`across disks: an original ${how} after its copy was made is not removed`, async () => {
    const { base, watch, transit } = await setup();
    try {
      await put(watch, 'log.csv', 'line 1\n');
      const file = await scanned(watch, 'log.csv');
      const ops = crossDevice(watch, { calls: 0 });
      const r = await stageFile({
        watchDir: watch,
        transitDir: transit,
        file,
        fsOps: {
          ...ops,
          link: async (from: string, to: string) => {
            await ops.link(from, to);
            // Placing the verified copy from transit's temporaries: the original changes now.
            if (how === 'appended to') await appendFile(file.absPath, 'line 2\n');
            else if (how === 'replaced') {
              await writeFile(join(watch, '.log.tmp'), 'line 1\nline 2\n');
              await rename(join(watch, '.log.tmp'), file.absPath);
            } else if (how === 'replaced by a symlink') {
              await writeFile(join(base, 'elsewhere.csv'), 'line 1\nline 2\n');
              await rm(file.absPath);
              await symlink(join(base, 'elsewhere.csv'), file.absPath);
            } else await rm(file.absPath);
          },
        },
      });
      if (how === 'deleted') {
        // Gone by itself (a person tidying up): the copy, complete, goes on.
        assert.equal(r.status, 'staged');
        assert.equal(await readFile(join(transit, 'log.csv'), 'utf8'), 'line 1\n');
        return;
      }
      assert.equal(await readFile(file.absPath, 'utf8'), 'line 1\nline 2\n', 'the original kept');
      if (how === 'replaced by a symlink')
        assert.ok((await lstat(file.absPath)).isSymbolicLink(), 'the link left where it was');
      if (how === 'appended to') {
        // The copy was a part of it: taken back, and the whole file goes later.
        assert.deepEqual(r, { status: 'changed' });
        assert.equal(await exists(join(transit, 'log.csv')), false);
      } else {
        // The copy is the version that was there, whole: it goes on.
        assert.equal(r.status, 'staged');
        assert.equal(await readFile(join(transit, 'log.csv'), 'utf8'), 'line 1\n');
      }
    } finally {
      await removeDir(base);
    }
  });
}

// An immutable file (chattr +i, which refuses root too) in a writable watch folder: it was
// reported as the transit folder not writable, naming no file, while every other file went
// through that folder. A real attribute on a real file.
test('an immutable file fails alone, named, with the attribute to clear; the transit folder is not blamed', async (t) => {
  const { base, watch, transit } = await setup();
  const path = join(watch, 'cameras', 'cam1', 'held.jpg');
  try {
    await put(watch, 'cameras/cam1/held.jpg', 'jpeg');
    if (spawnSync('chattr', ['+i', path]).status !== 0)
      return t.skip('chattr +i is not possible on this file system');
    const file = await scanned(watch, 'cameras/cam1/held.jpg');
    const out = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.ok(out.status === 'failed', 'this file alone fails');
    assert.deepEqual([out.error.kind, out.error.code], ['file-failed', 'file-unreadable']);
    assert.match(
      out.error.message,
      /^Cannot move .*held\.jpg out of the watch folder \(EPERM\), though both folders may be written: the file itself refuses, marked immutable or append-only \(lsattr .*held\.jpg; sudo chattr -i -a .*held\.jpg clears that\)/,
    );
    assert.doesNotMatch(out.error.message, /transit folder/);
    assert.equal(await readFile(path, 'utf8'), 'jpeg');
  } finally {
    spawnSync('chattr', ['-i', path]);
    await removeDir(base);
  }
});
