// A daemon started under a pause counts the queue once, in its passes' turn (see lifecycle.ts), so
// `rdl-sync status` names the files waiting in transit. Its stop waits for that turn: before, the
// count ran to its end first, and with a large queue (100,000 files on a hub whose pause outlived
// an upgrade) a stop right after start spent seconds of its deadline counting. Now a stop ends
// the count between files and nothing half-counted is published; left alone, the count completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';
import { createEngine } from '../../src/engine/engine.js';

const QUEUED = 2_000;

async function fillTransit(transitDir: string): Promise<void> {
  for (let day = 0; day < QUEUED / 100; day++) {
    const dir = path.join(transitDir, 'RDL', 'USB0', `2026-11-${String(day + 1).padStart(2, '0')}`);
    await fs.mkdir(dir, { recursive: true });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        fs.writeFile(path.join(dir, `RDL_${day}_${i}.csv`), `${day},${i}\n`),
      ),
    );
  }
}

test('a daemon started under a pause: a stop ends its count of the queue; unstopped, the count completes', async () => {
  await withHarness({}, async (h) => {
    await h.engine.pause(null);
    await h.engine.stop();
    await fillTransit(h.transitDir);

    // Stopped as soon as it has started: the count in its turn is abandoned, none published.
    const stoppedAtOnce = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      await stoppedAtOnce.start();
    } finally {
      await stoppedAtOnce.stop();
    }
    assert.equal(stoppedAtOnce.getStatus().paused, true);
    assert.equal(
      stoppedAtOnce.getStatus().counts.transit,
      0,
      'the stop waited for the whole count of the queue instead of ending it',
    );

    // The same start left running counts every file (the count itself still works).
    const leftRunning = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      await leftRunning.start();
      const deadline = Date.now() + 30_000;
      while (leftRunning.getStatus().counts.transit < QUEUED && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(leftRunning.getStatus().counts.transit, QUEUED);
      assert.equal(leftRunning.getStatus().paused, true, 'counting did not resume syncing');
    } finally {
      await leftRunning.stop();
    }
    const files = await fs.readdir(path.join(h.transitDir, 'RDL', 'USB0', '2026-11-01'));
    assert.equal(files.length, 100, 'nothing moved out of transit while paused');
  });
});
