import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendFile,
  chmod,
  link,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArchiveTarget,
  bytesNeededFor,
  DEFAULT_RESERVE_BYTES,
  ARCHIVE_WORK_DIR,
  keepBothName,
  type ArchiveStoreResult,
} from '../../src/engine/archive/index.js';
import { dropboxContentHash, hashFileDropbox as hashOf } from '../../src/engine/fsutil/index.js';
import { formatBytes } from '../../src/engine/format-bytes.js';
import { isSyncError, type SyncError } from '../../src/engine/errors.js';
import {
  canMount,
  mountTmpfs,
  remountReadOnly,
  removeDir,
  tempDir,
  unmount,
  writePatternFile,
} from './helpers.js';

interface Rig {
  base: string;
  card: string;
  src: string;
}

async function rig(): Promise<Rig> {
  const base = await tempDir('rdl-archive-');
  const card = join(base, 'card');
  const src = join(base, 'transit');
  await mkdir(card);
  await mkdir(src);
  return { base, card, src };
}

async function source(r: Rig, name: string, content: string | Buffer): Promise<string> {
  const p = join(r.src, name);
  await writeFile(p, content);
  return p;
}

async function store(
  target: ArchiveTarget,
  rel: string,
  srcPath: string,
  extra: { onProgress?: (b: number) => void; size?: number } = {},
): Promise<ArchiveStoreResult> {
  return target.store({
    rel,
    srcPath,
    size: extra.size ?? (await stat(srcPath)).size,
    onProgress: extra.onProgress,
  });
}

/** Every path below `dir`, recursively, sorted: the "nothing else was written" witness. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

function failsWith(kind: string, code: string, text: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(isSyncError(e), `expected SyncError, got ${String(e)}`);
    assert.deepEqual([e.kind, e.code], [kind, code]);
    assert.match(e.message, text);
    return true;
  };
}

const blocked = (code: string, text: RegExp) => failsWith('blocked', code, text);

/**
 * A card on another file system, for tests whose folders share one: a link from outside the card
 * fails with EXDEV as it really does across mounts (the tmpfs tests below meet the real one), so
 * the archive copies; links within the card work as they would there.
 */
function crossDevice(card: string) {
  return {
    link: async (from: string, to: string): Promise<void> => {
      if (!from.startsWith(`${card}/`)) {
        throw Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
      }
      await link(from, to);
    },
  };
}

/** Both ways a copy reaches the card: a hard link (same file system) and a real copy. */
const MODES = [
  { mode: 'hard link', fsOps: (_card: string) => ({}), linked: true },
  { mode: 'copy', fsOps: crossDevice, linked: false },
] as const;

test('keepBothName numbers before the extension, or at the end when there is none', () => {
  assert.equal(keepBothName('data.csv', 0), 'data.csv');
  assert.equal(keepBothName('data.csv', 1), 'data (1).csv');
  assert.equal(keepBothName('README', 2), 'README (2)');
  assert.equal(keepBothName('.env', 1), '.env (1)');
  assert.equal(keepBothName('a.tar.gz', 3), 'a.tar (3).gz');
});

for (const { mode, fsOps, linked } of MODES) {
  test(`happy path (${mode}): below the root with folders made, hash verified, mtime and mode kept, no temp left`, async () => {
    const r = await rig();
    try {
      const body = Buffer.alloc(4_194_305, 'A');
      const srcPath = await source(r, 'a.bin', body);
      await chmod(srcPath, 0o640);
      const target = new ArchiveTarget({
        root: r.card,
        mustBeMountPoint: false,
        reserveBytes: 0,
        fsOps: fsOps(r.card),
      });
      const check = await target.check();
      assert.deepEqual([check.present, check.writable, check.problem], [true, true, null]);
      assert.ok((check.freeBytes ?? 0) > 0 && (check.totalBytes ?? 0) >= (check.freeBytes ?? 0));
      let progress = 0;
      const res = await store(target, 'USB0/2026 11/ü a.bin', srcPath, {
        onProgress: (b) => (progress = b),
      });
      assert.deepEqual(res, {
        path: join(r.card, 'USB0', '2026 11', 'ü a.bin'),
        contentHash: '8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92',
        alreadyPresent: false,
        linked,
      });
      assert.equal(progress, body.length);
      assert.ok((await readFile(res.path)).equals(body));
      const [copy, original] = [await stat(res.path), await stat(srcPath)];
      assert.ok(Math.abs(copy.mtimeMs - original.mtimeMs) < 0.01, 'logger mtime kept');
      assert.equal((copy.mode & 0o777).toString(8), '640', 'permission bits kept');
      assert.equal(copy.ino === original.ino, linked, 'a hard link shares the inode, a copy not');
      const work = linked ? [] : [ARCHIVE_WORK_DIR]; // the reserved folder, empty
      assert.deepEqual(await tree(r.card), [
        ...work,
        'USB0',
        'USB0/2026 11',
        'USB0/2026 11/ü a.bin',
      ]);
      if (!linked) assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), []);
    } finally {
      await removeDir(r.base);
    }
  });

  test(`identical file already there (${mode}): alreadyPresent, nothing written`, async () => {
    const r = await rig();
    try {
      const srcPath = await source(r, 'a.csv', 'same bytes');
      const target = new ArchiveTarget({
        root: r.card,
        mustBeMountPoint: false,
        reserveBytes: 0,
        fsOps: fsOps(r.card),
      });
      const first = await store(target, 'd/a.csv', srcPath);
      const before = await stat(first.path);
      const again = await store(target, 'd/a.csv', srcPath);
      const { linked: _l, ...firstResult } = first;
      assert.deepEqual(again, { ...firstResult, alreadyPresent: true });
      const after = await stat(first.path);
      assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
      assert.deepEqual(
        (await tree(r.card)).filter((p) => p !== ARCHIVE_WORK_DIR),
        ['d', 'd/a.csv'],
      );
    } finally {
      await removeDir(r.base);
    }
  });
}

