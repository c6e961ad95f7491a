// The service waits for its settings file to be fixed and told people, through a channel that did
// not take it (owed, alerts-outbox.json). Meanwhile the tray app runs on the same settings folder
// (it holds the run lock), delivers what was owed, and once the file is fixed syncs and tells the
// people it is resolved; then it is quit and the service takes over. The service must start from
// the outbox as the tray app left it, not from what it held in memory since its notice: that sent
// "RDL Sync does not sync: its settings file … cannot be used" again, after its "Resolved", to
// people who then believed the hub down. Real processes, the emulator, the alert command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import type { Settings } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { alertLogHook } from '../alerts/loopback.js';
import {
  exited,
  readPublishedStatus,
  repo,
  spawnCli,
  waitFor,
  waitSynced,
  writeFileIn,
  killIfRunning,
} from './cli-harness.js';

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function watch(child: ChildProcess): Proc {
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, out: () => out };
}

/** The service as systemd starts it (it waits on a broken settings file instead of exiting). */
function startService(dirs: { configDir: string; root: string }): Proc {
  return watch(
    spawnCli(['run', '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: { INVOCATION_ID: 'f00dfeedf00dfeedf00dfeedf00dfeed' },
    }),
  );
}

/** The tray app's engine in a process of its own (test/alerts/tray-stand-in.ts). */
function startTray(dirs: { configDir: string; root: string }): Proc {
  return watch(
    spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'test/alerts/tray-stand-in.ts'), dirs.configDir],
      { cwd: repo, env: { ...process.env, HOME: dirs.root }, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
}

/** Kills what is still running, closes the emulator, removes the test's folders. */
async function cleanUp(
  procs: Proc[],
  emulator: { close(): Promise<void> },
  dirs: { root: string },
): Promise<void> {
  for (const p of procs) await killIfRunning(p.child);
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
}

async function stop(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  assert.equal((await exited(p.child)).code, 0, p.out().slice(-2000));
}

