// A running daemon writes status.json at least once a minute, changed or not, so that a status
// that stops being written means a process that stopped running: `rdl-sync status` then says it
// may be stuck (cli/stale-status.ts). Before, a daemon frozen in the middle of a pass (kill -STOP
// mid-upload, in an integrity trial) was shown "Syncing 1 file…" as current for good. The real
// publisher and file, the interval shortened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { publishStatus } from '../../src/engine/services/status-publishing.js';
import { readStatusFile } from '../../src/engine/status/status-file.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { silentLogger, systemClock } from '../../src/engine/ports.js';

test('status.json is written again while nothing changes, and no more once stopped', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-keep-alive-'));
  const status = new StatusModel(() => Date.now());
  const publishing = publishStatus(dir, status, systemClock, silentLogger, () => true, 100);
  try {
    const first = await waitForFile(dir);
    let later = first;
    for (let i = 0; i < 50 && later.updatedAtMs === first.updatedAtMs; i++) {
      await new Promise((r) => setTimeout(r, 100));
      later = (await readStatusFile(dir))!;
    }
    assert.ok(later.updatedAtMs > first.updatedAtMs, 'written again with nothing changed');
    assert.deepEqual(later.status, first.status);
    await publishing.stop();
    const final = (await readStatusFile(dir))!;
    assert.equal(final.pid, null);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await readStatusFile(dir))!.updatedAtMs, final.updatedAtMs, 'stopped: no more');
  } finally {
    await publishing.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

async function waitForFile(dir: string) {
  for (let i = 0; i < 100; i++) {
    const read = await readStatusFile(dir);
    if (read) return read;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('status.json never written');
}
