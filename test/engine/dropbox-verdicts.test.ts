// "Dropbox is full" is Dropbox's verdict: only its answer can lift it. A pass held back because
// the clock is not set (a remote folder named by the date, the clock read as 1970) asks Dropbox
// nothing, yet it cleared the problem: the alert policy then sent "No longer a problem: Dropbox is
// full" while it still was, and raised it again at the next upload. Real engine, the emulator
// through the real SDK, its quota really full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from './harness.js';

const JAN_1970_MS = 2 * 86_400_000;

test('a pass held back by a clock not set does not lift "Dropbox is full"; an upload Dropbox takes does', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness(
    {
      settings: { remoteRootTemplate: '/RDL/{site}/{year}-{month}', fleetHeartbeatEnabled: false },
      engine: { clock },
    },
    async (h) => {
      const gone: string[] = [];
      h.engine.onStatus((s) => {
        if (!s.problems.some((p) => p.id === 'quota-full')) gone.push(s.sentence);
      });
      h.emulator.setQuota(10);
      await h.drop('RDL/USB0/day.csv', 'ts,temp\n2026-12-03T00:00:00Z,3.9\n');
      const full = await h.engine.runPassNow();
      assert.equal(full.uploadBlocked?.code, 'quota-full');
      assert.ok(h.engine.getStatus().problems.some((p) => p.id === 'quota-full'));
      gone.length = 0;

      // The clock reads 3 January 1970 (as after a reset of a Pi's clock): uploads wait.
      offsetMs = JAN_1970_MS - Date.now();
      const held = await h.engine.runPassNow();
      assert.equal(held.uploadBlocked?.code, 'clock-not-set');
      const problems = h.engine.getStatus().problems.map((p) => p.id);
      assert.ok(problems.includes('clock-not-set'), problems.join(', '));
      assert.ok(problems.includes('quota-full'), `still full as far as anyone knows: ${problems}`);
      assert.deepEqual(gone, [], 'never shown as lifted');

      // The clock is set and Dropbox has room: the upload's answer lifts it.
      offsetMs = 0;
      h.emulator.setQuota(2 * 1024 ** 4);
      const done = await h.engine.runPassNow();
      assert.equal(done.uploadBlocked, null);
      assert.equal(done.uploaded, 1);
      assert.ok(!h.engine.getStatus().problems.some((p) => p.id === 'quota-full'));
    },
  );
});
