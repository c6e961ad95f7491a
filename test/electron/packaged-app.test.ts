// End-to-end tests of the PACKAGED app (electron-builder `dir` target on the test Electron,
// shipped fuses) against the Dropbox emulator: the headless daemon from the app binary as
// systemd runs it, and the tray app under a private X desktop with a tray host and a
// notification daemon. One package for the whole file (packaging takes ~15 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
import { readPublishedStatus, writeFileIn } from '../cli/cli-harness.js';
import { killChild, waitFor, within } from './desktop.js';
import { packageApp, type PackagedApp } from './packaged-app.js';

let app: PackagedApp;
let emulator: Emulator;

before(async () => {
  app = await packageApp();
  emulator = await startEmulator({});
});

after(async () => {
  await emulator?.close();
  app?.remove();
});

/** Processes still running the packaged executable (the app's helpers included). */
function processesOf(executable: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/exe`) === executable) pids.push(Number(name));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

test('headless daemon from the app binary stops on SIGTERM like the node daemon', async () => {
  const dirs = await makeDirs('rdl-headless-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Headless' }), emulator);
  // As the systemd unit runs it: no display, no session bus.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dirs.root, RDL_SYNC_QUIET: '1' };
  delete env.DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const daemon = spawn(
    app.executable,
    // The unit's switches; --no-sandbox because the test runs as root (the unit does not).
    [
      '--headless',
      'run',
      '--config-dir',
      dirs.configDir,
      '--ozone-platform=headless',
      '--no-sandbox',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  daemon.stdout.on('data', (c: Buffer) => (output += c.toString()));
  daemon.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    daemon.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await waitFor('the daemon to publish status.json', async () => {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${output}`);
      const p = await readPublishedStatus(dirs.configDir);
      return p?.pid === daemon.pid;
    });
    await writeFileIn(dirs.watchDir, 'RDL/USB0/a.csv', 'timestamp,t\n2026-11-24T08:00:00Z,4.1\n');
    await waitFor(
      'a.csv on Dropbox and the card',
      async () =>
        Boolean(emulator.getFile('/RDL/Headless/RDL/USB0/a.csv')) &&
        (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/a.csv'),
    );
    assert.ok(fs.existsSync(path.join(dirs.configDir, 'engine.lock')));

    daemon.kill('SIGTERM');
    const end = await within('the daemon to exit after SIGTERM', exited, 40_000);
    const log = fs.readFileSync(path.join(dirs.configDir, 'logs', 'rdl-sync.log'), 'utf8');
    assert.deepEqual(end, { code: 0, signal: null }, `${log}\n${output}`);
    assert.match(log, /received SIGTERM: stopping/);
    assert.match(log, /daemon stopped/);
    assert.ok(!fs.existsSync(path.join(dirs.configDir, 'engine.lock')), 'engine.lock released');
    assert.equal((await readPublishedStatus(dirs.configDir))?.pid, null);
    // No helper process (zygote, GPU, utility) outlives the daemon.
    await waitFor(
      'every helper process to end',
      () => processesOf(app.executable).length === 0,
      10_000,
    );
  } finally {
    await killChild(daemon);
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
