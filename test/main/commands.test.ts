// Main's one command table: every tray item names a command of it, the tray, the window and a
// notification click reach the engine through the same entries, and a failed command nobody
// waits for is reported, not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, PAUSE_HOUR_MS } from '../../src/main/commands.js';
import { createIpcHandlers } from '../../src/main/handlers.js';
import { createDispatcher } from '../../src/main/ipc-dispatch.js';
import { settingsFields } from '../../src/main/settings-fields.js';
import { trayMenu } from '../../src/main/tray-model.js';
import { commandsFor, fakeAppServices, fakeEngine, type Recorder } from './fakes.js';
import { statusFixture } from './status-fixture.js';

const own = { webContentsId: 7, frameUrl: 'file:///app/index.html' };

function setup() {
  const rec: Recorder = { calls: [] };
  const engine = fakeEngine(rec);
  const app = fakeAppServices(rec);
  const commands = commandsFor(engine, app, (c) => rec.calls.push(c));
  const dispatch = createDispatcher(
    createIpcHandlers(engine, app, settingsFields, commands),
    () => true,
  );
  return { rec, commands, dispatch };
}

async function settle(): Promise<void> {
  // fire() runs its command on the next turns; a few turns are enough for these fakes.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('every tray item, paused or not, names a command of the table', () => {
  const base = statusFixture();
  for (const paused of [false, true]) {
    const actions = trayMenu({ ...base, paused }).flatMap((i) =>
      i.type === 'action' ? [i.action] : [],
    );
    assert.ok(actions.length >= 7, String(actions));
    for (const a of actions) assert.ok(Object.hasOwn(COMMANDS, a), `${a} is not a command`);
  }
});

test('tray items reach the engine and the shell through the table', async () => {
  const { rec, commands } = setup();
  commands.fire('syncNow');
  commands.fire('pauseHour');
  commands.fire('pauseUntilResumed');
  commands.fire('resume');
  commands.fire('openWatchFolder');
  commands.fire('openLogFile');
  commands.fire('openWindow');
  commands.fire('quit');
  await settle();
  assert.deepEqual(rec.calls, [
    ['syncNow'],
    ['pause', PAUSE_HOUR_MS],
    ['pause', null],
    ['resume'],
    ['openPath', '/data/tosync'],
    ['openPath', '/cfg/logs/main.log'],
    ['openWindow', ''],
    ['quit'],
  ]);
});

test('the window’s pause and the tray’s "Pause for 1 hour" are the same engine call', async () => {
  const tray = setup();
  tray.commands.fire('pauseHour');
  await settle();
  const window = setup();
  assert.deepEqual(await window.dispatch('pause', own, [PAUSE_HOUR_MS]), { ok: true, value: null });
  assert.deepEqual(tray.rec.calls, window.rec.calls);
  assert.deepEqual(window.rec.calls, [['pause', PAUSE_HOUR_MS]]);
});

test('a notification click opens the window on its tab', async () => {
  const { rec, commands } = setup();
  commands.fire('openWindow', 'settings');
  await settle();
  assert.deepEqual(rec.calls, [['openWindow', 'settings']]);
});

test('a failing command is reported with its reason: to the tray, and to the window', async () => {
  const { rec, commands, dispatch } = setup();
  // The fake engine has no SD-card folder set.
  commands.fire('openArchiveFolder');
  await settle();
  assert.deepEqual(rec.calls, [
    ['failed', 'openArchiveFolder', 'No archive folder is set: choose one on the Settings tab.'],
  ]);
  const r = await dispatch('openPath', own, ['archive']);
  assert.equal(r.ok, false);
  assert.match(JSON.stringify(r), /No archive folder is set: choose one on the Settings tab/);
});
