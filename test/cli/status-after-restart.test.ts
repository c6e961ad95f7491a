// `rdl-sync status` as an operator reads it after the README's steps: `once` by hand, then the
// service started (and, on a hub, restarted by every reboot). Before, a fresh engine knew nothing
// of earlier runs: after `once` had moved files, `status` said "Last file synced: never   Last
// pass: never", and so did a daemon after each restart until its own first file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { History } from '../../src/engine/history/index.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
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

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
let daemon: ChildProcess | null = null;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-status-restart-');
});

after(async () => {
  await killIfRunning(daemon);
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

test('after `once`, and after the daemon restarts, status names the last file synced and the last pass', async () => {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Restart' }), emulator);
  const env: CliEnv = { home: dirs.root };
  const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);

  await writeFileIn(dirs.watchDir, 'RDL/USB0/a.csv', 'timestamp,t\n2026-11-24T08:00:00Z,4.1\n');
  const once = await cli('once');
  assert.equal(once.code, 0, once.stdout + once.stderr);

  // No daemon: what `once` did is still known.
  const after = await cli('status');
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /^Daemon not running\.$/m);
  assert.match(after.stdout, /^State: idle\. Up to date\. Last file synced at \d\d:\d\d\.$/m);
  assert.doesNotMatch(after.stdout, /Last file synced: never/);
  assert.doesNotMatch(after.stdout, /Last pass: never/);
  // One date form, under the C locale of a service or an ssh session too (before: "12/2/2026,
  // 4:18:57 PM", ambiguous and 12-hour beside the sentence's 16:18), with the hub's zone.
  const stamp = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?:UTC|GMT[+-]\d+(?::\d\d)?|[A-Z]{3,5})`;
  assert.match(
    after.stdout,
    new RegExp(
      `^Last file synced: ${stamp} {3}Last pass: ${stamp} {3}Next pass: none \\(nothing runs\\)$`,
      'm',
    ),
  );
  const listed = await runCli(['history', '--config-dir', dirs.configDir], {
    ...env,
    extraEnv: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
  });
  assert.match(listed.stdout, new RegExp(`^${stamp} {2}done {4}RDL/USB0/a\\.csv `, 'm'));

  // The service starts (the README's step 4): its first status already knows the last file.
  daemon = spawnCli(['run', '--config-dir', dirs.configDir], env);
  const published = await waitFor('the daemon to publish status.json', async () => {
    const p = await readPublishedStatus(dirs.configDir);
    return p && p.pid === daemon!.pid && p.status.lastPassMs !== null ? p : null;
  });
  const history = JSON.parse((await cli('history', '--json')).stdout) as { finishedAtMs: number }[];
  assert.equal(published.status.lastSuccessMs, history[0]!.finishedAtMs);
  const running = await cli('status');
  assert.match(running.stdout, /^Daemon running \(pid \d+\)\.$/m);
  assert.doesNotMatch(running.stdout, /Last file synced: never/);
  daemon.kill('SIGTERM');
  assert.equal((await exited(daemon)).code, 0);
});

test('a last file from an earlier day is given with its date, not an hour that reads as today', async () => {
  const other = await makeDirs('rdl-cli-status-day-');
  try {
    await writeConfig(other.configDir, testSettings(other, emulator, { site: 'Day' }), emulator);
    // The history a hub keeps from before a restart: its last file three days ago.
    const threeDaysAgo = Date.now() - 3 * 24 * 3600_000;
    const HASH = 'a'.repeat(64);
    const leg = (p: string) =>
      ({
        status: 'done',
        atMs: threeDaysAgo,
        path: p,
        alreadyPresent: false,
        contentHash: HASH,
      }) as const;
    const history = await History.open(path.join(other.configDir, 'history.jsonl'), 5_000);
    history.append({
      rel: 'RDL/USB0/old.csv',
      size: 10,
      contentHash: HASH,
      startedAtMs: threeDaysAgo,
      finishedAtMs: threeDaysAgo,
      outcome: 'done',
      upload: leg('/RDL/Day/RDL/USB0/old.csv'),
      archive: leg(path.join(other.archiveDir, 'RDL/USB0/old.csv')),
    });
    await history.close();
    const r = await runCli(['status', '--config-dir', other.configDir], { home: other.root });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const d = new Date(threeDaysAgo);
    const two = (n: number): string => String(n).padStart(2, '0');
    const day = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
    const hhmm = `${two(d.getHours())}:${two(d.getMinutes())}`;
    assert.match(
      r.stdout,
      new RegExp(`^State: idle\\. Up to date\\. Last file synced on ${day} at ${hhmm}\\.$`, 'm'),
    );
  } finally {
    await fs.rm(other.root, { recursive: true, force: true });
  }
});

test('the running daemon whose token is revoked: status says not connected and how to reconnect a hub with no screen; a new connection clears it', async () => {
  const d = await makeDirs('rdl-cli-status-revoked-');
  let child: ChildProcess | null = null;
  try {
    await writeConfig(d.configDir, testSettings(d, emulator, { site: 'Revoked' }), emulator);
    const env: CliEnv = { home: d.root };
    const cli = (...args: string[]) => runCli([...args, '--config-dir', d.configDir], env);
    const published = (
      what: string,
      ok: (p: NonNullable<Awaited<ReturnType<typeof readPublishedStatus>>>) => boolean,
    ) =>
      waitFor(what, async () => {
        const p = await readPublishedStatus(d.configDir);
        return p && p.pid === child!.pid && ok(p) ? p : null;
      });
    child = spawnCli(['run', '--config-dir', d.configDir], env);
    await writeFileIn(d.watchDir, 'RDL/USB0/a.csv', 't,v\n1,2\n');
    await published(
      'a.csv synced, Dropbox connected',
      (p) => p.status.counts.doneThisRun === 1 && p.status.dropbox.connected,
    );

    const creds = new FileCredentialStore(d.configDir);
    emulator.revokeRefreshToken((await creds.load())!.refreshToken);
    emulator.expireAccessTokens({ afterCalls: 0 });
    await writeFileIn(d.watchDir, 'RDL/USB0/b.csv', 't,v\n3,4\n');
    const revoked = await published('the revocation found', (p) =>
      p.status.problems.some((x) => x.code === 'auth-revoked'),
    );
    // Before: connected stayed true and status printed the account as if all was well.
    assert.equal(revoked.status.dropbox.connected, false);
    const text = await cli('status');
    assert.match(text.stdout, /^Dropbox: not connected$/m);
    assert.match(
      text.stdout,
      /^! Dropbox access was revoked: reconnect RDL Sync to Dropbox \(window: Connect to Dropbox; headless: rdl-sync auth\); 1 file is waiting safely\.$/m,
    );

    // A new connection (as `rdl-sync auth` saves it): the next pass uploads and says connected.
    await creds.save({ appKey: emulator.appKey, refreshToken: emulator.issueRefreshToken() });
    const back = await published('connected again', (p) => p.status.counts.doneThisRun === 2);
    assert.equal(back.status.dropbox.connected, true);
    assert.ok(!back.status.problems.some((x) => x.code === 'auth-revoked'));
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    await killIfRunning(child);
    await fs.rm(d.root, { recursive: true, force: true });
  }
});

test('a daemon started before any setup says it is not set up and where it looked, not that settings "need fixing"', async () => {
  const home = await makeDirs('rdl-cli-not-set-up-');
  try {
    // As the service does when it runs as another user than the one who imported.
    const r = await runCli(['run'], { home: home.root, extraEnv: { XDG_CONFIG_HOME: '' } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(
      lines[0],
      `Not starting: RDL Sync is not set up yet (no settings in ${path.join(home.root, '.config', 'rdl-sync', 'config.json')}).`,
    );
    assert.match(
      lines[1]!,
      /^Setup needed: RDL Sync has no settings yet\. .*`rdl-sync import-legacy`/,
    );
    assert.doesNotMatch(r.stdout, /need fixing|Fix them/);

    // `status` there: before, 'SD card:  — NOT PRESENT' (an empty path, as if a card were out).
    const st = await runCli(['status'], { home: home.root, extraEnv: { XDG_CONFIG_HOME: '' } });
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /^SD card: no archive folder set yet$/m);
    assert.doesNotMatch(st.stdout, /NOT PRESENT/);
  } finally {
    await fs.rm(home.root, { recursive: true, force: true });
  }
});