test('different file at the destination: keep both, numbered; re-storing is idempotent', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    await mkdir(join(r.card, 'd'));
    await writeFile(join(r.card, 'd', 'a.csv'), 'older, different');
    const second = await source(r, 'second', 'second version');
    const third = await source(r, 'third', 'third version!');
    const sameSize = await source(r, 'same-size', 'second versioN');
    const r2 = await store(target, 'd/a.csv', second);
    const r3 = await store(target, 'd/a.csv', third);
    const r4 = await store(target, 'd/a.csv', sameSize); // equal size, different hash
    assert.deepEqual(
      [r2.path, r3.path, r4.path],
      ['a (1).csv', 'a (2).csv', 'a (3).csv'].map((n) => join(r.card, 'd', n)),
    );
    // After a crash the pipeline stores the same file again: it finds its earlier copy.
    const again = await store(target, 'd/a.csv', third);
    assert.deepEqual(again, {
      path: r3.path,
      contentHash: dropboxContentHash(Buffer.from('third version!')),
      alreadyPresent: true,
    });
    assert.equal(await readFile(join(r.card, 'd', 'a.csv'), 'utf8'), 'older, different');
    assert.equal(await readFile(r2.path, 'utf8'), 'second version');
    assert.deepEqual((await readdir(join(r.card, 'd'))).length, 4);
  } finally {
    await removeDir(r.base);
  }
});

test('concurrent stores competing for one name never overwrite each other', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    await writeFile(join(r.card, 'a.csv'), 'X');
    const y = await source(r, 'y', 'Y content');
    const z = await source(r, 'z', 'Z content, other');
    // rel 'a.csv' (different from X) wants 'a (1).csv'; rel 'a (1).csv' wants the same name.
    const [ry, rz] = await Promise.all([store(target, 'a.csv', y), store(target, 'a (1).csv', z)]);
    assert.notEqual(ry.path, rz.path);
    assert.equal(await readFile(ry.path, 'utf8'), 'Y content');
    assert.equal(await readFile(rz.path, 'utf8'), 'Z content, other');
    assert.equal(await readFile(join(r.card, 'a.csv'), 'utf8'), 'X');
  } finally {
    await removeDir(r.base);
  }
});

test('root missing: archive-missing naming it, and nothing is created under its parent', async () => {
  const r = await rig();
  try {
    await rm(r.card, { recursive: true });
    const parentBefore = await tree(r.base);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false });
    const check = await target.check();
    assert.deepEqual(
      [check.present, check.writable, check.freeBytes, check.problem?.code],
      [false, false, null, 'archive-missing'],
    );
    assert.match(
      check.problem?.message ?? '',
      new RegExp(`${r.card} does not exist.*files wait safely in transit`),
    );
    const srcPath = await source(r, 'a.csv', 'x');
    await assert.rejects(
      store(target, 'USB0/a.csv', srcPath),
      blocked('archive-missing', /does not exist/),
    );
    assert.equal(await target.cleanupTemps(), 0);
    assert.deepEqual(await tree(r.base), [...parentBefore, 'transit/a.csv'].sort());
  } finally {
    await removeDir(r.base);
  }
});

