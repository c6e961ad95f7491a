import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile, symlink, utimes } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import {
  DropboxHasher,
  dropboxContentHash,
  atomicWriteFile,
  copyFileHashed,
  hashFileDropbox,
  CopyError,
  pruneEmptyDirs,
  isMountPoint,
  isReadOnlyMount,
  parseMountInfo,
  freeSpace,
  relSegments,
  resolveRel,
  placeWithoutReplacing,
  walkTree,
} from '../../src/engine/fsutil/index.js';
import { realPlaceOps } from '../../src/engine/fsutil/place.js';
import { rawPathOf } from '../../src/engine/fsutil/rel-path.js';
import { SYNC_READ_MAX } from '../../src/engine/fsutil/quick-fs.js';
import {
  tempDir,
  removeDir,
  canMount,
  mountTmpfs,
  bindMount,
  unmount,
  writePatternFile,
} from './helpers.js';

// dropbox-api-facts.md §5: all-'A' vectors from rclone's dbhash_test.
const VECTORS: [number, string][] = [
  [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  [1, '1cd6ef71e6e0ff46ad2609d403dc3fee244417089aa4461245a4e4fe23a55e42'],
  [4_194_303, '647c8627d70f7a7d13ce96b1e7710a771a55d41a62c3da490d92e56044d311fa'],
  [4_194_304, 'd4d63bac5b866c71620185392a8a6218ac1092454a2d16f820363b69852befa3'],
  [4_194_305, '8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92'],
  [8_388_608, 'e08b3ba1f538804075c5f939accdeaa9efc7b5c01865c94a41e78ca6550a88e7'],
];

test('DropboxHasher matches the published vectors, whole and in odd-sized pieces', () => {
  for (const [size, expected] of VECTORS) {
    const data = Buffer.alloc(size, 'A');
    assert.equal(dropboxContentHash(data), expected, `whole, ${size} bytes`);
    const h = new DropboxHasher();
    for (let i = 0; i < size; i += 1_000_003) h.update(data.subarray(i, i + 1_000_003));
    assert.equal(h.digest(), expected, `pieces, ${size} bytes`);
  }
});

test('DropboxHasher digest is a snapshot: hashing can go on after it', () => {
  const h = new DropboxHasher();
  assert.equal(h.digest(), dropboxContentHash(Buffer.alloc(0)));
  h.update(Buffer.from('ab'));
  assert.equal(h.digest(), h.digest());
  h.update(Buffer.from('c'));
  assert.equal(h.digest(), dropboxContentHash(Buffer.from('abc')));
});

test('hashFileDropbox of small files read whole: right at every size, also when a file outgrew its size hint, and for files hashed at once', async () => {
  const dir = await tempDir();
  try {
    const sizes = [0, 1, 8192, SYNC_READ_MAX - 1, SYNC_READ_MAX, SYNC_READ_MAX + 1, 200_000];
    const files = await Promise.all(
      sizes.map(async (size, i) => {
        const p = join(dir, `f${i}.bin`);
        await writeFile(p, Buffer.alloc(size, 0x41 + i));
        return { p, size, expected: dropboxContentHash(Buffer.alloc(size, 0x41 + i)) };
      }),
    );
    for (const f of files) {
      assert.equal(await hashFileDropbox(f.p, undefined, f.size), f.expected, `${f.size} bytes`);
      // The hint says small, the file is larger now (it grew): still the whole file's hash.
      assert.equal(await hashFileDropbox(f.p, undefined, 10), f.expected, `${f.size} grown`);
    }
    // Many at once (the small files of a window): each gets its own file's hash.
    const all = await Promise.all(files.map((f) => hashFileDropbox(f.p, undefined, f.size)));
    assert.deepEqual(
      all,
      files.map((f) => f.expected),
    );
    await assert.rejects(hashFileDropbox(join(dir, 'missing'), undefined, 10), { code: 'ENOENT' });
  } finally {
    await removeDir(dir);
  }
});

test('hashFileDropbox and copyFileHashed agree with the in-memory hash; the copy is byte-identical', async () => {
  const dir = await tempDir();
  try {
    const src = join(dir, 'src.bin');
    await writePatternFile(src, 9_000_001);
    await utimes(src, 1_600_000_000, 1_600_000_000.25);
    const expected = dropboxContentHash(await readFile(src));
    assert.equal(await hashFileDropbox(src), expected);
    const seen: number[] = [];
    const res = await copyFileHashed(src, join(dir, 'dst.bin'), undefined, (b) => seen.push(b));
    // The source's times as the copy began (the hash above has read it: its atime is now).
    const { atimeMs, ...rest } = res;
    assert.deepEqual(rest, {
      bytes: 9_000_001,
      contentHash: expected,
      mtimeMs: 1_600_000_000_250,
      timesKept: true,
    });
    assert.ok(atimeMs > 1_600_000_000_000, 'the source’s atime as read');
    assert.equal(seen.at(-1), 9_000_001);
    assert.ok(
      seen.every((b, i) => i === 0 || b > (seen[i - 1] ?? 0)),
      'progress only grows',
    );
    assert.equal((await stat(join(dir, 'dst.bin'))).mtimeMs, 1_600_000_000_250, 'mtime kept');
    const a = createHash('sha256')
      .update(await readFile(src))
      .digest('hex');
    const b = createHash('sha256')
      .update(await readFile(join(dir, 'dst.bin')))
      .digest('hex');
    assert.equal(a, b);
  } finally {
    await removeDir(dir);
  }
});

test('copyFileHashed: missing source is a source error and leaves no destination', async () => {
  const dir = await tempDir();
  try {
    await assert.rejects(
      copyFileHashed(join(dir, 'nope'), join(dir, 'dst')),
      (e: unknown) => e instanceof CopyError && e.side === 'source' && e.code === 'ENOENT',
    );
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await removeDir(dir);
  }
});

test('copyFileHashed never overwrites an existing destination', async () => {
  const dir = await tempDir();
  try {
    await writeFile(join(dir, 'src'), 'new');
    await writeFile(join(dir, 'dst'), 'precious');
    await assert.rejects(
      copyFileHashed(join(dir, 'src'), join(dir, 'dst')),
      (e: unknown) => e instanceof CopyError && e.side === 'destination' && e.code === 'EEXIST',
    );
    assert.equal(await readFile(join(dir, 'dst'), 'utf8'), 'precious');
  } finally {
    await removeDir(dir);
  }
});

test('copyFileHashed stops on abort and removes the partial destination', async () => {
  const dir = await tempDir();
  try {
    await writePatternFile(join(dir, 'src'), 5_000_000);
    const ac = new AbortController();
    await assert.rejects(
      copyFileHashed(join(dir, 'src'), join(dir, 'dst'), ac.signal, () =>
        ac.abort(new Error('stop now')),
      ),
      /stop now/,
    );
    assert.deepEqual(await readdir(dir), ['src']);
  } finally {
    await removeDir(dir);
  }
});

test('copyFileHashed: a full disk mid-copy (real ENOSPC on a 2 MiB tmpfs) leaves nothing behind', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dir = await tempDir();
  const card = join(dir, 'card');
  await mkdir(card);
  mountTmpfs(card, 2048);
  try {
    await writePatternFile(join(dir, 'big'), 3 * 1024 * 1024);
    let progressed = 0;
    await assert.rejects(
      copyFileHashed(join(dir, 'big'), join(card, 'big'), undefined, (b) => (progressed = b)),
      (e: unknown) => e instanceof CopyError && e.side === 'destination' && e.code === 'ENOSPC',
    );
    assert.ok(progressed > 0, 'some bytes were written before the disk filled');
    assert.deepEqual(await readdir(card), []);
  } finally {
    unmount(card);
    await removeDir(dir);
  }
});

