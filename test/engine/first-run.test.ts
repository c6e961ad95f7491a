// A first run (no settings ever saved) is "setup needed": an attention, not an error, no error
// lines every pass and no "Settings file changed" about a file that does not exist; the first
// valid save starts syncing. A file with settings that are wrong is still an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { makeDirs, recordingLogger } from './harness.js';
import { waitFor } from '../electron/desktop.js';

test('a fresh config folder waits for setup quietly; the first save starts syncing', async () => {
  const dirs = await makeDirs('rdl-first-run-');
  const configDir = path.join(dirs.root, 'fresh-config');
  const logger = recordingLogger();
  const engine = await createEngine({
    configDir,
    home: dirs.root,
    logger,
    watchConfig: true,
    credentials: new FileCredentialStore(configDir),
  });
  try {
    const [problem] = engine.getStatus().problems;
    assert.equal(problem?.code, 'setup-needed');
    assert.equal(problem?.severity, 'attention');
    assert.match(problem?.message ?? '', /^Setup needed/);
    assert.notEqual(engine.getStatus().state, 'error');
    await engine.start();
    // Two passes' worth: each scheduled pass is skipped at debug level.
    engine.syncNow();
    await waitFor('two skipped passes', () =>
      logger.lines.filter((l) => l.message === 'pass skipped: setup needed').length >= 2
        ? true
        : (engine.syncNow(), false),
    );
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'error' || /Settings file changed/.test(l.message)),
      [],
    );
    const saved = await engine.saveSettings({
      ...engine.getSettings(),
      watchDir: dirs.watchDir,
      transitDir: dirs.transitDir,
      archiveDir: dirs.archiveDir,
      archiveMustBeMountPoint: false,
      site: 'FirstRun',
    });
    assert.equal(saved.ok, true, JSON.stringify(saved));
    assert.equal(
      engine.getStatus().problems.some((p) => p.id === 'settings-invalid'),
      false,
      'no setup or settings problem once saved',
    );
    // A later mistake in the saved file is an error again, with the field named.
    const file = path.join(configDir, 'config.json');
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...onDisk, site: '' }));
    await engine.stop();
    const again = await createEngine({
      configDir,
      home: dirs.root,
      logger,
      credentials: new FileCredentialStore(configDir),
    });
    const broken = again.getStatus().problems.find((p) => p.id === 'settings-invalid');
    assert.equal(broken?.code, 'settings-invalid');
    assert.equal(broken?.severity, 'error');
    assert.match(broken?.message ?? '', /site/);
    await again.stop();
  } finally {
    await engine.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