test('mustBeMountPoint on a plain folder: "not mounted", nothing written; on a real mount: works', async (t) => {
  const r = await rig();
  try {
    const srcPath = await source(r, 'a.csv', 'x');
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    const check = await target.check();
    assert.equal(check.problem?.code, 'archive-missing');
    assert.equal(
      check.problem?.message,
      // Outside /media and /mnt: maybe an ordinary folder, set up with the default (a card).
      `SD card not mounted at ${r.card}: insert it (or, if it is an ordinary folder: rdl-sync settings set archiveMustBeMountPoint false, or untick "Archive must be a mounted card" in Settings); files wait safely in transit`,
    );
    const onMedia = new ArchiveTarget({
      root: '/media/rdl-no-such-card',
      mustBeMountPoint: true,
      reserveBytes: 0,
    });
    assert.match(
      (await onMedia.check()).problem?.message ?? '',
      /^SD card (not mounted at|folder) \/media\/rdl-no-such-card[^(]*; files wait safely in transit$/,
    );
    await assert.rejects(
      store(target, 'USB0/a.csv', srcPath),
      blocked('archive-missing', /not mounted/),
    );
    assert.deepEqual(await tree(r.card), []);
    if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
    mountTmpfs(r.card, 1024);
    try {
      assert.equal((await target.check()).problem, null);
      const res = await store(target, 'USB0/a.csv', srcPath);
      assert.equal(await readFile(res.path, 'utf8'), 'x');
    } finally {
      unmount(r.card);
    }
    assert.deepEqual(await tree(r.card), [], 'the write went to the card, not the mount point');
  } finally {
    await removeDir(r.base);
  }
});

test('read-only card (real read-only mount; chmod does not stop root): archive-readonly', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 1024, true);
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    const check = await target.check();
    assert.deepEqual(
      [check.present, check.writable, check.problem?.code],
      [true, false, 'archive-readonly'],
    );
    assert.match(check.problem?.message ?? '', /read-only: check the card’s write-protect switch/);
    const srcPath = await source(r, 'a.csv', 'x');
    await assert.rejects(
      store(target, 'a.csv', srcPath),
      blocked('archive-readonly', new RegExp(r.card)),
    );
    await assert.rejects(
      store(target, 'sub/a.csv', srcPath),
      blocked('archive-readonly', /read-only/),
    );
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('a card made read-only while in use (the kernel after errors): the advice names the repair, not only the switch', async (t) => {
  // The write-protect switch is read when the card goes in; a card that turns read-only between
  // two copies is the kernel's doing after errors (ext4 errors=remount-ro). Told only "check the
  // switch, or remount it read-write", its keeper would remount a failing card and meet them again.
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 1024);
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    await store(target, 'a.csv', await source(r, 'a.csv', 'x'));
    remountReadOnly(r.card);
    const repair =
      /writable until now, the system made it read-only after errors.*sudo dmesg.*fsck/;
    await assert.rejects(
      store(target, 'b.csv', await source(r, 'b.csv', 'y')),
      blocked('archive-readonly', repair),
    );
    assert.match((await target.check()).problem?.message ?? '', repair);
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('card too full for the file: archive-full before any byte is written', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 2048);
  try {
    // Half the card taken: the file fits the card, not what is left of it.
    await writePatternFile(join(r.card, 'older.bin'), 1024 * 1024);
    const srcPath = join(r.src, 'big.bin');
    await writePatternFile(srcPath, 1.5 * 1024 * 1024);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    await assert.rejects(
      store(target, 'd/big.bin', srcPath),
      blocked(
        'archive-full',
        // 1.0 MiB free, 1.5 MiB needed: sizes read in decimal units now
        /is full \(1\.0 MB free, 1\.6 MB needed\): free space or swap the card/,
      ),
    );
    assert.deepEqual(await tree(r.card), ['d', 'older.bin']);
    const strict = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: true,
      reserveBytes: 4 * 1024 * 1024,
    });
    assert.equal((await strict.check()).problem?.code, 'archive-full');
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('one disk for transit and the archive (a one-card hub) full: the words give what RDL Sync keeps free, or that the disk refused more, never a size no file needs', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  // 4 MiB and at most 16 files or folders (tmpfs nr_inodes), as a card out of inodes.
  mountTmpfs(r.card, 4096, false, 16);
  try {
    const transit = join(r.card, 'transit');
    const archive = join(r.card, 'archive');
    await mkdir(transit);
    await mkdir(archive);
    const target = new ArchiveTarget({ root: archive, mustBeMountPoint: false });
    assert.equal((await target.check()).problem, null, 'room at first');
    const srcPath = join(transit, 'a.csv');
    writeFileSync(srcPath, 'x'.repeat(1000));
    // Filled to 512 KiB short of the brim: less than the margin RDL Sync keeps free, more than a
    // hard link of a.csv needs (nothing).
    await writePatternFile(join(r.card, 'filler.bin'), 3.5 * 1024 * 1024 - 8192);
    const full = (await target.check()).problem;
    assert.equal(full?.code, 'archive-full');
    assert.match(
      full?.message ?? '',
      /is full \(\d+ kB free; RDL Sync keeps at least 1\.0 MB free on it\): free space on its disk/,
    );
    assert.doesNotMatch(full?.message ?? '', /needed/, 'no file needed that 1.0 MB');
    // Out of inodes but one: the file's first new folder takes it, its second is refused with
    // ENOSPC while room is left (a hard link takes no inode).
    let spare = 0;
    for (; ; spare++) {
      try {
        await mkdir(join(r.card, `spare-${spare}`));
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    await rm(join(r.card, `spare-${spare - 1}`), { recursive: true });
    await assert.rejects(
      store(target, 'site/day/a.csv', srcPath),
      blocked('archive-full', /is full \(\d+ kB free, yet it refused a new file or folder\)/),
    );
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('an archive folder on the hub’s own disk (not a card) is named as a folder: no card advice', async (t) => {
  // Every RDL hub since mid-2024 archives to 4_synced on the disk it runs from: "insert the card",
  // "swap the card" or "the write-protect switch" would send its keeper the wrong way.
  const cardAdvice = /SD card|insert|swap the card|write-protect/;
  const r = await rig();
  try {
    const gone = join(r.base, 'gone');
    const missing = await new ArchiveTarget({ root: gone, mustBeMountPoint: false }).check();
    assert.equal(
      missing.problem?.message,
      `Archive folder ${gone} does not exist: if its disk is not mounted, mount it (a folder made in its place would take the archive onto the wrong disk); else create it, or correct the archive folder in settings; files wait safely in transit`,
    );
    if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
    mountTmpfs(r.card, 1024, true);
    let readOnly;
    try {
      readOnly = await new ArchiveTarget({ root: r.card, mustBeMountPoint: false }).check();
    } finally {
      unmount(r.card);
    }
    assert.equal(readOnly.problem?.code, 'archive-readonly');
    assert.match(
      readOnly.problem?.message ?? '',
      new RegExp(`^Archive folder ${r.card} is on a disk that is read-only: .*check the disk`),
    );
    mountTmpfs(r.card, 2048);
    let full;
    try {
      await writePatternFile(join(r.card, 'older.bin'), 1024 * 1024);
      const big = join(r.src, 'big.bin');
      await writePatternFile(big, 1.5 * 1024 * 1024);
      const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
      full = await store(target, 'd/big.bin', big).then(
        () => null,
        (e: unknown) => e,
      );
    } finally {
      unmount(r.card);
    }
    assert.ok(isSyncError(full));
    assert.equal(full.code, 'archive-full');
    assert.match(
      full.message,
      /is full \(.*\): free space on its disk, or turn on retention in settings/,
    );
    for (const message of [missing.problem?.message, readOnly.problem?.message, full.message])
      assert.doesNotMatch(message ?? '', cardAdvice);
    // The card's own words stay for a card.
    const card = await new ArchiveTarget({ root: gone, mustBeMountPoint: true }).check();
    assert.match(card.problem?.message ?? '', /^SD card folder .* insert the card/);
  } finally {
    await removeDir(r.base);
  }
});

test('free-space margin is proportionate (real 24 MiB tmpfs): 23.9 MiB free takes a 20 MB file', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 24 * 1024);
  try {
    // The reported case: 23.9 MiB free on the card, a 20 MB file (transit on another disk).
    await writeFile(join(r.card, 'earlier.bin'), Buffer.alloc(100 * 1024, 1));
    const srcPath = join(r.src, 'day.bin');
    await writePatternFile(srcPath, 20_000_000);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true });
    const before = (await target.check()).freeBytes ?? 0;
    t.diagnostic(`free before: ${formatBytes(before)}; file 20,000,000 bytes`);
    assert.equal(formatBytes(before), '25 MB'); // 23.9 MiB: sizes read in decimal units now
    assert.ok(before < 20_000_000 + 8 * 1024 * 1024, 'the old flat 8 MiB margin refused this');
    const needed = bytesNeededFor(20_000_000, 4096, DEFAULT_RESERVE_BYTES);
    t.diagnostic(
      `needed now: ${formatBytes(needed)} (was ${formatBytes(20_000_000 + 8 * 1024 * 1024)})`,
    );
    const res = await store(target, 'RDL/day.bin', srcPath);
    assert.equal(res.linked, false, 'another file system: a real copy');
    assert.equal(res.contentHash, await hashOf(srcPath));

    // A file that does not fit is refused before a byte is written, with figures that add up.
    const after = (await target.check()).freeBytes ?? 0;
    const tooBig = join(r.src, 'too-big.bin');
    await writePatternFile(tooBig, after - 512 * 1024, 2);
    const want = bytesNeededFor(after - 512 * 1024, 4096, DEFAULT_RESERVE_BYTES);
    await assert.rejects(
      store(target, 'RDL/too-big.bin', tooBig),
      blocked(
        'archive-full',
        new RegExp(
          `\\(${formatBytes(after)} free, ${formatBytes(want)} needed: ${formatBytes(want - DEFAULT_RESERVE_BYTES)} for the file and the ${formatBytes(DEFAULT_RESERVE_BYTES)} RDL Sync keeps free\\)`,
        ),
      ),
    );
    t.diagnostic(
      `then ${formatBytes(after)} free: a ${formatBytes(after - 512 * 1024)} file needs ${formatBytes(want)}: refused`,
    );
    assert.ok(want - (after - 512 * 1024) < 1.1 * 1024 * 1024, 'margin stays about 1 MiB');
    assert.deepEqual(
      (await tree(r.card)).filter((p) => p !== ARCHIVE_WORK_DIR),
      ['RDL', 'RDL/day.bin', 'earlier.bin'],
    );
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('card fills up mid-copy (real ENOSPC): archive-full, no partial file, no final name', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 4096);
  try {
    const srcPath = join(r.src, 'data.bin');
    await writePatternFile(srcPath, 3 * 1024 * 1024);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    let filled = false;
    const fillCard = (): void => {
      if (filled) return;
      filled = true; // another program fills the card while we copy
      try {
        writeFileSync(join(r.card, 'other-program.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
      } catch {
        // ENOSPC for the filler too: the card is full either way
      }
    };
    await assert.rejects(
      store(target, 'USB0/data.bin', srcPath, { onProgress: fillCard }),
      blocked('archive-full', /is full/),
    );
    assert.ok(filled);
    assert.deepEqual(await tree(r.card), [ARCHIVE_WORK_DIR, 'USB0', 'other-program.bin']);
    assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), [], 'partial copy removed');
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('card pulled mid-copy (mount goes away): archive-missing, nothing lands in the mount point', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 8192);
  try {
    const srcPath = join(r.src, 'data.bin');
    await writePatternFile(srcPath, 3 * 1024 * 1024);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    let pulled = false;
    const pull = (): void => {
      if (pulled) return;
      pulled = true;
      unmount(r.card);
    };
    await assert.rejects(
      store(target, 'USB0/data.bin', srcPath, { onProgress: pull }),
      (e: unknown) => {
        assert.ok(isSyncError(e));
        assert.deepEqual([e.kind, e.code], ['blocked', 'archive-missing']);
        assert.match((e as SyncError).message, new RegExp(`${r.card} went away during a copy`));
        return true;
      },
    );
    assert.deepEqual(await tree(r.card), [], 'the bare mount point stays empty');
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

/**
 * A 2 MiB copy to a root on "another file system" (copied, not linked) that `midCopy` does
 * something to at the copy's first progress: the store must block the leg as archive-missing
 * (the archive went away), not charge the file; `look` then checks what is left.
 */
async function rootGoesMidCopy(
  midCopy: (root: string) => void,
  look: (r: Awaited<ReturnType<typeof rig>>) => Promise<void>,
): Promise<void> {
  const r = await rig();
  try {
    const srcPath = join(r.src, 'data.bin');
    await writePatternFile(srcPath, 2 * 1024 * 1024);
    const target = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: false,
      reserveBytes: 0,
      fsOps: crossDevice(r.card),
    });
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      midCopy(r.card);
    };
    await assert.rejects(
      store(target, 'USB0/data.bin', srcPath, { onProgress: once }),
      blocked('archive-missing', /went away during a copy/),
    );
    await look(r);
  } finally {
    await removeDir(r.base);
  }
}

test('root folder removed mid-copy (no mount check): archive-missing, root not recreated', () =>
  rootGoesMidCopy(
    (root) => rmSync(root, { recursive: true, force: true }),
    async (r) => assert.deepEqual(await tree(r.base), ['transit', 'transit/data.bin']),
  ));

test('root folder removed and made anew mid-copy: archive-missing (the archive went away), not the file failing', () =>
  rootGoesMidCopy(
    (root) => {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
    },
    async (r) => assert.deepEqual(await tree(r.card), [], 'nothing written into the new folder'),
  ));

test('source vanished, unreadable, or changed size: file-level errors, nothing left on the card', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    await assert.rejects(
      target.store({ rel: 'a.csv', srcPath: join(r.src, 'gone.csv'), size: 3 }),
      failsWith(
        'file-failed',
        'file-vanished',
        /gone\.csv vanished before it reached the archive folder/,
      ),
    );
    await mkdir(join(r.src, 'dir.csv'));
    await assert.rejects(
      target.store({ rel: 'b.csv', srcPath: join(r.src, 'dir.csv'), size: 3 }),
      failsWith('file-failed', 'file-unreadable', /Cannot read .*dir\.csv.*EISDIR/),
    );
    const grown = await source(r, 'grown.csv', '12345');
    await assert.rejects(
      target.store({ rel: 'c.csv', srcPath: grown, size: 3 }),
      // A hard link is the hub's own case (transit and 4_synced on one disk): no SD card there.
      failsWith(
        'retry',
        'hash-mismatch',
        /c\.csv changed while it was linked into the archive folder \(expected 3 bytes, found 5\)/,
      ),
    );
    const copying = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: false,
      reserveBytes: 0,
      fsOps: crossDevice(r.card),
    });
    await assert.rejects(
      copying.store({ rel: 'c.csv', srcPath: grown, size: 3 }),
      failsWith('retry', 'hash-mismatch', /c\.csv changed while it was copied/),
    );
    await assert.rejects(
      copying.store({ rel: 'a.csv', srcPath: join(r.src, 'gone.csv'), size: 3 }),
      failsWith('file-failed', 'file-vanished', /gone\.csv vanished/),
    );
    assert.deepEqual(await tree(r.card), [ARCHIVE_WORK_DIR], 'only the (empty) reserved folder');
    assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), []);
  } finally {
    await removeDir(r.base);
  }
});