test('atomicWriteFile replaces content and leaves no temp files', async () => {
  const dir = await tempDir();
  try {
    const p = join(dir, 'state.json');
    await atomicWriteFile(p, '{"a":1}');
    await atomicWriteFile(p, Buffer.from('{"a":2}'));
    assert.equal(await readFile(p, 'utf8'), '{"a":2}');
    assert.deepEqual(await readdir(dir), ['state.json']);
  } finally {
    await removeDir(dir);
  }
});

test('pruneEmptyDirs removes empty parents up to, never including, the root', async () => {
  const dir = await tempDir();
  try {
    const root = join(dir, 'transit');
    await mkdir(join(root, 'a/b/c'), { recursive: true });
    await mkdir(join(root, 'a/keep'), { recursive: true });
    await pruneEmptyDirs(root, join(root, 'a/b/c'));
    assert.deepEqual(await readdir(join(root, 'a')), ['keep']);
    await pruneEmptyDirs(root, join(root, 'a/keep'));
    assert.deepEqual(await readdir(root), []);
    await pruneEmptyDirs(root, root);
    assert.ok((await stat(root)).isDirectory(), 'root stays');
    await pruneEmptyDirs(root, dir); // outside the root: nothing happens
    assert.ok((await stat(root)).isDirectory());
  } finally {
    await removeDir(dir);
  }
});

