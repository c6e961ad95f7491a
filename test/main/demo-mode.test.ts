// "Try the demo" (src/main/demo-mode.ts) with real engines and the real emulator, no window:
// beside a CONFIGURED real engine the demo switches the app to its own engine and folder, moves
// the sample files to its emulator and archive, and leaving (or quitting) deletes only
// `<config>/demo/`, with the real settings and login byte for byte as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/index.js';
import type { StatusSnapshot } from '../../src/engine/status/types.js';
import { createDemoMode } from '../../src/main/demo-mode.js';
import { createAppLogger } from '../../src/main/log.js';
import { listFilesRel, makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { until } from '../renderer/window-harness.js';

const SAMPLE_FILES = 9;

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    ['config.json', 'credentials.json'].map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
}

test('the demo runs beside a real config, and leaving or quitting removes only its folder', async () => {
  const dirs = await makeDirs('rdl-demo-mode-');
  const realEmulator = await startEmulator({});
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, realEmulator, { site: 'Real' }),
    realEmulator,
  );
  const before = snapshot(dirs.configDir);
  const logger = createAppLogger(path.join(dirs.root, 'logs', 'app.log'), 'debug');
  const real = await createEngine({ configDir: dirs.configDir, home: dirs.root, logger });
  const demo = createDemoMode({ real, configDir: dirs.configDir, home: dirs.root, logger });
  const seen: StatusSnapshot[] = [];
  demo.engine.onStatus((s) => seen.push(s));
  const demoDir = path.join(dirs.configDir, 'demo');
  let stopped = false;
  try {
    await demo.engine.start();
    assert.equal(demo.engine.settingsPath, path.join(dirs.configDir, 'config.json'));
    assert.equal(demo.state(), null);

    // Two clicks make one demo.
    const [a, b] = await Promise.all([demo.start(), demo.start()]);
    assert.deepEqual(a, b);
    assert.equal(a.folder, demoDir);
    assert.match(a.dropboxUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(a.dropboxUrl, realEmulator.url);
    assert.equal(demo.engine.settingsPath, path.join(demoDir, 'config', 'config.json'));
    assert.equal(demo.engine.getSettings().site, 'DemoLake');

    await until(
      'the sample files in the demo archive and done',
      async () =>
        (await listFilesRel(path.join(demoDir, 'archive'))).length === SAMPLE_FILES &&
        demo.engine.getStatus().counts.doneThisRun === SAMPLE_FILES,
      90_000,
    );
    const history = demo.engine.queryHistory({ limit: 50 });
    assert.equal(history.length, SAMPLE_FILES);
    for (const r of history) {
      assert.equal(r.upload.status, 'done', r.rel);
      assert.equal(r.archive.status, 'done', r.rel);
    }
    assert.ok(
      seen.some((s) => s.counts.doneThisRun === SAMPLE_FILES),
      'the window saw it',
    );
    // The real site's Dropbox and archive got nothing from the demo.
    assert.deepEqual(await listFilesRel(dirs.archiveDir), []);
    assert.deepEqual(snapshot(dirs.configDir), before);

    await demo.leave();
    assert.equal(fs.existsSync(demoDir), false);
    assert.equal(demo.state(), null);
    assert.equal(demo.engine.getSettings().site, 'Real');
    assert.deepEqual(snapshot(dirs.configDir), before, 'the real settings and login untouched');

    // Quitting during a demo stops both engines and removes the demo folder too.
    await demo.start();
    assert.equal(fs.existsSync(demoDir), true);
    await demo.engine.stop();
    stopped = true;
    assert.equal(fs.existsSync(demoDir), false);
    assert.deepEqual(snapshot(dirs.configDir), before);
  } finally {
    if (!stopped) await demo.engine.stop();
    await realEmulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
