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
import {
  createDemoMode,
  DEMO_FIXED_MESSAGE,
  demoFolder,
  removeLeftoverDemo,
} from '../../src/main/demo-mode.js';
import { createAppLogger } from '../../src/main/log.js';
import { listFilesRel, makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { until } from '../renderer/window-harness.js';
import { readPublishedStatus } from '../cli/cli-harness.js';

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

/** Every file under `dir` except the demo's folder, with its content. */
function filesOutsideDemo(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === 'demo') continue;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (e.isFile()) out.set(r, fs.readFileSync(path.join(d, e.name), 'utf8'));
    }
  };
  walk(dir, '');
  return out;
}

test('a demo folder left by a crash is removed at app start, and nothing else', async () => {
  const dirs = await makeDirs('rdl-demo-leftover-');
  const emulator = await startEmulator({});
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Real' }), emulator);
    const before = snapshot(dirs.configDir);
    const logFile = path.join(dirs.root, 'logs', 'app.log');
    const logger = createAppLogger(logFile, 'debug');
    // What a demo killed mid-run leaves: its settings, login, a sample file half moved.
    const demoDir = demoFolder(dirs.configDir);
    fs.mkdirSync(path.join(demoDir, 'config'), { recursive: true });
    fs.mkdirSync(path.join(demoDir, 'transit', 'RDL'), { recursive: true });
    fs.writeFileSync(path.join(demoDir, 'config', 'credentials.json'), '{"refreshToken":"x"}');
    fs.writeFileSync(path.join(demoDir, 'transit', 'RDL', 'sample.csv'), 'a,b\n');

    assert.equal(await removeLeftoverDemo(dirs.configDir, logger), true);
    assert.equal(fs.existsSync(demoDir), false, 'the leftover demo is gone');
    assert.deepEqual(snapshot(dirs.configDir), before, 'the real settings and login untouched');
    assert.match(fs.readFileSync(logFile, 'utf8'), /Removed a demo folder left by an earlier run/);
    // Nothing there: nothing done, nothing logged.
    assert.equal(await removeLeftoverDemo(dirs.configDir, logger), false);

    // A `demo` that is a link to elsewhere goes as a link; what it points at stays.
    const elsewhere = path.join(dirs.root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'keep.txt'), 'keep');
    fs.symlinkSync(elsewhere, demoDir);
    assert.equal(await removeLeftoverDemo(dirs.configDir, logger), true);
    assert.equal(fs.existsSync(demoDir), false);
    assert.equal(fs.readFileSync(path.join(elsewhere, 'keep.txt'), 'utf8'), 'keep');
  } finally {
    await emulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('the demo writes no status.json, alert or heartbeat into the real config or the real Dropbox', async () => {
  const dirs = await makeDirs('rdl-demo-isolated-');
  const realEmulator = await startEmulator({});
  // Configured, as the tray app runs it: status.json published, the settings file followed.
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, realEmulator, { site: 'Real' }),
    realEmulator,
  );
  const logFile = path.join(dirs.root, 'logs', 'app.log');
  const logger = createAppLogger(logFile, 'debug');
  const real = await createEngine({
    configDir: dirs.configDir,
    home: dirs.root,
    logger,
    publishStatus: true,
    watchConfig: true,
  });
  const demo = createDemoMode({ real, configDir: dirs.configDir, home: dirs.root, logger });
  // As main.ts wires desktop notices: to the real engine's alerts, subscribed at start.
  const alerts: unknown[] = [];
  demo.engine.alerts.onAlert((a) => alerts.push(a));
  const realHeartbeat = '/RDL/_fleet/Real.json';
  try {
    await demo.engine.start();
    await until(
      "the real engine's status.json and heartbeat",
      async () =>
        (await readPublishedStatus(dirs.configDir)) !== null &&
        realEmulator.getFile(realHeartbeat) !== undefined,
      30_000,
    );
    const realFilesBefore = realEmulator.listFiles().map((f) => f.pathDisplay);

    const info = await demo.start();
    await until(
      'the sample files done and the demo heartbeat written (to its own emulator)',
      () =>
        demo.engine.getStatus().counts.doneThisRun === SAMPLE_FILES &&
        /fleet heartbeat written.*DemoLake/.test(fs.readFileSync(logFile, 'utf8')),
      90_000,
    );
    // A status change of the real engine is published while the demo runs, and is its own.
    real.syncNow();
    await until(
      'status.json rewritten by the real engine during the demo',
      async () => ((await readPublishedStatus(dirs.configDir))?.status.lastPassMs ?? 0) > 0,
      30_000,
    );
    const published = (await readPublishedStatus(dirs.configDir))!;
    assert.equal(published.pid, process.pid);
    assert.equal(published.status.counts.doneThisRun, 0, 'not the demo counts');
    assert.equal(published.status.counts.doneThisRun, real.getStatus().counts.doneThisRun);
    for (const [rel, content] of filesOutsideDemo(dirs.configDir)) {
      assert.doesNotMatch(content, /DemoLake/, `${rel} mentions the demo`);
      assert.ok(!content.includes(info.dropboxUrl), `${rel} names the demo's Dropbox`);
      assert.ok(!content.includes(info.folder), `${rel} names the demo's folder`);
    }
    // The real Dropbox got nothing from the demo: no files, no DemoLake heartbeat.
    const realFilesAfter = realEmulator.listFiles().map((f) => f.pathDisplay);
    assert.deepEqual(
      realFilesAfter.filter((p) => !realFilesBefore.includes(p) && p !== realHeartbeat),
      [],
    );
    assert.ok(!realFilesAfter.some((p) => /demo/i.test(p)), realFilesAfter.join(', '));
    assert.deepEqual(alerts, [], 'no alert reached the desktop from the demo');
  } finally {
    await demo.engine.stop();
    await realEmulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

// The trial that found it: Try the demo, Settings, the watch folder set to a real folder, Save:
// "Saved", the demo moved the person's file into its archive, and Leave the demo deleted it.
test('in the demo, folders, Dropbox and alert channels cannot be changed; an import waits for leaving', async () => {
  const dirs = await makeDirs('rdl-demo-fixed-');
  const realEmulator = await startEmulator({});
  await writeConfig(dirs.configDir, testSettings(dirs, realEmulator, { site: 'Real' }), null);
  const logger = createAppLogger(path.join(dirs.root, 'logs', 'app.log'), 'debug');
  const real = await createEngine({ configDir: dirs.configDir, home: dirs.root, logger });
  const demo = createDemoMode({ real, configDir: dirs.configDir, home: dirs.root, logger });
  const mine = path.join(dirs.root, 'my-logger');
  const precious = path.join(mine, 'RDL', 'USB0', 'precious.csv');
  fs.mkdirSync(path.dirname(precious), { recursive: true });
  fs.writeFileSync(precious, 't,v\n1,2\n');
  try {
    await demo.engine.start();
    await demo.start();
    const form = { ...demo.engine.getSettings() };
    const live = demo.engine.validateSettings({ ...form, watchDir: mine });
    assert.deepEqual(!live.ok && live.issues.map((i) => i.field), ['watchDir']);
    const saved = await demo.engine.saveSettings(
      { ...form, watchDir: mine, alertEmailTo: ['boss@example.org'], intervalSeconds: 30 },
      form,
    );
    assert.equal(saved.ok, false);
    assert.deepEqual(!saved.ok && saved.issues.map((i) => [i.field, i.message]), [
      ['watchDir', DEMO_FIXED_MESSAGE],
      ['alertEmailTo', DEMO_FIXED_MESSAGE],
    ]);
    assert.equal(demo.engine.getSettings().watchDir, form.watchDir, 'nothing saved');
    await assert.rejects(
      demo.engine.importLegacy({ configJsonPath: path.join(mine, 'config.json') }),
      /^Error: Leave the demo first: importing the old syncer/,
    );
    // What stays inside the demo can be tried.
    const tried = await demo.engine.saveSettings({ ...form, intervalSeconds: 30 }, form);
    assert.ok(tried.ok, JSON.stringify(tried));
    assert.equal(demo.engine.getSettings().intervalSeconds, 30);
    await demo.engine.syncNow();
    await demo.leave();
    assert.equal(
      fs.readFileSync(precious, 'utf8'),
      't,v\n1,2\n',
      'the person’s file is where it was',
    );
    // Out of the demo, the same change is the person's to make.
    const own = await demo.engine.saveSettings({ ...demo.engine.getSettings(), watchDir: mine });
    assert.ok(own.ok, JSON.stringify(own));
  } finally {
    await demo.engine.stop();
    await realEmulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
