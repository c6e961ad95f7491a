// `rdl-sync status` in the second after a tray app or daemon started: it holds the run lock, but its
// first status is written about a second later (writes are coalesced), so status.json still held
// the last process's final snapshot (pid null). `status` said "Daemon not running." and showed the
// command line's own reading of the settings beside a running tray app (the keyring tests met it
// whenever the machine was quick). It now waits a moment for the owner's own status, and says the
// owner runs in any case. Real parts: the built CLI as its own process, a real run lock held by
// this test process (as the tray app's engine holds it), status.json as `once` left it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { acquireRunLock } from '../../src/engine/run-lock.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, type CliEnv, type CliResult } from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
let env: CliEnv;
const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
const statusFile = () => path.join(dirs.configDir, 'status.json');

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-status-started-');
  env = { home: dirs.root };
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Started' }), emulator);
  // The last process's final status, as a stopped engine leaves it.
  const once = await cli('once');
  assert.equal(once.code, 0, once.stdout + once.stderr);
  const left = JSON.parse(await fs.readFile(statusFile(), 'utf8')) as { pid: number | null };
  assert.equal(left.pid, null);
});

after(async () => {
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

/** `status` ran, naming this process (the lock's owner) as the tray app that syncs. */
function assertOwnerNamed(out: CliResult): void {
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.match(
    out.stdout,
    new RegExp(`^The RDL Sync tray app is syncing \\(pid ${process.pid}\\)\\.$`, 'm'),
  );
  assert.doesNotMatch(out.stdout, /Daemon not running/);
}

test('asked as the owner publishes its first status: that status is shown, under the owner', async () => {
  const lock = await acquireRunLock(dirs.configDir, 'tray-app');
  try {
    const asked = cli('status');
    // The owner's first write, a little after the command began.
    await new Promise((r) => setTimeout(r, 500));
    const last = JSON.parse(await fs.readFile(statusFile(), 'utf8')) as Record<string, unknown> & {
      status: Record<string, unknown>;
    };
    const own = {
      ...last,
      pid: process.pid,
      updatedAtMs: Date.now(),
      status: { ...last.status, state: 'syncing', passRunning: true, nextPassMs: null },
    };
    await fs.writeFile(statusFile(), JSON.stringify(own));
    const out = await asked;
    assertOwnerNamed(out);
    assert.match(
      out.stdout,
      /^State: syncing\b/m,
      "the owner's own status, not a reading of the disk",
    );
    assert.doesNotMatch(out.stdout, /has not published its status/);
  } finally {
    await lock.release();
  }
});

test('an owner that has not published within the wait: said running, and that what follows is read from the disk', async () => {
  // The final snapshot of a stopped engine again.
  const last = JSON.parse(await fs.readFile(statusFile(), 'utf8')) as Record<string, unknown>;
  await fs.writeFile(statusFile(), JSON.stringify({ ...last, pid: null }));
  const lock = await acquireRunLock(dirs.configDir, 'tray-app');
  try {
    const out = await cli('status');
    assertOwnerNamed(out);
    assert.match(
      out.stdout,
      new RegExp(
        `^! RDL Sync runs \\(pid ${process.pid}\\) but has not published its status yet, so what follows is read from the disk; run \`rdl-sync status\` again in a moment$`,
        'm',
      ),
    );
  } finally {
    await lock.release();
  }
});
