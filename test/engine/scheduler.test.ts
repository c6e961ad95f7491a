import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassScheduler } from '../../src/engine/scheduler.js';
import { cronProblem, loadCronCheck } from '../../src/engine/settings/cron-check.js';
import { silentLogger, type Clock, type Logger } from '../../src/engine/ports.js';

// Loaded on demand in the product (cron-check.ts says why); these tests check what it then says.
await loadCronCheck();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('passes never overlap; sync now during a pass queues exactly one more', async () => {
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const s = new PassScheduler(
    { mode: 'interval', intervalSeconds: 3600 },
    {
      logger: silentLogger,
      runPass: async () => {
        active++;
        runs++;
        maxActive = Math.max(maxActive, active);
        await sleep(150);
        active--;
      },
    },
  );
  s.start(); // first pass right away
  await sleep(30);
  assert.equal(s.isRunning, true);
  s.triggerNow();
  s.triggerNow();
  s.triggerNow();
  await sleep(30);
  await s.idle();
  assert.equal(maxActive, 1);
  assert.equal(runs, 2, 'three requests during one pass must coalesce into one more pass');
  assert.ok(
    s.nextRunMs !== null && s.nextRunMs > Date.now() + 3_000_000,
    'next pass a full interval later',
  );
  await s.stop();
});

test('interval passes repeat; pause skips them; sync now still runs while paused', async () => {
  let runs = 0;
  const s = new PassScheduler(
    { mode: 'interval', intervalSeconds: 1 },
    { logger: silentLogger, runPass: async () => void runs++ },
  );
  s.start();
  await sleep(2_300);
  assert.ok(runs >= 2, `only ${runs} passes in 2.3 s with a 1 s interval`);
  s.setPaused(true);
  const atPause = runs;
  await sleep(1_300);
  assert.equal(runs, atPause, 'a scheduled pass ran while paused');
  s.triggerNow();
  await sleep(50);
  await s.idle();
  assert.equal(runs, atPause + 1);
  await s.stop();
});

test('stop(abandon) aborts the running pass through its signal and waits for it', async () => {
  let aborted = false;
  const s = new PassScheduler(
    { mode: 'interval', intervalSeconds: 3600 },
    {
      logger: silentLogger,
      runPass: (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
    },
  );
  s.start();
  await sleep(30);
  await s.stop(true);
  assert.equal(aborted, true);
  assert.equal(s.isRunning, false);
});

test('a pause ends the running pass through its signal and drops a pass queued behind it', async () => {
  const reasons: string[] = [];
  let runs = 0;
  const s = new PassScheduler(
    { mode: 'interval', intervalSeconds: 3600 },
    {
      logger: silentLogger,
      runPass: (signal) => {
        runs++;
        return new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            reasons.push(String((signal.reason as Error).message));
            resolve();
          });
          setTimeout(resolve, 200);
        });
      },
    },
  );
  s.start();
  await sleep(30);
  s.triggerNow(); // queued behind the running pass
  s.setPaused(true);
  await s.idle();
  assert.deepEqual(reasons, ['paused']);
  assert.equal(runs, 1, 'the pass queued before the pause did not run');
  // Paused again (already paused): nothing to end. "Sync now" while paused runs in full.
  s.triggerNow();
  await sleep(10);
  s.setPaused(true);
  await s.idle();
  assert.equal(runs, 2);
  assert.deepEqual(reasons, ['paused'], 'a pass asked for while paused is not cut short');
  await s.stop();
});

test('"sync now" at start-up joins the first pass; while paused it makes that pass run', async () => {
  for (const paused of [false, true]) {
    let runs = 0;
    const s = new PassScheduler(
      { mode: 'interval', intervalSeconds: 3600 },
      { logger: silentLogger, runPass: async () => void runs++ },
    );
    s.setPaused(paused);
    s.start(); // the first pass is due at once
    s.triggerNow(); // the tray's "Sync now", clicked while the app starts
    await sleep(30);
    await s.idle();
    assert.equal(runs, 1, `paused ${paused}: one click, one pass`);
    await s.stop();
  }
});

test('a pause right after "sync now" at start-up drops it: the first pass does not run', async () => {
  let runs = 0;
  const s = new PassScheduler(
    { mode: 'interval', intervalSeconds: 3600 },
    { logger: silentLogger, runPass: async () => void runs++ },
  );
  s.start(); // the first pass is due at once
  s.triggerNow(); // "Sync now", clicked while the app starts: joins that pass
  s.setPaused(true); // then Pause, before it began
  await sleep(30);
  await s.idle();
  assert.equal(runs, 0, 'the pause came last: nothing runs');
  await s.stop();
});

test('cron expressions are checked', () => {
  assert.equal(cronProblem('*/5 * * * *'), null);
  assert.match(cronProblem('every five minutes') ?? '', /"every five minutes"/);
});

