// import-legacy run again over a settings file with a hand edit's mistake weighed itself against
// the defaults (not the settings in force), took them for settings changed since the last import,
// and refused with "Archive folder is empty …; Site name is empty …": words about nothing in the
// file. It names the file's mistake now, and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli-harness.js';
import { currentPiHub } from '../legacy/fixtures.js';

test('an import over a settings file with a mistake names that mistake and writes nothing', async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-legacy-mistake-'));
  try {
    const hub = await currentPiHub(path.join(base, 'home', 'pi', 'SHELF3'));
    const env = { home: path.join(base, 'home', 'pi') };
    const configDir = path.join(base, 's');
    const file = path.join(configDir, 'config.json');
    const importHub = () =>
      runCli(['import-legacy', '--root', hub.root, '--config-dir', configDir], env);
    const first = await importHub();
    assert.equal(first.code, 0, first.stdout + first.stderr);

    const json = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    const edited = JSON.stringify({ ...json, intervalSeconds: 'ten' }, null, 2);
    await fs.writeFile(file, edited);
    const again = await importHub();
    const out = again.stdout + again.stderr;
    assert.equal(again.code, 2, out);
    assert.ok(
      out.includes(
        `The settings file ${file} has mistakes (intervalSeconds: Interval must be a number (got "ten")): fix them first (rdl-sync settings check names each), then import again; nothing was changed`,
      ),
      out,
    );
    assert.doesNotMatch(out, /Archive folder is empty|Site name is empty/);
    assert.equal(await fs.readFile(file, 'utf8'), edited, 'nothing written');

    // Fixed: the import runs again.
    await fs.writeFile(file, JSON.stringify({ ...json, intervalSeconds: 10 }, null, 2));
    const fixed = await importHub();
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
});
