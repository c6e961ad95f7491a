// A hub with the tray app and the service (or a `once` from cron) on one settings folder: only one
// syncs (the run lock). The other used to take its refusal for a stop and tell every channel
// "RDL Sync stopped on an error … nothing syncs until it runs again" while the first synced on,
// and the refused service exited into systemd's restart loop. Now a refusal names the process
// that holds the lock and alerts nobody; the service waits and takes over when that one ends, so
// nothing is left unsynced. Real processes, the emulator, the alert command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { alertLogHook } from './loopback.js';
import {
  exited,
  readPublishedStatus,
  repo,
  runCli,
  spawnCli,
  waitFor,
  waitSynced,
  writeFileIn,
  type CliEnv,
  killIfRunning,
} from '../cli/cli-harness.js';

test('refused beside a running RDL Sync: no alert; the service waits, names the holder and takes over when it ends', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-lock-refusal-');
  const children: ChildProcess[] = [];
  try {
    const { hook, log: heard } = await alertLogHook(dirs.root, 'heard.log');
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { alertCommand: hook, alertFlapMinutes: 0 }),
      emulator,
    );
    const env: CliEnv = { home: dirs.root };
    const heardNow = (): Promise<string> => fs.readFile(heard, 'utf8').catch(() => '');

    // The tray app syncs (its engine, as main.ts builds it, in a process of its own).
    const tray = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'test/alerts/tray-stand-in.ts'), dirs.configDir],
      { cwd: repo, env: { ...process.env, HOME: dirs.root }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(tray);
    let trayOut = '';
    tray.stdout!.setEncoding('utf8').on('data', (d: string) => (trayOut += d));
    tray.stderr!.setEncoding('utf8').on('data', (d: string) => (trayOut += d));
    await waitFor('the tray app to sync and publish status.json', async () => {
      if (tray.exitCode !== null) throw new Error(`the tray app exited: ${trayOut}`);
      return (
        trayOut.includes('started') && (await readPublishedStatus(dirs.configDir))?.pid === tray.pid
      );
    });
    const shown = await runCli(['status', '--config-dir', dirs.configDir], env);
    assert.match(
      shown.stdout,
      new RegExp(`^The RDL Sync tray app is syncing \\(pid ${tray.pid}\\)\\.$`, 'm'),
    );

    // The service (systemd sets INVOCATION_ID) started beside it: it waits, it does not exit.
    const service = spawnCli(['run', '--config-dir', dirs.configDir], {
      ...env,
      extraEnv: { INVOCATION_ID: '0123456789abcdef0123456789abcdef' },
    });
    children.push(service);
    let serviceOut = '';
    service.stdout!.setEncoding('utf8').on('data', (d: string) => (serviceOut += d));
    service.stderr!.setEncoding('utf8').on('data', (d: string) => (serviceOut += d));
    await waitFor('the service to say it waits', async () => {
      if (service.exitCode !== null) throw new Error(`the service exited: ${serviceOut}`);
      return /The service waits and starts syncing by itself when it ends/.test(serviceOut);
    });
    assert.match(
      serviceOut,
      new RegExp(
        `Another RDL Sync \\(pid ${tray.pid}\\) is already syncing with the settings in .* \\(it is the RDL Sync tray app\\): nothing is wrong, it syncs on\\. To sync here instead, stop it first \\(its tray menu: Quit RDL Sync\\)`,
      ),
    );

    // A `once` beside it (cron): refused with the holder named, exit 1, no alert either.
    const once = await runCli(['once', '--config-dir', dirs.configDir], env);
    assert.equal(once.code, 1, once.stdout + once.stderr);
    assert.match(
      once.stderr,
      new RegExp(`Another RDL Sync \\(pid ${tray.pid}\\) .*\\(it is the RDL Sync tray app\\)`),
    );
    // The tray app syncs on meanwhile.
    await writeFileIn(dirs.watchDir, 'RDL/USB0/before.csv', 'ts,t\n1,2\n');
    await waitSynced(dirs, emulator, 'RDL/USB0/before.csv');
    assert.equal(service.exitCode, null, 'the service still waits');
    assert.equal((await readPublishedStatus(dirs.configDir))?.pid, tray.pid);

    // The tray app quits: the service takes over by itself, and syncs what comes next.
    tray.kill('SIGTERM');
    assert.equal((await exited(tray)).code, 0);
    await waitFor('the service to publish status.json', async () => {
      if (service.exitCode !== null) throw new Error(`the service exited: ${serviceOut}`);
      return (await readPublishedStatus(dirs.configDir))?.pid === service.pid;
    });
    await writeFileIn(dirs.watchDir, 'RDL/USB0/after.csv', 'ts,t\n3,4\n');
    await waitSynced(dirs, emulator, 'RDL/USB0/after.csv');
    const nowShown = await runCli(['status', '--config-dir', dirs.configDir], env);
    assert.match(
      nowShown.stdout,
      new RegExp(`^Daemon running \\(pid ${service.pid}, the rdl-sync service\\)\\.$`, 'm'),
    );
    const onceNow = await runCli(['once', '--config-dir', dirs.configDir], env);
    assert.equal(onceNow.code, 1);
    assert.match(
      onceNow.stderr,
      new RegExp(
        `Another RDL Sync \\(pid ${service.pid}\\) .*\\(it is the rdl-sync service\\).*sudo systemctl stop rdl-sync`,
      ),
    );
    assert.equal(
      serviceOut.match(/The service waits/g)?.length,
      1,
      `said once, not at every look: ${serviceOut}`,
    );

    // A second service waiting beside it ends cleanly on a stop (systemctl stop while it waits).
    const spare = spawnCli(['run', '--config-dir', dirs.configDir], {
      ...env,
      extraEnv: { INVOCATION_ID: 'fedcba9876543210fedcba9876543210' },
    });
    children.push(spare);
    let spareOut = '';
    spare.stdout!.setEncoding('utf8').on('data', (d: string) => (spareOut += d));
    spare.stderr!.setEncoding('utf8').on('data', (d: string) => (spareOut += d));
    await waitFor('the spare service to say it waits', async () => {
      if (spare.exitCode !== null) throw new Error(`the spare service exited: ${spareOut}`);
      return /The service waits/.test(spareOut);
    });
    spare.kill('SIGTERM');
    assert.equal((await exited(spare)).code, 0, spareOut);

    service.kill('SIGTERM');
    assert.equal((await exited(service)).code, 0, serviceOut);
    // No refusal was taken for a stop: no "daemon stopped" through any channel, at any point.
    assert.doesNotMatch(await heardNow(), /daemon-stopped/);
    const log = await fs
      .readFile(path.join(dirs.configDir, 'alerts.jsonl'), 'utf8')
      .catch(() => '');
    assert.doesNotMatch(log, /daemon-stopped/);
  } finally {
    for (const c of children) {
      await killIfRunning(c);
    }
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
