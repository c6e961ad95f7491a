// RepeatQuieter: which lines of a condition that holds are written, on a clock moved by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPEAT_REMINDER_MS, RepeatQuieter } from '../../src/engine/log/repeats.js';

test('the first line of a kind is written, repeats are held back and counted, a reminder after the interval says how many', () => {
  let now = 1_000;
  const q = new RepeatQuieter(() => now);
  assert.equal(q.admit('network'), 0, 'a first line is written');
  assert.equal(q.admit('network'), null);
  now += REPEAT_REMINDER_MS - 1;
  assert.equal(q.admit('network'), null, 'still within the interval');
  assert.equal(q.admit('rate-limited'), 0, 'another kind is not held back by this one');
  now += 1;
  assert.equal(q.admit('network'), 2, 'the reminder counts the two held back');
  assert.equal(q.admit('network'), null, 'and starts a new interval');
});

test('settled: the next line of that kind, or of every kind, is written at once', () => {
  const q = new RepeatQuieter(() => 0, 60_000); // time plays no part here
  q.admit('network');
  q.admit('offline');
  assert.equal(q.admit('network'), null);
  q.settled('network');
  assert.equal(q.admit('network'), 0, 'settled: written again, nothing counted');
  assert.equal(q.admit('offline'), null, 'the other kind still holds');
  q.settled();
  assert.equal(q.admit('offline'), 0);
});

test('a clock step back neither floods nor silences for ever: the interval is on the clock given (monotonic in the engine)', () => {
  let now = 10 * REPEAT_REMINDER_MS;
  const q = new RepeatQuieter(() => now);
  q.admit('network');
  now -= 5 * REPEAT_REMINDER_MS; // only a wall clock could do this; the engine passes a monotonic one
  assert.equal(q.admit('network'), null);
  now += 6 * REPEAT_REMINDER_MS;
  assert.equal(q.admit('network'), 1);
});

test('the kinds remembered are bounded: the oldest are forgotten first', () => {
  const q = new RepeatQuieter(() => 0);
  for (let i = 0; i < 200; i++) q.admit(`kind-${i}`);
  assert.equal(q.admit('kind-199'), null, 'a recent kind is still held back');
  assert.equal(q.admit('kind-0'), 0, 'the oldest was forgotten, so it is written');
});
