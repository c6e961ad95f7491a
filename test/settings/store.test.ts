import { before, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import {
  isPausedAt,
  loadSettingsWriter,
  openSettingsStore,
  type SettingsStore,
} from '../../src/engine/settings/store.js';

// The writer (conf) is loaded by whoever writes: createEngine, the `settings` command.
before(() => loadSettingsWriter());

const HOME = '/home/pi';
const good: Settings = {
  ...defaultSettings(HOME),
  site: 'site1',
  archiveDir: '/media/orangepi/SD1',
};

function setup(
  t: { after: (fn: () => void) => void },
  watch = false,
): { dir: string; file: string; store: SettingsStore } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-store-'));
  const store = openSettingsStore({ configDir: dir, home: HOME, watch, watchIntervalMs: 50 });
  t.after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file: path.join(dir, 'config.json'), store };
}

test('with no file, load() gives the defaults, reports what must be chosen, and writes nothing', (t) => {
  const { file, store } = setup(t);
  assert.equal(store.path, file);
  const r = store.load();
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.field).sort(), ['archiveDir', 'site']);
  assert.equal(fs.existsSync(file), false);
});

test('save() writes valid settings that load() reads back, and notifies once per change', (t) => {
  const { file, store } = setup(t);
  const seen: Settings[] = [];
  const off = store.onChange((s) => seen.push(s));
  const saved = store.save(good);
  assert.ok(saved.ok);
  const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal(onDisk.site, 'site1');
  assert.deepEqual(onDisk.state, { paused: false, pausedUntilMs: null });
  const loaded = store.load();
  assert.ok(loaded.ok);
  assert.deepEqual(loaded.settings, good);
  store.save(good);
  assert.equal(seen.length, 1, 'saving identical settings is not a change');
  off();
  store.save({ ...good, intervalSeconds: 30 });
  assert.equal(seen.length, 1, 'unsubscribed listener is not called');
});

test('save() of an invalid candidate writes nothing', (t) => {
  const { file, store } = setup(t);
  assert.ok(store.save(good).ok);
  const before = fs.readFileSync(file, 'utf8');
  const r = store.save({ ...good, intervalSeconds: 0, colour: 'red' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.field).sort(), ['colour', 'intervalSeconds']);
  const r2 = store.save({ ...good, intervalSeconds: 0 });
  assert.ok(!r2.ok && r2.issues[0]!.field === 'intervalSeconds');
  assert.equal(fs.readFileSync(file, 'utf8'), before);
});

test('a partial hand-written file is merged over the defaults', (t) => {
  const { file, store } = setup(t);
  fs.writeFileSync(
    file,
    JSON.stringify({ site: 'lab', archiveDir: '/media/sd', intervalSeconds: 60 }),
  );
  const r = store.load();
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.settings.intervalSeconds, 60);
  assert.equal(r.settings.watchDir, '/home/pi/rdl/tosync');
});

test('a hand-edited bad file is reported, never thrown, never rewritten', (t) => {
  const { file, store } = setup(t);
  const cases: [string, RegExp][] = [
    [
      '{ "site": "lab", }',
      /not valid JSON.*fix the mistake \(deleting the file would start every setting from its default/,
    ],
    ['[1,2]', /must hold one JSON object/],
    [JSON.stringify({ ...good, concurrency: 0 }), /Concurrency must be at least 1 \(got 0\)/],
  ];
  for (const [text, expected] of cases) {
    fs.writeFileSync(file, text);
    const r = store.load();
    assert.ok(!r.ok);
    assert.match(r.issues.map((i) => i.message).join('\n'), expected);
    store.setState({ paused: true, pausedUntilMs: null });
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'file untouched');
  }
});

test('a settings file a power cut emptied or filled with zero bytes says so, and how to set it again', (t) => {
  const { file, store } = setup(t);
  for (const [text, expected] of [
    ['', /config\.json is empty: a power cut.*rdl-sync settings set/],
    ['\0'.repeat(1361), /config\.json holds nothing but zero bytes \(1361\): a power cut/],
  ] as const) {
    fs.writeFileSync(file, text);
    const r = store.load();
    assert.ok(!r.ok);
    const message = r.issues.map((i) => i.message).join('\n');
    assert.match(message, expected);
    assert.doesNotMatch(message, /\0|Unexpected/, 'no invisible bytes quoted, no parser jargon');
    // The settings may live on a lab desktop's disk: a Pi's SD card is one disk among others.
    assert.match(message, /a failing disk/);
    assert.doesNotMatch(message, /SD card/);
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'file untouched');
  }
});

