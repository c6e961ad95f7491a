// The invariant "a file that any process still has open for writing is never staged", tried with
// real child processes holding real files, as the infrared camera holds its CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import {
  StabilityScanner,
  canDetectWriters,
  snapshotOpenWriters,
} from '../../src/engine/scan/index.js';
import { stageFile } from '../../src/engine/stage/index.js';
import { eventually, holdOpen, put, removeDir, tempDir, type Holder } from './helpers.js';

const linuxOnly = { skip: !canDetectWriters() && 'no /proc on this system' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(
  'a writer holding its file open longer than stableSeconds, size unchanged: staged only after close, whole',
  linuxOnly,
  async () => {
    const base = await tempDir();
    const watch = join(base, 'watch');
    const transit = join(base, 'transit');
    await mkdir(watch);
    await mkdir(transit);
    const p = join(watch, 'cameras', 'infrared1', 'ir.csv');
    await put(watch, 'cameras/infrared1/ir.csv', '');
    let holder: Holder | undefined;
    try {
      holder = holdOpen([p], 'a');
      await holder.ready;
      // Most of the file, written up front, then silence with the file still open.
      const head = 'x'.repeat(136_000);
      await (await import('node:fs/promises')).appendFile(p, head);
      const opened = await stat(p);
      const scanner = new StabilityScanner({
        watchDir: watch,
        stableSeconds: 1,
        ignorePatterns: [],
      });
      // The timing-only rule, for contrast: it would take the truncated file.
      const timingOnly = new StabilityScanner({
        watchDir: watch,
        stableSeconds: 1,
        ignorePatterns: [],
        writers: null,
      });
      await timingOnly.scan();
      let scans = 0;
      let timingOnlyTookIt = false;
      // Keep looking until the file has sat unchanged well past stableSeconds (2.5 s).
      while (Date.now() - opened.mtimeMs < 2_500 || scans < 3) {
        const r = await scanner.scan();
        scans++;
        assert.deepEqual(r.stable, [], 'open for writing: never stable, whatever its age');
        assert.deepEqual([r.pending, r.openForWriting], [1, 1]);
        if ((await timingOnly.scan()).stable.length === 1) timingOnlyTookIt = true;
        await sleep(250);
      }
      assert.equal((await stat(p)).size, 136_000, 'size held still all along');
      assert.ok(timingOnlyTookIt, 'the timing rule alone would have staged the short file');

      await holder.finish('the last 8000 bytes'.padEnd(8_000, '.'));
      const file = await eventually(
        async () => (await scanner.scan()).stable[0],
        'stable after close',
      );
      assert.equal(file.size, 144_000);
      const r = await stageFile({ watchDir: watch, transitDir: transit, file });
      assert.equal(r.status, 'staged');
      const staged = await readFile(join(transit, 'cameras', 'infrared1', 'ir.csv'), 'latin1');
      assert.equal(staged.length, 144_000);
      assert.ok(staged.startsWith(head) && staged.endsWith('....'), 'whole file, head and tail');
    } finally {
      holder?.kill();
      await removeDir(base);
    }
  },
);

test(
  'open read-only does not hold a file back; open with O_RDWR or O_APPEND does',
  linuxOnly,
  async () => {
    const watch = await tempDir();
    const holders: Holder[] = [];
    try {
      const old = (Date.now() - 3_600_000) / 1000;
      const names = ['read.csv', 'rdwr.csv', 'append.csv', 'closed.csv'];
      for (const n of names) {
        await put(watch, n, `${n}\n`);
        await utimes(join(watch, n), old, old);
      }
      const modes: [string, string][] = [
        ['read.csv', 'r'],
        ['rdwr.csv', 'r+'],
        ['append.csv', 'a'],
      ];
      for (const [n, flags] of modes) holders.push(holdOpen([join(watch, n)], flags));
      for (const h of holders) await h.ready;
      const r = await new StabilityScanner({
        watchDir: watch,
        stableSeconds: 10,
        ignorePatterns: [],
      }).scan();
      assert.deepEqual(
        r.stable.map((f) => f.rel).sort(),
        ['closed.csv', 'read.csv'],
        'one scan: old files nobody writes to are finished',
      );
      assert.deepEqual([r.pending, r.openForWriting], [2, 2]);
    } finally {
      for (const h of holders) h.kill();
      await removeDir(watch);
    }
  },
);

test(
  'cost of the writer check: one /proc snapshot per scan, whatever the number of files',
  linuxOnly,
  async (t) => {
    const watch = await tempDir();
    const holders: Holder[] = [];
    const PROCESSES = 20;
    const HELD_EACH = 50;
    const CLOSED = 2_000;
    try {
      const old = (Date.now() - 3_600_000) / 1000;
      for (let i = 0; i < CLOSED; i++) {
        const p = await put(watch, `closed/${i % 40}/f${i}.csv`, 'done\n');
        await utimes(p, old, old);
      }
      for (let k = 0; k < PROCESSES; k++) {
        const paths: string[] = [];
        for (let j = 0; j < HELD_EACH; j++) {
          const p = await put(watch, `open/${k}/f${j}.csv`, 'growing\n');
          await utimes(p, old, old);
          paths.push(p);
        }
        holders.push(holdOpen(paths, 'a'));
      }
      for (const h of holders) await h.ready;
      let probes = 0;
      const scanner = new StabilityScanner({
        watchDir: watch,
        stableSeconds: 10,
        ignorePatterns: [],
        writers: async () => {
          probes++;
          return snapshotOpenWriters();
        },
      });
      const started = performance.now();
      const r = await scanner.scan();
      const scanMs = performance.now() - started;
      assert.equal(probes, 1, 'one snapshot answers every file of the scan');
      assert.equal(r.stable.length, CLOSED);
      assert.equal(r.openForWriting, PROCESSES * HELD_EACH);
      const snap = await snapshotOpenWriters();
      assert.ok(snap && snap.writableFiles >= PROCESSES * HELD_EACH);
      // Reported, not asserted (speed is the bench's business).
      t.diagnostic(
        `writer snapshot: ${snap?.processes} processes (${snap?.skippedProcesses} unreadable), ` +
          `${snap?.descriptors} file descriptors, ${snap?.writableFiles} open for writing: ` +
          `${snap?.elapsedMs.toFixed(1)} ms; whole scan of ${CLOSED + PROCESSES * HELD_EACH} files ` +
          `${scanMs.toFixed(0)} ms`,
      );
    } finally {
      for (const h of holders) h.kill();
      await removeDir(watch);
    }
  },
);
