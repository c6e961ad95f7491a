import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StabilityScanner, isIgnored } from '../../src/engine/scan/index.js';
import { DEFAULT_IGNORE_PATTERNS } from '../../src/engine/settings/schema.js';
import { isSyncError } from '../../src/engine/errors.js';
import { ManualClock, put, removeDir, tempDir } from './helpers.js';
import { makeTooDeepTree, removeDeep } from '../archive/helpers.js';

const rels = (files: { rel: string }[]): string[] => files.map((f) => f.rel).sort();

test('a file being appended to is reported only once size and mtime have held still (controlled clock)', async () => {
  const watch = await tempDir();
  try {
    const t0 = Date.now() - 60_000;
    const clock = new ManualClock(t0);
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 1,
      ignorePatterns: [],
      clock,
    });
    const p = await put(watch, 'USB0/log.csv', 'a,b\n', t0);

    let r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1], 'first sighting: not yet');

    clock.advance(600);
    await appendFile(p, '1,2\n');
    await utimes(p, (t0 + 600) / 1000, (t0 + 600) / 1000);
    r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1], 'grew: the wait starts again');

    clock.advance(900); // 0.9 s since the last change
    r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1], 'unchanged, but not for a full second');

    clock.advance(200);
    r = await scanner.scan();
    assert.equal(r.stable.length, 1);
    const [f] = r.stable;
    assert.deepEqual([f?.rel, f?.absPath, f?.size], ['USB0/log.csv', p, 8]);
    assert.ok(Math.abs((f?.mtimeMs ?? 0) - (t0 + 600)) < 1, 'mtime as set (ms precision)');
    assert.equal(r.pending, 0);
  } finally {
    await removeDir(watch);
  }
});

test('with the real clock: write, scan, append, scan, wait, scan', async () => {
  const watch = await tempDir();
  try {
    const scanner = new StabilityScanner({ watchDir: watch, stableSeconds: 1, ignorePatterns: [] });
    const p = await put(watch, 'data.csv', 'x\n');
    assert.equal((await scanner.scan()).stable.length, 0);
    await appendFile(p, 'y\n');
    assert.equal((await scanner.scan()).stable.length, 0);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['data.csv']);
    assert.equal(r.stable[0]?.size, 4);
  } finally {
    await removeDir(watch);
  }
});

test('an old file nobody holds open is finished in one scan; a recent one needs two sightings; a future mtime waits for the sightings', async () => {
  const watch = await tempDir();
  try {
    const t0 = Date.now();
    const clock = new ManualClock(t0);
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 10,
      ignorePatterns: [],
      clock,
    });
    await put(watch, 'old.csv', 'old', t0 - 3_600_000);
    await put(watch, 'recent.csv', 'r', t0 - 2_000);
    await put(watch, 'future.csv', 'f', t0 + 86_400_000); // logger clock a day ahead
    let r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['old.csv'], 'old and not open: one scan is enough');
    assert.deepEqual([r.pending, r.openForWriting], [2, 0]);
    clock.advance(10_000);
    r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['future.csv', 'old.csv', 'recent.csv']);
  } finally {
    await removeDir(watch);
  }
});

test('without writer detection (no /proc) every file needs two sightings, however old', async () => {
  const watch = await tempDir();
  try {
    const t0 = Date.now();
    const clock = new ManualClock(t0);
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 10,
      ignorePatterns: [],
      clock,
      writers: null,
    });
    await put(watch, 'old.csv', 'old', t0 - 3_600_000);
    let r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1]);
    clock.advance(9_999);
    r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1]);
    clock.advance(1);
    r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['old.csv']);
  } finally {
    await removeDir(watch);
  }
});

test('stableSeconds 0 reports files immediately; a new scanner instance starts with no memory', async () => {
  const watch = await tempDir();
  try {
    await put(watch, 'a.csv', 'a');
    const r = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    assert.deepEqual(rels(r.stable), ['a.csv']);
    const slow = new StabilityScanner({ watchDir: watch, stableSeconds: 5, ignorePatterns: [] });
    assert.equal((await slow.scan()).pending, 1);
  } finally {
    await removeDir(watch);
  }
});

