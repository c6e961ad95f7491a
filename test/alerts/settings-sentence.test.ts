// The waiting service's alert for a settings file it cannot use says how to fix it. For a file
// that is not JSON it said "rdl-sync settings set KEY VALUE", which refuses to write over settings
// it cannot read (found by an operator trial); a mistake in one setting keeps that advice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsInvalidSentence } from '../../src/engine/alerts/settings-sentence.js';
import { openSettingsStore } from '../../src/engine/settings/store.js';
import { silentLogger } from '../../src/engine/ports.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

test('a settings file that is not JSON: the alert says to edit it, not to use settings set', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-sentence-'));
  try {
    await fs.writeFile(path.join(dir, 'config.json'), '{,, "site": "Lake" }');
    const store = openSettingsStore({ configDir: dir, watch: false, logger: silentLogger });
    const loaded = store.load();
    store.close();
    assert.equal(loaded.ok, false);
    const words = settingsInvalidSentence(
      path.join(dir, 'config.json'),
      !loaded.ok ? loaded.issues : [],
    );
    assert.match(words, /is not valid JSON \(/);
    assert.match(
      words,
      /To fix it: edit the file \(rdl-sync settings set cannot write over settings it cannot read\)\./,
    );
    assert.doesNotMatch(words, /settings set KEY VALUE/);

    const one = settingsInvalidSentence('/x/config.json', [
      { field: 'stableSeconds', message: 'Stable time must be a number (got "ten")' },
    ]);
    assert.match(
      one,
      /To fix it: rdl-sync settings set KEY VALUE \(here: rdl-sync settings set stableSeconds VALUE\), or edit the file\./,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
