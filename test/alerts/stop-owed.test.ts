// "RDL Sync stopped on an error" is owed, like every other alert, by a channel that did not take
// it: the relay down for a moment as the daemon stops must not lose the alert that matters most.
// Before, the stop went once through each channel and a refusal lost it for good. The process
// that stopped cannot try again: the next one does, whether it starts (the stop, then "runs
// again") or stops again on the same error (systemd restarting it every 10 s: on the outbox's
// delays). Real parts: `rdl-sync run` as a child process against the Dropbox emulator, an SMTP
// relay on loopback that is down (nothing listens on its port) and comes back on the same port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { silentLogger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  exited,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  killIfRunning,
} from '../cli/cli-harness.js';
import { freePort, startSmtp, tempDir, waitUntil, type LoopbackSmtp } from './loopback.js';

const MIN = 60_000;

async function owedOf(configDir: string): Promise<string[]> {
  try {
    const text = await fs.readFile(path.join(configDir, 'alerts-outbox.json'), 'utf8');
    return (
      JSON.parse(text) as { owed: { channel: string; alert: { kind: string; code: string } }[] }
    ).owed.map((e) => `${e.channel} ${e.alert.kind} ${e.alert.code}`);
  } catch {
    return [];
  }
}

test('a stop the relay refused is delivered by the next daemon, then "runs again"', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-stop-owed-');
  const port = await freePort();
  let smtp: LoopbackSmtp | null = null;
  let daemon: ChildProcess | null = null;
  try {
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, {
        site: 'Site6_Stop',
        alertEmailTo: ['ops@example.org'],
        alertEmailFrom: 'hub6@example.org',
        smtpHost: '127.0.0.1',
        smtpPort: port,
        smtpSecurity: 'none',
      }),
      emulator,
    );
    const env = { home: dirs.root };
    // A real stop: the run lock cannot even be read (a folder where engine.lock belongs; EISDIR),
    // while the relay is down.
    const lockFile = path.join(dirs.configDir, 'engine.lock');
    await fs.mkdir(lockFile);
    const broken = await runCli(['run', '--config-dir', dirs.configDir], env);
    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    assert.match(broken.stderr, /EISDIR/);

    // The relay is back, the cause fixed. (The tray app syncing first says the same: packaged-app
    // test "the tray app that syncs after the service stopped says "runs again"".)
    smtp = await startSmtp({ port });
    await fs.rmdir(lockFile);
    assert.deepEqual(await owedOf(dirs.configDir), ['email raised daemon-stopped']);

    // The service starts: it tells what happened, then that it runs again.
    const child = spawnCli(['run', '--config-dir', dirs.configDir], env);
    daemon = child;
    await waitFor('the daemon’s first pass', async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p && p.pid === child.pid && p.status.lastPassMs !== null ? p : null;
    });
    const subjects = (): string[] => smtp!.mails.map((m) => m.subject);
    await waitUntil(
      'the stop and its clear by email',
      () => smtp!.mails.length >= 2 || subjects().some((s) => /resolved/.test(s)),
    );
    assert.deepEqual(subjects(), [
      'RDL Sync Site6_Stop: needs action now: RDL Sync stopped on an error (daemon-stopped)',
      'RDL Sync Site6_Stop: resolved: RDL Sync stopped on an error (daemon-stopped)',
    ]);
    assert.match(smtp.mails[0]!.text, /RDL Sync stopped on an error \(.*EISDIR/);
    // Read far from the hub: where the log is, and how to restart (not a bare "See the log").
    const stopText = smtp.mails[0]!.text.replace(/\s+/g, ' ');
    const log = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
    assert.ok(stopText.includes(`See its log (${log};`), stopText);
    assert.match(stopText, /then restart the service \(sudo systemctl restart rdl-sync\)/);
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
    assert.deepEqual(await owedOf(dirs.configDir), []);
    assert.equal(smtp.mails.length, 2, subjects().join(' | '));
  } finally {
    await killIfRunning(daemon);
    await smtp?.close();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('stopping again on the same error, each process tries the stop still owed, on the outbox’s delays', async () => {
  const configDir = await tempDir('rdl-stop-loop-');
  const port = await freePort();
  let smtp: LoopbackSmtp | null = null;
  let now = Date.UTC(2026, 11, 3, 9, 0);
  const settings = {
    ...defaultSettings(),
    site: 'Site6_Loop',
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub6@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: port,
    smtpSecurity: 'none' as const,
  };
  // One process after another on the same settings folder, each stopping before it started.
  const models: StatusModel[] = [];
  const nextProcess = (): AlertService =>
    new AlertService({
      configDir,
      status: models[models.push(new StatusModel(() => now)) - 1]!,
      settings: () => settings,
      history: () => [],
      clock: { now: () => now, sleep: async () => undefined },
      logger: silentLogger,
      host: 'hub6',
    });
  try {
    const first = await nextProcess().notifyStopped('EIO: i/o error, open transit');
    assert.equal(first.length, 1);
    assert.equal(first[0]!.ok, false);
    assert.deepEqual(await owedOf(configDir), ['email raised daemon-stopped']);
    smtp = await startSmtp({ port });
    // systemd's next start, 10 s later: within the first delay (a minute), not tried.
    now += 10_000;
    assert.deepEqual(await nextProcess().notifyStopped('EIO: i/o error, open transit'), []);
    assert.equal(smtp.mails.length, 0);
    // A start after the delay: delivered, once.
    now += 2 * MIN;
    await nextProcess().notifyStopped('EIO: i/o error, open transit');
    assert.deepEqual(
      smtp.mails.map((m) => m.subject),
      ['RDL Sync Site6_Loop: needs action now: RDL Sync stopped on an error (daemon-stopped)'],
    );
    assert.deepEqual(await owedOf(configDir), []);
    now += 10 * MIN;
    await nextProcess().notifyStopped('EIO: i/o error, open transit');
    assert.equal(smtp.mails.length, 1);
  } finally {
    for (const m of models) m.dispose();
    await smtp?.close();
    await fs.rm(configDir, { recursive: true, force: true });
  }
});