test('files that disappear are forgotten; a file replaced by another inode starts over', async () => {
  const watch = await tempDir();
  try {
    const t0 = Date.now() - 60_000;
    const clock = new ManualClock(t0);
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 1,
      ignorePatterns: [],
      writers: null, // the two-sightings rule alone, so the inode rule is what is observed
      clock,
    });
    await put(watch, 'a.csv', 'same', t0);
    await put(watch, 'b.csv', 'same', t0);
    await scanner.scan();
    assert.equal(scanner.tracked, 2);
    await rm(join(watch, 'a.csv'));
    clock.advance(2000);
    let r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['b.csv']);
    assert.equal(scanner.tracked, 1, 'a.csv forgotten');
    // Same size and mtime as before, but a new file: it must be watched afresh.
    await put(watch, 'a.csv', 'same', t0);
    r = await scanner.scan();
    assert.deepEqual([rels(r.stable), r.pending], [['b.csv'], 1]);
  } finally {
    await removeDir(watch);
  }
});

test('ignore patterns, Dropbox-ignored names and dot-folders are never reported', async () => {
  const watch = await tempDir();
  try {
    const names = [
      'keep.csv',
      'sub/keep2.csv',
      '.hidden',
      'x.tmp',
      'y.part',
      'z.swp',
      '~$book.xlsx',
      'Desktop.ini',
      'sub/Thumbs.db',
      'Icon\r',
      '.dropbox.attr',
      '.git/config',
      '.cache/deep/file.csv',
      'sub/.DS_Store',
      'logs/skip/me.csv',
    ];
    for (const n of names) await put(watch, n, 'x');
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [...DEFAULT_IGNORE_PATTERNS, 'logs/skip'],
    });
    const r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['keep.csv', 'sub/keep2.csv']);
    assert.equal(r.pending, 0);
    // Every other name is one ignored entry: .git, .cache and logs/skip count once as folders.
    assert.equal(r.ignored, names.length - 2);
    assert.deepEqual(r.errors, []);
  } finally {
    await removeDir(watch);
  }
});

test('isIgnored: globs on names, Dropbox names case-insensitive whatever the patterns', () => {
  assert.equal(isIgnored('a.tmp', ['*.tmp']), true);
  assert.equal(isIgnored('a.tmp.csv', ['*.tmp']), false);
  assert.equal(isIgnored('.a.tmp', ['*.tmp']), true);
  assert.equal(isIgnored('DESKTOP.INI', []), true);
  assert.equal(isIgnored('.DS_Store', []), true);
  assert.equal(isIgnored('icon\r', []), true);
  assert.equal(isIgnored('icon', []), false);
  assert.equal(isIgnored('data.csv', []), false);
  assert.equal(isIgnored('A.TMP', ['*.tmp'], { nocase: false }), false);
  assert.equal(isIgnored('A.TMP', ['*.tmp'], { nocase: true }), true);
});

test('symlinks are never followed (out of the tree or inside it); fifos and sockets are skipped', async (t) => {
  const base = await tempDir();
  const watch = join(base, 'watch');
  const outside = join(base, 'outside');
  try {
    await put(outside, 'secret.csv', 'not ours');
    await put(outside, 'dir/deep.csv', 'not ours');
    await put(watch, 'real.csv', 'ours');
    await symlink(join(outside, 'secret.csv'), join(watch, 'link-out.csv'));
    await symlink(join(outside, 'dir'), join(watch, 'dir-out'));
    await symlink(join(watch, 'real.csv'), join(watch, 'link-in.csv'));
    await symlink(join(watch, 'nowhere'), join(watch, 'dangling.csv'));
    const fifo = spawnSync('mkfifo', [join(watch, 'pipe.csv')]);
    if (fifo.status !== 0) t.diagnostic('mkfifo unavailable; fifo not exercised');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(watch, 'sock.csv'), resolve));
    try {
      const r = await new StabilityScanner({
        watchDir: watch,
        stableSeconds: 0,
        ignorePatterns: [],
      }).scan();
      assert.deepEqual(rels(r.stable), ['real.csv']);
      assert.equal(r.ignored, 4 + 1 + (fifo.status === 0 ? 1 : 0));
      assert.deepEqual(r.errors, []);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  } finally {
    await removeDir(base);
  }
});

