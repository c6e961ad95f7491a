// The unsettled guard behind the real policy, with a fake clock: a logger that comes and goes
// (a condition of its own, not a leg) is told as one trouble; alertFlapMinutes 0 turns the guard
// off; a clock stepped back neither ends a hold nor stretches it. The card's flips through the
// real service and channels are in card-flapping.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertPolicy } from '../../src/engine/alerts/policy.js';
import { UnsettledGuard } from '../../src/engine/alerts/unsettled.js';
import type { Alert } from '../../src/engine/alerts/types.js';
import type { Problem } from '../../src/engine/status/types.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 6, 9, 0);

const silent: Problem = {
  id: 'source-silent:RDL/USB0',
  code: 'source-silent',
  severity: 'attention',
  message: 'No new file from RDL/USB0 for 2 h: check the logger and its cable',
  sinceMs: T0,
  tab: 'status',
};

/** Policy then guard, as the alert service runs them; `flapMinutes` for both. */
function chain(flapMinutes: number): (present: Problem[], atMs: number) => Alert[] {
  const policy = new AlertPolicy({ flapMs: flapMinutes * MIN, reminderMs: 0 });
  const guard = new UnsettledGuard();
  return (present, atMs) =>
    guard.update(present, policy.update({ problems: present }, atMs), atMs, flapMinutes * MIN);
}

/** The logger silent, then writing, in turn, every `everyMin` minutes, `flips` times. */
function flapping(
  run: (present: Problem[], atMs: number) => Alert[],
  flips: number,
  everyMin: number,
): { sent: string[]; endMs: number } {
  const sent: string[] = [];
  let at = T0;
  for (let i = 0; i < flips; i++) {
    at += everyMin * MIN;
    const present = i % 2 === 0 ? [{ ...silent, sinceMs: at }] : [];
    for (const a of run(present, at)) sent.push(`${a.kind} ${a.conditionId}`);
  }
  return { sent, endMs: at };
}

test('a logger going silent and back every 40 min: told at its second comeback with the note, then once when it has written steadily', () => {
  const run = chain(30);
  const { sent, endMs } = flapping(run, 12, 40);
  assert.deepEqual(sent, [
    'raised source-silent:RDL/USB0',
    'cleared source-silent:RDL/USB0',
    'raised source-silent:RDL/USB0',
  ]);
  // It writes on (the last flip left it writing): the "Resolved" at 30 min steady, not before.
  assert.deepEqual(run([], endMs + 29 * MIN), []);
  const settled = run([], endMs + 30 * MIN);
  assert.deepEqual(
    settled.map((a) => `${a.kind} ${a.conditionId}`),
    ['cleared source-silent:RDL/USB0'],
  );
  assert.match(
    settled[0]!.sentence,
    /^Resolved: a logger gone silent, which kept changing from 2026-12-06 09:40 UTC until 2026-12-06 17:00 UTC \(12 changes: a logger gone silent, gone\), and has stayed away since then\. It last read: “No new file from RDL\/USB0/,
  );
  assert.deepEqual(run([], endMs + 90 * MIN), [], 'nothing after it');
});

test('alertFlapMinutes 0: every flip told, as before the guard', () => {
  const { sent } = flapping(chain(0), 12, 40);
  assert.equal(sent.length, 12);
  assert.ok(
    sent.every((s, i) => s.startsWith(i % 2 === 0 ? 'raised' : 'cleared')),
    sent.join(),
  );
});

test('a clock stepped back during a hold: steady counts from the step, not ended by it', () => {
  const run = chain(30);
  const { sent, endMs } = flapping(run, 5, 40);
  assert.equal(sent.length, 3, sent.join());
  // The clock is set back two hours (NTP on a Pi without a real-time clock).
  const back = endMs - 120 * MIN;
  assert.deepEqual(run([{ ...silent, sinceMs: T0 }], back), []);
  assert.deepEqual(run([{ ...silent, sinceMs: T0 }], back + 29 * MIN), []);
  const settled = run([{ ...silent, sinceMs: T0 }], back + 30 * MIN);
  assert.deepEqual(
    settled.map((a) => `${a.kind} ${a.conditionId}`),
    ['reminder source-silent:RDL/USB0'],
  );
  assert.match(settled[0]!.sentence, / It has stayed so since /);
});
