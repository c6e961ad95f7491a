// A Pi keeps everything on one SD card: settings, logs, the watch, transit and archive folders.
// When the card has errors the kernel remounts it read-only. Found with the real built daemon on a
// tmpfs remounted `ro`: it went on running, but `rdl-sync status` read a status.json frozen at
// the remount ("Up to date", next pass long past) and nothing named the settings folder. Now the
// daemon raises a problem naming the disk and the fix (an alert through the channels, which need
// no disk), `status` says its file is stale and why, and both clear by themselves once the card
// is writable again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
import { alertLogHook } from '../alerts/loopback.js';
import { canMount, mountTmpfs, remountReadOnly, unmount } from '../archive/helpers.js';
import { spawnSync } from 'node:child_process';
import {
  exited,
  readPublishedStatus,
  runCli,
  spawnBuiltCli,
  waitFor,
  waitSynced,
  writeFileIn,
  killIfRunning,
} from '../cli/cli-harness.js';
import { faketimeEnv, findLibfaketime, MISSING_LIBFAKETIME } from './faketime.js';

function remountWritable(dir: string): void {
  const r = spawnSync('mount', ['-o', 'remount,rw', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/**
 * A hub whose settings, watch, transit and archive folders are all on `card` (as on a Pi), with
 * an alert command that lives off the card (as an email server does) and logs each alert.
 */
async function hubOnCard(
  card: string,
  outside: string,
  emulator: Emulator,
  extra: Partial<Settings> = {},
): Promise<{
  dirs: Record<'configDir' | 'watchDir' | 'transitDir' | 'archiveDir', string>;
  alertLog: string;
}> {
  const dirs = {
    configDir: path.join(card, 'config'),
    watchDir: path.join(card, 'tosync'),
    transitDir: path.join(card, 'transit'),
    archiveDir: path.join(card, 'synced'),
  };
  await fs.mkdir(dirs.watchDir);
  await fs.mkdir(dirs.archiveDir);
  // Each alert's words after its condition: what a person is told is checked, not only that.
  const { hook, log: alertLog } = await alertLogHook(outside, 'alerts.log', { words: true });
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { alertCommand: hook, ...extra }),
    emulator,
  );
  return { dirs, alertLog };
}

test('the card remounted read-only: a problem and an alert name the settings folder, status says it is stale, and all clears when writable again', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const libfaketime = findLibfaketime();
  assert.ok(libfaketime, MISSING_LIBFAKETIME);
  const outside = await makeDirs('rdl-ro-card-');
  const emulator = await startEmulator({});
  const card = path.join(outside.root, 'card');
  await fs.mkdir(card);
  mountTmpfs(card, 8 * 1024);
  let daemon: ChildProcess | null = null;
  let stderr = '';
  try {
    const { dirs, alertLog } = await hubOnCard(card, outside.root, emulator, {
      alertFlapMinutes: 0,
    });
    const alerts = (): Promise<string> => fs.readFile(alertLog, 'utf8').catch(() => '');
    const home = outside.root;
    daemon = await spawnBuiltCli(['run', '--config-dir', dirs.configDir], { home });
    const child = daemon;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await waitFor(
      'the daemon to publish status.json',
      async () => (await readPublishedStatus(dirs.configDir))?.pid === child.pid,
      60_000,
    );
    await writeFileIn(dirs.watchDir, 'RDL/USB0/before.csv', 'before the remount\n');
    await waitSynced(dirs, emulator, 'RDL/USB0/before.csv');

    remountReadOnly(card);
    await waitFor(
      'an alert naming the unwritable settings folder',
      async () => (await alerts()).includes('raised settings-unwritable'),
      60_000,
    );
    assert.equal(child.exitCode, null, `the daemon exited: ${stderr.slice(-2000)}`);
    // What `status` shows 10 minutes on: the file it reads stopped at the remount.
    const later = await runCli(['status', '--config-dir', dirs.configDir], {
      home,
      extraEnv: faketimeEnv(libfaketime, await offsetFile(outside.root, '+10m')),
    });
    assert.equal(later.code, 0, later.stderr);
    assert.match(
      later.stdout,
      /^! This status was written \d+ min ago and the daemon has not updated it since: The settings folder .*config cannot be written \(EROFS\): its disk was made read-only, which Linux does to a disk that shows errors.*Check the disk \(`sudo dmesg`\)/m,
    );
    // The settings disk here is no SD card (a lab desktop's may be any disk): no card words.
    assert.doesNotMatch(later.stdout, /SD card|the card/);

    remountWritable(card);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/after.csv', 'after the card is writable\n');
    await waitFor(
      'after.csv on Dropbox and the card, and the problem cleared',
      async () => {
        const p = await readPublishedStatus(dirs.configDir);
        return (
          (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/after.csv') &&
          Boolean(emulator.getFile('/RDL/site1/RDL/USB0/after.csv')) &&
          p !== null &&
          !p.status.problems.some((x) => x.code === 'settings-unwritable')
        );
      },
      60_000,
    );
    await waitFor('the clear alert', async () =>
      (await alerts()).includes('cleared settings-unwritable'),
    );
    const now = await runCli(['status', '--config-dir', dirs.configDir], { home });
    assert.doesNotMatch(now.stdout, /^! This status was written/m);
    assert.equal(
      (await alerts()).match(/raised settings-unwritable/g)?.length,
      1,
      'one alert for the condition, not one per pass',
    );

    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0, stderr.slice(-2000));
  } finally {
    await killIfRunning(daemon);
    unmount(card);
    await emulator.close();
    await fs.rm(outside.root, { recursive: true, force: true });
  }
});

