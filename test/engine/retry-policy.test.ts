// The numbers in src/engine/retry-policy.ts are the ones in force: a real engine, with no retry
// option of its own, against the emulator answering 503. The clock records each back-off instead
// of sleeping it and lets the test move wall time, so no test waits out a real delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from './harness.js';
import type { Clock } from '../../src/engine/ports.js';
import { CALL_RETRY, FILE_FAILING_THRESHOLD, FILE_RETRY } from '../../src/engine/retry-policy.js';

// A small file's upload opens its session in a batch, and alone when the batch keeps failing.
const START_ROUTES = ['files/upload_session/start_batch', 'files/upload_session/start'];

/** Wall time the test moves by hand; sleeps are recorded and return at once. */
function steppedClock(): Clock & { waits: number[]; advance(ms: number): void } {
  let offset = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now() + offset,
    monotonic: () => performance.now() + offset,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      waits.push(ms);
    },
    advance(ms) {
      offset += ms;
    },
  };
}

test('a pass retries a 503 with the policy’s attempts and back-off ceilings, then the file backs off and is named at the threshold', async () => {
  const clock = steppedClock();
  // `retry: {}` overrides nothing (the harness's own fast retries are replaced): what the engine
  // uses is what the policy module says.
  await withHarness({ engine: { retry: {}, clock } }, async (h) => {
    for (const route of START_ROUTES)
      h.emulator.addFault({
        route,
        kind: 'server_error',
        status: 503,
        noRetryAfter: true,
        times: 1e3,
      });
    const tries = () => START_ROUTES.map((route) => h.emulator.stats()[route] ?? 0);
    const everyRouteTried = Array(START_ROUTES.length).fill(CALL_RETRY.maxAttempts);
    await h.drop('RDL/USB0/stuck.csv', 'day one\n');

    // Pass 1: each call tried CALL_RETRY.maxAttempts times, with full-jitter waits under each
    // ceiling (one series of waits per call).
    h.emulator.resetStats();
    const first = await h.engine.runPassNow();
    assert.equal(first.fileFailures, 1, 'the file failed alone');
    assert.deepEqual(tries(), everyRouteTried);
    const perCall = CALL_RETRY.maxAttempts - 1;
    assert.equal(clock.waits.length, perCall * START_ROUTES.length, 'a wait between tries');
    clock.waits.forEach((ms, i) => {
      const attempt = i % perCall;
      const ceiling = Math.min(CALL_RETRY.capMs, CALL_RETRY.baseMs * 2 ** attempt);
      assert.ok(ms >= 0 && ms < ceiling, `wait ${attempt + 1}: ${ms} ms, ceiling ${ceiling} ms`);
    });
    const [failure] = await h.engine.listFailures();
    assert.equal(failure?.rel, 'RDL/USB0/stuck.csv');
    assert.equal(failure?.attempts, 1);

    // The file's own back-off: not tried again before FILE_RETRY.firstMs has passed.
    h.emulator.resetStats();
    clock.advance(FILE_RETRY.firstMs - 5_000);
    await h.engine.runPassNow();
    assert.deepEqual(tries(), [0, 0], 'still backing off');

    // From then on each try doubles the wait; the problem appears at exactly the threshold.
    for (let attempts = 2; attempts <= FILE_FAILING_THRESHOLD; attempts++) {
      clock.advance(FILE_RETRY.firstMs * 2 ** (attempts - 1));
      h.emulator.resetStats();
      await h.engine.runPassNow();
      assert.deepEqual(tries(), everyRouteTried, `try ${attempts}`);
      const failing = h.engine
        .getStatus()
        .problems.some((p) => p.id === 'file-failing:RDL/USB0/stuck.csv');
      assert.equal(failing, attempts >= FILE_FAILING_THRESHOLD, `problem after ${attempts} tries`);
    }
    const [last] = await h.engine.listFailures();
    assert.equal(last?.attempts, FILE_FAILING_THRESHOLD);
  });
});