test('saving over a broken file keeps a copy of it first', (t) => {
  const { dir, file, store } = setup(t);
  const broken = '{ "site": "lab", "intervalSeconds": 5,, }';
  fs.writeFileSync(file, broken);
  assert.ok(store.save(good).ok);
  const copies = fs.readdirSync(dir).filter((n) => n.startsWith('config.invalid-'));
  assert.equal(copies.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, copies[0]!), 'utf8'), broken);
  assert.ok(store.load().ok);
});

test('runtime state persists beside the settings without becoming a setting', (t) => {
  const { dir, store } = setup(t);
  assert.deepEqual(store.getState(), { paused: false, pausedUntilMs: null });
  assert.ok(store.save(good).ok);
  const until = Date.now() + 60_000;
  assert.deepEqual(store.setState({ paused: true, pausedUntilMs: until }), {
    paused: true,
    pausedUntilMs: until,
  });
  const reopened = openSettingsStore({ configDir: dir, home: HOME });
  assert.deepEqual(reopened.getState(), { paused: true, pausedUntilMs: until });
  assert.ok(reopened.load().ok, 'the state key is not reported as an unknown setting');
  assert.ok(reopened.save({ ...good, intervalSeconds: 20 }).ok);
  assert.deepEqual(reopened.getState().pausedUntilMs, until, 'saving settings keeps the state');
  assert.deepEqual(reopened.setState({ paused: false }), { paused: false, pausedUntilMs: null });
  assert.throws(() => store.setState({ paused: true, pausedUntilMs: -5 }), /Invalid runtime state/);
});

test('isPausedAt: until resumed, until a time, not paused', () => {
  assert.equal(isPausedAt({ paused: true, pausedUntilMs: null }, 1e12), true);
  assert.equal(isPausedAt({ paused: true, pausedUntilMs: 2000 }, 1999), true);
  assert.equal(isPausedAt({ paused: true, pausedUntilMs: 2000 }, 2000), false);
  assert.equal(isPausedAt({ paused: false, pausedUntilMs: null }, 0), false);
});

test('with watch, a valid edit from another process is delivered; a bad one is not', async (t) => {
  const { file, store } = setup(t, true);
  const other = openSettingsStore({ configDir: path.dirname(file), home: HOME });
  assert.ok(other.save(good).ok);
  const first = await nextChange(store);
  assert.equal(first.site, 'site1');
  fs.writeFileSync(file, JSON.stringify({ ...good, concurrency: 99 }));
  fs.writeFileSync(file, JSON.stringify({ ...good, concurrency: 99, site: 'x' }));
  assert.ok(other.save({ ...good, site: 'site2' }).ok);
  const second = await nextChange(store);
  assert.equal(second.site, 'site2');
  assert.equal(second.concurrency, good.concurrency);
});

test('with watch, an edit made as the store opens while the thread pool is busy is delivered', async (t) => {
  // The daemon opens its settings while a pass hashes and copies files: libuv's thread pool busy.
  // Before, the watcher's first look at the file waited behind that work; an edit made meanwhile
  // was its starting point, never seen as a change, and the daemon kept the old settings.
  const release = holdThreadPool(t);
  const { file, store } = setup(t, true);
  const other = openSettingsStore({ configDir: path.dirname(file), home: HOME });
  assert.ok(other.save(good).ok);
  release();
  const first = await nextChange(store);
  assert.equal(first.site, 'site1');
});

/**
 * Every thread of libuv's pool held (each opening a FIFO for reading, which waits for a writer)
 * until the returned release() opens their writers.
 */
