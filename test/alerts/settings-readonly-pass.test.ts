// The settings folder's disk turns read-only (the kernel does that to a card with errors) while the
// daemon is idle, and the next pass, with a file to move, is the first to write there: its journal
// save fails before any status write has. The pass then checks the folder (pass-runner.ts,
// checkSettingsFolder) so the failure is told as what it is, one alert (settings-unwritable), not
// also as "A sync pass failed on an unexpected error (EROFS …)" a moment before the status write
// would have found the disk. No test covered that order: the full-disk test's status writes met the
// full disk first. A real engine publishing its status on a real tmpfs remounted read-only; the
// alert command's log on another disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { waitFor, readPublishedStatus } from '../cli/cli-harness.js';
import { remountReadOnly, smallTmpfs } from '../archive/helpers.js';
import { alertLogHook } from './loopback.js';

test('the settings disk read-only, first met by a pass: one alert (settings-unwritable), no failed pass', async (t) => {
  const dirs = await makeDirs();
  t.after(() => fs.rm(dirs.root, { recursive: true, force: true }));
  const emulator = await startEmulator();
  t.after(() => emulator.close());
  // Stopped before the small disk is unmounted (after hooks run in the order they are added): a
  // stop after it wrote its last status into a plain folder it made again, left in /tmp by every run.
  let engine: Awaited<ReturnType<typeof createEngine>> | null = null;
  t.after(() => engine?.stop());
  const configDir = smallTmpfs(t, 'rdl-ro-settings-pass-', 4096);
  const { hook, heard } = await alertLogHook(dirs.root);
  // Passes only when asked: nothing writes to the settings folder between them.
  await writeConfig(
    configDir,
    testSettings(dirs, emulator, {
      archiveEnabled: false,
      alertCommand: hook,
      intervalSeconds: 3600,
    }),
    emulator,
  );
  engine = await createEngine({ configDir, home: dirs.root, publishStatus: true });
  await engine.start();
  // The first pass over and its status written: no status write is on its way.
  await waitFor('the first pass published', async () => {
    const lastPass = engine.getStatus().lastPassMs;
    const published = await readPublishedStatus(configDir);
    return lastPass !== null && published?.status.lastPassMs === lastPass;
  });

  await fs.mkdir(path.join(dirs.watchDir, 'RDL'), { recursive: true });
  await fs.writeFile(path.join(dirs.watchDir, 'RDL', 'a.csv'), 'x\n');
  remountReadOnly(configDir);
  engine.syncNow();
  await waitFor('the read-only disk announced', async () =>
    /raised settings-unwritable/.test(await heard()),
  );
  // A later pass, also on the read-only disk, has ended: what was to be told has been.
  const after = engine.getStatus().lastPassMs ?? 0;
  engine.syncNow();
  await waitFor('another pass', async () => (engine.getStatus().lastPassMs ?? 0) > after);
  const heardNow = await heard();
  assert.doesNotMatch(heardNow, /pass-failed/, 'the failed pass is not a second alert');
  assert.deepEqual(
    engine.getStatus().problems.map((p) => p.id),
    ['settings-unwritable'],
  );
  // What the problem says is true: the file still went to Dropbox.
  assert.ok(emulator.getFile('/RDL/site1/RDL/a.csv'));
});