test('temporaries live only in the reserved folder: cleanup removes them and never a user file of any name', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: false,
      reserveBytes: 0,
      fsOps: crossDevice(r.card),
    });
    const srcPath = await source(r, 'a.csv', 'payload');
    const first = await store(target, 'x/y/a.csv', srcPath);
    // User files that look like the old temporary names are data: they must survive.
    await writeFile(join(r.card, 'x', 'y', '.rdl-partial-0011223344556677'), 'user data 1');
    await writeFile(join(r.card, '.rdl-partial-x'), 'user data 2');
    await writeFile(join(r.card, 'x', 'partial-8899aabbccddeeff'), 'user data 3');
    // What a crash mid-copy leaves: temporaries in the reserved folder.
    await writeFile(join(r.card, ARCHIVE_WORK_DIR, 'partial-0011223344556677'), 'pay');
    await writeFile(join(r.card, ARCHIVE_WORK_DIR, 'partial-8899aabbccddeeff'), '');
    const again = await store(target, 'x/y/a.csv', srcPath);
    const { linked: _l, ...firstResult } = first;
    assert.deepEqual(again, { ...firstResult, alreadyPresent: true });
    assert.equal(await target.cleanupTemps(), 2);
    assert.deepEqual(await tree(r.card), [
      '.rdl-partial-x',
      'x',
      'x/partial-8899aabbccddeeff',
      'x/y',
      'x/y/.rdl-partial-0011223344556677',
      'x/y/a.csv',
    ]);
    assert.equal(await readFile(join(r.card, '.rdl-partial-x'), 'utf8'), 'user data 2');
    assert.equal(await target.cleanupTemps(), 0);

    // A user folder with the reserved name is refused (that file alone), never stored inside.
    await assert.rejects(
      store(target, `${ARCHIVE_WORK_DIR}/b.csv`, srcPath),
      failsWith('file-failed', 'disallowed-name', /RDL Sync's own folder.*rename that folder/),
    );
    // A user's file holding the reserved name at the card's root is not ours: the copy fails
    // alone, naming it, and the file is left as it is.
    await writeFile(join(r.card, ARCHIVE_WORK_DIR), 'a user file');
    await assert.rejects(
      store(target, 'x/c.csv', srcPath),
      failsWith('file-failed', 'conflict', /is not a folder.*move that file away/),
    );
    assert.equal(await target.cleanupTemps(), 0);
    assert.equal(await readFile(join(r.card, ARCHIVE_WORK_DIR), 'utf8'), 'a user file');
  } finally {
    await removeDir(r.base);
  }
});