test('isMountPoint: plain folder no, missing no, / yes, tmpfs yes, same-device bind mount yes', async (t) => {
  const dir = await tempDir();
  try {
    assert.equal(await isMountPoint(dir), false);
    assert.equal(await isMountPoint(join(dir, 'missing')), false);
    assert.equal(await isMountPoint('/'), true);
    if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
    const tm = join(dir, 'tm');
    const src = join(dir, 'src');
    const bind = join(dir, 'bind');
    await Promise.all([mkdir(tm), mkdir(src), mkdir(bind)]);
    mountTmpfs(tm, 64);
    try {
      assert.equal(await isMountPoint(tm), true);
      await symlink(tm, join(dir, 'link-to-tm'));
      assert.equal(await isMountPoint(join(dir, 'link-to-tm')), true, 'resolved through a symlink');
      bindMount(src, bind);
      assert.equal((await stat(bind)).dev, (await stat(dir)).dev, 'bind mount keeps the device');
      assert.equal(await isMountPoint(bind), true);
      assert.equal(await isReadOnlyMount(bind), false);
    } finally {
      unmount(bind);
      unmount(tm);
    }
    assert.equal(await isMountPoint(tm), false, 'after unmount it is a plain folder again');
  } finally {
    await removeDir(dir);
  }
});

test('parseMountInfo decodes escaped mount points', () => {
  const line = '36 35 98:0 /mnt1 /media/pi/SD\\040CARD rw,noatime master:1 - ext3 /dev/root rw';
  assert.ok(parseMountInfo(line).has('/media/pi/SD CARD'));
});

test('freeSpace reports plausible numbers for a real folder', async (t) => {
  const dir = await tempDir();
  try {
    const fs1 = await freeSpace(dir);
    assert.ok(fs1.totalBytes > 0 && fs1.freeBytes >= 0 && fs1.freeBytes <= fs1.totalBytes);
    if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
    mountTmpfs(dir, 1024);
    try {
      assert.equal((await freeSpace(dir)).totalBytes, 1024 * 1024);
    } finally {
      unmount(dir);
    }
  } finally {
    await removeDir(dir);
  }
});

test('relSegments refuses paths that could leave the root', () => {
  assert.deepEqual(relSegments('USB0/2026 11/ü.csv'), ['USB0', '2026 11', 'ü.csv']);
  for (const bad of ['', '/abs', 'a//b', 'a/../b', '..', './a', 'a/']) {
    assert.throws(() => relSegments(bad), /Invalid relative path/, bad);
  }
});

