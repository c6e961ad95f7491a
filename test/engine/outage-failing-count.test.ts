// A file that cannot leave the watch folder is one failing file, whatever Dropbox does. While
// Dropbox was out, each pass carried the last pass's count (the queue it left unwalked) with the
// watch folder's failing file in it, and counted that file again: "Failing: 9", then 18 and 21
// beside "… files waiting safely", for one file (hands-on alerts trial). Real engine, real folders,
// the emulator's port closed, a folder made immutable (chattr +i holds root too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { withHarness } from './harness.js';
import { systemClock, type Clock } from '../../src/engine/ports.js';

test('while Dropbox is out, a file failing in the watch folder is counted once at every pass', async () => {
  let now = Date.now();
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const engine = { clock, retry: { baseMs: 5, capMs: 10, maxAttempts: 2 } };
  await withHarness({ engine }, async (h) => {
    const locked = await h.drop('RDL/USB1/locked.txt', 't,v\n1,1\n');
    execFileSync('chattr', ['+i', path.dirname(locked)]);
    try {
      await h.engine.runPassNow();
      assert.equal(h.engine.getStatus().counts.failed, 1);
      await h.emulator.close();
      for (let pass = 1; pass <= 4; pass++) {
        await h.drop(`RDL/USB0/p${pass}.csv`, `t,v\n${pass},1\n`);
        now += 10 * 60_000;
        await h.engine.runPassNow();
        const s = h.engine.getStatus();
        assert.equal(s.state, 'offline');
        assert.equal(s.counts.transit, pass, `pass ${pass}: the new files wait in transit`);
        assert.equal(s.counts.failed, 1, `pass ${pass}: ${JSON.stringify(s.counts)}`);
      }
    } finally {
      execFileSync('chattr', ['-i', path.dirname(locked)]);
    }
  });
});
