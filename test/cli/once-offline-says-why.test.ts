// README step 3 of a switch-over: "rdl-sync once, one pass by hand, to see it work". Run while
// the hub has no network, it ended on "Staged 1, uploaded 0, ...; 1 still queued in transit" and
// exit 1, with no word of why: Dropbox unreachable becomes a problem (and an alert) only after
// offlineAlertMinutes, so that a daemon rides out short outages quietly, and `once` printed only
// the problems. It now says what stopped a leg this pass when no problem says it yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  dirs = await makeDirs('rdl-cli-once-offline-');
  // Set up against the emulator, which then goes away: its port refuses connections, as
  // Dropbox does for a hub whose WiFi is down.
  const emulator = await startEmulator({});
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Site7_Farm' }), emulator);
  await emulator.close();
});

after(async () => {
  await fs.rm(dirs.root, { recursive: true, force: true });
});

test('once with Dropbox unreachable says so, and that the file waits in transit', async () => {
  const rel = path.join('RDL', 'USB0', '2026-12', 'RDL_2026-12-04_USB0.txt');
  await fs.mkdir(path.dirname(path.join(dirs.watchDir, rel)), { recursive: true });
  await fs.writeFile(path.join(dirs.watchDir, rel), '2026-12-04T00:00:00,USB0,T1=4.1\n');

  const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });

  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /1 still queued in transit/);
  assert.match(
    r.stdout,
    /^! Dropbox could not be reached after \d+ attempts: the connection to 127\.0\.0\.1:\d+ was refused \(ECONNREFUSED\); check the hub's firewall/m,
    r.stdout,
  );
  // The card leg ran: the file is archived and waits in transit for Dropbox only.
  assert.ok(await fs.stat(path.join(dirs.archiveDir, rel)));
  assert.ok(await fs.stat(path.join(dirs.transitDir, rel)));
});
