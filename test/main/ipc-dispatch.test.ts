import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createDispatcher,
  ownWindowSenderCheck,
  type SenderInfo,
} from '../../src/main/ipc-dispatch.js';
import { createIpcHandlers } from '../../src/main/handlers.js';
import { settingsFields } from '../../src/main/settings-fields.js';
import { commandsFor, fakeAppServices, fakeEngine, type Recorder } from './fakes.js';

const PAGE = 'rdl-sync://app/index.html';
const own: SenderInfo = { webContentsId: 7, frameUrl: `${PAGE}#settings` };

function setup() {
  const rec: Recorder = { calls: [] };
  const rejected: string[] = [];
  const engine = fakeEngine(rec);
  const app = fakeAppServices(rec);
  const handlers = createIpcHandlers(
    engine,
    app,
    settingsFields,
    commandsFor(engine, app, (c) => rec.calls.push(c)),
  );
  const dispatch = createDispatcher(
    handlers,
    ownWindowSenderCheck(() => [7], PAGE),
    {
      redact: (t) => t.replace(/sl\.[\w-]+/g, '[redacted]'),
      onRejected: (channel) => rejected.push(channel),
    },
  );
  return { rec, dispatch, rejected };
}

async function errorOf(p: Promise<{ ok: boolean; error?: { code: string; message: string } }>) {
  const r = await p;
  assert.equal(r.ok, false, 'expected the call to be refused');
  return r.error!;
}

test('a valid call reaches the engine and returns its value', async () => {
  const { rec, dispatch } = setup();
  assert.deepEqual(await dispatch('pause', own, [3_600_000]), { ok: true, value: null });
  assert.deepEqual(await dispatch('pause', own, [null]), { ok: true, value: null });
  assert.deepEqual(rec.calls, [
    ['pause', 3_600_000],
    ['pause', null],
  ]);
  const status = await dispatch('getStatus', own, []);
  assert.equal(status.ok && (status.value as { state: string }).state, 'idle');
});

test('wrong argument types are refused before the handler runs, naming the argument', async () => {
  const { rec, dispatch } = setup();
  const e = await errorOf(dispatch('pause', own, ['3600000']));
  assert.equal(e.code, 'invalid-arguments');
  assert.match(e.message, /^Invalid call to pause: argument 1: /);
  assert.match((await errorOf(dispatch('pause', own, [10]))).message, /at least 1000 ms/);
  assert.match((await errorOf(dispatch('setStartAtLogin', own, ['yes']))).message, /argument 1/);
  assert.match((await errorOf(dispatch('openPath', own, ['/etc']))).message, /argument 1/);
  assert.deepEqual(rec.calls, []);
});

test('too many or too few arguments are refused', async () => {
  const { dispatch } = setup();
  assert.equal((await errorOf(dispatch('syncNow', own, [1]))).code, 'invalid-arguments');
  assert.equal((await errorOf(dispatch('pause', own, []))).code, 'invalid-arguments');
});

test('extra keys in an object payload are refused', async () => {
  const { rec, dispatch } = setup();
  const e = await errorOf(dispatch('queryHistory', own, [{ limit: 10, sql: 'drop table' }]));
  assert.match(e.message, /Unrecognized key.*sql/);
  const s = await errorOf(dispatch('saveSettings', own, [{ watchDir: '/x', evil: true }]));
  assert.match(s.message, /evil/);
  const i = await errorOf(dispatch('importLegacy', own, [{ configJsonPath: '/a', extra: 1 }]));
  assert.match(i.message, /extra/);
  assert.deepEqual(rec.calls, []);
});

test('oversized strings are refused', async () => {
  const { rec, dispatch } = setup();
  const e = await errorOf(dispatch('connectDropboxFinish', own, ['a'.repeat(513)]));
  assert.match(e.message, /longer than 512 characters/);
  const s = await errorOf(dispatch('saveSettings', own, [{ site: 'x'.repeat(5000) }]));
  assert.match(s.message, /field "site".*longer than 4096/);
  const list = await errorOf(
    dispatch('saveSettings', own, [{ ignorePatterns: Array(501).fill('*.x') }]),
  );
  assert.match(list.message, /more than 500 items/);
  assert.deepEqual(rec.calls, []);
});

test('a pasted code with spaces inside is refused with what to do; surrounding spaces are trimmed', async () => {
  const { rec, dispatch } = setup();
  assert.match(
    (await errorOf(dispatch('connectDropboxFinish', own, ['ab cd']))).message,
    /copy it again/,
  );
  assert.match(
    (await errorOf(dispatch('connectDropboxFinish', own, ['  ']))).message,
    /paste the code/,
  );
  assert.equal((await dispatch('connectDropboxFinish', own, ['  AbC-123_x  '])).ok, true);
  assert.deepEqual(rec.calls, [['connectDropboxFinish', 'AbC-123_x']]);
});