test('nested, Unicode and space names come back with / separators; the tree is left as it was', async () => {
  const watch = await tempDir();
  try {
    const names = [
      'Ordner ä/Δ data 1.csv',
      '日本/ファイル.csv',
      'a b/c  d.csv',
      'x/y/z/w/v.csv',
      'emoji 😀.csv',
    ];
    for (const n of names) await put(watch, n, n);
    await mkdir(join(watch, 'empty sub'));
    const before = (await readdir(watch, { recursive: true })).sort();
    const r = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    assert.deepEqual(rels(r.stable), [...names].sort());
    for (const f of r.stable) assert.equal(f.size, Buffer.byteLength(f.rel));
    assert.deepEqual((await readdir(watch, { recursive: true })).sort(), before);
  } finally {
    await removeDir(watch);
  }
});

test('excluded folders inside the watch folder (transit placed there) are not scanned', async () => {
  const watch = await tempDir();
  try {
    await put(watch, 'a.csv', 'a');
    await put(watch, 'transit/b.csv', 'b');
    // A name whose rel is escaped ('%41' reads as an escape, so it syncs as '%2541') is still
    // recognised by its real path.
    await put(watch, 'q%41/c.csv', 'c');
    const r = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
      excludeDirs: [join(watch, 'transit'), join(watch, 'q%41')],
    }).scan();
    assert.deepEqual(rels(r.stable), ['a.csv']);
  } finally {
    await removeDir(watch);
  }
});

test('a missing watch folder is a blocked settings problem naming the folder; abort and overlap are refused', async () => {
  const base = await tempDir();
  try {
    const missing = join(base, 'tosync');
    const scanner = new StabilityScanner({
      watchDir: missing,
      stableSeconds: 0,
      ignorePatterns: [],
    });
    // Returned, not thrown: the pass still drains the queue already in transit.
    const r = await scanner.scan();
    const e = r.watchProblem;
    assert.ok(isSyncError(e));
    assert.equal(e.kind, 'blocked');
    assert.equal(e.code, 'settings-invalid');
    assert.match(e.message, new RegExp(`${missing} does not exist .*choose another`));
    assert.deepEqual([r.stable, r.pending], [[], 0]);
    await writeFile(join(base, 'f.csv'), 'x');
    const notFolder = await new StabilityScanner({
      watchDir: join(base, 'f.csv'),
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    assert.match(notFolder.watchProblem?.message ?? '', /f\.csv is not a folder/);
    const ok = new StabilityScanner({ watchDir: base, stableSeconds: 0, ignorePatterns: [] });
    await assert.rejects(ok.scan(AbortSignal.abort(new Error('stopping'))), /stopping/);
    const first = ok.scan();
    await assert.rejects(ok.scan(), /already running/);
    assert.equal((await first).stable.length, 1);
  } finally {
    await removeDir(base);
  }
});

test('a part of the tree that cannot be read is reported in errors; the rest is still scanned', async () => {
  const watch = await tempDir();
  try {
    await put(watch, 'ok.csv', 'fine');
    makeTooDeepTree(watch);
    const r = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    assert.deepEqual(rels(r.stable), ['ok.csv']);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]?.rel ?? '', /^deep\/d{250}\//);
    assert.equal(r.errors[0]?.code, 'unreadable-name');
    assert.match(
      r.errors[0]?.message ?? '',
      /^Cannot read deep\/.*: name too long \(ENAMETOOLONG\); shorten the folder names above it\./,
    );
  } finally {
    removeDeep(watch);
  }
});

/** A wall clock and a monotonic one, moved apart as a clock step moves them. */
class TwoHandClock {
  constructor(
    public wall: number,
    public mono = 1_000,
  ) {}
  now = (): number => this.wall;
  monotonic = (): number => this.mono;
  sleep = async (): Promise<void> => {};
  /** Time passing: both hands. */
  pass(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

test('after the wall clock steps forward, a file written just before looks old but is not taken at once', async () => {
  // A Pi with no real-time clock boots on a stale time and NTP steps it forward: every file a
  // logger appended to a moment before looks hours old, and one not held open at that instant
  // was taken at its first sighting, then again as "log (1).csv" at the logger's next line.
  const watch = await tempDir();
  try {
    const clock = new TwoHandClock(Date.now());
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 30,
      ignorePatterns: [],
      clock,
    });
    await put(watch, 'USB0/log.csv', 'a,b\n', clock.wall - 1_000);
    let r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1], 'written a second ago');
    clock.pass(5_000);
    clock.wall += 2 * 3_600_000; // the step
    await put(watch, 'USB0/other.csv', 'c,d\n', clock.wall - 2 * 3_600_000 - 500);
    r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 2], 'old by the stepped clock, not taken');
    clock.pass(26_000);
    r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['USB0/log.csv'], 'seen unchanged for 31 s: finished');
    clock.pass(5_000);
    r = await scanner.scan();
    assert.deepEqual(rels(r.stable), ['USB0/log.csv', 'USB0/other.csv']);
    // The stable time after the step over, an old file is taken at its first sighting again.
    await put(watch, 'USB0/late.csv', 'e\n', clock.wall - 3_600_000);
    r = await scanner.scan();
    assert.ok(rels(r.stable).includes('USB0/late.csv'));
  } finally {
    await removeDir(watch);
  }
});

