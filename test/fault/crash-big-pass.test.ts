// Crash safety of a big pass (hundreds of files, staged 64 at a time while the first already
// upload): SIGKILL the real daemon as soon as it has work in flight in such a pass, restart it
// each round, and at the end every file is on Dropbox and on the card exactly once with its
// bytes, with exactly one history record (crash.test.ts's invariant). Each round's files land before its daemon starts, so its first pass is a big one.
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { assertClean, summary, withScenario } from './crash-harness.js';

/** Five rounds of staging's 64 at a time. */
const BIG_PASS_FILES = 320;

test(
  'SIGKILL during big passes (files staged while the first ones upload) loses nothing, duplicates nothing, keeps one history record per file',
  { timeout: 300_000 },
  async () => {
    await withScenario('big-pass', {}, async (s) => {
      const ROUNDS = 3;
      for (let k = 0; k < ROUNDS; k++) {
        await s.killRound(async (batch) => {
          if (batch > 0) return; // the round's big pass is what the kill interrupts
          for (let i = 0; i < BIG_PASS_FILES; i++)
            await s.write(
              `RDL/USB0/2026-11-${String(10 + k).padStart(2, '0')}/rec-${k}-${i}.csv`,
              randomBytes(100 + Math.floor(s.random() * 4_000)),
            );
        });
      }
      await s.drainAndStop(() => s.queueEmpty());
      const audit = await s.audit();
      console.log(
        `crash test big pass: kills ${s.kills} (${s.killsInFlight} with work still in flight at the kill), files ${s.expected.size}, ${summary(audit)}`,
      );
      assertClean(audit);
    });
  },
);
