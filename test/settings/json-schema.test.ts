import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Conf, { type Schema } from 'conf';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { settingsJsonSchema } from '../../src/engine/settings/json-schema.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { SETTING_KEYS } from '../../src/engine/settings/labels.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-jsonschema-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openConf(cwd: string): Conf<Settings> {
  return new Conf<Settings>({
    cwd,
    configName: 'config',
    schema: settingsJsonSchema() as unknown as Schema<Settings>,
    defaults: defaultSettings('/home/pi'),
  });
}

test('the JSON schema is a properties map covering every setting', () => {
  const schema = settingsJsonSchema();
  assert.deepEqual(Object.keys(schema).sort(), [...SETTING_KEYS].sort());
  assert.equal(schema.intervalSeconds.type, 'integer');
  assert.equal(schema.intervalSeconds.minimum, 2);
  assert.deepEqual(schema.scheduleMode.enum, ['interval', 'cron']);
  assert.ok(!('$schema' in schema.watchDir), 'per-property schemas must not carry $schema');
});

test('conf (ajv) accepts the defaults and writes them', (t) => {
  const dir = tempDir(t);
  const conf = openConf(dir);
  assert.equal(conf.get('intervalSeconds'), 10);
  const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Settings;
  assert.equal(onDisk.watchDir, '/home/pi/rdl/tosync');
  conf.set('remoteRootTemplate', '/Professional/WIRED/{site}');
  conf.set('site', 'site1');
  assert.equal(conf.get('site'), 'site1');
});

test('conf (ajv) rejects bad values through the derived schema', (t) => {
  const conf = openConf(tempDir(t));
  assert.throws(() => conf.set('intervalSeconds', 1), /Config schema violation: `intervalSeconds`/);
  assert.throws(() => conf.set('concurrency', 2.5), /Config schema violation: `concurrency`/);
  assert.throws(
    () => conf.set('scheduleMode', 'hourly' as never),
    /Config schema violation: `scheduleMode`/,
  );
  assert.throws(() => conf.set('site', 'a/b'), /Config schema violation: `site`/);
  assert.throws(
    () => conf.set('remoteRootTemplate', 'RDL'),
    /Config schema violation: `remoteRootTemplate`/,
  );
  assert.equal(conf.get('intervalSeconds'), 10, 'a rejected value is not stored');
});

test('conf refuses to open a hand-edited file that breaks the schema', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ ...defaultSettings('/home/pi'), concurrency: 0 }));
  assert.throws(() => openConf(dir), /concurrency/);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).concurrency, 0, 'file left as it was');
});