/** Wall time the test can step; monotonic time is the real one, as on a machine whose NTP steps. */
class SteppingClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  monotonic(): number {
    return performance.now();
  }
  sleep(ms: number): Promise<void> {
    return sleep(ms);
  }
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (m) => void warnings.push(m) };
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const stepMs of [-5 * 60_000, +5 * 60_000]) {
  test(`interval passes keep coming after the wall clock steps ${stepMs < 0 ? 'back' : 'forward'} 5 minutes`, async () => {
    const clock = new SteppingClock();
    const logger = recordingLogger();
    let runs = 0;
    const s = new PassScheduler(
      { mode: 'interval', intervalSeconds: 0.3 },
      { logger, clock, clockCheckMs: 50, runPass: async () => void runs++ },
    );
    s.start();
    try {
      await until('the first pass', () => runs >= 1 && !s.isRunning && s.nextRunMs !== null);
      clock.offsetMs = stepMs;
      const atStep = runs;
      await until('the step to be noticed', () => logger.warnings.length > 0);
      assert.match(logger.warnings[0]!, /wall clock stepped/);
      // Three more intervals' worth of passes: a wall-clock date would wait out the whole step.
      await until('three passes after the step', () => runs >= atStep + 3);
      // The next pass is shown in the stepped wall time, never before now nor beyond one interval.
      await until('a pass to be scheduled', () => !s.isRunning && s.nextRunMs !== null);
      const next = s.nextRunMs!;
      assert.ok(
        next >= clock.now() - 50 && next <= clock.now() + 300 + 50,
        `next pass shown at ${next - clock.now()} ms from the stepped now`,
      );
    } finally {
      await s.stop();
    }
  });
}

test('a cron schedule is re-armed when the wall clock steps; a step over the armed time runs the pass', async () => {
  const clock = new SteppingClock();
  const logger = recordingLogger();
  let runs = 0;
  const s = new PassScheduler(
    { mode: 'cron', cron: '0 0 1 1 *' }, // once a year: never fires by itself during the test
    { logger, clock, clockCheckMs: 3_600_000, runPass: async () => void runs++ },
  );
  s.start();
  try {
    const armed = s.nextRunMs;
    assert.ok(armed !== null && armed > Date.now());
    assert.equal(s.checkClock(), 0, 'no step, no re-arm');
    clock.offsetMs = -5 * 60_000;
    const back = s.checkClock();
    assert.ok(Math.abs(back + 5 * 60_000) < 1_000, `step seen as ${back} ms`);
    assert.equal(runs, 0, 'a backward step runs no pass');
    assert.equal(s.nextRunMs, armed, 're-armed for the same cron time');
    // Now the wall clock jumps past the armed time (a Pi whose saved time was a year behind).
    clock.offsetMs = armed! - Date.now() + 60_000;
    assert.ok(s.checkClock() > 0);
    await until('the skipped pass to run', () => runs === 1 && !s.isRunning);
    assert.equal(logger.warnings.length, 2);
  } finally {
    await s.stop();
  }
});

test('a pass that outlasts its interval is ticked every interval, and at each sync now; the ticks end with it', async () => {
  const ticksAt: number[] = [];
  let ticksAfterEnd = 0;
  let ended = false;
  let t0 = 0;
  const s = new PassScheduler(
    { mode: 'interval', intervalSeconds: 1 },
    {
      logger: silentLogger,
      runPass: async (_signal, ticks) => {
        if (t0) return; // the pass queued by the sync now below: nothing to watch
        t0 = Date.now();
        const stop = Date.now() + 2_500;
        while (Date.now() < stop) {
          const got = await Promise.race([ticks.next().then(() => true), sleep(stop - Date.now())]);
          if (got) ticksAt.push(Date.now() - t0);
        }
        ended = true;
        void ticks.next().then(() => ticksAfterEnd++);
      },
    },
  );
  s.start();
  try {
    await sleep(1_700);
    s.triggerNow(); // about 1.7 s in: a tick of its own
    await until('the long pass to end', () => ended);
    await s.idle();
    await sleep(1_200);
  } finally {
    await s.stop(true);
  }
  assert.equal(ticksAt.length, 3, `ticks at ${ticksAt.join(', ')} ms`);
  assert.ok(ticksAt[0]! >= 900 && ticksAt[0]! < 1_600, `first tick an interval in: ${ticksAt[0]}`);
  assert.ok(ticksAt[1]! >= 1_600 && ticksAt[1]! < 1_900, `sync now ticked: ${ticksAt[1]}`);
  assert.ok(ticksAt[2]! >= 1_900, `second interval tick: ${ticksAt[2]}`);
  assert.equal(ticksAfterEnd, 0, 'no tick reaches a pass that has ended');
});

test('cron: a tick that falls due while a pass runs reaches it', async () => {
  let ticked = false;
  let runs = 0;
  const s = new PassScheduler(
    { mode: 'cron', cron: '* * * * * *' }, // every second
    {
      logger: silentLogger,
      runPass: async (_signal, ticks) => {
        if (runs++ > 0) return;
        ticked = await Promise.race([
          ticks.next().then(() => true),
          sleep(3_000).then(() => false),
        ]);
      },
    },
  );
  s.start();
  try {
    await until('the first pass to end', () => runs > 0 && !s.isRunning, 6_000);
  } finally {
    await s.stop(true);
  }
  assert.equal(ticked, true, 'the cron tick during the pass reached it');
});
