// A hub keeps its settings folder on the loggers' one card, and a full disk is the hubs' most
// common fault (WORKLOAD.md). Found by the crash torture: the daemon started on a full disk failed
// with a bare "rdl-sync run: ENOSPC: no space left on device, write" and left an empty
// engine.lock.<uuid>.tmp behind at every start (systemd restarts it every minute). It must say
// which disk is full and what to do, lose nothing, leave nothing behind, and start once space is
// freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { canMount, fill, fillToTheByte, mountTmpfs, unmount } from '../archive/helpers.js';
import { exited, runCli, spawnCli, waitFor, waitSynced } from '../cli/cli-harness.js';

test('the daemon on a full settings disk names the disk and the fix, leaves no temporary, and runs once space is freed', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-full-settings-');
  const emulator = await startEmulator({});
  const disk = path.join(dirs.root, 'card');
  await fs.mkdir(disk);
  mountTmpfs(disk, 1024);
  try {
    const configDir = path.join(disk, 'rdl-sync');
    await writeConfig(configDir, testSettings(dirs, emulator), emulator);
    await fs.writeFile(path.join(dirs.watchDir, 'day.csv'), 'a,b\n1,2\n');
    const filler = await fill(disk);

    const full = await runCli(['run', '--config-dir', configDir], { home: dirs.root });
    assert.equal(full.code, 1, full.stderr);
    assert.match(
      full.stderr,
      new RegExp(`disk holding the settings folder ${configDir} is full \\(ENOSPC\\): free space`),
    );
    assert.match(full.stderr, /nothing is lost/);
    assert.deepEqual(
      (await fs.readdir(configDir)).filter((n) => n.startsWith('engine.lock')),
      [],
      'no lock or lock temporary left behind',
    );
    assert.equal(await fs.readFile(path.join(dirs.watchDir, 'day.csv'), 'utf8'), 'a,b\n1,2\n');

    // Space freed: the next start syncs.
    await fs.rm(filler);
    const once = await runCli(['once', '--config-dir', configDir], { home: dirs.root });
    assert.equal(once.code, 0, once.stderr);
    assert.equal(emulator.getFile('/RDL/site1/day.csv')?.size, 8);
  } finally {
    unmount(disk);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('a daemon stopped while its settings disk is full exits 0: the saves it cannot make are named in its log, none is a bare ENOSPC', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-full-settings-stop-');
  const emulator = await startEmulator({});
  let child: ChildProcess | undefined;
  const disk = path.join(dirs.root, 'card');
  await fs.mkdir(disk);
  mountTmpfs(disk, 1024);
  try {
    const configDir = path.join(disk, 'rdl-sync');
    await writeConfig(configDir, testSettings(dirs, emulator), emulator);
    child = spawnCli(['run', '--config-dir', configDir], {
      home: dirs.root,
      extraEnv: { RDL_SYNC_QUIET: '0' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await fs.writeFile(path.join(dirs.watchDir, 'first.csv'), 'a,b\n1,2\n');
    await waitSynced(dirs, emulator, 'first.csv');

    // The loggers fill the card: the journal and the history can no longer be saved, and a file
    // synced now leaves work the journal holds only in memory when the stop comes.
    // To the byte: an append that fits in a file's last page still lands on a full tmpfs.
    const filler = await fill(disk);
    await fillToTheByte(filler);
    for (let i = 0; i < 60; i++)
      await fs.writeFile(path.join(dirs.watchDir, `more-${i}.csv`), `a,b\n${i},4\n`);
    await waitFor('the files on Dropbox', async () => emulator.getFile('/RDL/site1/more-59.csv'));
    child.kill('SIGTERM');
    const { code } = await exited(child);
    // Before: exit 1 and "rdl-sync run: ENOSPC: no space left on device, write" (crash torture,
    // onecard layout, seed 32): systemd counts the stop as failed, and nothing said which file.
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /rdl-sync run: ENOSPC/);
    assert.match(
      stderr,
      new RegExp(
        `could not save journal\\.json before stopping: .* no file is lost .*disk holding the settings folder ${configDir} is full \\(ENOSPC\\): free space on it`,
      ),
    );
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    unmount(disk);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
