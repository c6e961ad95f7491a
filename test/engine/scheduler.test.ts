import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassScheduler, cronProblem } from '../../src/engine/scheduler.js';
import { silentLogger } from '../../src/engine/ports.js';

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

test('cron expressions are checked', () => {
  assert.equal(cronProblem('*/5 * * * *'), null);
  assert.match(cronProblem('every five minutes') ?? '', /not a valid cron expression/);
});
