// The alert service's start records the process in alerts-state.json. When that write fails (the
// settings disk full: the crash torture met a bare "rdl-sync run: ENOSPC: no space left on
// device, write" on a full one-card hub, the daemon exiting into systemd's restarts), the daemon
// must start anyway: the state only paces the digest, and the full disk is a problem of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startHarness } from '../engine/harness.js';

test('a daemon whose alert state cannot be written still starts and syncs', async () => {
  const h = await startHarness();
  try {
    // The state's temporary (per process) cannot be created: a folder holds its name.
    await fs.mkdir(path.join(h.configDir, `alerts-state.json.tmp-${process.pid}`));
    await h.engine.start();
    await h.drop('RDL/USB0/a.csv', 'ts,v\n1,2\n');
    await h.engine.runPassNow();
    assert.ok(h.emulator.getFile('/RDL/site1/RDL/USB0/a.csv'), 'uploaded');
    assert.equal(h.engine.getStatus().counts.failed, 0);
  } finally {
    await h.close();
  }
});
