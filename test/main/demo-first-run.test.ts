// "Try the demo" on a fresh install, as a newcomer meets it (user trial): the real engine is
// unconfigured (setup needed), the demo runs on its own emulator. Real engines, the real emulator
// and main's real IPC dispatcher and handlers; only the desktop (the browser) is a recorder.
// - The demo's log says nothing of a problem the person never saw: before, its engine opened on
//   an empty folder, raised "setup needed" and logged "problem resolved settings-invalid".
// - Connect to Dropbox in the demo opens the emulator's authorize page (http on 127.0.0.1):
//   before, main refused it as "not https" and logged the refusal. Plain http elsewhere stays
//   refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/index.js';
import { createDemoMode } from '../../src/main/demo-mode.js';
import { createAppLogger } from '../../src/main/log.js';
import { createDispatcher, ownWindowSenderCheck } from '../../src/main/ipc-dispatch.js';
import { createIpcHandlers } from '../../src/main/handlers.js';
import { settingsFields } from '../../src/main/settings-fields.js';
import { makeDirs } from '../engine/harness.js';
import { commandsFor, fakeAppServices, type Recorder } from './fakes.js';

const PAGE = 'rdl-sync://app/index.html';
const own = { webContentsId: 7, frameUrl: `${PAGE}#settings` };

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

test('Connect to Dropbox in the demo opens the emulator page on 127.0.0.1; plain http elsewhere stays refused', async () => {
  await withFreshDemo(async (demo, info) => {
    const rec: Recorder = { calls: [] };
    const app = fakeAppServices(rec);
    const dispatch = createDispatcher(
      createIpcHandlers(
        demo.engine,
        app,
        settingsFields,
        commandsFor(demo.engine, app, () => {}),
      ),
      ownWindowSenderCheck(() => [7], PAGE),
    );
    const started = await dispatch('connectDropboxStart', own, []);
    assert.ok(started.ok, JSON.stringify(started));
    const issued = (started.value as { authorizeUrl: string }).authorizeUrl;
    assert.ok(issued.startsWith(`${info.dropboxUrl}/`), issued);
    const opened = await dispatch('openAuthorizeUrl', own, [issued]);
    assert.deepEqual(opened, { ok: true, value: null });
    assert.deepEqual(rec.calls, [['openExternal', issued]]);

    // Plain http to anywhere but this machine is still refused before the handler runs.
    const port = new URL(info.dropboxUrl).port;
    for (const bad of [
      issued.replace('127.0.0.1', 'www.dropbox.com'),
      issued.replace('127.0.0.1', '127.0.0.1.example.net'),
      issued.replace('127.0.0.1', '10.0.0.1'),
      `http://user:pw@127.0.0.1:${port}/oauth2/authorize`,
    ]) {
      const r = await dispatch('openAuthorizeUrl', own, [bad]);
      assert.equal(r.ok, false, bad);
      assert.match(r.ok ? '' : r.error.message, /https:\/\/ address/, bad);
    }
    // A loopback page main did not issue is not opened either.
    const other = await dispatch('openAuthorizeUrl', own, [`http://localhost:${port}/other`]);
    assert.match(other.ok ? '' : other.error.message, /Only the Dropbox page RDL Sync made/);
    assert.equal(rec.calls.length, 1, 'nothing else opened');
  });
});
