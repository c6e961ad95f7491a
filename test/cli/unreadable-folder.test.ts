// A folder in the watch folder that RDL Sync's user cannot enter (a logger's folder made by root
// with mode 700, a chmod by hand): its files are unknown, so no count shows them. `once` printed
// "Cannot read …" and still exited 0; `status` with no daemon then read "Up to date"; `sync`
// beside the daemon exited 0. A cron job or a technician took that for everything synced. Real
// permission bits (the CLI and the daemon run as nobody, as a hub's run as pi), the real CLI
// against the Dropbox emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  killIfRunning,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  type CliEnv,
} from './cli-harness.js';
import { cannotDropPrivileges, giveTreeToNobody, NOBODY } from '../stage/unprivileged.js';

test('a folder nobody can enter: once, status and sync beside the daemon say files are held (exit 1), until it is opened', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-unreadable-folder-');
  let daemon: ChildProcess | null = null;
  try {
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { site: 'Shut', intervalSeconds: 3600 }),
      emulator,
    );
    const shut = path.join(dirs.watchDir, 'RDL', 'USB1');
    for (const rel of ['RDL/USB0/open.csv', 'RDL/USB1/a.csv', 'RDL/USB1/b.csv']) {
      const p = path.join(dirs.watchDir, rel);
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, `t,v\n${rel.length},1\n`);
    }
    await giveTreeToNobody(dirs.root);
    await fs.chmod(shut, 0o000);
    const env: CliEnv = { home: dirs.root, asUid: NOBODY };
    const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
    const cannotRead = /^! Cannot read RDL\/USB1: permission denied/m;

    const once = await cli('once');
    const onceOut = once.stdout + once.stderr;
    assert.match(onceOut, cannotRead, onceOut);
    assert.equal(once.code, 1, `files are held: not exit 0\n${onceOut}`);
    assert.ok(emulator.getFile('/RDL/Shut/RDL/USB0/open.csv'), 'the file beside it went on');

    const status = await cli('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Daemon not running\./m);
    assert.match(status.stdout, /^State: attention\. Cannot read RDL\/USB1/m, status.stdout);
    assert.doesNotMatch(status.stdout, /Up to date/, status.stdout);
    assert.match(status.stdout, cannotRead, status.stdout);
    // Its files are in no count, and the count says so.
    assert.match(status.stdout, /^Waiting in watch folder: 0 \+ what cannot be read \(below\) /m);

    daemon = spawnCli(['run', '--config-dir', dirs.configDir], env);
    const pid = daemon.pid;
    await waitFor('the daemon to end its first pass', async () => {
      const s = await readPublishedStatus(dirs.configDir);
      return s !== null && s.pid === pid && !s.status.passRunning && s.status.lastPassMs !== null;
    });
    const held = await cli('sync', '--wait', '1m');
    assert.equal(held.code, 1, held.stdout + held.stderr);
    assert.match(held.stdout, cannotRead, held.stdout);

    // Opened: the files move, and every command says so.
    await fs.chmod(shut, 0o755);
    const moved = await cli('sync', '--wait', '1m');
    assert.equal(moved.code, 0, moved.stdout + moved.stderr);
    assert.doesNotMatch(moved.stdout, /Cannot read/, moved.stdout);
    for (const name of ['a.csv', 'b.csv'])
      assert.ok(emulator.getFile(`/RDL/Shut/RDL/USB1/${name}`), `${name} on Dropbox`);
  } finally {
    await killIfRunning(daemon);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
