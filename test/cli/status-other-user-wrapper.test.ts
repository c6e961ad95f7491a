// `sudo -u pi rdl-sync run` (a daemon started by hand as the hub's user; runuser, su and doas
// alike) stays as root's process, with the daemon its child. `status` of another user named that
// wrapper as a daemon: "RDL Sync runs on this machine as user root … Its status: sudo -u root
// rdl-sync status", of a root that syncs nothing. A real runuser wrapper here, whose child (a
// stand-in named rdl-sync that execs sleep) runs as the user daemon; status runs as nobody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exited, runCli, waitFor } from './cli-harness.js';
import { cannotDropPrivileges, NOBODY } from '../stage/unprivileged.js';

test('a sudo/runuser wrapper around another user\u2019s rdl-sync run is not named as a root daemon', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-status-wrapper-'));
  await fs.chmod(root, 0o755);
  const stand = path.join(root, 'bin', 'rdl-sync');
  await fs.mkdir(path.dirname(stand));
  await fs.writeFile(stand, '#!/bin/sh\nexec sleep 120\n', { mode: 0o755 });
  const wrapper = spawn('runuser', ['-u', 'daemon', '--', stand, 'run'], { stdio: 'ignore' });
  try {
    const pid = wrapper.pid!;
    // Its child has started (runuser stays as its parent).
    await waitFor('runuser to start its child', async () => {
      const kids = await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
      return kids.trim() !== '' ? true : undefined;
    });
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    assert.ok(cmdline.split('\0').includes('run'), 'the wrapper holds "rdl-sync run"');

    const r = await runCli(['status', '--config-dir', path.join(root, 'settings')], {
      home: root,
      asUid: NOBODY,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!r.stdout.includes(`(pid ${pid})`), r.stdout);
  } finally {
    wrapper.kill('SIGTERM');
    await exited(wrapper);
    await fs.rm(root, { recursive: true, force: true });
  }
});
