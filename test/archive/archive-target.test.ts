import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArchiveTarget,
  ARCHIVE_TEMP_PREFIX,
  keepBothName,
  type ArchiveStoreResult,
} from '../../src/engine/archive/index.js';
import { dropboxContentHash } from '../../src/engine/fsutil/index.js';
import { isSyncError, type SyncError } from '../../src/engine/errors.js';
import { canMount, mountTmpfs, removeDir, tempDir, unmount, writePatternFile } from './helpers.js';

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

test('keepBothName numbers before the extension, or at the end when there is none', () => {
  assert.equal(keepBothName('data.csv', 0), 'data.csv');
  assert.equal(keepBothName('data.csv', 1), 'data (1).csv');
  assert.equal(keepBothName('README', 2), 'README (2)');
  assert.equal(keepBothName('.env', 1), '.env (1)');
  assert.equal(keepBothName('a.tar.gz', 3), 'a.tar (3).gz');
});

test('happy path: copied below the root with folders made, hash verified, no temp left', async () => {
  const r = await rig();
  try {
    const body = Buffer.alloc(4_194_305, 'A');
    const srcPath = await source(r, 'a.bin', body);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
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
    });
    assert.equal(progress, body.length);
    assert.ok((await readFile(res.path)).equals(body));
    assert.ok(
      Math.abs((await stat(res.path)).mtimeMs - (await stat(srcPath)).mtimeMs) < 0.01,
      'logger mtime kept',
    );
    assert.deepEqual(await tree(r.card), ['USB0', 'USB0/2026 11', 'USB0/2026 11/ü a.bin']);
  } finally {
    await removeDir(r.base);
  }
});

test('identical file already there: alreadyPresent, nothing written', async () => {
  const r = await rig();
  try {
    const srcPath = await source(r, 'a.csv', 'same bytes');
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    const first = await store(target, 'd/a.csv', srcPath);
    const before = await stat(first.path);
    const again = await store(target, 'd/a.csv', srcPath);
    assert.deepEqual(again, { ...first, alreadyPresent: true });
    const after = await stat(first.path);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
    assert.deepEqual(await tree(r.card), ['d', 'd/a.csv']);
  } finally {
    await removeDir(r.base);
  }
});

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
      `SD card not mounted at ${r.card}: insert it; files wait safely in transit`,
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

test('card too full for the file: archive-full before any byte is written', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 2048);
  try {
    const srcPath = join(r.src, 'big.bin');
    await writePatternFile(srcPath, 3 * 1024 * 1024);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    await assert.rejects(
      store(target, 'd/big.bin', srcPath),
      blocked(
        'archive-full',
        /is full \(2\.0 MiB free, 3\.0 MiB needed\): free space or swap the card/,
      ),
    );
    assert.deepEqual(await tree(r.card), ['d']);
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
    assert.deepEqual(await tree(r.card), ['USB0', 'other-program.bin']);
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

test('root folder removed mid-copy (no mount check): archive-missing, root not recreated', async () => {
  const r = await rig();
  try {
    const srcPath = join(r.src, 'data.bin');
    await writePatternFile(srcPath, 2 * 1024 * 1024);
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    let removed = false;
    const removeRoot = (): void => {
      if (removed) return;
      removed = true;
      rmSync(r.card, { recursive: true, force: true });
    };
    await assert.rejects(
      store(target, 'USB0/data.bin', srcPath, { onProgress: removeRoot }),
      blocked('archive-missing', /went away during a copy/),
    );
    assert.deepEqual(await tree(r.base), ['transit', 'transit/data.bin']);
  } finally {
    await removeDir(r.base);
  }
});

test('source vanished, unreadable, or changed size: file-level errors, nothing left on the card', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    await assert.rejects(
      target.store({ rel: 'a.csv', srcPath: join(r.src, 'gone.csv'), size: 3 }),
      failsWith('file-failed', 'file-vanished', /gone\.csv vanished before it reached the SD card/),
    );
    await mkdir(join(r.src, 'dir.csv'));
    await assert.rejects(
      target.store({ rel: 'b.csv', srcPath: join(r.src, 'dir.csv'), size: 3 }),
      failsWith('file-failed', 'file-unreadable', /Cannot read .*dir\.csv.*EISDIR/),
    );
    const grown = await source(r, 'grown.csv', '12345');
    await assert.rejects(
      target.store({ rel: 'c.csv', srcPath: grown, size: 3 }),
      failsWith('retry', 'hash-mismatch', /changed while it was copied/),
    );
    assert.deepEqual(await tree(r.card), []);
  } finally {
    await removeDir(r.base);
  }
});

test('cleanupTemps removes leftovers of interrupted copies; a re-store after a crash is idempotent', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    const srcPath = await source(r, 'a.csv', 'payload');
    const first = await store(target, 'x/y/a.csv', srcPath);
    // What a crash mid-copy leaves: temporaries beside finished files.
    await writeFile(join(r.card, 'x', 'y', `${ARCHIVE_TEMP_PREFIX}0011223344556677`), 'pay');
    await writeFile(join(r.card, `${ARCHIVE_TEMP_PREFIX}8899aabbccddeeff`), '');
    const again = await store(target, 'x/y/a.csv', srcPath);
    assert.deepEqual(again, { ...first, alreadyPresent: true });
    assert.equal(await target.cleanupTemps(), 2);
    assert.deepEqual(await tree(r.card), ['x', 'x/y', 'x/y/a.csv']);
  } finally {
    await removeDir(r.base);
  }
});

/** Acts like a FAT/exFAT card (which this kernel cannot mount): no hard links, some names refused. */
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
    assert.deepEqual(await tree(r.card), ['d', 'd/a (1).csv', 'd/a.csv'], 'no temp left behind');
  } finally {
    await removeDir(r.base);
  }
});
