// Crash safety, the invariant everything else rests on: SIGKILL the real daemon at random moments
// while it has work in flight, restart it each time, and at the end every source file is on
// Dropbox and on the SD card exactly once with matching hashes (none lost, no "name (1).csv" made
// by a retry), with exactly one history record each.
//
// The test times itself: each kill waits until the daemon has files in transit (the queue it is
// working on) or reports transfers in status.json, never a guessed delay (crash-harness.ts). The
// same scenario with loggers holding files open and a bad file is in crash-writers.test.ts.
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { assertClean, summary, withScenario } from './crash-harness.js';

test(
  'SIGKILL at random moments with work in flight loses nothing, duplicates nothing, keeps one history record per file',
  { timeout: 240_000 },
  async () => {
    await withScenario('plain', {}, async (s) => {
      const KILLS = 10;
      for (let i = 0; i < 120; i++) {
        await s.write(
          `RDL/USB${i % 3}/2026-11-${String(i % 28).padStart(2, '0')}-${i}.csv`,
          randomBytes(1 + Math.floor(s.random() * 20_000)),
        );
      }
      for (let i = 0; i < 2; i++)
        await s.write(`cameras/burst-${i}.raw`, randomBytes(9 * 1024 * 1024 + i));
      for (let k = 0; k < KILLS; k++) {
        // Fresh logger output every round, so every kill has work to interrupt.
        await s.killRound(async (batch) => {
          for (let i = 0; i < 10; i++)
            await s.write(
              `RDL/round-${k}-${batch}/rec-${i}.csv`,
              randomBytes(200 + Math.floor(s.random() * 30_000)),
            );
          if (k % 4 === 0 && batch === 0)
            await s.write(`cameras/round-${k}.raw`, randomBytes(9 * 1024 * 1024 + k));
        });
      }
      await s.drainAndStop(() => s.queueEmpty());
      const audit = await s.audit();
      console.log(
        `crash test plain: kills ${s.kills} (${s.killsInFlight} with work still in flight at the kill), files ${s.expected.size}, ${summary(audit)}`,
      );
      assertClean(audit);
    });
  },
);
