// Under systemd a daemon that exits on invalid settings is restarted every RestartSec (10 s) for
// ever, three journal lines each time, and once the file is fixed it still waits for its next
// restart. Started by systemd (INVOCATION_ID set), the real built daemon now says what is wrong
// once, takes no lock, shows the problem to `rdl-sync status`, and starts syncing by itself when
// the settings file is fixed. At a terminal it still refuses at once (settings-rules.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
import {
  exited,
  readPublishedStatus,
  spawnBuiltCli,
  waitFor,
  waitSynced,
  writeFileIn,
  killIfRunning,
  runCli,
} from './cli-harness.js';

test('under systemd, invalid settings: the daemon reports once, waits, and syncs once the file is fixed', async () => {
  const dirs = await makeDirs('rdl-wait-settings-');
  const emulator = await startEmulator({});
  let daemon: ChildProcess | null = null;
  let stdout = '';
  let stderr = '';
  try {
    const good = testSettings(dirs, emulator);
    // A hand edit the CLI would have refused: a cron of four fields.
    await writeConfig(dirs.configDir, { ...good, scheduleMode: 'cron', cron: '* * * *' }, emulator);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/day.csv', 'a,b\n1,2\n');
    daemon = await spawnBuiltCli(['run', '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: { INVOCATION_ID: 'f00dfeedf00dfeedf00dfeedf00dfeed' },
    });
    const child = daemon;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));

    const waiting = await waitFor(
      "the daemon's status naming the mistake",
      async () => {
        const p = await readPublishedStatus(dirs.configDir);
        return p && p.pid === child.pid
          ? p.status.problems.find((x) => x.code === 'settings-invalid')
          : undefined;
      },
      60_000,
    );
    assert.match(waiting.message, /cron.*has 4 fields/);
    await waitFor('the message on stdout', async () => /starts syncing by itself/.test(stdout));
    assert.match(stdout, /^Not syncing yet: the settings in .*config\.json need fixing\.$/m);
    assert.match(stdout, /cron.*has 4 fields/);
    assert.equal(child.exitCode, null, `the daemon exited: ${stdout}${stderr}`);
    assert.deepEqual(
      (await fs.readdir(dirs.configDir)).filter((n) => n.startsWith('engine.lock')),
      [],
      'no run lock taken while waiting (the tray app may run)',
    );
    assert.deepEqual(await listFilesRel(dirs.archiveDir), [], 'nothing moved on bad settings');
    // `status` said "Daemon not running." over it: a person may start a second one, or reboot.
    const shown = await runCli(['status', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.match(
      shown.stdout,
      new RegExp(
        `^Daemon running \\(pid ${child.pid}, the rdl-sync service\\) but not syncing: it waits for the settings to be fixed, and starts syncing by itself once they are`,
        'm',
      ),
    );

    // Another mistake in the file: still waiting, still no restart.
    await fs.writeFile(
      path.join(dirs.configDir, 'config.json'),
      JSON.stringify({ ...good, intervalSeconds: -1 }),
    );
    // The fix, by hand as a technician does it.
    await fs.writeFile(path.join(dirs.configDir, 'config.json'), JSON.stringify(good, null, 2));
    await waitSynced(dirs, emulator, 'RDL/USB0/day.csv');
    await waitFor('the settings problem to clear in status.json', async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p && !p.status.problems.some((x) => x.code === 'settings-invalid');
    });
    await assert.rejects(
      fs.stat(path.join(dirs.configDir, 'daemon-waiting.json')),
      { code: 'ENOENT' },
      'no longer waiting: the record is gone',
    );
    assert.equal(
      stdout.match(/Not syncing yet/g)?.length,
      1,
      `the refusal said once, not once per pass: ${stdout}`,
    );

    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, stderr.slice(-2000));
  } finally {
    await killIfRunning(daemon);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('under systemd, a stop while waiting for settings ends the daemon at once with code 0', async () => {
  const dirs = await makeDirs('rdl-wait-stop-');
  try {
    // Nothing set up yet: the service was enabled before `rdl-sync import-legacy`.
    const child = await spawnBuiltCli(['run', '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: { INVOCATION_ID: 'f00dfeedf00dfeedf00dfeedf00dfeed' },
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await waitFor('the message on stdout', async () => /starts syncing by itself/.test(stdout));
    assert.match(stdout, /^Not syncing yet: RDL Sync is not set up yet \(no settings in /m);
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