test('the tray app ran while the service waited for its settings: the service does not send again what the tray app delivered and resolved', async () => {
  const dirs = await makeDirs('rdl-wait-tray-');
  const emulator = await startEmulator({});
  const procs: Proc[] = [];
  try {
    // An alert command that fails while `down` exists (a channel not taking alerts for a while).
    const heardFile = path.join(dirs.root, 'heard.log');
    const down = path.join(dirs.root, 'down');
    const hook = path.join(dirs.root, 'on-alert.sh');
    await fs.writeFile(
      hook,
      `#!/bin/sh\ncat > /dev/null\n[ -e "${down}" ] && exit 1\necho "$RDL_ALERT_EVENT $RDL_ALERT_CONDITION" >> "${heardFile}"\n`,
      { mode: 0o755 },
    );
    const heard = async (): Promise<string[]> =>
      (await fs.readFile(heardFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    const good = testSettings(dirs, emulator, { alertCommand: hook, alertFlapMinutes: 0 });
    const bad = { ...good, stableSeconds: 'ten' } as unknown as Settings;
    await writeConfig(dirs.configDir, bad, emulator);
    const outbox = path.join(dirs.configDir, 'alerts-outbox.json');
    const owed = async (): Promise<number> =>
      (
        (JSON.parse(await fs.readFile(outbox, 'utf8').catch(() => '{}')) as { owed?: unknown[] })
          .owed ?? []
      ).length;

    // The service (under systemd) waits and tells; the command is down: the notice is owed.
    await fs.writeFile(down, '');
    const service = startService(dirs);
    procs.push(service);
    // The outbox is saved before a send (a power cut then leaves it owed): owed alone is not yet
    // "tried and failed", and a send still under way once `down` is gone would deliver it. The
    // channel's failure recorded after the try is.
    const triedAndFailed = async (): Promise<boolean> => {
      const saved = JSON.parse(await fs.readFile(outbox, 'utf8').catch(() => '{}')) as {
        backoff?: Record<string, { failures?: number }>;
      };
      return Object.values(saved.backoff ?? {}).some((b) => (b.failures ?? 0) >= 1);
    };
    await waitFor('the notice owed in the outbox, its channel tried and failed', async () => {
      if (service.child.exitCode !== null) throw new Error(`exited: ${service.out()}`);
      return (await owed()) === 1 && (await triedAndFailed());
    });

    // The tray app starts (it takes the run lock even on a broken file), the command is back: it
    // delivers what was owed; then the file is fixed, it syncs and tells people it is resolved.
    await fs.rm(down);
    const tray = startTray(dirs);
    procs.push(tray);
    await waitFor('the tray app to hold the run lock', async () => {
      if (tray.child.exitCode !== null) throw new Error(`the tray app exited: ${tray.out()}`);
      return tray.out().includes('started');
    });
    await fs.writeFile(path.join(dirs.configDir, 'config.json'), JSON.stringify(good, null, 2));
    await writeFileIn(dirs.watchDir, 'RDL/USB0/day.csv', 'a,b\n1,2\n');
    await waitSynced(dirs, emulator, 'RDL/USB0/day.csv');
    await waitFor('the tray app to tell it is resolved, owing nothing', async () => {
      if (tray.child.exitCode !== null) throw new Error(`the tray app exited: ${tray.out()}`);
      return (await heard()).includes('cleared settings-invalid') && (await owed()) === 0;
    });
    const told = await heard();
    assert.deepEqual(told, ['raised settings-invalid', 'cleared settings-invalid']);

    // Quit: the service takes over, syncs, and is stopped (its alerts queue ends first).
    await stop(tray);
    await waitFor('the service to sync', async () => {
      if (service.child.exitCode !== null) throw new Error(`exited: ${service.out()}`);
      return (await readPublishedStatus(dirs.configDir))?.pid === service.child.pid;
    });
    await writeFileIn(dirs.watchDir, 'RDL/USB0/day2.csv', 'a,b\n3,4\n');
    await waitSynced(dirs, emulator, 'RDL/USB0/day2.csv');
    await stop(service);
    assert.deepEqual(await heard(), told, 'nothing sent again after its "Resolved"');
  } finally {
    await cleanUp(procs, emulator, dirs);
  }
});

// The waiting service told people of the broken file; the tray app, started on it meanwhile, told
// them again in its own words ("Settings need fixing: …"): one broken file, two alerts.
test('the tray app started after the waiting service told people: not told again in other words', async () => {
  const dirs = await makeDirs('rdl-wait-tray-told-');
  const emulator = await startEmulator({});
  const procs: Proc[] = [];
  try {
    const { hook, heard } = await alertLogHook(dirs.root, 'heard.log', { words: true });
    const lines = async (): Promise<string[]> => (await heard()).trim().split('\n').filter(Boolean);
    const good = testSettings(dirs, emulator, { alertCommand: hook, alertFlapMinutes: 0 });
    await writeConfig(
      dirs.configDir,
      { ...good, stableSeconds: 'ten' } as unknown as Settings,
      emulator,
    );
    const service = startService(dirs);
    procs.push(service);
    await waitFor('the service to tell people', async () => {
      if (service.child.exitCode !== null) throw new Error(`exited: ${service.out()}`);
      return (await lines()).length === 1;
    });
    const tray = startTray(dirs);
    procs.push(tray);
    await waitFor('the tray app to start', async () => {
      if (tray.child.exitCode !== null) throw new Error(`the tray app exited: ${tray.out()}`);
      return tray.out().includes('started');
    });
    await fs.writeFile(path.join(dirs.configDir, 'config.json'), JSON.stringify(good, null, 2));
    await waitFor('the tray app to tell it is resolved', async () =>
      (await lines()).some((l) => l.startsWith('cleared settings-invalid')),
    );
    const told = await lines();
    assert.equal(told.length, 2, told.join('\n'));
    assert.match(told[0]!, /^raised settings-invalid RDL Sync does not sync: its settings file /);
    assert.match(told[1]!, /^cleared settings-invalid Resolved: settings not valid/);
    await stop(tray);
    await stop(service);
  } finally {
    await cleanUp(procs, emulator, dirs);
  }
});