/**
 * Acts like a FAT/exFAT card under the kernel's vfat and exfat drivers, which these machines
 * cannot load: no hard links (EPERM), a refused name fails with EINVAL. The FUSE drivers answer
 * ENOENT or EPERM instead; real-card.test.ts runs the same cases on real exFAT and FAT cards.
 */
function fatLikeOps() {
  const refuse = (p: string): boolean => /[:*?"<>|]/.test(p.split('/').pop() ?? '');
  const einval = (): never => {
    throw Object.assign(new Error('invalid argument'), { code: 'EINVAL' });
  };
  return {
    link: async (): Promise<void> => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    },
    rename: async (from: string, to: string): Promise<void> =>
      refuse(to) ? einval() : rename(from, to),
    mkdir: async (p: string): Promise<unknown> => (refuse(p) ? einval() : mkdir(p)),
  };
}

test('FAT-like card: works without hard links; a name it refuses fails that file alone', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: false,
      reserveBytes: 0,
      fsOps: fatLikeOps(),
    });
    const ok = await source(r, 'ok', 'fine');
    const other = await source(r, 'other', 'different');
    assert.equal((await store(target, 'd/a.csv', ok)).alreadyPresent, false);
    assert.equal((await store(target, 'd/a.csv', other)).path, join(r.card, 'd', 'a (1).csv'));
    await assert.rejects(
      store(target, 'd/10:00:00.csv', ok),
      failsWith(
        'file-failed',
        'disallowed-name',
        /does not accept the name .*10:00:00\.csv.*rename the file/,
      ),
    );
    await assert.rejects(
      store(target, 'bad|dir/x.csv', ok),
      failsWith('file-failed', 'disallowed-name', /bad\|dir/),
    );
    assert.deepEqual(
      await tree(r.card),
      [ARCHIVE_WORK_DIR, 'd', 'd/a (1).csv', 'd/a.csv'],
      'no temp left behind',
    );
    assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), []);
  } finally {
    await removeDir(r.base);
  }
});