test('resolveRel and rawPathOf give the path path.join gives, for any root, and refuse the same rels', () => {
  // The joins take a shortcut for absolute roots (the root normalized once, then concatenated):
  // it must name exactly what path.join names, whatever shape the root has.
  const roots = [
    '/',
    '/w',
    '/w/',
    '/w//x',
    '/w/./x/',
    '/w/x/..',
    '/w/ü x',
    'rel',
    './rel',
    '',
    '..',
  ];
  const rels = ['a', 'a/b.csv', 'USB0/2026 11/ü.csv', '...', '.a/..b', 'a\\b', '%zz/x'];
  for (const root of roots) {
    for (const rel of rels) {
      const expected = join(root, ...rel.split('/'));
      assert.equal(resolveRel(root, rel), expected, `${root} + ${rel}`);
      assert.equal(rawPathOf(root, rel), expected, `${root} + ${rel}`);
    }
    for (const bad of ['', '/abs', 'a//b', 'a/../b', '..', './a', 'a/', 'a/.', 'a\0b']) {
      assert.throws(() => resolveRel(root, bad), /Invalid relative path/, bad);
      assert.throws(() => rawPathOf(root, bad), /Invalid relative path/, bad);
    }
  }
  // An escaped name is turned back into its original bytes: here, one that is not UTF-8.
  const raw = rawPathOf('/w', 'd/caf%E9.csv');
  assert.ok(Buffer.isBuffer(raw));
  assert.deepEqual(
    raw,
    Buffer.concat([Buffer.from('/w/d/caf'), Buffer.from([0xe9]), Buffer.from('.csv')]),
  );
});

test('placeWithoutReplacing never replaces, also on a file system without hard links', async () => {
  const dir = await tempDir();
  try {
    await writeFile(join(dir, 'a'), 'A');
    await writeFile(join(dir, 'b'), 'B');
    assert.equal(await placeWithoutReplacing(join(dir, 'a'), join(dir, 'b')), 'exists');
    assert.equal(await readFile(join(dir, 'b'), 'utf8'), 'B');
    assert.equal(await placeWithoutReplacing(join(dir, 'a'), join(dir, 'c')), 'placed');
    assert.deepEqual((await readdir(dir)).sort(), ['b', 'c']);
    const fat = {
      ...realPlaceOps,
      link: async () => {
        throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
      },
    };
    assert.equal(await placeWithoutReplacing(join(dir, 'c'), join(dir, 'b'), fat), 'exists');
    assert.equal(await placeWithoutReplacing(join(dir, 'c'), join(dir, 'd'), fat), 'placed');
    assert.deepEqual((await readdir(dir)).sort(), ['b', 'd']);
    assert.equal(await readFile(join(dir, 'd'), 'utf8'), 'A');
  } finally {
    await removeDir(dir);
  }
});

test('walkTree reads names as bytes: a non-UTF-8 name is escaped (not garbled) and its rawPath opens it', async () => {
  const dir = await tempDir();
  try {
    const latin1 = Buffer.concat([
      Buffer.from(`${dir}/caf`),
      Buffer.from([0xe9]),
      Buffer.from('.csv'),
    ]);
    await writeFile(latin1, 'latin-1 named');
    await writeFile(join(dir, 'caf%E9.csv'), 'text named');
    await writeFile(join(dir, 'a\\b.csv'), 'backslash');
    const walk = async (names?: 'escape' | 'verbatim'): Promise<[string, string | Buffer][]> => {
      const out: [string, string | Buffer][] = [];
      for await (const e of walkTree(dir, names ? { names } : {})) {
        if (e.kind === 'file') out.push([e.rel, e.rawPath]);
      }
      return out.sort((x, y) => (x[0] < y[0] ? -1 : 1));
    };
    // Verbatim (transit, the card: names RDL Sync wrote): text names exactly as they are, and
    // only non-text bytes escaped, which is why the watch folder is walked with 'escape'.
    const verbatim = await walk();
    assert.deepEqual(
      verbatim.map(([rel]) => rel),
      ['a\\b.csv', 'caf%E9.csv', 'caf%E9.csv'],
    );
    // Escape (the watch folder): every name maps to a distinct rel.
    const escaped = new Map(await walk('escape'));
    assert.deepEqual([...escaped.keys()], ['a%5Cb.csv', 'caf%25E9.csv', 'caf%E9.csv']);
    const raw = escaped.get('caf%E9.csv');
    assert.ok(Buffer.isBuffer(raw), 'a Buffer path where the name is not text');
    assert.equal(await readFile(raw as Buffer, 'utf8'), 'latin-1 named');
    assert.equal(await readFile(escaped.get('caf%25E9.csv') as string, 'utf8'), 'text named');
    assert.equal(escaped.get('a%5Cb.csv'), join(dir, 'a\\b.csv'));
    // placeWithoutReplacing moves a byte-named source.
    assert.equal(await placeWithoutReplacing(raw as Buffer, join(dir, 'moved.csv')), 'placed');
    assert.equal(await readFile(join(dir, 'moved.csv'), 'utf8'), 'latin-1 named');
  } finally {
    await removeDir(dir);
  }
});

