// "Try the demo" on a fresh install, as a newcomer meets it (user trial): the real engine is
// unconfigured (setup needed), the demo runs on its own emulator. Real engines, the real emulator.
// - The demo's log says nothing of a problem the person never saw: before, its engine opened on
//   an empty folder, raised "setup needed" and logged "problem resolved settings-invalid".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/index.js';
import { createDemoMode } from '../../src/main/demo-mode.js';
import { createAppLogger } from '../../src/main/log.js';
import { makeDirs } from '../engine/harness.js';

/** A fresh install (no settings) with its demo started; `use` gets both and the log file. */
async function withFreshDemo(
  use: (
    demo: ReturnType<typeof createDemoMode>,
    info: Awaited<ReturnType<ReturnType<typeof createDemoMode>['start']>>,
    demoLog: string,
  ) => Promise<void>,
): Promise<void> {
  const dirs = await makeDirs('rdl-demo-first-');
  const configDir = path.join(dirs.root, 'fresh-config');
  const logFile = path.join(dirs.root, 'logs', 'app.log');
  const logger = createAppLogger(logFile, 'debug');
  const real = await createEngine({ configDir, home: dirs.root, logger });
  const demo = createDemoMode({ real, configDir, home: dirs.root, logger });
  try {
    await demo.engine.start();
    assert.equal(demo.engine.getStatus().problems[0]?.code, 'setup-needed');
    const logBefore = fs.readFileSync(logFile, 'utf8');
    const info = await demo.start();
    assert.equal(demo.engine.getSettings().site, 'DemoLake');
    await use(demo, info, fs.readFileSync(logFile, 'utf8').slice(logBefore.length));
  } finally {
    await demo.engine.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
}

test('the demo on a fresh install logs no problem the person never saw', async () => {
  await withFreshDemo(async (_demo, _info, demoLines) => {
    assert.match(demoLines, /Demo started/);
    assert.doesNotMatch(demoLines, /problem resolved|"id":"settings-invalid"/, demoLines);
  });
});