for (const { mode, fsOps, linked } of MODES) {
  test(`replace (${mode}): a later version replaces our own earlier copy in place, no numbered copy`, async () => {
    const r = await rig();
    try {
      const target = new ArchiveTarget({
        root: r.card,
        mustBeMountPoint: false,
        reserveBytes: 0,
        fsOps: fsOps(r.card),
      });
      // A different file of the user's already holds a.csv: our copies are numbered.
      await mkdir(join(r.card, 'd'));
      await writeFile(join(r.card, 'd', 'a.csv'), 'the user’s own file');
      const v1 = await source(r, 'v1', 'version 1');
      const first = await store(target, 'd/a.csv', v1);
      assert.equal(first.path, join(r.card, 'd', 'a (1).csv'));
      const v2 = await source(r, 'v2', 'version 2, longer');
      await chmod(v2, 0o600);
      const second = await target.store({
        rel: 'd/a.csv',
        srcPath: v2,
        size: (await stat(v2)).size,
        replace: { path: first.path, contentHash: first.contentHash },
      });
      assert.deepEqual(second, {
        path: first.path,
        contentHash: dropboxContentHash(Buffer.from('version 2, longer')),
        alreadyPresent: false,
        linked,
      });
      assert.equal(await readFile(first.path, 'utf8'), 'version 2, longer');
      assert.equal(((await stat(first.path)).mode & 0o777).toString(8), '600');
      assert.equal(await readFile(join(r.card, 'd', 'a.csv'), 'utf8'), 'the user’s own file');
      assert.deepEqual(await readdir(join(r.card, 'd')), ['a (1).csv', 'a.csv'].sort());
      if (!linked) assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), []);

      // Asked again (a crash before the journal saved the result): already done.
      const again = await target.store({
        rel: 'd/a.csv',
        srcPath: v2,
        size: (await stat(v2)).size,
        replace: { path: first.path, contentHash: first.contentHash },
      });
      assert.deepEqual([again.path, again.alreadyPresent], [first.path, true]);
    } finally {
      await removeDir(r.base);
    }
  });

  test(`replace (${mode}): a copy that is no longer ours (changed or gone) is kept, keep-both applies`, async () => {
    const r = await rig();
    try {
      const target = new ArchiveTarget({
        root: r.card,
        mustBeMountPoint: false,
        reserveBytes: 0,
        fsOps: fsOps(r.card),
      });
      const v1 = await source(r, 'v1', 'version 1');
      const first = await store(target, 'a.csv', v1);
      // Someone edits our copy on the card (a new file in its place): it is theirs now.
      await rm(first.path);
      await writeFile(first.path, 'edited by a person');
      const v2 = await source(r, 'v2', 'version 2');
      const replace = { path: first.path, contentHash: first.contentHash };
      const size = (await stat(v2)).size;
      const kept = await target.store({ rel: 'a.csv', srcPath: v2, size, replace });
      assert.equal(kept.path, join(r.card, 'a (1).csv'));
      assert.equal(await readFile(first.path, 'utf8'), 'edited by a person');
      assert.equal(await readFile(kept.path, 'utf8'), 'version 2');

      // Gone altogether: stored under its own name again.
      const r2 = await rig();
      try {
        const t2 = new ArchiveTarget({
          root: r2.card,
          mustBeMountPoint: false,
          reserveBytes: 0,
          fsOps: fsOps(r2.card),
        });
        const w1 = await source(r2, 'v1', 'one');
        const earlier = await store(t2, 'x/a.csv', w1);
        await rm(earlier.path);
        const w2 = await source(r2, 'v2', 'two');
        const back = await t2.store({
          rel: 'x/a.csv',
          srcPath: w2,
          size: 3,
          replace: { path: earlier.path, contentHash: earlier.contentHash },
        });
        assert.deepEqual([back.path, await readFile(back.path, 'utf8')], [earlier.path, 'two']);

        // A replace path outside the file's folder is never touched.
        const elsewhere = join(r2.card, 'elsewhere.csv');
        await writeFile(elsewhere, 'one');
        const w3 = await source(r2, 'v3', 'three');
        const safe = await t2.store({
          rel: 'x/a.csv',
          srcPath: w3,
          size: 5,
          replace: { path: elsewhere, contentHash: dropboxContentHash(Buffer.from('one')) },
        });
        assert.equal(safe.path, join(r2.card, 'x', 'a (1).csv'));
        assert.equal(await readFile(elsewhere, 'utf8'), 'one');
      } finally {
        await removeDir(r2.base);
      }
    } finally {
      await removeDir(r.base);
    }
  });

  test(`replace (${mode}): a new version that fails verification never costs the old copy`, async () => {
    const r = await rig();
    try {
      const target = new ArchiveTarget({
        root: r.card,
        mustBeMountPoint: false,
        reserveBytes: 0,
        fsOps: fsOps(r.card),
      });
      const v1 = await source(r, 'v1', 'version 1');
      const first = await store(target, 'a.csv', v1);
      const v2 = await source(r, 'v2', 'version 2 grew');
      // The caller expected 9 bytes (what it saw when it listed transit): the file changed since.
      await assert.rejects(
        target.store({
          rel: 'a.csv',
          srcPath: v2,
          size: 9,
          replace: { path: first.path, contentHash: first.contentHash },
        }),
        failsWith('retry', 'hash-mismatch', /changed while it was/),
      );
      assert.equal(await readFile(first.path, 'utf8'), 'version 1', 'old copy intact');
      // Or the expected hash (the upload's) differs from what is read.
      await assert.rejects(
        target.store({
          rel: 'a.csv',
          srcPath: v2,
          size: 14,
          knownContentHash: dropboxContentHash(Buffer.from('something else')),
          replace: { path: first.path, contentHash: first.contentHash },
        }),
        failsWith('retry', 'hash-mismatch', /changed while it was/),
      );
      assert.equal(await readFile(first.path, 'utf8'), 'version 1', 'old copy intact');
      assert.deepEqual(
        (await tree(r.card)).filter((p) => p !== ARCHIVE_WORK_DIR),
        ['a.csv'],
      );
      if (!linked) assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), []);
    } finally {
      await removeDir(r.base);
    }
  });
}

