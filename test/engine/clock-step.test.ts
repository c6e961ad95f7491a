// Durations run on the monotonic clock; a wall-clock step (NTP on a Pi without a real-time clock)
// must not stretch a stability wait or a retry back-off by the size of the step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import { fileRetryDelayMs, retryDue } from '../../src/engine/pipeline/problems.js';
import type { Clock } from '../../src/engine/ports.js';

/** Wall and monotonic time moved by hand, independently. */
class TwoHandClock implements Clock {
  constructor(
    public wall: number,
    public mono = 1_000,
  ) {}
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  async sleep(ms: number): Promise<void> {
    this.wall += ms;
    this.mono += ms;
  }
}

for (const stepMs of [-5 * 60_000, 5 * 60_000]) {
  test(`a file is stable after stableSeconds of monotonic time, across a ${stepMs / 60_000} min wall-clock step`, async () => {
    const watch = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-clockstep-'));
    try {
      const t0 = Date.now();
      const clock = new TwoHandClock(t0);
      const scanner = new StabilityScanner({
        watchDir: watch,
        stableSeconds: 10,
        ignorePatterns: [],
        clock,
      });
      const p = path.join(watch, 'log.csv');
      await fs.writeFile(p, 'a,b\n');
      await fs.utimes(p, t0 / 1000, t0 / 1000); // written just now
      let r = await scanner.scan();
      assert.equal(r.stable.length, 0, 'first sighting of a fresh file');
      clock.wall += stepMs; // the step, no time passes
      clock.mono += 5_000;
      clock.wall += 5_000;
      r = await scanner.scan();
      if (stepMs < 0) assert.equal(r.stable.length, 0, '5 s of the 10 s wait');
      clock.mono += 5_000;
      clock.wall += 5_000;
      r = await scanner.scan();
      assert.deepEqual(
        r.stable.map((f) => f.rel),
        ['log.csv'],
        'unchanged for 10 s of monotonic time: stable, whatever the wall clock did',
      );
    } finally {
      await fs.rm(watch, { recursive: true, force: true });
    }
  });
}

test('a retry back-off is never longer than its own delay, even after a backward step', () => {
  const now = 1_000_000_000;
  const entry = { attempts: 2, nextTryMs: now + fileRetryDelayMs(2) };
  assert.equal(retryDue(entry, now), false, 'waiting its full delay');
  assert.equal(retryDue(entry, now + fileRetryDelayMs(2)), true, 'delay over');
  // The wall clock stepped back 5 minutes: the saved retry time is now 5 min + 1 min away.
  assert.equal(retryDue(entry, now - 5 * 60_000), true, 'a wait beyond the delay is a clock step');
  assert.equal(retryDue({ attempts: 0, nextTryMs: 0 }, now), true, 'a fresh entry is due');
  // A file that changed in transit waits its settle time, longer than the first back-off.
  const settling = { attempts: 0, nextTryMs: now + 120_000 };
  assert.equal(retryDue(settling, now, 120_000), false, 'settling for stableSeconds');
  assert.equal(retryDue(settling, now - 5 * 60_000, 120_000), true, 'stretched by a step: due');
});
