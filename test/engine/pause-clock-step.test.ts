// A timed pause ends after its own length of time, whatever the wall clock does meanwhile. Its end
// is saved as a wall time (another process, `rdl-sync pause`, may have set it), and a Pi's clock
// stepped back by NTP two days into a one-hour pause kept the daemon paused for two more days.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PauseState, type PauseTarget } from '../../src/engine/services/pause-state.js';
import type { SettingsService } from '../../src/engine/services/settings-service.js';
import type { RuntimeState } from '../../src/engine/settings/store.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { silentLogger, type Clock } from '../../src/engine/ports.js';

const HOUR = 3_600_000;

test('a one-hour pause ends after an hour of monotonic time when the wall clock steps back two days', async () => {
  const clock = { wall: 1_800_000_000_000, mono: 5_000 };
  const twoHands: Clock = {
    now: () => clock.wall,
    monotonic: () => clock.mono,
    sleep: async () => {},
  };
  let state: RuntimeState = { paused: false, pausedUntilMs: null };
  const settings = {
    getState: () => state,
    // As the real store saves it: a running state carries nothing else (no pause start).
    setState: (patch: Partial<RuntimeState>) => {
      const next = { ...state, ...patch };
      return (state = next.paused ? next : { paused: false, pausedUntilMs: null });
    },
    async changeState(decide: (now: RuntimeState) => Partial<RuntimeState> | null) {
      const patch = decide(state);
      return patch ? settings.setState(patch) : state;
    },
    stateNotSaved: () => null,
  } as unknown as SettingsService;
  const status = new StatusModel(() => clock.wall);
  const calls: boolean[] = [];
  const target: PauseTarget = {
    setPaused: (p) => calls.push(p),
    triggerNow: () => {},
    isRunning: false,
  };
  const pause = new PauseState({
    settings,
    clock: twoHands,
    logger: silentLogger,
    status,
    target: () => target,
    syncAsked: () => {},
  });
  try {
    await pause.pause(HOUR);
    assert.equal(pause.paused, true);
    // Ten minutes on, NTP steps the clock back two days.
    clock.mono += 10 * 60_000;
    clock.wall += 10 * 60_000 - 48 * HOUR;
    pause.apply();
    assert.equal(pause.paused, true, 'still within its hour');
    // The hour is over on the monotonic clock; the wall clock reads two days before its end.
    clock.mono += 50 * 60_000 + 1;
    clock.wall += 50 * 60_000 + 1;
    pause.apply();
    assert.equal(pause.paused, false, 'resumed after an hour, not two days and an hour');
    await pause.settled();
    assert.deepEqual(state, { paused: false, pausedUntilMs: null }, 'saved for other processes');
    assert.deepEqual(calls, [true, false]);
  } finally {
    pause.stop();
  }
});

test('a pause of 30 days waits quietly: its timer is not set beyond what Node can hold', async () => {
  // Node fires a timer set beyond 2^31-1 ms (24.8 days) after 1 ms, with a warning: the resume
  // check ran again and again for the whole pause, a warning each time in the journal.
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  let state: RuntimeState = { paused: false, pausedUntilMs: null };
  let looks = 0;
  const settings = {
    getState: () => {
      looks++;
      return state;
    },
    async changeState(decide: (now: RuntimeState) => Partial<RuntimeState> | null) {
      const patch = decide(state);
      if (patch) state = { ...state, ...patch };
      return state;
    },
    stateNotSaved: () => null,
  } as unknown as SettingsService;
  const status = new StatusModel(() => Date.now());
  const pause = new PauseState({
    settings,
    clock: { now: () => Date.now(), monotonic: () => performance.now(), sleep: async () => {} },
    logger: silentLogger,
    status,
    target: () => ({ setPaused: () => {}, triggerNow: () => {}, isRunning: false }),
    syncAsked: () => {},
  });
  try {
    await pause.pause(30 * 24 * HOUR);
    const after = looks;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pause.paused, true);
    assert.equal(looks - after, 0, 'no look at the pause in the 300 ms after it began');
    assert.deepEqual(warnings, []);
  } finally {
    pause.stop();
    process.off('warning', onWarning);
  }
});
