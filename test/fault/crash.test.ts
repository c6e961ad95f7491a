// Crash safety, the invariant everything else rests on: SIGKILL the daemon at random instants,
// restart it each time, and at the end every source file is on Dropbox and on the SD card exactly
// once, with matching hashes: none lost, none duplicated (no "name (1).csv" made by a retry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig, listFilesRel, localHash } from '../engine/harness.js';

const repo = path.resolve(import.meta.dirname, '../..');
const SMALL_FILES = 200;
const LARGE_FILES = 4;
const KILLS = 14;

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function startDaemon(configDir: string): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), 'run', '--config-dir', configDir],
    {
      cwd: repo,
      env: { ...process.env, RDL_SYNC_QUIET: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
}

async function waitForLogLine(file: string, needle: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    if (text.includes(needle)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`daemon did not log "${needle}" within ${timeoutMs} ms`);
}

async function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

test(
  'SIGKILL at random moments loses nothing and duplicates nothing',
  { timeout: 300_000 },
  async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    const random = seededRandom(seed);
    const dirs = await makeDirs('rdl-crash-');
    const emulator = await startEmulator({});
    const expected = new Map<string, string>(); // rel -> content hash
    const children: ChildProcess[] = [];
    try {
      await writeConfig(
        dirs.configDir,
        testSettings(dirs, emulator, { concurrency: 4, chunkSizeMiB: 4 }),
        emulator,
      );
      const write = async (rel: string, body: Buffer): Promise<void> => {
        const p = path.join(dirs.watchDir, ...rel.split('/'));
        await fs.mkdir(path.dirname(p), { recursive: true });
        await fs.writeFile(p, body);
        expected.set(rel, dropboxContentHash(body));
      };
      for (let i = 0; i < SMALL_FILES; i++) {
        const size = 1 + Math.floor(random() * 20_000);
        await write(
          `RDL/USB${i % 3}/2026-11-${String(i % 28).padStart(2, '0')}-${i}.csv`,
          randomBytes(size),
        );
      }
      for (let i = 0; i < LARGE_FILES; i++) {
        await write(
          `cameras/burst-${i}.raw`,
          randomBytes(9 * 1024 * 1024 + Math.floor(random() * 4 * 1024 * 1024)),
        );
      }

      let kills = 0;
      let killsWithWorkInFlight = 0;
      let stderr = '';
      const logFile = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
      for (let k = 0; k < KILLS; k++) {
        // Fresh logger output every round, so every kill has work to interrupt.
        for (let i = 0; i < 15; i++) {
          await write(
            `RDL/round-${k}/rec-${i}.csv`,
            randomBytes(200 + Math.floor(random() * 30_000)),
          );
        }
        if (k % 4 === 0) await write(`cameras/round-${k}.raw`, randomBytes(9 * 1024 * 1024 + k));
        const child = startDaemon(dirs.configDir);
        children.push(child);
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        // Start-up time varies a lot on a loaded machine: time the kill from the moment the
        // daemon says it has started, so it lands in the middle of real work.
        await waitForLogLine(logFile, `"pid":${child.pid}`, 60_000);
        await new Promise((r) => setTimeout(r, 50 + random() * 1_500));
        const inFlight = (await listFilesRel(dirs.transitDir)).length > 0;
        child.kill('SIGKILL');
        await waitExit(child);
        kills++;
        if (inFlight) killsWithWorkInFlight++;
      }

      // Final run: let it drain, then stop it cleanly.
      const finalRun = startDaemon(dirs.configDir);
      children.push(finalRun);
      finalRun.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      // The SIGTERM below must reach a started daemon (its handler), not one still loading.
      await waitForLogLine(logFile, `"pid":${finalRun.pid}`, 60_000);
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        const [watch, transit] = await Promise.all([
          listFilesRel(dirs.watchDir),
          listFilesRel(dirs.transitDir),
        ]);
        if (watch.length === 0 && transit.length === 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      finalRun.kill('SIGTERM');
      await waitExit(finalRun);
      assert.equal(
        finalRun.exitCode,
        0,
        `daemon did not stop cleanly on SIGTERM: ${stderr.slice(-2000)}`,
      );

      const remote = new Map(emulator.listFiles().map((f) => [f.pathDisplay, f.contentHash]));
      const archived = await listFilesRel(dirs.archiveDir);
      let lost = 0;
      let wrong = 0;
      for (const [rel, hash] of expected) {
        const r = remote.get(`/RDL/site1/${rel}`);
        if (r === undefined) lost++;
        else if (r !== hash) wrong++;
        const a = path.join(dirs.archiveDir, ...rel.split('/'));
        const ah = await localHash(a).catch(() => undefined);
        if (ah === undefined) lost++;
        else if (ah !== hash) wrong++;
      }
      const duplicatesRemote = remote.size - expected.size;
      const duplicatesArchive = archived.length - expected.size;
      const leftovers = [
        ...(await listFilesRel(dirs.watchDir)),
        ...(await listFilesRel(dirs.transitDir)),
      ];
      console.log(
        `crash test (seed ${seed}): kills ${kills} (${killsWithWorkInFlight} with files in transit), files ${expected.size} (${[...expected.keys()].filter((r) => r.endsWith('.raw')).length} multi-chunk), lost ${lost}, wrong hash ${wrong}, ` +
          `duplicates on Dropbox ${duplicatesRemote}, duplicates on SD card ${duplicatesArchive}, left in queue ${leftovers.length}`,
      );
      assert.ok(
        killsWithWorkInFlight >= KILLS / 2,
        'most kills should land while files are in flight',
      );
      assert.equal(leftovers.length, 0, `still queued: ${leftovers.slice(0, 5).join(', ')}`);
      assert.equal(lost, 0);
      assert.equal(wrong, 0);
      assert.equal(
        duplicatesRemote,
        0,
        [...remote.keys()].filter((p) => / \(\d+\)/.test(p)).join(', '),
      );
      assert.equal(
        duplicatesArchive,
        0,
        archived
          .filter((p) => !expected.has(p))
          .slice(0, 5)
          .join(', '),
      );
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await emulator.close();
      await fs.rm(dirs.root, { recursive: true, force: true });
    }
  },
);
