// A real wall-clock step under the real daemon: `rdl-sync run` runs under libfaketime (Debian's
// `faketime` package, installed by scripts/setup.sh), which reads its offset from a file on every
// call, so the test steps the daemon's wall clock back 5 minutes and then forward 10, mid-run.
// The monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as on a Raspberry Pi whose
// NTP steps the time after boot. Files written before and after each step must still arrive
// within a deadline far shorter than the step (a pass armed on a wall-clock date waits it out).
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
  spawnCli,
  waitFor,
  writeFileIn,
  killIfRunning,
} from '../cli/cli-harness.js';
import { faketimeEnv, findLibfaketime, MISSING_LIBFAKETIME } from './faketime.js';

/** Far below the 5-minute step, far above a pass on a loaded machine (2 s interval, 4 s stable). */
const ARRIVAL_DEADLINE_MS = Number(process.env.CLOCK_STEP_DEADLINE_MS ?? 60_000);

const SCHEDULES: { name: string; settings: { scheduleMode: 'interval' | 'cron'; cron: string } }[] =
  [
    { name: 'every 2 s', settings: { scheduleMode: 'interval', cron: '' } },
    // Cron is wall time by nature: after a step it must be re-armed, not wait the step out.
    { name: "cron '*/3 * * * * *'", settings: { scheduleMode: 'cron', cron: '*/3 * * * * *' } },
  ];

for (const schedule of SCHEDULES) {
  test(
    `the daemon keeps syncing (${schedule.name}) when the wall clock steps back 5 minutes and forward 10`,
    { timeout: 4 * ARRIVAL_DEADLINE_MS + 60_000 },
    async () => {
      const libfaketime = findLibfaketime();
      assert.ok(libfaketime, MISSING_LIBFAKETIME);
      const dirs = await makeDirs('rdl-clockstep-');
      const emulator = await startEmulator({});
      const offsetFile = path.join(dirs.root, 'faketime-offset');
      let daemon: ChildProcess | null = null;
      let stderr = '';
      try {
        await fs.writeFile(offsetFile, '+0\n');
        await writeConfig(
          dirs.configDir,
          testSettings(dirs, emulator, {
            intervalSeconds: 2,
            stableSeconds: 4,
            ...schedule.settings,
          }),
          emulator,
        );
        daemon = spawnCli(
          ['run', '--config-dir', dirs.configDir],
          {
            home: dirs.root,
            extraEnv: faketimeEnv(libfaketime, offsetFile),
          },
          true,
        );
        const child = daemon;
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        await waitFor(
          'the daemon to publish status.json',
          async () => (await readPublishedStatus(dirs.configDir))?.pid === child.pid,
          60_000,
        );

        const arrived = (rel: string): Promise<boolean> =>
          listFilesRel(dirs.archiveDir).then(
            (a) => a.includes(rel) && Boolean(emulator.getFile(`/RDL/site1/${rel}`)),
          );
        const timings: string[] = [];
        /** Writes files, steps the clock in between, and times their arrival on both legs. */
        const phase = async (name: string, offset: string | null): Promise<void> => {
          const before = `${name}/before-step.csv`;
          const after = `${name}/after-step.csv`;
          const started = performance.now();
          await writeFileIn(dirs.watchDir, before, `written before the step ${name}\n`);
          // The daemon has seen the first file (it waits to be stable), and is between passes with
          // the next one armed, when its clock steps: a step during a pass would hide the defect of
          // a wall-clock date, which is armed from the stepped clock after the pass.
          await waitFor(`the daemon to see ${before} and wait for its next pass`, async () => {
            const p = await readPublishedStatus(dirs.configDir);
            const next = p?.status.nextPassMs ?? null;
            return (
              p !== null &&
              p.status.counts.waiting > 0 &&
              next !== null &&
              next - p.updatedAtMs > 1_000
            );
          });
          if (offset !== null) await fs.writeFile(offsetFile, `${offset}\n`);
          await writeFileIn(dirs.watchDir, after, `written after the step ${name}\n`);
          await waitFor(
            `${before} and ${after} on Dropbox and the SD card (${name})`,
            async () => (await arrived(before)) && (await arrived(after)),
            ARRIVAL_DEADLINE_MS,
          );
          timings.push(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
          if (offset !== null) {
            // The step reached the daemon (its published wall time moved): the test is not vacuous.
            const want = (offset.startsWith('-') ? -1 : 1) * 4 * 60_000;
            await waitFor(`the daemon's wall clock to read ${offset}`, async () => {
              const p = await readPublishedStatus(dirs.configDir);
              const skew = p ? p.updatedAtMs - Date.now() : 0;
              return want < 0 ? skew < want : skew > want;
            });
          }
        };
        await phase('no-step', null);
        await phase('back-5min', '-5m');
        await phase('forward-10min', '+5m');
        console.log(
          `clock step (${schedule.name}): files written around each step arrived after ${timings.join(', ')}`,
        );
        assert.equal(timings.length, 3);

        child.kill('SIGTERM');
        const end = await Promise.race([
          exited(child),
          new Promise<null>((r) => setTimeout(() => r(null), 20_000).unref()),
        ]);
        assert.ok(end, 'the daemon did not stop within 20 s of SIGTERM');
        assert.equal(end.code, 0, stderr.slice(-2000));
      } finally {
        await killIfRunning(daemon);
        await emulator.close();
        await fs.rm(dirs.root, { recursive: true, force: true });
      }
    },
  );
}
