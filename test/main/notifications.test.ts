import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotificationPolicy } from '../../src/main/notifications.js';
import { problemFixture, statusFixture } from './status-fixture.js';

const MIN = 60_000;

function setup(
  options: { perConditionMs?: number; globalMax?: number; globalWindowMs?: number } = {},
) {
  let now = 1_000_000;
  const policy = new NotificationPolicy({ now: () => now, ...options });
  return {
    policy,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const sdMissing = statusFixture({ state: 'attention', problems: [problemFixture()] });
const healthy = statusFixture();

test('a problem is announced once when raised and once when it clears', () => {
  const { policy, advance } = setup();
  const raised = policy.update(sdMissing, 60);
  assert.equal(raised.length, 1);
  assert.equal(raised[0]?.kind, 'raised');
  assert.equal(raised[0]?.conditionId, 'archive-missing');
  assert.equal(raised[0]?.body, problemFixture().message);
  assert.equal(raised[0]?.tab, 'status');

  for (let i = 0; i < 5; i++) {
    advance(MIN);
    assert.deepEqual(policy.update(sdMissing, 60), [], 'still missing: no repeat');
  }
  advance(MIN);
  const cleared = policy.update(healthy, 60);
  assert.deepEqual(
    cleared.map((n) => [n.kind, n.conditionId]),
    [['cleared', 'archive-missing']],
  );
  assert.deepEqual(policy.update(healthy, 60), []);
});

test('a flapping condition is announced at most once per throttle window, then again if it lasts', () => {
  const { policy, advance } = setup({ perConditionMs: 30 * MIN });
  assert.equal(policy.update(sdMissing, 60).length, 1);
  advance(MIN);
  assert.equal(policy.update(healthy, 60).length, 1, 'clear is shown');
  advance(MIN);
  assert.deepEqual(policy.update(sdMissing, 60), [], 're-raise inside the window is held back');
  advance(MIN);
  assert.deepEqual(policy.update(healthy, 60), [], 'a clear for an unannounced raise is not shown');
  advance(MIN);
  assert.deepEqual(policy.update(sdMissing, 60), []);
  advance(30 * MIN);
  const later = policy.update(sdMissing, 60);
  assert.deepEqual(
    later.map((n) => n.kind),
    ['raised'],
    'still there after the window: announced',
  );
});

test('the global cap limits notices across conditions; held-back raises come later', () => {
  const { policy, advance } = setup({ globalMax: 2, globalWindowMs: 10 * MIN });
  const many = statusFixture({
    state: 'attention',
    problems: ['a.csv', 'b.csv', 'c.csv'].map((rel) =>
      problemFixture({
        id: `file-failing:${rel}`,
        code: 'file-unreadable',
        tab: 'transfers',
        message: `${rel} cannot be read.`,
      }),
    ),
  });
  const first = policy.update(many, 60);
  assert.equal(first.length, 2);
  assert.equal(first[0]?.tab, 'transfers');
  advance(MIN);
  assert.deepEqual(policy.update(many, 60), [], 'cap reached');
  advance(10 * MIN);
  const rest = policy.update(many, 60);
  assert.deepEqual(
    rest.map((n) => n.conditionId),
    ['file-failing:c.csv'],
  );
});

test('offline is announced only after offlineAlertMinutes, and its clear follows', () => {
  const { policy, advance } = setup();
  const offline = statusFixture({
    state: 'offline',
    sentence: 'Dropbox is unreachable; retrying.',
  });
  assert.deepEqual(policy.update(offline, 30), []);
  advance(29 * MIN);
  assert.deepEqual(policy.update(offline, 30), [], 'not yet');
  advance(MIN);
  const raised = policy.update(offline, 30);
  assert.equal(raised.length, 1);
  assert.equal(raised[0]?.conditionId, 'offline');
  assert.match(raised[0]?.body ?? '', /more than 30 min/);
  advance(MIN);
  assert.deepEqual(
    policy.update(healthy, 30).map((n) => n.kind),
    ['cleared'],
  );
});

test('a short outage below the alert delay says nothing at all, raise or clear', () => {
  const { policy, advance } = setup();
  const offline = statusFixture({ state: 'offline' });
  policy.update(offline, 60);
  advance(10 * MIN);
  assert.deepEqual(policy.update(offline, 60), []);
  advance(MIN);
  assert.deepEqual(policy.update(healthy, 60), []);
  advance(MIN);
  assert.deepEqual(policy.update(offline, 60), [], 'a new outage starts its own delay');
});

test('an offline problem from the engine counts from its sinceMs', () => {
  const { policy, now } = setup();
  const offline = statusFixture({
    state: 'offline',
    problems: [problemFixture({ id: 'offline', code: 'offline', sinceMs: now() - 61 * MIN })],
  });
  assert.deepEqual(
    policy.update(offline, 60).map((n) => n.conditionId),
    ['offline'],
  );
});
