// A fresh install is not set up yet, not misconfigured: its heartbeat waits without a warning
// (user trial: "fleet heartbeat not written … the site name is empty" in the log of an app that
// had only just been installed). Once set up, an empty site name is a mistake again and is
// warned about. The real engine on a fresh config folder, its heartbeat every second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { createEngine } from '../../src/engine/engine.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { makeDirs, recordingLogger } from '../engine/harness.js';
import { waitFor } from '../cli/cli-harness.js';

test('no heartbeat warning before the setup; an installed hub with no site name is still warned', async () => {
  const dirs = await makeDirs('rdl-beat-setup-');
  const configDir = path.join(dirs.root, 'fresh-config');
  const logger = recordingLogger();
  const engine = await createEngine({
    configDir,
    home: dirs.root,
    logger,
    watchConfig: true,
    credentials: new FileCredentialStore(configDir),
    fleetHeartbeatMs: 1_000,
  });
  const beatLines = () => logger.lines.filter((l) => l.message.startsWith('fleet heartbeat'));
  try {
    await engine.start();
    assert.equal(engine.getStatus().problems[0]?.code, 'setup-needed');
    await waitFor('a heartbeat tried', async () => beatLines().length > 0);
    await new Promise((r) => setTimeout(r, 2_500)); // and two more
    assert.deepEqual(
      beatLines().filter((l) => l.level !== 'info' && l.level !== 'debug'),
      [],
      JSON.stringify(beatLines()),
    );

    // Set up with a remote folder that needs no site, the site left empty: a real mistake now.
    const saved = await engine.saveSettings({
      ...engine.getSettings(),
      watchDir: dirs.watchDir,
      transitDir: dirs.transitDir,
      archiveDir: dirs.archiveDir,
      archiveMustBeMountPoint: false,
      remoteRootTemplate: '/RDL/hub-one',
      site: '',
    });
    assert.equal(saved.ok, true, JSON.stringify(saved));
    const warned = await waitFor('the empty site name warned', async () =>
      beatLines().find((l) => l.level === 'warn'),
    );
    assert.match(JSON.stringify(warned.fields), /the site name is empty/);
  } finally {
    await engine.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
