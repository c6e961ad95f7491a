// A card mounted by a desktop session lies in /media/<that user>/, a folder only its owner may
// enter: RDL Sync running as another user (the service's pi, a daemon started by hand) cannot even
// look at it. It was said to "not answer: pulled out while mounted, unmount it and insert it
// again", of a card in its reader, and the status would have read NOT ANSWERING. Real permission
// bits (the CLI runs as nobody), the real CLI against the Dropbox emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, type CliEnv } from './cli-harness.js';
import { cannotDropPrivileges, giveTreeToNobody, NOBODY } from '../stage/unprivileged.js';

test('a card in a folder this user may not enter is said so, with the fix; Dropbox goes on', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-archive-no-access-');
  try {
    const sessionMounts = path.join(dirs.root, 'media', 'alice');
    const card = path.join(sessionMounts, 'CARD');
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, {
        site: 'Shut',
        archiveDir: card,
        archiveMustBeMountPoint: true,
        intervalSeconds: 3600,
      }),
      emulator,
    );
    await fs.mkdir(path.join(dirs.watchDir, 'RDL', 'USB0'), { recursive: true });
    await fs.writeFile(path.join(dirs.watchDir, 'RDL', 'USB0', 'a.csv'), 't,v\n1,2\n');
    await giveTreeToNobody(dirs.root);
    // The desktop's mount folder: root's (alice's, on a real desktop), shut to everyone else.
    await fs.mkdir(card, { recursive: true });
    await fs.chown(sessionMounts, 0, 0);
    await fs.chmod(sessionMounts, 0o700);
    const env: CliEnv = { home: dirs.root, asUid: NOBODY };
    const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);

    const once = await cli('once');
    const onceOut = once.stdout + once.stderr;
    assert.ok(emulator.getFile('/RDL/Shut/RDL/USB0/a.csv'), `Dropbox went on:\n${onceOut}`);
    const status = await cli('status');
    const words = new RegExp(
      `SD card folder ${card} cannot be looked at by the user RDL Sync runs as \\(nobody, EACCES\\): a folder above it lets only its owner in, as /media/<user>/ does for a card a desktop mounted; mount the card where this user may look, or run RDL Sync as that user`,
    );
    assert.match(status.stdout, words, status.stdout);
    assert.doesNotMatch(status.stdout, /does not answer|NOT ANSWERING|pulled out/, status.stdout);
    assert.match(status.stdout, /^SD card: .* — NOT PRESENT$/m, status.stdout);
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
