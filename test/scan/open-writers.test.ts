// The invariant "a file that any process still has open for writing is never staged", tried with
// real child processes holding real files, as the infrared camera holds its CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import {
  StabilityScanner,
  canDetectWriters,
  snapshotOpenWriters,
} from '../../src/engine/scan/index.js';
import { stageFile } from '../../src/engine/stage/index.js';
import { eventually, holdOpen, put, removeDir, tempDir, type Holder } from './helpers.js';
import { cannotDropPrivileges, nodeAsNobody } from '../stage/unprivileged.js';

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

test(
  'issue 7 case 1: a writer that keeps day.csv open and appends a line now and then loses nothing',
  linuxOnly,
  async () => {
    const base = await tempDir();
    const watch = join(base, 'watch');
    const transit = join(base, 'transit');
    await mkdir(watch);
    await mkdir(transit);
    const p = join(watch, 'day.csv');
    const LINES = 5;
    // Appends a line every 1.5 s (longer than stableSeconds) through one descriptor, then closes.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs');
       const fd = fs.openSync(process.argv[1], 'a');
       let n = 0;
       const tick = () => {
         fs.writeSync(fd, 'line ' + n + '\\n');
         if (++n === ${LINES}) { fs.closeSync(fd); process.exit(0); }
         setTimeout(tick, 1500);
       };
       tick();`,
        p,
      ],
      { stdio: 'ignore' },
    );
    try {
      const scanner = new StabilityScanner({
        watchDir: watch,
        stableSeconds: 1,
        ignorePatterns: [],
      });
      let sawOpen = 0;
      // Scan and stage like passes do, every 300 ms, until the file has been staged (deadline 30 s).
      const staged = await eventually(
        async () => {
          const r = await scanner.scan();
          if (r.openForWriting > 0) sawOpen++;
          for (const file of r.stable) {
            const out = await stageFile({ watchDir: watch, transitDir: transit, file });
            if (out.status !== 'staged') continue;
            return readFile(join(transit, 'day.csv'), 'utf8');
          }
          return undefined;
        },
        'day.csv staged',
        30_000,
        300,
      );
      // Staged while open, the later lines would have gone into the moved file and be missing here.
      assert.equal(staged, Array.from({ length: LINES }, (_, i) => `line ${i}\n`).join(''));
      assert.ok(sawOpen >= 3, `seen open in ${sawOpen} scans`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await removeDir(base);
    }
  },
);

test(
  'a process whose descriptors are listed but cannot be read is counted as a blind spot, the others still answer',
  { skip: cannotDropPrivileges() ?? false },
  async () => {
    // A /proc-shaped tree (the probe takes its root): process 100 holds `held` open for writing,
    // process 200's descriptor folder can be listed but not searched, so its links cannot be
    // read. Run as nobody: root would read through the missing permission.
    const base = await tempDir();
    try {
      const held = await put(base, 'data/held.csv', 'x');
      const other = await put(base, 'data/other.csv', 'y');
      const proc = join(base, 'proc');
      await mkdir(join(proc, 'self', 'fdinfo'), { recursive: true });
      for (const [pid, fds] of [
        ['100', { 3: [held, '0100001'], 4: [other, '0100000'], 5: ['socket:[1]', '02'] }],
        ['200', { 3: [other, '0100002'] }],
      ] as const) {
        await mkdir(join(proc, pid, 'fd'), { recursive: true });
        await mkdir(join(proc, pid, 'fdinfo'), { recursive: true });
        for (const [fd, [target, flags]] of Object.entries(fds)) {
          await symlink(target, join(proc, pid, 'fd', fd));
          await put(proc, `${pid}/fdinfo/${fd}`, `pos:\t0\nflags:\t${flags}\nmnt_id:\t1\n`);
        }
      }
      await chmod(join(proc, '200', 'fd'), 0o555 & ~0o111);
      await chmod(base, 0o755);
      const module = new URL('../../src/engine/scan/open-writers.ts', import.meta.url).pathname;
      const script =
        `const { snapshotOpenWriters } = await import(${JSON.stringify(module)});` +
        `const s = await snapshotOpenWriters({ procRoot: ${JSON.stringify(proc)} });` +
        `const { statSync } = await import('node:fs');` +
        `const id = (p) => { const st = statSync(p); return [st.dev, st.ino]; };` +
        `console.log(JSON.stringify({ processes: s.processes, skipped: s.skippedProcesses,` +
        ` descriptors: s.descriptors, writable: s.writableFiles,` +
        ` held: s.has(...id(${JSON.stringify(held)})), other: s.has(...id(${JSON.stringify(other)})) }));`;
      const r = spawnSync('setpriv', nodeAsNobody('--input-type=module', '-e', script), {
        encoding: 'utf8',
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        processes: 1,
        skipped: 1,
        descriptors: 2,
        writable: 1,
        held: true,
        other: false,
      });
    } finally {
      await removeDir(base);
    }
  },
);
