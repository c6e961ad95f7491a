// A service waiting for its settings file to be fixed syncs nothing, and used to tell no one: its
// channels were the defaults (none), so a hub whose config.json got a bad hand edit went silent
// for weeks. The real daemon under systemd (INVOCATION_ID set), a real SMTP server on loopback and
// the alert command: the people hear once what is wrong and how to fix it, a restart while still
// waiting does not tell them twice, and the fix brings the files and a "Resolved". The
// channels come from what can be trusted: the file's alert section when it alone is valid, else
// those of the last valid settings recorded; a machine never set up tells no one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import type { Settings } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { ALERT_SETTING_KEYS } from '../../src/engine/alerts/trusted-settings.js';
import { alertLogHook, startSmtp } from '../alerts/loopback.js';
import {
  exited,
  spawnCli,
  waitFor,
  waitSynced,
  writeFileIn,
  killIfRunning,
} from './cli-harness.js';

const SYSTEMD = { INVOCATION_ID: 'f00dfeedf00dfeedf00dfeedf00dfeed' };
const RECORD = 'alerts-last-valid-settings.json';

interface Daemon {
  child: ChildProcess;
  out: () => string;
}

function startDaemon(configDir: string, home: string, underSystemd = true): Daemon {
  const child = spawnCli(['run', '--config-dir', configDir], {
    home,
    ...(underSystemd ? { extraEnv: SYSTEMD } : {}),
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, out: () => out };
}

async function stopDaemon(d: Daemon): Promise<void> {
  d.child.kill('SIGTERM');
  assert.equal((await exited(d.child)).code, 0, d.out().slice(-2000));
}

function daemonLog(configDir: string): Promise<string> {
  return fs.readFile(path.join(configDir, 'logs', 'rdl-sync.log'), 'utf8').catch(() => '');
}

/** Every daemon a test started is gone, and its emulator and folders with it. */
async function cleanUp(
  daemons: Daemon[],
  emulator: { close(): Promise<void> },
  root: string,
): Promise<void> {
  for (const d of daemons) await killIfRunning(d.child);
  await emulator.close();
  await fs.rm(root, { recursive: true, force: true });
}

/** The record of the last valid alert settings, as the daemon that syncs writes it. */
async function writeRecord(configDir: string, alertCommand: string): Promise<void> {
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(
    path.join(configDir, RECORD),
    JSON.stringify({ site: 'site1', alerts: { alertCommand } }),
    { mode: 0o600 },
  );
}

/** The notice of a start, logged once by each (its outcome named): the log has no pids. */
async function waitNotice(configDir: string, d: Daemon, outcome: string): Promise<void> {
  await waitFor(`the daemon to log its notice: ${outcome}`, async () => {
    if (d.child.exitCode !== null) throw new Error(`the daemon exited: ${d.out()}`);
    return (await daemonLog(configDir))
      .split('\n')
      .some((l) => l.includes('settings problem and its fix told') && l.includes(`"${outcome}"`));
  });
}

test('under systemd, a typo outside the alert settings: one alert with the mistake and the fix; not again after a restart; resolved once fixed', async () => {
  const dirs = await makeDirs('rdl-wait-alert-');
  const emulator = await startEmulator({});
  const smtp = await startSmtp();
  const daemons: Daemon[] = [];
  try {
    const { hook, heard } = await alertLogHook(dirs.root, 'heard.log');
    const good = testSettings(dirs, emulator, {
      alertCommand: hook,
      alertEmailTo: ['tech@example.org'],
      alertEmailFrom: 'hub@example.org',
      smtpHost: '127.0.0.1',
      smtpPort: smtp.port,
      smtpSecurity: 'none',
    });
    const bad = { ...good, stableSeconds: 'ten' } as unknown as Settings;
    await writeConfig(dirs.configDir, bad, emulator);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/day.csv', 'a,b\n1,2\n');
    const configFile = path.join(dirs.configDir, 'config.json');

    const first = startDaemon(dirs.configDir, dirs.root);
    daemons.push(first);
    await waitFor('the alert email', async () => {
      if (first.child.exitCode !== null) throw new Error(`the daemon exited: ${first.out()}`);
      return smtp.mails.length > 0 && (await heard()).includes('raised settings-invalid');
    });
    const mail = smtp.mails[0]!;
    assert.deepEqual(mail.to, ['tech@example.org']);
    assert.match(mail.subject, /site1/, 'the subject names the hub');
    const text = mail.text.replace(/\s+/g, ' ');
    assert.ok(text.includes(configFile), `names the settings file: ${text}`);
    assert.match(text, /stableSeconds: Stable time must be a number \(got "ten"\)/);
    assert.match(text, /rdl-sync settings set stableSeconds VALUE/);
    assert.match(text, /or edit the file/);
    assert.match(text, /starts syncing by itself once the file is valid: no restart needed/);
    assert.match(text, /Site: site1/);
    assert.match(first.out(), /^Not syncing yet: the settings in .*config\.json need fixing\.$/m);
    await stopDaemon(first);

    // systemd restarts it (a reboot, an upgrade) while the file is still wrong: not told twice.
    const second = startDaemon(dirs.configDir, dirs.root);
    daemons.push(second);
    await waitNotice(dirs.configDir, second, 'already-told');
    assert.equal(smtp.mails.length, 1, 'one email, not one per start');
    assert.equal((await heard()).trim().split('\n').length, 1, await heard());

    // The fix, by hand: the service syncs by itself, and the people hear it is resolved.
    await fs.writeFile(configFile, JSON.stringify(good, null, 2));
    await waitSynced(dirs, emulator, 'RDL/USB0/day.csv');
    await waitFor('the resolution by email and command', async () => {
      if (second.child.exitCode !== null) throw new Error(`the daemon exited: ${second.out()}`);
      return smtp.mails.length > 1 && (await heard()).includes('cleared settings-invalid');
    });
    assert.equal(smtp.mails.length, 2, smtp.mails.map((m) => m.subject).join(' | '));
    assert.match(
      smtp.mails[1]!.text.replace(/\s+/g, ' '),
      /Resolved: settings not valid, which began .* UTC and lasted .*\. It last read: “RDL Sync does not sync/,
    );
    assert.deepEqual((await heard()).trim().split('\n'), [
      'raised settings-invalid',
      'cleared settings-invalid',
    ]);
    await stopDaemon(second);
  } finally {
    await cleanUp(daemons, emulator, dirs.root);
    await smtp.close();
  }
});

test('alert settings themselves invalid, or the file not JSON: the last valid channels are told; never set up: nobody', async () => {
  const dirs = await makeDirs('rdl-wait-alert-fallback-');
  const emulator = await startEmulator({});
  const daemons: Daemon[] = [];
  try {
    const { hook, heard } = await alertLogHook(dirs.root, 'heard.log');
    const good = testSettings(dirs, emulator, { alertCommand: hook });
    const configFile = path.join(dirs.configDir, 'config.json');
    await writeConfig(dirs.configDir, good, emulator);

    // The hub runs with valid settings once: their alert part is recorded, privately.
    const running = startDaemon(dirs.configDir, dirs.root, false);
    daemons.push(running);
    const record = await waitFor('the record of the last valid alert settings', async () => {
      if (running.child.exitCode !== null) throw new Error(`exited: ${running.out()}`);
      return fs.readFile(path.join(dirs.configDir, RECORD), 'utf8').catch(() => '');
    });
    assert.equal(JSON.parse(record).alerts.alertCommand, hook);
    assert.equal((await fs.stat(path.join(dirs.configDir, RECORD))).mode & 0o777, 0o600);
    await stopDaemon(running);

    // A hand edit breaks the alert section too: its channel is the last valid one.
    await fs.writeFile(
      configFile,
      JSON.stringify({ ...good, stableSeconds: 'ten', alertCommandTimeoutSeconds: 'long' }),
    );
    const first = startDaemon(dirs.configDir, dirs.root);
    daemons.push(first);
    await waitFor('the alert command', async () => {
      if (first.child.exitCode !== null) throw new Error(`exited: ${first.out()}`);
      return (await heard()).includes('raised settings-invalid');
    });
    // Said on stdout once the channels have answered (the command may be heard before that).
    await waitFor('the daemon to say whose channels it used', async () => {
      if (first.child.exitCode !== null) throw new Error(`exited: ${first.out()}`);
      return /alert channels of the last valid settings/.test(first.out());
    });
    await stopDaemon(first);

    // A power cut left the file empty: nothing of it can be read, the record still tells.
    await fs.writeFile(configFile, '');
    const second = startDaemon(dirs.configDir, dirs.root);
    daemons.push(second);
    await waitFor('the second alert (other words: another mistake)', async () => {
      if (second.child.exitCode !== null) throw new Error(`exited: ${second.out()}`);
      return (await heard()).trim().split('\n').length === 2;
    });
    await stopDaemon(second);

    // Nothing can be trusted (no record, the file not JSON): said, and no channel invented.
    await fs.rm(path.join(dirs.configDir, RECORD));
    await fs.writeFile(configFile, '{ "site": "site1", ');
    const blind = startDaemon(dirs.configDir, dirs.root);
    daemons.push(blind);
    await waitFor('the daemon to say no alert could be sent', async () => {
      if (blind.child.exitCode !== null) throw new Error(`exited: ${blind.out()}`);
      return /No alert could be sent about this/.test(blind.out());
    });
    await stopDaemon(blind);

    // Never set up (the file deleted "to start from the defaults"), with a record that names a
    // channel: setting up is not a fault, nobody is alerted.
    await fs.rm(configFile);
    await fs.writeFile(path.join(dirs.configDir, RECORD), record, { mode: 0o600 });
    const fresh = startDaemon(dirs.configDir, dirs.root);
    daemons.push(fresh);
    await waitFor('the daemon to say it is not set up', async () => {
      if (fresh.child.exitCode !== null) throw new Error(`exited: ${fresh.out()}`);
      return /starts syncing by itself/.test(fresh.out());
    });
    assert.match(fresh.out(), /RDL Sync is not set up yet/);
    await stopDaemon(fresh);
    assert.equal((await heard()).trim().split('\n').length, 2, await heard());
  } finally {
    await cleanUp(daemons, emulator, dirs.root);
  }
});

test("an alert setting's name mistyped in a hand edit: its channel is not dropped, the last valid channels are told", async () => {
  const dirs = await makeDirs('rdl-wait-alert-keytypo-');
  const emulator = await startEmulator({});
  const daemons: Daemon[] = [];
  try {
    const { hook, heard } = await alertLogHook(dirs.root, 'heard.log', { words: true });
    const good = testSettings(dirs, emulator, { alertCommand: hook });
    // What the hub last ran with (written by the daemon that syncs: see the test above).
    await writeRecord(dirs.configDir, hook);
    // The line retyped by hand: "alertCommnad". The file's alert part without it is valid, and
    // names no channel: taken as the file's, nobody was told.
    const { alertCommand, ...rest } = good;
    await writeConfig(
      dirs.configDir,
      { ...rest, alertCommnad: alertCommand } as unknown as Settings,
      emulator,
    );

    const daemon = startDaemon(dirs.configDir, dirs.root);
    daemons.push(daemon);
    await waitNotice(dirs.configDir, daemon, 'sent');
    assert.match(await daemonLog(dirs.configDir), /"channelsFrom":"last-valid"/);
    await waitFor('the alert command', async () =>
      (await heard()).includes('raised settings-invalid'),
    );
    // The command it gives names the setting meant: the CLI refuses the mistyped name.
    assert.match(await heard(), /rdl-sync settings set alertCommand VALUE/);
    assert.doesNotMatch(await heard(), /settings set alertCommnad/);
    await stopDaemon(daemon);
  } finally {
    await cleanUp(daemons, emulator, dirs.root);
  }
});

test('a file rewritten without any alert setting: the last valid channels are told, not none', async () => {
  const dirs = await makeDirs('rdl-wait-alert-nokeys-');
  const emulator = await startEmulator({});
  const daemons: Daemon[] = [];
  try {
    const { hook, heard } = await alertLogHook(dirs.root, 'heard.log', { words: true });
    await writeRecord(dirs.configDir, hook);
    // An old or minimal copy put back by hand: no alert setting in it, and one mistake.
    const minimal: Record<string, unknown> = {
      ...testSettings(dirs, emulator),
      stableSeconds: 'ten',
    };
    for (const key of ALERT_SETTING_KEYS) delete minimal[key];
    await writeConfig(dirs.configDir, minimal as unknown as Settings, emulator);

    const daemon = startDaemon(dirs.configDir, dirs.root);
    daemons.push(daemon);
    await waitNotice(dirs.configDir, daemon, 'sent');
    assert.match(await daemonLog(dirs.configDir), /"channelsFrom":"last-valid"/);
    await waitFor('the alert command', async () =>
      (await heard()).includes('raised settings-invalid'),
    );
    await stopDaemon(daemon);
  } finally {
    await cleanUp(daemons, emulator, dirs.root);
  }
});