test('only the authorize URL main issued is opened: https only, and no other https page', async () => {
  const { rec, dispatch } = setup();
  for (const bad of [
    'http://www.dropbox.com/oauth2/authorize',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'https://user:pw@www.dropbox.com/',
    'not a url',
  ]) {
    const e = await errorOf(dispatch('openAuthorizeUrl', own, [bad]));
    assert.match(e.message, /https:\/\/ address/, bad);
  }
  assert.deepEqual(rec.calls, []);
  // Before a connection is started, no page at all; after, only the one it made.
  const lookAlike = 'https://www.dropbox.com.example.net/oauth2/authorize?client_id=k';
  for (const url of [lookAlike, 'https://www.dropbox.com/oauth2/authorize?x=1']) {
    const e = await errorOf(dispatch('openAuthorizeUrl', own, [url]));
    assert.match(e.message, /Only the Dropbox page RDL Sync made/, url);
  }
  const started = await dispatch('connectDropboxStart', own, []);
  assert.ok(started.ok);
  const issued = (started.value as { authorizeUrl: string }).authorizeUrl;
  const e = await errorOf(dispatch('openAuthorizeUrl', own, [lookAlike]));
  assert.match(e.message, /press Connect to Dropbox again/);
  assert.deepEqual(rec.calls, [], 'nothing opened');
  assert.equal((await dispatch('openAuthorizeUrl', own, [issued])).ok, true);
  assert.deepEqual(rec.calls, [['openExternal', issued]]);
});

test('calls from other web contents or other pages are refused', async () => {
  const { rec, dispatch, rejected } = setup();
  const others: SenderInfo[] = [
    { webContentsId: 8, frameUrl: PAGE },
    { webContentsId: 7, frameUrl: 'https://evil.example/index.html' },
    { webContentsId: 7, frameUrl: 'file:///tmp/other/index.html' },
    { webContentsId: 7, frameUrl: 'rdl-sync://app/other.html' },
    { webContentsId: 7, frameUrl: 'rdl-sync://evil/index.html' },
    { webContentsId: 7, frameUrl: '' },
  ];
  for (const sender of others) {
    const e = await errorOf(dispatch('syncNow', sender, []));
    assert.equal(e.code, 'forbidden-sender');
  }
  assert.deepEqual(rec.calls, []);
  assert.equal(rejected.length, 6);
  assert.equal(
    (await dispatch('syncNow', { webContentsId: 7, frameUrl: `${PAGE}?x=1` }, [])).ok,
    true,
  );
});

test('window log lines: only warn/error, bounded', async () => {
  const { rec, dispatch } = setup();
  assert.equal(
    (await errorOf(dispatch('logFromWindow', own, ['info', 'x']))).code,
    'invalid-arguments',
  );
  assert.match(
    (await errorOf(dispatch('logFromWindow', own, ['error', 'x'.repeat(5000)]))).message,
    /longer than 4096/,
  );
  assert.equal((await dispatch('logFromWindow', own, ['error', 'boom'])).ok, true);
  assert.deepEqual(rec.calls, [['logFromWindow', 'error', 'boom']]);
});

test('unknown channels are refused', async () => {
  const { dispatch } = setup();
  assert.equal((await errorOf(dispatch('evalInMain', own, []))).code, 'unknown-channel');
  assert.equal((await errorOf(dispatch('__proto__', own, []))).code, 'unknown-channel');
});

test('handler failures come back as errors, with secrets redacted', async () => {
  const rec: Recorder = { calls: [] };
  const engine = fakeEngine(rec);
  engine.connectDropboxStart = async () => {
    throw new Error('refresh failed for token sl.ABCdef-123');
  };
  const dispatch = createDispatcher(
    createIpcHandlers(
      engine,
      fakeAppServices(rec),
      settingsFields,
      commandsFor(engine, fakeAppServices(rec), (c) => rec.calls.push(c)),
    ),
    () => true,
    {
      redact: (t) => t.replace(/sl\.[\w-]+/g, '[redacted]'),
    },
  );
  const e = await errorOf(dispatch('connectDropboxStart', own, []));
  assert.equal(e.code, 'failed');
  assert.equal(e.message, 'refresh failed for token [redacted]');
});

test('openPath resolves the folder from settings, never from the window', async () => {
  const { rec, dispatch } = setup();
  assert.equal((await dispatch('openPath', own, ['watch'])).ok, true);
  assert.equal((await dispatch('openPath', own, ['log'])).ok, true);
  const archive = await errorOf(dispatch('openPath', own, ['archive']));
  assert.match(archive.message, /No archive folder is set: choose one on the Settings tab/);
  assert.deepEqual(rec.calls, [
    ['openPath', '/data/tosync'],
    ['openPath', '/cfg/logs/main.log'],
  ]);
});

test('saving settings that change start-at-login applies it to the OS', async () => {
  const { rec, dispatch } = setup();
  const r = await dispatch('saveSettings', own, [{ startAtLogin: true }]);
  assert.equal(r.ok, true);
  assert.deepEqual(rec.calls.at(-1), ['applyStartAtLogin', true]);
});

test('settings fields come from the schema: every setting, with description and kind', () => {
  const fields = settingsFields();
  const byKey = new Map(fields.map((f) => [f.key, f]));
  assert.equal(byKey.get('watchDir')?.kind, 'folder');
  assert.equal(byKey.get('archiveEnabled')?.kind, 'boolean');
  assert.deepEqual(byKey.get('conflictPolicy')?.choices, ['rename', 'overwrite']);
  assert.equal(byKey.get('conflictPolicy')?.kind, 'choice');
  assert.equal(byKey.get('intervalSeconds')?.kind, 'integer');
  assert.equal(byKey.get('intervalSeconds')?.min, 2);
  assert.equal(byKey.get('ignorePatterns')?.kind, 'list');
  assert.equal(byKey.get('site')?.label, 'Site name');
  for (const f of fields) assert.ok(f.description.length > 10, `${f.key} has no description`);
});
