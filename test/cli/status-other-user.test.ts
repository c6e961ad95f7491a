// `sudo rdl-sync status` on a hub whose service runs as pi read root's own (empty) settings and
// said "Daemon not running. Setup needed: RDL Sync has no settings yet" on a hub that syncs: the
// next step a technician takes (set it up again, as root) makes a second syncer on the same
// folders. Now status names the RDL Sync that another user runs, and the command for its status.
// The hub's user is nobody here (setpriv), the daemon the real `rdl-sync run` through bin/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { exited, runCli } from './cli-harness.js';
import { startHubUserService } from './hub-user-service.js';
import { cannotDropPrivileges } from '../stage/unprivileged.js';

let root: string;
let daemon: ChildProcess | undefined;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-status-other-user-'));
  // mkdtemp makes it 0700: the hub's user must reach its folders below.
  await fs.chmod(root, 0o755);
});

after(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
  await fs.rm(root, { recursive: true, force: true });
});

test('status run as root beside a service of another user names that service', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const piHome = path.join(root, 'pi');
  const service = await startHubUserService(piHome, path.join(piHome, 'settings'));
  daemon = service.daemon;
  const { configDir: piConfig, env: pi, pid } = service;

  // root, with its own (empty) settings folder, as `sudo rdl-sync status` has.
  const rootHome = path.join(root, 'root-home');
  const r = await runCli(['status'], { home: rootHome });

  assert.equal(r.code, 0, r.stderr);
  const said = r.stdout;
  assert.match(said, /^Daemon not running\.$/m);
  assert.match(
    said,
    new RegExp(
      `^! RDL Sync runs on this machine as user nobody \\(pid ${pid}\\), with that user's settings: what follows are the settings in ${path.join(rootHome, '.config', 'rdl-sync')}, which it never reads`,
      'm',
    ),
    said,
  );
  assert.ok(
    said.includes(`Its status: sudo -u nobody rdl-sync status --config-dir '${piConfig}'`),
    said,
  );

  // The hub user's own status names its daemon, and no other.
  const own = await runCli(['status', '--config-dir', piConfig], pi);
  assert.match(own.stdout, new RegExp(`^Daemon running \\(pid ${pid}\\)`, 'm'), own.stdout);
  assert.doesNotMatch(own.stdout, /runs on this machine as user/);
});
