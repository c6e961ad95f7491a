// The settings file's version: old files (no configVersion) are read and migrated, the next save
// stamps the current version, and a file from a newer build is refused and never overwritten.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import {
  CONFIG_VERSION,
  CONFIG_VERSION_KEY,
  migrateSettingsFile,
} from '../../src/engine/settings/migrations.js';
import {
  loadSettingsWriter,
  openSettingsStore,
  type SettingsStore,
} from '../../src/engine/settings/store.js';

before(() => loadSettingsWriter());

const HOME = '/home/pi';
const good = { ...defaultSettings(HOME), site: 'site1', archiveDir: '/media/orangepi/SD1' };

function setup(t: { after: (fn: () => void) => void }): {
  file: string;
  open: () => SettingsStore;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-migrate-'));
  const stores: SettingsStore[] = [];
  t.after(() => {
    for (const s of stores) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    file: path.join(dir, 'config.json'),
    open: () => {
      const s = openSettingsStore({ configDir: dir, home: HOME });
      stores.push(s);
      return s;
    },
  };
}

test('this build writes version 1 or later', () => {
  assert.ok(Number.isInteger(CONFIG_VERSION) && CONFIG_VERSION >= 1, String(CONFIG_VERSION));
});

test('a file without configVersion is version 0: read as it is, stamped on the next save', (t) => {
  const { file, open } = setup(t);
  fs.writeFileSync(file, JSON.stringify({ ...good, state: { paused: true, pausedUntilMs: null } }));
  const store = open();
  const loaded = store.load();
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.issues));
  assert.equal(loaded.settings.site, 'site1');
  assert.equal(store.getState().paused, true, 'runtime state survives the migration');
  // Reading never writes: the file is as the old build left it.
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8'))[CONFIG_VERSION_KEY], undefined);
  assert.ok(store.save({ ...loaded.settings, intervalSeconds: 30 }).ok);
  const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal(onDisk[CONFIG_VERSION_KEY], CONFIG_VERSION);
  assert.equal(onDisk.intervalSeconds, 30);
  assert.deepEqual(onDisk.state, { paused: true, pausedUntilMs: null });
  // The version is not a setting: the settings read back do not carry it.
  const again = open().load();
  assert.ok(again.ok);
  assert.equal(Object.hasOwn(again.settings, CONFIG_VERSION_KEY), false);
});

test('a file from a newer build is refused with the fix named, and never overwritten', (t) => {
  const { file, open } = setup(t);
  const newer = { ...good, [CONFIG_VERSION_KEY]: CONFIG_VERSION + 1, aNewerSetting: 'kept' };
  const text = JSON.stringify(newer, null, 2);
  fs.writeFileSync(file, text);
  const store = open();
  const loaded = store.load();
  assert.ok(!loaded.ok);
  assert.match(loaded.issues[0]!.message, /written by a newer RDL Sync/);
  assert.match(loaded.issues[0]!.message, new RegExp(`settings version ${CONFIG_VERSION + 1}`));
  assert.match(loaded.issues[0]!.message, /update RDL Sync/);
  const saved = store.save(good);
  assert.ok(!saved.ok, 'a save over a newer file is refused');
  assert.match(saved.issues[0]!.message, /newer RDL Sync/);
  store.setState({ paused: true, pausedUntilMs: null });
  assert.equal(fs.readFileSync(file, 'utf8'), text, 'the newer file is byte for byte untouched');
  const dir = path.dirname(file);
  assert.deepEqual(fs.readdirSync(dir), ['config.json'], 'nothing set aside either');
});

test('a configVersion that is not a version number is refused with the fix named', (t) => {
  const { file, open } = setup(t);
  const text = JSON.stringify({ ...good, [CONFIG_VERSION_KEY]: 'two' });
  fs.writeFileSync(file, text);
  const loaded = open().load();
  assert.ok(!loaded.ok);
  assert.match(loaded.issues[0]!.message, /"configVersion": "two", which is not a version number/);
  assert.equal(fs.readFileSync(file, 'utf8'), text);
});

test('the runner applies each step above the file version, in order, and only those', () => {
  const steps = [
    {
      to: 1,
      why: 'rename',
      migrate: (r: Record<string, unknown>) => ({ ...r, b: r.a, a: undefined }),
    },
    {
      to: 2,
      why: 'minutes to seconds',
      migrate: (r: Record<string, unknown>) => ({ ...r, b: Number(r.b) * 60 }),
    },
  ];
  const from0 = migrateSettingsFile({ a: 2 }, 'f', steps);
  assert.deepEqual(from0, { ok: true, data: { a: undefined, b: 120 }, fromVersion: 0, steps: 2 });
  const from1 = migrateSettingsFile({ b: 3, [CONFIG_VERSION_KEY]: 1 }, 'f', steps);
  assert.deepEqual(from1, { ok: true, data: { b: 180 }, fromVersion: 1, steps: 1 });
  const current = migrateSettingsFile({ b: 3, [CONFIG_VERSION_KEY]: 2 }, 'f', steps);
  assert.deepEqual(current, { ok: true, data: { b: 3 }, fromVersion: 2, steps: 0 });
  const newer = migrateSettingsFile({ [CONFIG_VERSION_KEY]: 3 }, 'f', steps);
  assert.equal(newer.ok, false);
});
