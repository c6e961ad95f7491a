// A week offline leaves a long queue in transit. When the network returns it must drain in
// batches (one commit per up to 1,000 files, not one per file) with memory that does not grow
// with the backlog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startHarness, listFilesRel } from '../engine/harness.js';

const FILES = 20_000;

test(
  `a backlog of ${FILES} files drains with batched commits and bounded memory`,
  { timeout: 600_000 },
  async () => {
    // The SD-card leg is off here: batching is an upload matter, and 20,000 fsynced copies would
    // only measure this machine's disk (the archive leg has its own tests and the crash test).
    const h = await startHarness({ settings: { concurrency: 8, archiveEnabled: false } });
    try {
      // What a week offline leaves behind: the queue is simply the transit folder.
      for (let d = 0; d < 20; d++) {
        const dir = path.join(h.transitDir, 'RDL', `day-${String(d).padStart(2, '0')}`);
        await fs.mkdir(dir, { recursive: true });
        await Promise.all(
          Array.from({ length: FILES / 20 }, (_, i) =>
            fs.writeFile(path.join(dir, `rec-${i}.csv`), `t,${d},${i}\n`),
          ),
        );
      }
      h.emulator.resetStats();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const started = Date.now();
      let passes = 0;
      try {
        while (passes < 10) {
          passes++;
          const r = await h.engine.runPassNow();
          if (r.remainingInTransit === 0) break;
        }
      } finally {
        clearInterval(sampler);
      }
      const seconds = (Date.now() - started) / 1000;
      const stats = h.emulator.stats();
      const commits =
        (stats['files/upload_session/finish_batch_v2'] ?? 0) +
        (stats['files/upload_session/finish_batch'] ?? 0) +
        (stats['files/upload'] ?? 0) +
        (stats['files/upload_session/finish'] ?? 0);
      const growthMb = (peak - baseline) / 1e6;
      console.log(
        `backlog: ${FILES} files drained in ${passes} pass(es), ${seconds.toFixed(1)} s (${(FILES / seconds).toFixed(0)} files/s), ` +
          `${commits} commit calls (${(FILES / Math.max(1, commits)).toFixed(0)} files per commit), ` +
          `peak RSS ${(peak / 1e6).toFixed(0)} MB (+${growthMb.toFixed(0)} MB over the start)`,
      );
      assert.deepEqual(await listFilesRel(h.transitDir), []);
      assert.equal(h.emulator.listFiles().length, FILES);
      assert.ok(commits <= FILES / 500, `${commits} commit calls for ${FILES} files`);
      // Generous: the emulator runs in this process too and keeps its whole index in memory.
      assert.ok(growthMb < 400, `RSS grew by ${growthMb.toFixed(0)} MB`);
    } finally {
      await h.close();
    }
  },
);