test('walkTree stays inline through a pause of one call, and turns asynchronous when the disk makes calls wait', async () => {
  const dir = await tempDir();
  try {
    for (const folder of ['a', 'b', 'c']) {
      await mkdir(join(dir, folder));
      for (let i = 0; i < 150; i++) await writeFile(join(dir, folder, `f${i}.csv`), 'x');
    }
    const busyWait = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    /** Walks with an inline lstat that waits as told; returns how many entries it examined inline. */
    const walk = async (budgetMs: number, waitMs: (call: number) => number): Promise<number> => {
      let calls = 0;
      const files: string[] = [];
      for await (const e of walkTree(dir, {
        inlineBatchBudgetMs: budgetMs,
        inlineLstat: (p) => {
          busyWait(waitMs(calls++));
          return lstatSync(p);
        },
      }))
        if (e.kind === 'file') files.push(e.rel);
      assert.equal(files.length, 450, 'every file seen either way');
      return calls;
    };
    // One call held up far beyond the budget (a collection, the core taken by another process):
    // its batch is slow, but the disk did not make the calls wait; the walk stays inline.
    assert.equal(await walk(200, (call) => (call === 70 ? 300 : 0)), 3 + 450);
    // Every call waits (a cold card): the first slow batch (the top folder's 3 entries are within
    // the budget, the first 64 files are not) is the last one examined inline.
    assert.equal(await walk(20, () => 3), 3 + 64);
    // A batch far beyond the budget turns the walk asynchronous whatever made it slow.
    assert.equal(await walk(5, (call) => (call === 10 ? 80 : 0)), 3 + 64);
  } finally {
    await removeDir(dir);
  }
});

test('walkTree sees the same tree whether entries are examined inline, asynchronously, or inline until a batch proves slow', async () => {
  const dir = await tempDir();
  try {
    // More than one batch of 64 per folder, nested folders, a symlink, an unreadable-free tree.
    for (const folder of ['a', 'a/b', 'c']) {
      await mkdir(join(dir, folder), { recursive: true });
      for (let i = 0; i < 150; i++)
        await writeFile(join(dir, folder, `f${i}.csv`), `${folder}${i}`);
    }
    await symlink(join(dir, 'c'), join(dir, 'link'));
    const walk = async (inlineBatchBudgetMs?: number): Promise<string[]> => {
      const out: string[] = [];
      const opts = inlineBatchBudgetMs === undefined ? {} : { inlineBatchBudgetMs };
      for await (const e of walkTree(dir, opts)) {
        const size = e.kind === 'file' ? e.stats.size : -1;
        out.push(`${e.kind} ${e.rel} ${size}`);
      }
      return out.sort();
    };
    const inline = await walk();
    assert.equal(inline.filter((l) => l.startsWith('file ')).length, 450);
    assert.ok(inline.includes('other link -1'));
    assert.deepEqual(await walk(0), inline, 'always asynchronous');
    // A budget no batch can meet: the first batch inline, every later one asynchronous.
    assert.deepEqual(await walk(1e-9), inline, 'switched to asynchronous after one batch');
  } finally {
    await removeDir(dir);
  }
});
