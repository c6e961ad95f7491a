// Hands-on trial: a hub offline long enough to fill its transit disk, its service killed and
// started again (the hubs reboot themselves after 12 h offline). The restarted daemon's first pass
// said "Files already in transit still sync" (no pass had yet found Dropbox out of reach), a false
// sentence that also made the condition's words differ from those announced, so the same full
// transit disk was emailed again after every restart; the file it named (whichever was refused
// first) did the same. A real daemon (child process) killed with SIGKILL, the transit folder on a
// real full tmpfs, Dropbox's port refused, a loopback webhook.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { canMount, fill, mountTmpfs, unmount } from '../archive/helpers.js';
import {
  exited,
  killIfRunning,
  readPublishedStatus,
  spawnCli,
  waitFor,
  type CliEnv,
} from '../cli/cli-harness.js';
import { freePort, startWebhookServer } from './loopback.js';

let daemon: ChildProcess | null = null;
after(() => killIfRunning(daemon));

test('a daemon restarted with the transit disk full and Dropbox away neither says transit still syncs nor announces the full disk again', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const emulator = await startEmulator({});
  const hook = await startWebhookServer();
  const dirs = await makeDirs('rdl-transit-full-restart-');
  const disk = path.join(dirs.root, 'transit-disk');
  await fs.mkdir(disk);
  mountTmpfs(disk, 256);
  t.after(async () => {
    await killIfRunning(daemon);
    unmount(disk);
    await hook.close();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  });
  const transitDir = path.join(disk, 'transit');
  await fs.mkdir(transitDir);
  // Dropbox out of reach: its port refuses connections (the credentials are real ones).
  const refused = `http://127.0.0.1:${await freePort()}`;
  await writeConfig(
    dirs.configDir,
    testSettings({ ...dirs, transitDir }, emulator, {
      site: 'Site4_FullTransit',
      dropboxEndpoint: refused,
      alertWebhookFormat: 'generic',
    }),
    emulator,
  );
  await new AlertSecretStore(dirs.configDir).set('webhook-url', `${hook.url}/hooks/transit`);
  const env: CliEnv = { home: dirs.root };
  const raises = (): number =>
    hook.requests.filter((r) => {
      const b = r.body as { event: string; condition: string };
      return b.event === 'raised' && b.condition === 'transit-unwritable';
    }).length;
  const transitProblem = async (): Promise<string | null> => {
    const p = await readPublishedStatus(dirs.configDir);
    return p?.status.problems.find((x) => x.id === 'transit-unwritable')?.message ?? null;
  };
  const start = async (): Promise<{ child: ChildProcess; firstPassMs: number }> => {
    const child = spawnCli(['run', '--config-dir', dirs.configDir], env);
    daemon = child;
    const firstPassMs = await waitFor('the daemon’s first pass', async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p && p.pid === child.pid && p.status.lastPassMs !== null && p.status.lastPassMs;
    });
    return { child, firstPassMs };
  };

  // One file first: a pass finds that it cannot reach Dropbox, so the file stays in transit.
  await fs.writeFile(path.join(dirs.watchDir, 'first.csv'), Buffer.alloc(4096, 1));
  let { child } = await start();
  await waitFor('the first file archived, its upload waiting', async () => {
    const p = await readPublishedStatus(dirs.configDir);
    const s = p?.status;
    return s && s.counts.transit === 1 && s.counts.archivePending === 0 && s.offlineCause;
  });
  // Someone else's file fills the disk; the loggers go on writing.
  await fill(disk);
  for (let i = 0; i < 6; i++) {
    await fs.writeFile(path.join(dirs.watchDir, `later-${i}.csv`), Buffer.alloc(8192 + i, 2));
  }
  await waitFor('the full transit disk announced', async () => raises() === 1);
  const told = await waitFor('the full transit disk in the status', transitProblem);
  const raise = hook.requests[0]!.body as { title: string };
  assert.match(raise.title, /needs attention: the transit folder full or not writable/);
  assert.match(told, /does not fit on the disk of the transit folder/);
  assert.match(told, /Files in transit wait too while Dropbox is unreachable/);
  child.kill('SIGKILL');
  await exited(child);

  // Restarted as it was: the same disk, still full, and Dropbox still away.
  ({ child } = await start());
  const logFile = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
  const sinceRestart = async (): Promise<string> => {
    const log = await fs.readFile(logFile, 'utf8');
    return log.slice(log.lastIndexOf('daemon starting'));
  };
  // Its first pass to the end (it has tried Dropbox), and the words it then found.
  await waitFor(
    'the restarted daemon’s first pass',
    async () => /\] \[info\] +pass \{/.test(await sinceRestart()),
    30_000,
  );
  await waitFor('the full transit disk in the status', async () =>
    /wait too while Dropbox is unreachable/.test((await transitProblem()) ?? ''),
  );
  // Dropbox never answered: no pass may have said that the files in transit sync.
  const log = await fs.readFile(logFile, 'utf8');
  assert.doesNotMatch(log, /still sync/);
  assert.equal(raises(), 1, 'the full transit disk is not announced again after the restart');
  child.kill('SIGTERM');
  assert.equal((await exited(child)).code, 0);
});
