// Hands-on trial: a Thumbs.db and a desktop.ini in the transit folder (Windows Explorer browsing
// the hub's share makes them; the watch folder ignores them, transit is the queue). Dropbox never
// stores such names, and the fix given was "rename the file in the transit folder; it is then
// synced under the new name": a thumbnail cache uploaded among the logger's data. Now the file is
// named as the operating system's and the fix is to delete it; the data beside it syncs. The real
// CLI (`once`), the emulator over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from './cli-harness.js';

test('a Thumbs.db in transit is named as a file of the operating system, to delete, not to rename; the data beside it syncs', async (t) => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-system-file-');
  t.after(async () => {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  });
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Sys' }), emulator);
  await writeFileIn(dirs.transitDir, 'cameras/reolink1/Thumbs.db', 'thumbnail cache');
  await writeFileIn(dirs.transitDir, 'cameras/reolink1/2026-12-06_10_00.jpg', 'jpeg bytes');
  const once = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(once.code, 1, once.stdout + once.stderr);
  const out = once.stdout + once.stderr;
  assert.match(out, /Thumbs\.db/);
  assert.match(out, /operating system makes .*delete it from the transit folder/);
  assert.doesNotMatch(out, /Thumbs\.db[^\n]*rename the file/);
  assert.ok(emulator.getFile('/RDL/Sys/cameras/reolink1/2026-12-06_10_00.jpg'), 'the data synced');
  assert.equal(emulator.getFile('/RDL/Sys/cameras/reolink1/Thumbs.db'), undefined);
});
