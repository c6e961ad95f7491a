// Files that keep failing the same way are one condition for the people alerted, not one email a
// file. A logger whose every file fails (names Dropbox refuses here; on a hub an infrared camera
// whose CSVs are cut short every 30 min, or files the service may not read) sent one alert per
// file, and a daily reminder per file: dozens of emails a day, growing, about one fault. The
// status and the window still list each file. A real engine and its alert service; the alert
// command logs what the people hear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from '../engine/harness.js';
import { waitFor } from '../cli/cli-harness.js';
import { alertLogHook } from './loopback.js';
import fs from 'node:fs/promises';

/**
 * One pass asked for with the engine's clock moved past every file's retry delay first. The clock
 * moves only between passes: moved while a pass ran, the files that pass tried before the move
 * and those it tried after it came due at different times, and then crossed the failing threshold
 * in different passes (the raise named one file of four, once in a CI run).
 */
async function passAfterTheDelays(
  engine: { syncNow(): void; getStatus(): { passRunning?: boolean; lastPassMs: number | null } },
  advance: () => void,
): Promise<void> {
  const idle = () => !engine.getStatus().passRunning;
  await waitFor('no pass running', async () => idle(), 30_000);
  const before = engine.getStatus().lastPassMs;
  advance();
  engine.syncNow();
  await waitFor(
    'the pass asked for',
    async () => idle() && engine.getStatus().lastPassMs !== before,
    30_000,
  );
}

test('four files refused the same way: one alert, and one "resolved" once all are gone', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  const dir = await fs.mkdtemp('/tmp/rdl-file-failing-alerts-');
  try {
    const { hook, heard } = await alertLogHook(dir);
    await withHarness(
      {
        settings: { alertCommand: hook, alertFlapMinutes: 0, intervalSeconds: 3600 },
        engine: { clock },
      },
      async (h) => {
        for (const n of [1, 2, 3, 4])
          await h.drop(`RDL/bad${n}\x7f.csv`, 'a DEL character: Dropbox refuses the name');
        const startedMs = clock.now();
        await h.engine.start();
        const failing = (): string[] =>
          h.engine
            .getStatus()
            .problems.filter((p) => p.id.startsWith('file-failing:'))
            .map((p) => p.id);
        // Past each retry delay, pass after pass, until every file is shown as failing.
        await waitFor(
          'four failing files',
          async () => {
            await passAfterTheDelays(h.engine, () => (offsetMs += 5 * 60_000));
            return failing().length === 4;
          },
          60_000,
        );
        // Since each file first failed (the first pass, before the clock moved 5 min a pass),
        // not since its third failure, which raised it.
        for (const p of h.engine.getStatus().problems.filter((x) => x.id.startsWith('file-')))
          assert.ok(
            p.sinceMs < startedMs + 5 * 60_000,
            `${p.id} since ${p.sinceMs - startedMs} ms`,
          );
        await waitFor('the alert', async () => /raised/.test(await heard()));
        await new Promise((r) => setTimeout(r, 1_000)); // any others still on their way
        const raised = (await heard()).split('\n').filter((l) => l.startsWith('raised'));
        assert.equal(raised.length, 1, raised.join('\n'));
        assert.match(raised[0]!, /^raised files-failing:/);

        // All four removed: the condition is over, said once.
        for (const n of [1, 2, 3, 4])
          await fs.rm(`${h.transitDir}/RDL/bad${n}\x7f.csv`, { force: true });
        await waitFor(
          'the failures gone',
          async () => {
            h.engine.syncNow();
            await new Promise((r) => setTimeout(r, 200));
            return failing().length === 0;
          },
          30_000,
        );
        await waitFor('the resolved alert', async () => /cleared/.test(await heard()));
        await new Promise((r) => setTimeout(r, 1_000));
        const cleared = (await heard()).split('\n').filter((l) => l.startsWith('cleared'));
        assert.equal(cleared.length, 1, cleared.join('\n'));
        await h.engine.stop();
      },
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// Several files crossing the failing threshold in one pass: the status raises them one by one, and
// the alert followed the first snapshot, so the raise named one file ("RDL/bad1 failed 3 times")
// while the reminders named all four. Now the raise waits for the pass that found them to end.
test('four files failing in the same pass: the raise names all four', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  const dir = await fs.mkdtemp('/tmp/rdl-file-failing-raise-');
  try {
    // The alert command logs each alert's event and its words.
    const { hook, heard } = await alertLogHook(dir, 'heard.log', { words: true });
    await withHarness(
      {
        settings: { alertCommand: hook, alertFlapMinutes: 0, intervalSeconds: 3600 },
        engine: { clock },
      },
      async (h) => {
        for (const n of [1, 2, 3, 4])
          await h.drop(`RDL/bad${n}\x7f.csv`, 'a DEL character: Dropbox refuses the name');
        await h.engine.start();
        await waitFor(
          'the raise',
          async () => {
            await passAfterTheDelays(h.engine, () => (offsetMs += 5 * 60_000));
            return /^raised files-failing:/m.test(await heard());
          },
          60_000,
        );
        const raised = (await heard()).split('\n').filter((l) => l.startsWith('raised'));
        assert.equal(raised.length, 1, raised.join('\n'));
        assert.match(raised[0]!, /4 files keep failing the same way \(malformed-path\)/);
        for (const n of [1, 2, 3, 4]) assert.ok(raised[0]!.includes(`RDL/bad${n}`), raised[0]);
        await h.engine.stop();
      },
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
