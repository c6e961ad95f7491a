// A stop is a stop: `rdl-sync run` (through bin/rdl-sync.js, as systemd starts it) gets SIGTERM
// at a random moment 0–3 s after spawn — during start-up, taking the lock, staging, uploading —
// and must be gone within the stop deadline, leaving no live lock behind, so that a restarted
// daemon is accepted and syncs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { liveLockOwner } from '../../src/engine/run-lock.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
import { exited, readPublishedStatus, spawnCli, waitFor, writeFileIn } from './cli-harness.js';

const TRIES = 20;
const RIGHT_AT_START_TRIES = 10;
/** Generous bound for "a few seconds" on a loaded 2-core machine; the daemon's own is 5 s. */
const EXIT_DEADLINE_MS = 12_000;

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
const live = new Set<ChildProcess>();

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-sigterm-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Stop' }), emulator);
});

after(async () => {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

function spawnDaemon(): {
  child: ChildProcess;
  stderr: () => string;
  started: Promise<void>;
} {
  // Not quiet: the daemon's log lines on stdout tell the test when start-up reaches the lock.
  const child = spawnCli(
    ['run', '--config-dir', dirs.configDir],
    { home: dirs.root, extraEnv: { RDL_SYNC_QUIET: '0' } },
    true,
  );
  live.add(child);
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const started = new Promise<void>((resolve) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('daemon starting')) resolve();
    });
    child.once('exit', () => resolve());
  });
  return { child, stderr: () => err, started };
}

async function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: string | null } | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  try {
    return await Promise.race([exited(child), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

test(
  `SIGTERM at ${TRIES} random moments of the first 3 s: exit, lock free, restart accepted`,
  { timeout: 600_000 },
  async () => {
    // A slow link, so that uploads are in flight when the signal comes.
    emulator.shapeLink({ latencyMs: 200, bytesPerSecond: 20_000 });
    const delays: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      // Work for it to be doing when the signal comes: files to stage, upload and archive.
      for (let f = 0; f < 3; f++)
        await writeFileIn(
          dirs.watchDir,
          `RDL/try${i}/f${f}.csv`,
          `t,v\n${i},${f}\n`.repeat(10_000),
        );
      const delay = Math.floor(Math.random() * 3000);
      delays.push(delay);
      const { child, stderr } = spawnDaemon();
      try {
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGTERM');
        const end = await exitWithin(child, EXIT_DEADLINE_MS);
        assert.ok(
          end,
          `try ${i}: still running ${EXIT_DEADLINE_MS} ms after SIGTERM sent at ${delay} ms`,
        );
        // Killed by the signal before the handler was installed (Node still loading), or a clean 0.
        assert.ok(
          end.code === 0 || end.signal === 'SIGTERM',
          `try ${i} (${delay} ms): exit ${JSON.stringify(end)}\n${stderr()}`,
        );
        assert.doesNotMatch(stderr(), /Another RDL Sync/, `try ${i}: refused as a second daemon`);
        assert.ok(gone(child.pid!), `try ${i}: the process is gone`);
        assert.equal(await liveLockOwner(dirs.configDir), null, `try ${i}: the lock is free`);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited(child);
        live.delete(child);
      }
    }

    // The narrowest moment: the daemon has said "daemon starting" and is taking the lock and
    // starting its scheduler. A stop that arrives then must still end everything.
    for (let i = 0; i < RIGHT_AT_START_TRIES; i++) {
      const { child, stderr, started } = spawnDaemon();
      try {
        await started;
        const delay = Math.floor(Math.random() * 40);
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGTERM');
        const end = await exitWithin(child, EXIT_DEADLINE_MS);
        assert.ok(end, `at-start try ${i} (+${delay} ms): still running after SIGTERM`);
        assert.deepEqual(end, { code: 0, signal: null }, `at-start try ${i}: ${stderr()}`);
        assert.equal(await liveLockOwner(dirs.configDir), null, `at-start try ${i}: lock free`);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited(child);
        live.delete(child);
      }
    }

    // Restarted after all that: accepted, and it finishes the work the stopped ones left.
    emulator.shapeLink({ latencyMs: 0, bytesPerSecond: 0 });
    const { child, stderr } = spawnDaemon();
    try {
      await waitFor(
        'the restarted daemon to publish its status',
        async () => (await readPublishedStatus(dirs.configDir))?.pid === child.pid,
        30_000,
      );
      await waitFor(
        'every file on the SD card and the watch folder and transit empty',
        async () =>
          (await listFilesRel(dirs.archiveDir)).length === TRIES * 3 &&
          (await listFilesRel(dirs.watchDir)).length === 0 &&
          (await listFilesRel(dirs.transitDir)).length === 0,
        60_000,
      );
      for (let i = 0; i < TRIES; i++)
        assert.ok(emulator.getFile(`/RDL/Stop/RDL/try${i}/f0.csv`), `try ${i}'s file on Dropbox`);
      child.kill('SIGTERM');
      const end = await exitWithin(child, EXIT_DEADLINE_MS);
      assert.deepEqual(end, { code: 0, signal: null }, stderr());
      assert.equal(await liveLockOwner(dirs.configDir), null);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    assert.equal(delays.length, TRIES);
  },
);

test('a daemon started with the option before the command (rdl-sync --config-dir D run) stops as cleanly', async () => {
  // The signal handling was chosen by the first word alone: this daemon died at once on SIGTERM,
  // its lock and a "running" status left behind.
  const child = spawnCli(['--config-dir', dirs.configDir, 'run'], { home: dirs.root }, true);
  live.add(child);
  try {
    await waitFor('the daemon to publish its status', async () => {
      const s = await readPublishedStatus(dirs.configDir);
      return s?.pid === child.pid && s?.status.lastPassMs;
    });
    child.kill('SIGTERM');
    const end = await exitWithin(child, EXIT_DEADLINE_MS);
    assert.deepEqual(end, { code: 0, signal: null });
    assert.equal((await readPublishedStatus(dirs.configDir))?.pid, null, 'said stopped');
    assert.equal(await liveLockOwner(dirs.configDir), null);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
    live.delete(child);
  }
});
