// The daemon and the commands that talk to it across processes: `run` publishes status.json,
// `status --json` reads it, `pause`/`resume` reach it through the settings file, SIGTERM stops it
// cleanly. Then `history` reads what it did.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { History } from '../../src/engine/history/index.js';
import type { HistoryRecord, StatusSnapshot } from '../../src/engine/status/types.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
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
  dirs = await makeDirs('rdl-cli-daemon-');
});

after(async () => {
  await killIfRunning(daemon);
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

const CSV_A = 'timestamp,temperature_c\n2026-11-24T08:00:00Z,4.1\n';
const CSV_B = 'timestamp,temperature_c\n2026-11-24T08:10:00Z,4.4\n';

test('run + status --json + pause/resume across processes + SIGTERM', async () => {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Run' }), emulator);
  const env: CliEnv = { home: dirs.root };
  const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
  const published = () => readPublishedStatus(dirs.configDir);
  const statusWhere = async (what: string, ok: (s: StatusSnapshot) => boolean) =>
    waitFor(what, async () => {
      const p = await published();
      return p && p.pid === daemon!.pid && ok(p.status) ? p : null;
    });

  daemon = spawnCli(['run', '--config-dir', dirs.configDir], env);
  let daemonErr = '';
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (daemonErr += d));
  const running = await statusWhere('the daemon to publish status.json', () => true);
  assert.equal(running.status.paused, false);

  // A second daemon beside it is refused, and its log never says it started.
  const second = await runCli(['run', '--config-dir', dirs.configDir], {
    ...env,
    extraEnv: { RDL_SYNC_QUIET: '0' },
  });
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, /Another RDL Sync \(pid \d+\) is already syncing/);
  assert.match(second.stdout, /daemon starting/);
  assert.doesNotMatch(second.stdout, /daemon started/);
  assert.doesNotMatch(second.stdout, /daemon stopped/, 'it never ran: no stop before its refusal');
  // …and leaves the running daemon's status.json as it was: `rdl-sync status` reads it. So does
  // a `once` (from cron, say) refused beside it. Before, each wrote its own blank final status.
  const afterSecond = await published();
  assert.equal(afterSecond?.pid, daemon.pid, JSON.stringify(afterSecond));
  const onceBeside = await cli('once');
  assert.notEqual(onceBeside.code, 0);
  assert.match(onceBeside.stderr, /Another RDL Sync \(pid \d+\) is already syncing/);
  const afterOnce = await published();
  assert.equal(afterOnce?.pid, daemon.pid, JSON.stringify(afterOnce));

  await writeFileIn(dirs.watchDir, 'RDL/USB0/a.csv', CSV_A);
  await waitFor(
    'a.csv on Dropbox and the SD card',
    async () =>
      Boolean(emulator.getFile('/RDL/Run/RDL/USB0/a.csv')) &&
      (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/a.csv'),
  );

  const st = await cli('status', '--json');
  assert.equal(st.code, 0, st.stdout + st.stderr);
  const json = JSON.parse(st.stdout) as { daemonRunning: boolean; status: StatusSnapshot };
  assert.equal(json.daemonRunning, true);
  assert.equal(json.status.archive.path, dirs.archiveDir);
  assert.equal(json.status.dropbox.connected, true);

  const paused = await cli('pause');
  assert.equal(paused.code, 0, paused.stdout + paused.stderr);
  assert.match(paused.stdout, /Paused until you run `rdl-sync resume`/);
  // It waited for the daemon to follow (its 2 s poll): paused as the command returns.
  assert.match(
    paused.stdout,
    /^The running RDL Sync \(pid \d+, .*\) follows it: no pass runs now\.$/m,
  );
  const atReturn = await published();
  assert.equal(atReturn?.pid, daemon.pid);
  assert.equal(atReturn?.status.paused, true);
  assert.equal(atReturn?.status.state, 'paused');

  await writeFileIn(dirs.watchDir, 'RDL/USB0/b.csv', CSV_B);
  // Two scheduled intervals (2 s) go by: a running daemon would have moved the file by then.
  await new Promise((r) => setTimeout(r, 4_500));
  assert.equal(emulator.getFile('/RDL/Run/RDL/USB0/b.csv'), undefined, 'not uploaded while paused');
  assert.deepEqual(await listFilesRel(dirs.watchDir), ['RDL/USB0/b.csv'], 'left where it was');

  const resumed = await cli('resume');
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  await waitFor('b.csv on Dropbox after resume', async () =>
    Boolean(emulator.getFile('/RDL/Run/RDL/USB0/b.csv')),
  );
  await statusWhere('the daemon to report running again', (s) => !s.paused);
  await waitFor('transit to empty', async () => (await listFilesRel(dirs.transitDir)).length === 0);

  const pid = daemon.pid;
  daemon.kill('SIGTERM');
  const end = await exited(daemon);
  assert.deepEqual(end, { code: 0, signal: null }, daemonErr);
  const last = await published();
  assert.ok(last);
  assert.equal(last.pid, null, 'status.json says the daemon stopped');
  assert.notEqual(pid, null);

  const stopped = await cli('status', '--json');
  assert.equal((JSON.parse(stopped.stdout) as { daemonRunning: boolean }).daemonRunning, false);
  assert.deepEqual(await listFilesRel(dirs.archiveDir), ['RDL/USB0/a.csv', 'RDL/USB0/b.csv']);
});

test('history lists done transfers; --failures filters; --json parses', async () => {
  // A give-up record as the pipeline writes it after repeated failures (which takes minutes of
  // back-off to happen for real); written through the engine's own History, daemon stopped.
  const history = await History.open(path.join(dirs.configDir, 'history.jsonl'), 5_000);
  const now = Date.now();
  history.append({
    rel: 'RDL/USB0/bad:name.csv',
    size: 10,
    contentHash: null,
    startedAtMs: now,
    finishedAtMs: now,
    outcome: 'failed',
    upload: {
      status: 'failed',
      atMs: now,
      code: 'disallowed-name',
      message: 'Dropbox refuses the name',
    },
    archive: {
      status: 'failed',
      atMs: now,
      code: 'disallowed-name',
      message: 'the card refuses ":"',
    },
  });
  await history.close();

  const env: CliEnv = { home: dirs.root };
  const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
  const [all, failures, asJson, search, noFailure, noMatch] = await Promise.all([
    cli('history'),
    cli('history', '--failures'),
    cli('history', '--json', '--limit', '10'),
    cli('history', '--search', 'b.csv', '--json'),
    cli('history', '--failures', '--search', 'USB1'),
    cli('history', '--search', 'USB1'),
  ]);
  for (const r of [all, failures, asJson, search, noFailure, noMatch])
    assert.equal(r.code, 0, r.stdout + r.stderr);
  // An empty answer says what it means: not "nothing recorded" when only the filter found none,
  // and not "nothing failed" for a file still short of the attempts that put it here.
  assert.equal(
    noFailure.stdout.trim(),
    'No failures recorded matching "USB1". A file failing in transit is listed here once it has ' +
      'failed 3 times. `rdl-sync status` counts every file failing now and names those that ' +
      'failed 3 times; the log names each failure as it happens.',
  );
  assert.equal(noMatch.stdout.trim(), 'No transfers recorded matching "USB1".');

  const lines = all.stdout.trim().split('\n');
  assert.equal(lines.length, 3, all.stdout);
  assert.match(all.stdout, /done +RDL\/USB0\/a\.csv .* dropbox: ok {2}archive: ok/);
  assert.match(all.stdout, /done +RDL\/USB0\/b\.csv .* dropbox: ok {2}archive: ok/);
  assert.match(
    all.stdout,
    /FAILED {2}RDL\/USB0\/bad:name\.csv .*dropbox: FAILED \(Dropbox refuses/,
  );

  assert.equal(failures.stdout.trim().split('\n').length, 1, failures.stdout);
  assert.match(failures.stdout, /FAILED {2}RDL\/USB0\/bad:name\.csv/);

  const records = JSON.parse(asJson.stdout) as HistoryRecord[];
  assert.deepEqual(records.map((r) => r.rel).sort(), [
    'RDL/USB0/a.csv',
    'RDL/USB0/b.csv',
    'RDL/USB0/bad:name.csv',
  ]);
  const b = records.find((r) => r.rel === 'RDL/USB0/b.csv')!;
  assert.equal(b.outcome, 'done');
  assert.equal(b.size, Buffer.byteLength(CSV_B));
  assert.equal(b.upload.status === 'done' && b.upload.contentHash, b.contentHash);

  assert.deepEqual(
    (JSON.parse(search.stdout) as HistoryRecord[]).map((r) => r.rel),
    ['RDL/USB0/b.csv'],
  );
});
