// A daemon (re)started on a backlog in transit (after an outage, a reboot, a kill) must say it is
// syncing that backlog, never "Up to date". Found by the crash torture: the pass told its counts
// only as files settled, so until the first batch was done on both legs (the whole upload on a
// slow link) `rdl-sync status` and the tray said "Up to date." while the backlog uploaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  readPublishedStatus,
  spawnCli,
  waitFor,
  type PublishedStatus,
} from '../cli/cli-harness.js';
import { exitWithin, killHard } from './crash-harness.js';

const FILES = 30;

test('a daemon started on a backlog in transit says it is syncing it, not "Up to date", while the first batch uploads', async () => {
  const dirs = await makeDirs('rdl-status-backlog-');
  const emulator = await startEmulator({});
  // A slow link: the small files' one batch (60 KB) takes about 15 s, so the first settle is far off.
  emulator.shapeLink({ bytesPerSecond: 4_000 });
  let child: ReturnType<typeof spawnCli> | null = null;
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
    // What an earlier run left: files staged into transit, none uploaded yet.
    for (let i = 0; i < FILES; i++) {
      const p = path.join(dirs.transitDir, 'RDL', 'USB0', `day-${i}.csv`);
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, `${i},`.repeat(1000));
    }
    child = spawnCli(['run', '--config-dir', dirs.configDir], { home: dirs.root });
    const pid = child.pid;
    // The batch's bytes are on their way (nothing committed yet); then the status says so.
    await waitFor(
      'the backlog to start uploading',
      async () => (emulator.stats()['files/upload_session/append_batch'] ?? 0) > 0,
      30_000,
    );
    const uploading = await waitFor(
      'a published status counting the backlog',
      async (): Promise<PublishedStatus | undefined> => {
        const p = await readPublishedStatus(dirs.configDir);
        return p && p.pid === pid && p.status.counts.transit === FILES ? p : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      emulator.listFiles().filter((f) => f.pathDisplay.startsWith('/RDL/site1/')),
      [],
      'still uploading when the status was read',
    );
    assert.equal(uploading.status.state, 'syncing', uploading.status.sentence);
    assert.match(uploading.status.sentence, new RegExp(`Syncing ${FILES} files`));
  } finally {
    if (child) {
      child.kill('SIGTERM');
      if (!(await exitWithin(child, 20_000))) await killHard(child);
    }
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
