// A Raspberry Pi has no real-time clock: it boots at 1970 (or where fake-hwclock saved the time),
// and NTP steps the clock once the network is up, days or decades at once. The real built daemon
// runs under libfaketime (faketime.ts) with a remote folder named by the date. Before: the folder
// was rendered once, when the daemon started, so a daemon started at 1970 uploaded every file
// into `/…/1970-01` until it was restarted, and one started in December kept uploading into
// December all through January.
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
  runCli,
  spawnBuiltCli,
  waitFor,
  writeFileIn,
  killIfRunning,
} from '../cli/cli-harness.js';
import { faketimeEnv, findLibfaketime, MISSING_LIBFAKETIME } from './faketime.js';

const DAY_S = 86_400;
/** The folder the template '/RDL/{site}/{year}-{month}' names at `ms` (local time, as the daemon). */
function monthFolder(ms: number): string {
  const d = new Date(ms);
  return `/RDL/site1/${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

test('a daemon started before the clock is set uploads nothing into 1970, says why, and follows the date once it is set', async () => {
  const libfaketime = findLibfaketime();
  assert.ok(libfaketime, MISSING_LIBFAKETIME);
  const dirs = await makeDirs('rdl-clockset-');
  const emulator = await startEmulator({});
  const offsetFile = path.join(dirs.root, 'faketime-offset');
  let daemon: ChildProcess | null = null;
  let stderr = '';
  try {
    // The daemon's clock reads 3 January 1970, as a Pi booted without network does.
    const toBoot = Math.floor(Date.now() / 1000) - 2 * DAY_S;
    await fs.writeFile(offsetFile, `-${toBoot}\n`);
    await writeConfig(
      dirs.configDir,
      // No fleet heartbeat: its first beat (5 s after the start) is no logger's file, and a run
      // slower than 5 s listed it among the uploads below.
      testSettings(dirs, emulator, {
        remoteRootTemplate: '/RDL/{site}/{year}-{month}',
        fleetHeartbeatEnabled: false,
      }),
      emulator,
    );
    daemon = await spawnBuiltCli(['run', '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: faketimeEnv(libfaketime, offsetFile),
    });
    const child = daemon;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await writeFileIn(dirs.watchDir, 'RDL/USB0/at-boot.csv', 'written before NTP\n');

    // On the SD card at once; on Dropbox not at all, and status says why.
    const held = await waitFor(
      'at-boot.csv on the card, and a "clock not set" problem or an upload',
      async () => {
        const p = await readPublishedStatus(dirs.configDir);
        const problem = p?.status.problems.find((x) => x.code === 'clock-not-set');
        const onCard = (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/at-boot.csv');
        return onCard && (problem ?? emulator.listFiles().length > 0)
          ? { problem, dropbox: p!.status.dropbox }
          : null;
      },
      60_000,
    ).then(({ problem, dropbox }) => {
      assert.deepEqual(
        emulator.listFiles().map((f) => f.pathDisplay),
        [],
        'nothing uploaded while the clock reads 1970',
      );
      assert.ok(problem, 'a "clock not set" problem');
      // The saved connection is still there: only the uploads wait. Before, the status said
      // "Dropbox: not connected" and sent the person to connect an account that was connected.
      assert.equal(dropbox.connected, true, 'Dropbox still connected');
      return problem;
    });
    const shown = await runCli(['status', '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: faketimeEnv(libfaketime, offsetFile),
    });
    assert.match(shown.stdout, /^Dropbox: .* — uploads wait for the clock to be set$/m);
    assert.doesNotMatch(shown.stdout, /not connected/);
    assert.match(held.message, /The clock reads 1970-01-0\d \d\d:\d\d UTC/);
    assert.match(held.message, /\{year\}-\{month\}/);
    assert.match(held.message, /1 file waits safely in transit/);
    assert.ok(
      (await listFilesRel(dirs.transitDir)).includes('RDL/USB0/at-boot.csv'),
      'kept in transit until Dropbox has it',
    );

    // NTP sets the clock: the file goes to this month's folder, the problem clears.
    await fs.writeFile(offsetFile, '+0\n');
    const now = monthFolder(Date.now());
    await waitFor(
      `at-boot.csv in ${now}`,
      async () => emulator.getFile(`${now}/RDL/USB0/at-boot.csv`),
      60_000,
    );
    await waitFor('the problem to clear', async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p && !p.status.problems.some((x) => x.code === 'clock-not-set');
    });

    // 40 days later (a month turned while the daemon ran): new files go to the new month.
    await fs.writeFile(offsetFile, `+${40 * DAY_S}\n`);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/next-month.csv', 'written 40 days on\n');
    const next = monthFolder(Date.now() + 40 * DAY_S * 1000);
    assert.notEqual(next, now);
    await waitFor(
      `next-month.csv in ${next}`,
      async () => emulator.getFile(`${next}/RDL/USB0/next-month.csv`),
      60_000,
    );
    assert.deepEqual(
      emulator
        .listFiles()
        .map((f) => f.pathDisplay)
        .sort(),
      [`${now}/RDL/USB0/at-boot.csv`, `${next}/RDL/USB0/next-month.csv`].sort(),
      'each file once, in the folder of the date it was uploaded on, none in 1970',
    );

    child.kill('SIGTERM');
    const end = await exited(child);
    assert.equal(end.code, 0, stderr.slice(-2000));
  } finally {
    await killIfRunning(daemon);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
