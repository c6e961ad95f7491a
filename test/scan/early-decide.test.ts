// A big walk hands on the finished files among the first EARLY_DECIDE_AT it met while it walks
// the rest, so staging (and the first upload) need not wait for the whole walk. The invariant
// holds for them as for the rest: a file some process holds open for writing is never among
// them, whatever its age, because each part is decided by a snapshot of open files taken after
// the walk met its files. Real files, a real child process holding some open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StabilityScanner,
  canDetectWriters,
  snapshotOpenWriters,
  type ScannedFile,
} from '../../src/engine/scan/index.js';
import { EARLY_DECIDE_AT } from '../../src/engine/scan/stability-scanner.js';
import { holdOpen, put, removeDir, tempDir, type Holder } from './helpers.js';

const linuxOnly = { skip: !canDetectWriters() && 'no /proc on this system' };

const oldestFirst = (files: ScannedFile[]): boolean =>
  files.every((f, i) => i === 0 || files[i - 1]!.mtimeMs <= f.mtimeMs);

test(
  'a big walk: the first EARLY_DECIDE_AT files are decided while it walks the rest (held-open files never among them); each part oldest first',
  linuxOnly,
  async () => {
    const watch = await tempDir();
    let holder: Holder | undefined;
    try {
      const n = EARLY_DECIDE_AT + 90;
      const t0 = Date.now() - 3_600_000;
      const paths: string[] = [];
      // Old files (finished in one scan when nobody holds them), their mtimes in no name order.
      for (let i = 0; i < n; i++)
        paths.push(await put(watch, `RDL/USB0/f${i}.csv`, `${i}\n`, t0 + ((i * 7919) % n) * 1000));
      const held = paths.filter((_, i) => i % 15 === 0);
      holder = holdOpen(held, 'a');
      await holder.ready;
      let sighted = 0;
      const snapshotsAt: number[] = [];
      const scanner = new StabilityScanner({
        watchDir: watch,
        stableSeconds: 60,
        ignorePatterns: [],
        writers: () => {
          snapshotsAt.push(sighted);
          return snapshotOpenWriters();
        },
      });
      let early: ScannedFile[] | null = null;
      let earlyAt = -1;
      const r = await scanner.scan(
        undefined,
        () => sighted++,
        (files) => {
          assert.equal(early, null, 'told once');
          early = files;
          earlyAt = sighted;
        },
      );
      assert.ok(early !== null, 'the early files were told');
      const told = early as ScannedFile[];
      // Decided after the walk met them, and before it met the rest.
      assert.deepEqual(
        snapshotsAt,
        [EARLY_DECIDE_AT + 1, n],
        'one snapshot per part, each after its files',
      );
      assert.equal(earlyAt, EARLY_DECIDE_AT + 1, 'told while the walk went on');
      const heldRels = new Set(held.map((p) => p.slice(watch.length + 1)));
      for (const f of r.stable)
        assert.ok(!heldRels.has(f.rel), `${f.rel} is held open: never finished`);
      assert.equal(r.openForWriting, held.length);
      assert.equal(r.pending, held.length);
      assert.equal(r.stable.length, n - held.length, 'every other file, once');
      assert.equal(new Set(r.stable.map((f) => f.rel)).size, r.stable.length);
      // The early ones lead, oldest first among themselves; then the rest, oldest first.
      assert.ok(told.length > 0 && told.length <= EARLY_DECIDE_AT);
      assert.deepEqual(
        r.stable.slice(0, told.length).map((f) => f.rel),
        told.map((f) => f.rel),
      );
      assert.ok(oldestFirst(told), 'the early part oldest first');
      assert.ok(oldestFirst(r.stable.slice(told.length)), 'the rest oldest first');
    } finally {
      holder?.kill();
      await removeDir(watch);
    }
  },
);

test('a walk of EARLY_DECIDE_AT files or fewer is decided whole: one snapshot, nothing told early, all oldest first', async () => {
  const watch = await tempDir();
  try {
    const t0 = Date.now() - 3_600_000;
    for (let i = 0; i < EARLY_DECIDE_AT; i++)
      await put(watch, `USB0/f${i}.csv`, `${i}\n`, t0 + ((i * 31) % EARLY_DECIDE_AT) * 1000);
    let snapshots = 0;
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 60,
      ignorePatterns: [],
      writers: () => {
        snapshots++;
        return snapshotOpenWriters();
      },
    });
    let told = 0;
    const r = await scanner.scan(undefined, undefined, () => told++);
    assert.equal(told, 0);
    assert.equal(snapshots, 1);
    assert.equal(r.stable.length, canDetectWriters() ? EARLY_DECIDE_AT : 0);
    assert.ok(oldestFirst(r.stable));
  } finally {
    await removeDir(watch);
  }
});