async function offsetFile(dir: string, offset: string): Promise<string> {
  const file = path.join(dir, 'faketime-offset');
  await fs.writeFile(file, `${offset}\n`);
  return file;
}

test('under systemd, started on a read-only card: the daemon says why once, alerts once, and starts when the card is writable', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const outside = await makeDirs('rdl-ro-start-');
  const emulator = await startEmulator({});
  const card = path.join(outside.root, 'card');
  await fs.mkdir(card);
  mountTmpfs(card, 8 * 1024);
  let daemon: ChildProcess | null = null;
  try {
    const { dirs, alertLog } = await hubOnCard(card, outside.root, emulator);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/day.csv', 'written before the card failed\n');
    remountReadOnly(card);

    daemon = await spawnBuiltCli(['run', '--config-dir', dirs.configDir], {
      home: outside.root,
      extraEnv: { INVOCATION_ID: 'f00dfeedf00dfeedf00dfeedf00dfeed' },
    });
    const child = daemon;
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await waitFor('the reason on stdout', async () => /tries again every/.test(stdout), 60_000);
    assert.match(
      stdout,
      /^Cannot start: the settings folder .*config cannot be written \(EROFS\): its disk was made read-only, which Linux does to a disk that shows errors: check the disk \(`sudo dmesg`\).*nothing is lost/m,
    );
    assert.doesNotMatch(stdout, /SD card|the card/);
    assert.doesNotMatch(stdout, /engine\.lock\..*\.tmp/, 'no bare errno naming a temporary');
    await waitFor('one alert', async () =>
      (await fs.readFile(alertLog, 'utf8').catch(() => '')).includes('raised daemon-stopped'),
    );
    assert.equal(child.exitCode, null, 'waits instead of exiting into a restart loop');
    // It waits and tries again by itself: people are not sent to restart it (they were).
    const words = await fs.readFile(alertLog, 'utf8');
    assert.match(
      words,
      /^raised daemon-stopped RDL Sync cannot start: the settings folder .* cannot be written \(EROFS\): .*\. Nothing syncs until it does; files wait safely\. It tries again every 15 s and starts by itself once this is fixed, no restart needed\./m,
    );
    assert.doesNotMatch(words, /systemctl restart|Cannot start/);

    remountWritable(card);
    await waitSynced(dirs, emulator, 'RDL/USB0/day.csv');
    assert.equal(
      (await fs.readFile(alertLog, 'utf8')).match(/raised daemon-stopped/g)?.length,
      1,
      'one alert, not one per try',
    );
    assert.equal(stdout.match(/Cannot start/g)?.length, 1, 'said once');
    // The people told "nothing syncs until it runs again" hear that it does (before: never).
    await waitFor('the stop resolved', async () =>
      (await fs.readFile(alertLog, 'utf8')).includes('cleared daemon-stopped'),
    );
    assert.equal(
      (await fs.readFile(alertLog, 'utf8')).match(/cleared daemon-stopped/g)?.length,
      1,
      'resolved once',
    );
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    await killIfRunning(daemon);
    unmount(card);
    await emulator.close();
    await fs.rm(outside.root, { recursive: true, force: true });
  }
});