function holdThreadPool(t: { after: (fn: () => void) => void }): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-pool-'));
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const fifos = Array.from({ length: size }, (_, i) => path.join(dir, `hold-${i}`));
  for (const f of fifos) execFileSync('mkfifo', [f]);
  const readers = fifos.map((f) => fs.promises.open(f, 'r'));
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    for (const f of fifos) fs.closeSync(fs.openSync(f, 'w'));
  };
  t.after(async () => {
    release();
    for (const r of readers) await (await r).close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return release;
}

function nextChange(store: SettingsStore): Promise<Settings> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no change seen within 5 s'));
    }, 5000);
    const off = store.onChange((s) => {
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

test('saving over a file whose state conf rejects keeps a copy and writes the settings', (t) => {
  const { dir, file, store } = setup(t);
  const text = JSON.stringify({ ...good, state: { paused: 'yes' } });
  fs.writeFileSync(file, text);
  assert.ok(store.load().ok, 'settings themselves are fine');
  assert.ok(store.save({ ...good, intervalSeconds: 20 }).ok);
  const copies = fs.readdirSync(dir).filter((n) => n.startsWith('config.invalid-'));
  assert.equal(copies.length, 1);
  assert.equal(fs.readFileSync(path.join(dir, copies[0]!), 'utf8'), text);
  const reloaded = store.load();
  assert.ok(reloaded.ok && reloaded.settings.intervalSeconds === 20);
  assert.deepEqual(store.getState(), { paused: false, pausedUntilMs: null });
});

test('a pause is not written into a file holding a value of the wrong kind: the file stays as the person wrote it', (t) => {
  const { file, store } = setup(t);
  const text = JSON.stringify({ ...good, intervalSeconds: 'ten' }, null, 1);
  fs.writeFileSync(file, text);
  assert.deepEqual(store.setState({ paused: true, pausedUntilMs: null }), {
    paused: true,
    pausedUntilMs: null,
  });
  assert.equal(fs.readFileSync(file, 'utf8'), text, 'not rewritten');
  assert.deepEqual(store.getState(), { paused: true, pausedUntilMs: null }, 'kept in memory');
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)),
    ['config.json'],
    'no temporary left beside it',
  );
});

test('a save replaces the file atomically: private, tab-indented, the defaults filled in, conf’s own key kept', (t) => {
  const { dir, file, store } = setup(t);
  fs.writeFileSync(
    file,
    JSON.stringify({ ...good, site: 'lab', __internal__: { migrations: {} } }),
    { mode: 0o644 },
  );
  assert.ok(store.save(good).ok);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.startsWith('{\n\t"'), 'tab-indented as before');
  const onDisk = JSON.parse(text) as Record<string, unknown>;
  assert.equal(onDisk.site, 'site1');
  assert.deepEqual(onDisk.__internal__, { migrations: {} });
  assert.deepEqual(onDisk.state, { paused: false, pausedUntilMs: null });
  assert.deepEqual(fs.readdirSync(dir), ['config.json']);
  // A pause on a trimmed file fills in the defaults it lacks, as the file's writer always did.
  fs.writeFileSync(file, JSON.stringify({ site: 'lab' }));
  const reopened = openSettingsStore({ configDir: dir, home: HOME });
  reopened.setState({ paused: true, pausedUntilMs: null });
  const paused = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal(paused.site, 'lab');
  assert.equal(paused.intervalSeconds, defaultSettings(HOME).intervalSeconds);
  assert.deepEqual(paused.state, { paused: true, pausedUntilMs: null });
});

test('root saving another user’s settings file leaves it that user’s', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root');
  const { file, store } = setup(t);
  fs.writeFileSync(file, JSON.stringify(good));
  fs.chownSync(file, 1234, 1234);
  assert.ok(store.save({ ...good, intervalSeconds: 20 }).ok);
  const st = fs.statSync(file);
  assert.deepEqual([st.uid, st.gid], [1234, 1234]);
  assert.ok(store.load().ok);
});

test('a pause is written into a file whose values are of the right kinds but break a rule (as before)', (t) => {
  const { file, store } = setup(t);
  fs.writeFileSync(file, JSON.stringify({ ...good, chunkSizeMiB: 10 }));
  assert.equal(store.load().ok, false, 'the rule is reported on reading');
  store.setState({ paused: true, pausedUntilMs: null });
  const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(
    onDisk.state,
    { paused: true, pausedUntilMs: null },
    'the pause reaches the file',
  );
  assert.equal(onDisk.chunkSizeMiB, 10, 'the person’s value is left for them to fix');
});
