// The gate on one archive's calls (src/engine/archive/card-gate.ts): how many go out at once with
// the process's thread pool, in what order the rest go, and that waiting calls are refused at once
// when the archive is found hung. The engine test (card-stops-answering) has a real card stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallGate, cardCallsAtOnce, threadPoolSize } from '../../src/engine/archive/card-gate.js';
import { largeCopiesAtOnce } from '../../src/engine/legs/archive-leg.js';
import { archiveHungSince, withinDeadline } from '../../src/engine/archive/card-answers.js';

test('the pool is read as libuv reads UV_THREADPOOL_SIZE', () => {
  const pool = (v?: string) => threadPoolSize(v === undefined ? {} : { UV_THREADPOOL_SIZE: v });
  assert.equal(pool(), 4);
  assert.equal(pool('24'), 24);
  assert.equal(pool('0'), 1);
  assert.equal(pool('many'), 1);
  assert.equal(pool('5000'), 1024);
  assert.equal(pool('-3'), 1024);
});

test('calls on one archive at once leave threads to the rest, and one place beside large copies', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 24].map((n) => cardCallsAtOnce(n)),
    [1, 1, 2, 3, 23],
  );
  assert.deepEqual(
    [1, 2, 3, 22].map((n) => largeCopiesAtOnce(n)),
    [1, 1, 2, 2],
  );
});

test('the gate lets `capacity` out, the rest in order of arrival, and refuses the waiting at once', async () => {
  const gate = new CallGate(2);
  const order: string[] = [];
  const call = (name: string) =>
    gate.enter().then(
      () => void order.push(`${name} out`),
      (e: Error) => void order.push(`${name} refused: ${e.message}`),
    );
  const calls = ['a', 'b', 'c', 'd', 'e'].map(call);
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(order, ['a out', 'b out']);
  assert.equal(gate.inFlight, 2);
  gate.leave();
  await calls[2];
  assert.deepEqual(order, ['a out', 'b out', 'c out']);
  assert.equal(gate.inFlight, 2, 'a place left is taken by the next at once');
  gate.refuseWaiting(() => new Error('hung'));
  await Promise.all(calls);
  assert.deepEqual(order.slice(3), ['d refused: hung', 'e refused: hung']);
  gate.leave();
  gate.leave();
  assert.equal(gate.inFlight, 0);
  await call('f');
  assert.equal(gate.inFlight, 1);
});

test('a hung archive gets no more calls at once than the gate lets out; those waiting are refused once it is found hung', async () => {
  // (The deadline's timers are unref'd, as a hung card must not keep a process alive.)
  const alive = setInterval(() => undefined, 1_000);
  try {
    const place = { root: `/media/gate-test-${process.pid}`, card: true };
    const cap = cardCallsAtOnce();
    let started = 0;
    let release: () => void = () => undefined;
    const hangs = new Promise<void>((resolve) => (release = resolve));
    // Calls that never return until released, as on a card whose reader hung.
    const calls = Array.from({ length: cap + 3 }, () =>
      withinDeadline(
        place,
        async () => {
          started++;
          await hangs;
        },
        { deadlineMs: 50 },
      ).then(
        () => 'answered',
        (e: Error) => (/has not answered/.test(e.message) ? 'not answering' : e.message),
      ),
    );
    const outcomes = await Promise.all(calls);
    assert.equal(started, cap, "only the gate's places went to the card");
    assert.deepEqual(new Set(outcomes), new Set(['not answering']));
    assert.notEqual(archiveHungSince(place.root), null);
    release();
    for (let i = 0; i < 100 && archiveHungSince(place.root) !== null; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(archiveHungSince(place.root), null, 'answering again once they returned');
    assert.equal(
      await withinDeadline(place, async () => 'ok', { deadlineMs: 50 }),
      'ok',
      'and the gate has its places back',
    );
  } finally {
    clearInterval(alive);
  }
});
