// The settings folder's disk full (the hubs' most common fault, WORKLOAD.md) with files arriving:
// each pass fails to save the journal there, and status.json cannot be written either. One event,
// one alert: the settings-unwritable problem names the disk and the fix. Before, the failed pass
// was announced too, as "Syncing stopped on an unexpected error (ENOSPC: no space left on device,
// write) ... See the log" (a log on the full disk): two error emails for one full disk, the second
// naming no fix. A real engine publishing its status, as a daemon does; the alert command's log on
// another disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { waitFor } from '../cli/cli-harness.js';
import { canMount, fill, fillToTheByte, smallTmpfs } from '../archive/helpers.js';
import { alertLogHook } from './loopback.js';

// canMount is async: `skip: !canMount()` read a Promise, never skipped (a sandbox without mounts
// then failed these tests instead of skipping them).
const mountable = await canMount();

test(
  'a full settings disk with files arriving: one alert (settings-unwritable), not a second for the failed pass',
  { skip: !mountable && 'this sandbox does not allow mounts' },
  async (t) => {
    const dirs = await makeDirs();
    t.after(() => fs.rm(dirs.root, { recursive: true, force: true }));
    const emulator = await startEmulator();
    t.after(() => emulator.close());
    const configDir = smallTmpfs(t, 'rdl-full-settings-alerts-', 1024);
    const { hook, heard } = await alertLogHook(dirs.root);
    await writeConfig(
      configDir,
      testSettings(dirs, emulator, { archiveEnabled: false, alertCommand: hook }),
      emulator,
    );
    const engine = await createEngine({ configDir, home: dirs.root, publishStatus: true });
    t.after(() => engine.stop());
    await engine.start();
    const dataDir = path.join(dirs.watchDir, 'RDL');
    await fs.mkdir(dataDir, { recursive: true });

    // Full to the byte (the engine's own rewrites free a page now and then: filled again).
    const filler = await fill(configDir);
    let n = 0;
    await waitFor(
      'the full disk announced',
      async () => {
        await fillToTheByte(filler);
        await fs.writeFile(path.join(dataDir, `f${n++}.csv`), 'x\n');
        return /raised settings-unwritable/.test(await heard());
      },
      60_000,
    );
    // A few more passes on the full disk.
    for (let i = 0; i < 3; i++) {
      await fillToTheByte(filler);
      await fs.writeFile(path.join(dataDir, `g${i}.csv`), 'x\n');
      engine.syncNow();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // What the problem says is true: files still go to Dropbox meanwhile.
    await waitFor('a file that came on the full disk on Dropbox', async () => {
      await fillToTheByte(filler);
      return Boolean(emulator.getFile('/RDL/site1/RDL/g2.csv'));
    });
    const heardNow = await heard();
    assert.equal(heardNow.match(/raised settings-unwritable/g)?.length, 1, heardNow);
    assert.doesNotMatch(heardNow, /pass-failed/, 'the failed pass is not a second alert');
    const problems = engine.getStatus().problems.map((p) => p.id);
    assert.deepEqual(problems, ['settings-unwritable']);

    // Room again: the problem clears, one "resolved", and still nothing of a failed pass.
    await fs.rm(filler);
    await waitFor(
      'the resolved alert',
      async () => /cleared settings-unwritable/.test(await heard()),
      60_000,
    );
    assert.doesNotMatch(await heard(), /pass-failed/);
    await engine.stop();
  },
);