test('replace on a real card that fills up mid-copy: the old copy survives whole', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 4096);
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    const v1 = join(r.src, 'v1.bin');
    await writePatternFile(v1, 1024 * 1024, 1);
    const first = await store(target, 'RDL/day.bin', v1);
    const v2 = join(r.src, 'v2.bin');
    await writePatternFile(v2, 2 * 1024 * 1024, 2);
    let filled = false;
    await assert.rejects(
      target.store({
        rel: 'RDL/day.bin',
        srcPath: v2,
        size: 2 * 1024 * 1024,
        replace: { path: first.path, contentHash: first.contentHash },
        onProgress: () => {
          if (filled) return;
          filled = true; // another program takes the rest of the card
          try {
            writeFileSync(join(r.card, 'other.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
          } catch {
            // ENOSPC for the filler too: the card is full either way
          }
        },
      }),
      blocked('archive-full', /is full/),
    );
    assert.equal(await hashOf(first.path), first.contentHash, 'old copy intact');
    assert.deepEqual(await readdir(join(r.card, ARCHIVE_WORK_DIR)), [], 'partial removed');
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('hard link: an in-place change of the transit file shows in the linked copy, and the leg sees it is current', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    const src = await source(r, 'day.csv', 'line 1\n');
    const first = await store(target, 'day.csv', src);
    assert.equal(first.linked, true);
    // A writer appends to the transit file in place (same inode): the card's name sees it too.
    await appendFile(src, 'line 2\n');
    assert.equal(await readFile(first.path, 'utf8'), 'line 1\nline 2\n');
    // The pipeline notices the transit file changed (size, mtime) and runs the legs again with
    // replace: the archive finds its copy already holds the new bytes, and says so.
    const again = await target.store({
      rel: 'day.csv',
      srcPath: src,
      size: 14,
      replace: { path: first.path, contentHash: first.contentHash },
    });
    assert.deepEqual(again, {
      path: first.path,
      contentHash: dropboxContentHash(Buffer.from('line 1\nline 2\n')),
      alreadyPresent: true,
    });
    // Once the transit name is removed (done), the card's copy is an ordinary file of its own.
    await rm(src);
    assert.equal((await stat(first.path)).nlink, 1);
    assert.equal(await readFile(first.path, 'utf8'), 'line 1\nline 2\n');
  } finally {
    await removeDir(r.base);
  }
});

