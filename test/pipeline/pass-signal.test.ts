// A pass listens to its signal only while it runs. The engine's own passes (`once`, a "Sync now"
// before the schedule starts, the benches) are all given the engine's lifetime signal: a listener
// left on it by each pass kept that pass's flow and state alive until the engine stopped, and
// Node warned of a leak from the eleventh pass on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { runPass } from '../../src/engine/pipeline/pass.js';
import { PassTicks } from '../../src/engine/pipeline/pass-ticks.js';
import { withRig } from './pass-rig.js';

test('passes given one long-lived signal leave no listener on it', async () => {
  await withRig(async (r) => {
    const lifetime = new AbortController();
    const before = getEventListeners(lifetime.signal, 'abort').length;
    for (let i = 0; i < 3; i++) {
      await r.drop(`USB0/f${i}.csv`, `t,v\n${i},${i}\n`);
      const report = await runPass(
        r.deps,
        r.memory,
        lifetime.signal,
        i === 2 ? new PassTicks() : undefined,
      );
      assert.equal(report.uploaded, 1, `pass ${i + 1} uploaded its file`);
      assert.equal(
        getEventListeners(lifetime.signal, 'abort').length,
        before,
        `listeners on the signal after pass ${i + 1}`,
      );
    }
  });
});
