// store.ts loads conf, the settings file's writer, only when asked (loadSettingsWriter): `once`
// reads the file and never loads it unless the file holds a pause. A store asked to write before
// it is loaded refuses with the reason and leaves the file as it was; a pause is kept in memory.
// Its own file: the module's state is per process, and every other test loads it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { loadSettingsWriter, openSettingsStore } from '../../src/engine/settings/store.js';

test('a save before the writer is loaded is refused and writes nothing; after, it writes', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-writer-lazy-'));
  try {
    const dir = path.join(root, 'config');
    const home = path.join(root, 'home');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'config.json');
    const settings = { ...defaultSettings(home), archiveDir: '/media/orangepi/SD1' };
    const before = JSON.stringify({ ...settings, site: 'Lake' });
    fs.writeFileSync(file, before);
    const warnings: string[] = [];
    const store = openSettingsStore({
      configDir: dir,
      home,
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message) => warnings.push(message),
        error: () => {},
      },
    });
    const candidate = { ...settings, site: 'Pond' };
    assert.throws(() => store.save(candidate), /its writer was not loaded/);
    assert.deepEqual(store.setState({ paused: true, pausedUntilMs: null }), {
      paused: true,
      pausedUntilMs: null,
    });
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the file is as it was');
    assert.match(warnings.join('\n'), /Pause state kept in memory only/);

    await loadSettingsWriter();
    assert.equal(store.save(candidate).ok, true);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(saved.site, 'Pond');
    assert.deepEqual(saved.state, { paused: true, pausedUntilMs: null });
    store.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
