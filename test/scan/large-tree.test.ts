// A 20,000-file watch folder must scan without loading the tree whole. No timing is asserted
// (the benchmark measures speed); peak RSS is printed for the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import { removeDir, tempDir } from './helpers.js';

const DIRS = 100;
const PER_DIR = 200;

test('a 20,000-file tree scans completely, every file once', async (t) => {
  const watch = await tempDir();
  try {
    for (let d = 0; d < DIRS; d++) {
      const dir = join(watch, `site ${d % 10}`, `day-${d}`);
      await mkdir(dir, { recursive: true });
      await Promise.all(
        Array.from({ length: PER_DIR }, (_, i) => writeFile(join(dir, `f${i}.csv`), `${d},${i}\n`)),
      );
    }
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: ['*.tmp'],
    });
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const r = await scanner.scan();
    const scanMs = performance.now() - started;
    const rssAfter = process.memoryUsage().rss;
    assert.equal(r.stable.length, DIRS * PER_DIR);
    assert.equal(
      new Set(r.stable.map((f) => f.rel)).size,
      DIRS * PER_DIR,
      'no file reported twice',
    );
    assert.deepEqual([r.pending, r.ignored, r.errors.length], [0, 0, 0]);
    let expectedBytes = 0;
    for (let d = 0; d < DIRS; d++)
      for (let i = 0; i < PER_DIR; i++) expectedBytes += `${d},${i}\n`.length;
    assert.equal(
      r.stable.reduce((sum, f) => sum + f.size, 0),
      expectedBytes,
    );
    const mib = (b: number): string => (b / 1024 / 1024).toFixed(1);
    t.diagnostic(
      `20,000 files: scan ${scanMs.toFixed(0)} ms, rss before ${mib(rssBefore)} MiB, after ${mib(rssAfter)} MiB, peak ${mib(process.resourceUsage().maxRSS * 1024)} MiB`,
    );
  } finally {
    await removeDir(watch);
  }
});