test('on a network share (writers out of /proc sight, their clocks not ours), an old file is taken only once seen unchanged for the stable time', async () => {
  const watch = await tempDir();
  try {
    const clock = new TwoHandClock(Date.now());
    const shareOf = (type: string) =>
      new StabilityScanner({
        watchDir: watch,
        stableSeconds: 30,
        ignorePatterns: [],
        clock,
        fileSystemType: async () => type,
      });
    await put(watch, 'internet/health.txt', 'line\n', clock.wall - 3_600_000);
    const share = shareOf('nfs4');
    let r = await share.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1], 'first sighting on nfs4: not yet');
    clock.pass(30_000);
    r = await share.scan();
    assert.deepEqual(rels(r.stable), ['internet/health.txt']);
    for (const type of ['cifs', 'fuse.sshfs', 'smb3'])
      assert.equal((await shareOf(type).scan()).stable.length, 0, type);
    // A local disk: one sighting, as `once` needs.
    for (const type of ['ext4', 'vfat', 'fuseblk'])
      assert.equal((await shareOf(type).scan()).stable.length, 1, type);
    // Looked up once a minute, not at every pass.
    let lookups = 0;
    const counted = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 30,
      ignorePatterns: [],
      clock,
      fileSystemType: async () => {
        lookups++;
        return 'ext4';
      },
    });
    for (let i = 0; i < 3; i++) {
      await counted.scan();
      clock.pass(10_000);
    }
    assert.equal(lookups, 1);
    clock.pass(60_000);
    await counted.scan();
    assert.equal(lookups, 2);
  } finally {
    await removeDir(watch);
  }
});

test('a clock step is seen across scans that found no file: the first file after it waits its stable time', async () => {
  // A hub's folder emptied before a reboot; NTP steps the clock before the logger's first file.
  const watch = await tempDir();
  try {
    const clock = new TwoHandClock(Date.now());
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 30,
      ignorePatterns: [],
      clock,
    });
    assert.equal((await scanner.scan()).pending, 0, 'nothing yet');
    clock.pass(5_000);
    clock.wall += 2 * 3_600_000; // the step
    // Written a second before the step: two hours old by the clock now.
    await put(watch, 'USB0/first.csv', 'a\n', clock.wall - 2 * 3_600_000 - 1_000);
    const r = await scanner.scan();
    assert.deepEqual([r.stable.length, r.pending], [0, 1]);
  } finally {
    await removeDir(watch);
  }
});
