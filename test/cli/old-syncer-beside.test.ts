// `once` on a hub whose old syncer still runs (the switch-over's step 2 skipped): both would move
// the same files. import-legacy named the old syncer once; `once` and the service said nothing
// of it after. Now `once` warns, naming the process and how to stop it. A real process standing
// in for the old syncer (its command mentions sync.py, it works in the hub's folder), the real
// CLI against the Dropbox emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

test('once beside the old syncer still running on the hub: a warning naming it and the stop command', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-old-syncer-');
  const shelf = path.join(dirs.root, 'SHELF3');
  const logging = path.join(shelf, 'logging-folder');
  for (const name of ['1_inprogress', '2_tosync', '4_synced'])
    await fs.mkdir(path.join(logging, name), { recursive: true });
  // Node, not a shell: a shell may replace itself with its last command, and lose "sync.py".
  const old = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'sync.py'], {
    cwd: shelf,
    stdio: 'ignore',
  });
  try {
    const settings = testSettings(dirs, emulator, {
      site: 'Site3_Lakeshore',
      watchDir: path.join(logging, '2_tosync'),
      archiveDir: path.join(logging, '4_synced'),
    });
    await writeConfig(dirs.configDir, settings, emulator);
    const cli = (...args: string[]) =>
      runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });
    const beside = await cli('once');
    assert.equal(beside.code, 0, beside.stdout + beside.stderr);
    assert.match(
      beside.stdout,
      new RegExp(
        `^Warning: The old syncing script is still running \\(pid ${old.pid}: .* sync\\.py\\): it moves the same files as RDL Sync\\. Stop and disable the old syncing script`,
        'm',
      ),
    );
    old.kill();
    await new Promise((r) => old.once('exit', r));
    const alone = await cli('once');
    assert.equal(alone.code, 0, alone.stdout + alone.stderr);
    assert.doesNotMatch(alone.stdout, /old syncing script/, 'stopped: nothing said');
  } finally {
    old.kill();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
