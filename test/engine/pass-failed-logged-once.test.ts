// A pass that fails is one error line in the log, not two. The pass runner logs the failure (with
// its reason) and the scheduler that ran the pass logged the same failure again, so every failed
// pass of a daemon read as two failures to an operator reading a hub's log. The real engine with
// its scheduler, its settings folder on a full tmpfs (the journal cannot be saved: every pass
// that has a file to record fails as a whole).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig } from './harness.js';
import { RecordingLogger } from '../dropbox/helpers.js';
import { waitFor } from '../cli/cli-harness.js';
import { canMount, fill, smallTmpfs } from '../archive/helpers.js';

test('a failed pass is logged once, with its reason', { skip: !canMount() }, async (t) => {
  const dirs = await makeDirs();
  t.after(() => fs.rm(dirs.root, { recursive: true, force: true }));
  const emulator = await startEmulator();
  t.after(() => emulator.close());
  // The settings folder on a disk of its own, small enough to fill in a moment.
  const configDir = smallTmpfs(t, 'rdl-pass-failed-config-', 1024);
  await writeConfig(configDir, testSettings(dirs, emulator, { archiveEnabled: false }), emulator);
  const logger = new RecordingLogger();
  const engine = await createEngine({
    configDir,
    home: dirs.root,
    logger,
    retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
  });
  t.after(() => engine.stop());
  const failures = (): string[] =>
    logger.lines.filter((l) => l.startsWith('error ') && l.includes('pass failed'));
  // Passes ended, from the status's "a pass is running" turning off.
  let ended = 0;
  let running = false;
  const off = engine.onStatus((s) => {
    if (running && !s.passRunning) ended++;
    running = s.passRunning === true;
  });
  try {
    // Started first (a start on a full settings disk is refused, as it should be), then full.
    await engine.start();
    await fill(configDir);
    await fs.mkdir(path.join(dirs.watchDir, 'RDL'), { recursive: true });
    await fs.writeFile(path.join(dirs.watchDir, 'RDL', 'a.csv'), 'a\n');
    // Passes every 2 s, each failing to save the file's journal entry.
    await waitFor('three failed passes', async () => failures().length >= 3, 30_000);
    await engine.stop();
  } finally {
    off();
  }
  const lines = failures();
  for (const line of lines) assert.match(line, /"reason":"[^"]+"/);
  // One line per pass that ended (a pass cut short by the stop logs none).
  assert.ok(
    lines.length <= ended,
    `${lines.length} "pass failed" lines for ${ended} passes:\n${lines.join('\n')}`,
  );
  assert.ok(
    engine.getStatus().problems.length > 0,
    'the failure is a visible problem, not only a log line',
  );
});
