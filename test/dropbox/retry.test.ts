// Backoff policy and retry loop, with an injected clock that records the waits instead of sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DropboxResponseError } from 'dropbox';
import type { Clock } from '../../src/engine/ports.js';
import { SyncError } from '../../src/engine/errors.js';
import {
  backoffDelayMs,
  contentionDelayMs,
  retryDelayMs,
  withRetry,
} from '../../src/engine/dropbox/retry.js';
import { classifyUnion } from '../../src/engine/dropbox/classify.js';

function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => 0,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      waits.push(ms);
    },
  };
}

const policy = {
  baseMs: 100,
  capMs: 1000,
  maxAttempts: 5,
  contentionBaseMs: 15_000,
  contentionCapMs: 300_000,
};

test('full jitter: the ceiling doubles per attempt up to the cap, the draw scales it', () => {
  assert.equal(
    backoffDelayMs(0, policy, () => 0.999),
    99,
  );
  assert.equal(
    backoffDelayMs(3, policy, () => 0.5),
    400,
  );
  assert.equal(
    backoffDelayMs(10, policy, () => 0.5),
    500,
    'capped at 1000',
  );
  assert.equal(
    backoffDelayMs(2, policy, () => 0),
    0,
  );
});

test('Retry-After is a floor, not replaced by backoff', () => {
  const e = new SyncError({
    kind: 'retry-after',
    code: 'rate-limited',
    message: 'x',
    retryAfterMs: 7000,
  });
  const d = retryDelayMs(e, 0, policy, () => 0.5);
  assert.ok(d >= 7000 && d < 7000 + 100, `${d}`);
});

test('transient errors are retried until success, waiting as told', async () => {
  const clock = recordingClock();
  let calls = 0;
  const result = await withRetry(
    async () => {
      calls++;
      if (calls === 1) throw new DropboxResponseError(500, new Headers(), '');
      if (calls === 2)
        throw new DropboxResponseError(429, new Headers({ 'Retry-After': '3' }), 'slow down');
      return 'done';
    },
    { policy, clock, random: () => 0.5 },
  );
  assert.equal(result, 'done');
  assert.equal(calls, 3);
  assert.equal(clock.waits.length, 2);
  assert.equal(clock.waits[0], 50);
  assert.ok(clock.waits[1]! >= 3000);
});

test('file-failed and blocked errors are not retried', async () => {
  const clock = recordingClock();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw new DropboxResponseError(400, new Headers(), { error: 'invalid_grant' });
      },
      { policy, clock },
    ),
    (e: unknown) => e instanceof SyncError && e.code === 'auth-revoked',
  );
  assert.equal(calls, 1);
  assert.equal(clock.waits.length, 0);
});

test('a network failure that outlasts the attempts becomes offline (blocked)', async () => {
  const clock = recordingClock();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      { policy, clock },
    ),
    (e: unknown) => e instanceof SyncError && e.kind === 'blocked' && e.code === 'offline',
  );
  assert.equal(calls, policy.maxAttempts);
});

test('an abort stops the loop with the abort reason, not a SyncError', async () => {
  const ac = new AbortController();
  const clock = recordingClock();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        ac.abort(new Error('stop now'));
        throw new DropboxResponseError(500, new Headers(), '');
      },
      { policy, clock, signal: ac.signal },
    ),
    /stop now/,
  );
  assert.equal(calls, 1);
});

test('lock contention without Retry-After: waits from 15 s, growing to minutes, with jitter', () => {
  const err = classifyUnion({ '.tag': 'too_many_write_operations' });
  assert.equal(err.code, 'write-contention');
  assert.equal(err.retryAfterMs, undefined, 'no invented server delay');
  const low = [0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(err, n, policy, () => 0));
  const high = [0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(err, n, policy, () => 0.999));
  assert.deepEqual(low, [7500, 15_000, 30_000, 60_000, 120_000, 150_000]);
  for (const [i, h] of high.entries()) {
    assert.ok(h > (low[i] ?? 0), 'jitter spreads the wait');
    // Below the cap each wait is at least the longest previous one.
    if (i > 0 && i < 5)
      assert.ok((low[i] ?? 0) >= (high[i - 1] ?? 0) - 1, 'each wait at least the last');
  }
  assert.equal(
    contentionDelayMs(20, policy, () => 0.999),
    299_850,
    'capped at 5 minutes',
  );
});
