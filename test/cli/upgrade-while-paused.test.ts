// A hub upgraded (or rebooted) while syncing was paused: the service restarts under the pause,
// so no pass runs, and nothing counted the queue. `rdl-sync status` then said "In transit: 0"
// and "Up to date"-like counts over the files the old version had left in transit, and the
// missing archive was not named, until someone resumed. The state here is what the version of
// 2026-12-03 (27b163d) leaves: its pause (no `pausedAtMs`, no `configVersion`), its files in
// transit, a file waiting in the watch folder, the archive folder gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, listFilesRel } from '../engine/harness.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import {
  exited,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  writeFileIn,
  type CliEnv,
  killIfRunning,
} from './cli-harness.js';

test('a daemon started under an older version’s pause counts the queue and names the missing archive, moving nothing', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-upgrade-paused-');
  const env: CliEnv = { home: dirs.root };
  let daemon: ReturnType<typeof spawnCli> | null = null;
  try {
    const settings = testSettings(dirs, emulator, { site: 'Site7_Forest' });
    // config.json as the older version wrote it: a pause until resumed, no configVersion.
    await fs.mkdir(dirs.configDir, { recursive: true });
    await fs.writeFile(
      path.join(dirs.configDir, 'config.json'),
      JSON.stringify({ ...settings, state: { paused: true, pausedUntilMs: null } }, null, '\t'),
    );
    await new FileCredentialStore(dirs.configDir).save({
      appKey: emulator.appKey,
      refreshToken: emulator.issueRefreshToken(),
    });
    const inTransit = [
      'RDL/USB0/2026-12/RDL_2026-12-01_USB0.txt',
      'RDL/USB0/2026-12/RDL_2026-12-02_USB0.txt',
      'cameras/reolink1/2026-12-02/2026-12-02_12_00.jpg',
    ];
    for (const rel of inTransit) await writeFileIn(dirs.transitDir, rel, `${rel}\n`);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/2026-12/RDL_2026-12-03_USB0.txt', 'day 3\n');
    await fs.rm(dirs.archiveDir, { recursive: true });

    daemon = spawnCli(['run', '--config-dir', dirs.configDir], env);
    let daemonOut = '';
    daemon.stdout!.setEncoding('utf8').on('data', (d: string) => (daemonOut += d));
    daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (daemonOut += d));
    let seen = '';
    const published = await waitFor(
      'the paused daemon to publish the files it holds in transit',
      async () => {
        const p = await readPublishedStatus(dirs.configDir);
        seen = JSON.stringify(p?.status.counts ?? null);
        return p && p.pid === daemon!.pid && p.status.counts.transit > 0 ? p : null;
      },
      15_000,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; last counts ${seen}\n${daemonOut}`);
    });
    assert.equal(published.status.paused, true, 'the older version’s pause is kept');
    assert.equal(published.status.counts.transit, 3);
    assert.equal(published.status.counts.waiting, 1);
    assert.equal(published.status.counts.uploadPending, 3);
    assert.ok(
      published.status.problems.some((p) => p.code === 'archive-missing'),
      JSON.stringify(published.status.problems),
    );

    const status = await runCli(['status', '--config-dir', dirs.configDir], env);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^State: paused\./m);
    assert.match(status.stdout, /Waiting in watch folder: 1 {3}In transit: 3 /);

    // Paused: nothing moved, nothing sent.
    assert.deepEqual((await listFilesRel(dirs.transitDir)).sort(), [...inTransit].sort());
    assert.equal(emulator.getFile(`/RDL/Site7_Forest/${inTransit[0]}`), undefined);

    daemon.kill('SIGTERM');
    assert.equal((await exited(daemon)).code, 0, daemonOut);
  } finally {
    await killIfRunning(daemon);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
