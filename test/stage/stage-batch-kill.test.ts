// Staging moves many files at once and syncs each transit folder once for them (fsutil/
// folder-syncs.ts), always before a file's watch-folder name is removed. A process killed mid-batch
// must lose nothing and duplicate nothing: every file is in the watch folder or in transit (or,
// a move cut between link and unlink, both names of one inode), and the next run finishes the
// moves. Real child processes, real files, SIGKILL while the batch is in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../archive/helpers.js';
import { exitWithin, killHard, running, waitUntil } from '../fault/crash-harness.js';

const SCRIPT = fileURLToPath(new URL('./stage-batch-script.ts', import.meta.url));
const FILES = 3000;
const FOLDERS = 3;

const relOf = (i: number): string => `RDL/USB${i % FOLDERS}/rec-${i}.csv`;
const bodyOf = (i: number): string => `${i},${'x'.repeat(100 + (i % 50))}\n`;
const digest = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

async function filesBelow(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir, { recursive: true });
    const out: string[] = [];
    for (const n of names.map(String)) if ((await lstat(join(dir, n))).isFile()) out.push(n);
    return out;
  } catch {
    return [];
  }
}

/** Every file in exactly one place (or both names of one inode), with its own bytes; nothing else. */
async function audit(root: string): Promise<{ watch: number; transit: number; cut: number }> {
  const watch = new Set(await filesBelow(join(root, 'watch')));
  const transit = new Set(await filesBelow(join(root, 'transit')));
  let cut = 0;
  for (let i = 0; i < FILES; i++) {
    const rel = relOf(i);
    const w = watch.has(rel);
    const t = transit.has(rel);
    assert.ok(w || t, `${rel} was lost`);
    const where = t ? join(root, 'transit', rel) : join(root, 'watch', rel);
    assert.equal(digest(await readFile(where)), digest(bodyOf(i)), `${rel} changed`);
    if (w && t) {
      const [a, b] = await Promise.all([
        lstat(join(root, 'watch', rel)),
        lstat(join(root, 'transit', rel)),
      ]);
      assert.ok(a.ino === b.ino && a.dev === b.dev, `${rel} is two different files`);
      cut++;
    }
  }
  for (const rel of [...watch, ...transit])
    assert.match(rel, /^RDL\/USB\d\/rec-\d+\.csv$/, `unexpected file ${rel}`);
  return { watch: watch.size, transit: transit.size, cut };
}

/** Files in transit, counted cheaply (one readdir per folder) so the kill lands mid-batch. */
async function inTransit(root: string): Promise<number> {
  let n = 0;
  for (let f = 0; f < FOLDERS; f++)
    n += await readdir(join(root, 'transit', 'RDL', `USB${f}`)).then(
      (names) => names.length,
      () => 0,
    );
  return n;
}

function startStaging(root: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { child, output: () => out, errors: () => err };
}

test(
  'staging killed mid-batch (SIGKILL, 3 rounds) loses and duplicates nothing; the next run finishes every move',
  { timeout: 180_000 },
  async () => {
    const root = await tempDir('rdl-stage-kill-');
    const children: ReturnType<typeof startStaging>[] = [];
    try {
      for (let f = 0; f < FOLDERS; f++)
        await mkdir(join(root, 'watch', 'RDL', `USB${f}`), { recursive: true });
      for (let i = 0; i < FILES; i++) writeFileSync(join(root, 'watch', relOf(i)), bodyOf(i));
      // Made by a pass before staging, after a look at its disk (stage/transit-place.ts).
      await mkdir(join(root, 'transit'));
      const seen: Array<{ watch: number; transit: number; cut: number }> = [];
      for (let round = 0; round < 3; round++) {
        const run = startStaging(root);
        children.push(run);
        const before = await inTransit(root);
        // Kill once this run has moved some files (more each round), while others are still to go.
        const target = before + 20 + round * 30;
        await waitUntil(
          `round ${round}: ${target} files in transit (stderr: ${run.errors().slice(-500)})`,
          async () => (await inTransit(root)) >= target || !running(run.child),
          60_000,
          2,
        );
        assert.ok(
          running(run.child),
          `round ${round}: staging finished before the kill; nothing was interrupted`,
        );
        await killHard(run.child);
        const state = await audit(root);
        assert.ok(state.watch > 0, `round ${round}: the kill came after the batch`);
        seen.push(state);
      }
      const last = startStaging(root);
      children.push(last);
      assert.ok(await exitWithin(last.child, 120_000), 'the last staging run did not end');
      assert.equal(last.child.exitCode, 0, last.errors());
      const result = JSON.parse(last.output()) as { staged: number; failing: number };
      assert.equal(result.failing, 0);
      const final = await audit(root);
      assert.deepEqual(final, { watch: 0, transit: FILES, cut: 0 });
      console.log(
        `stage kill test: states after each kill ${JSON.stringify(seen)}; last run staged ${result.staged}`,
      );
    } finally {
      for (const c of children) if (running(c.child)) await killHard(c.child);
      await removeDir(root);
    }
  },
);