test('a root given with a trailing slash or a "." part names copies as path.join does, at the top and in folders, also numbered', async () => {
  const r = await rig();
  try {
    await mkdir(join(r.card, 'x'));
    for (const [i, root] of [`${r.card}/`, `${r.card}/./`, `${r.card}/x/..`].entries()) {
      const target = new ArchiveTarget({ root, mustBeMountPoint: false });
      assert.equal((await target.check()).problem, null);
      const top = await store(target, `top${i}.csv`, await source(r, `top${i}`, `t${i}`));
      assert.equal(top.path, join(r.card, `top${i}.csv`));
      for (const round of [0, 1]) {
        const deep = await store(
          target,
          `USB0/d/f${i}.csv`,
          await source(r, `f${i}-${round}`, `f${i} round ${round}`),
        );
        assert.equal(deep.path, join(r.card, 'USB0', 'd', keepBothName(`f${i}.csv`, round)));
        assert.equal(await readFile(deep.path, 'utf8'), `f${i} round ${round}`);
      }
    }
  } finally {
    await removeDir(r.base);
  }
});

test('files stored at once into a new folder share one mkdir per level, and all land', async () => {
  const r = await rig();
  try {
    const made: string[] = [];
    const target = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: false,
      fsOps: {
        mkdir: async (p) => {
          made.push(p);
          await mkdir(p);
        },
      },
    });
    assert.equal((await target.check()).problem, null);
    const files = await Promise.all(
      Array.from({ length: 40 }, (_, i) => source(r, `f${i}.csv`, `content ${i}`)),
    );
    const stored = await Promise.all(
      files.map((src, i) => store(target, `USB0/2026-12-02/f${i}.csv`, src)),
    );
    assert.deepEqual(made, [join(r.card, 'USB0'), join(r.card, 'USB0', '2026-12-02')]);
    for (const [i, s] of stored.entries()) {
      assert.equal(s.path, join(r.card, 'USB0', '2026-12-02', `f${i}.csv`));
      assert.equal(await readFile(s.path, 'utf8'), `content ${i}`);
    }
  } finally {
    await removeDir(r.base);
  }
});
