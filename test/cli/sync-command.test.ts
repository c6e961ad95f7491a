// `rdl-sync sync`: "Sync now" from a terminal. A person fixes what a file failed on (here a folder
// made immutable with chattr +i, which holds root too: its file cannot leave the watch folder),
// then asks. Before, nothing could try the file before its back-off ended: `once` waits it out,
// and beside a running daemon `once` is refused. Real CLI processes, the emulator over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { acquireRunLock, liveLockOwner } from '../../src/engine/run-lock.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { createEngine } from '../../src/engine/index.js';
import {
  exited,
  exitedWithin,
  killIfRunning,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
} from './cli-harness.js';

const LOCKED = 'RDL/held/locked.csv';

let emulator: Emulator;
const daemons: ChildProcess[] = [];
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  for (const daemon of daemons) await killIfRunning(daemon);
  await emulator.close();
  for (const root of roots) {
    execFileSync('chattr', ['-R', '-i', root]);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/**
 * A hub of its own: folders and settings (an hour between passes: only the pass at a daemon's
 * start, and then the ones asked for), the CLI on them, the daemon's log, and its start.
 */
async function hubOf(site: string) {
  const dirs = await makeDirs('rdl-cli-sync-');
  roots.push(dirs.root);
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site, intervalSeconds: 3600 }),
    emulator,
  );
  const cli = (...args: string[]) =>
    runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });
  const log = () => {
    const p = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
  };
  /** `rdl-sync run`, once its first pass has ended (killed after the file's tests if still up). */
  const startDaemon = async (): Promise<ChildProcess> => {
    const proc = spawnCli(['run', '--config-dir', dirs.configDir], { home: dirs.root });
    daemons.push(proc);
    await waitFor('the end of its first pass', async () => {
      const s = await readPublishedStatus(dirs.configDir);
      return s?.pid === proc.pid && !s?.status.passRunning && s?.status.lastPassMs;
    });
    return proc;
  };
  return { dirs, cli, log, startDaemon };
}

/** A hub whose logger's file is in a folder it cannot leave (chattr +i holds root too). */
async function hubWithLockedFile() {
  const hub = await hubOf('site1');
  const file = path.join(hub.dirs.watchDir, ...LOCKED.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 't,v\n1,2\n');
  execFileSync('chattr', ['+i', path.dirname(file)]);
  const fix = () => execFileSync('chattr', ['-i', path.dirname(file)]);
  return { ...hub, file, fix };
}

test('with no daemon, sync runs the pass here and tries the fixed file at once; once waits out its back-off', async () => {
  // A file on Dropbox where the file's folder should be (the upload fails, not_folder), which the
  // person then deletes in Dropbox's web page. That failure is kept in the journal: the next
  // `once`, in a new process, leaves the file to its back-off.
  const { dirs, cli } = await hubOf('Plain');
  const rel = 'RDL/USB0/a.csv';
  const file = path.join(dirs.watchDir, ...rel.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 't,v\n1,2\n');
  emulator.putFile('/RDL/Plain/RDL/USB0', Buffer.from('a file where a folder should be'));

  const first = await cli('once');
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.match(first.stdout, /failing in transit, kept there safely: RDL\/USB0\/a\.csv/);
  // …and says what tries it again before its back-off ends, as a second `once` would not.
  assert.match(
    first.stdout,
    /Once the cause is fixed, `rdl-sync sync` tries again at once \(a plain `rdl-sync once` may leave/,
  );
  // Nothing runs on after it: no next try "comes by itself".
  assert.doesNotMatch(first.stdout, /comes by itself/);
  emulator.deletePath('/RDL/Plain/RDL/USB0');
  const unasked = await cli('once');
  assert.equal(unasked.code, 1, 'once leaves a failed file to its back-off (30 s)');
  // …and says it did not try it, with when it failed: not the old error as if the fix had failed.
  assert.match(
    unasked.stdout,
    /failing in transit, kept there safely: RDL\/USB0\/a\.csv \(conflict, not tried this time; it failed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+: /,
    unasked.stdout,
  );
  assert.doesNotMatch(first.stdout, /not tried this time/, 'the first once tried it');
  assert.equal(emulator.getFile(`/RDL/Plain/${rel}`), undefined, unasked.stdout);

  const asked = await cli('sync');
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  assert.match(
    asked.stdout,
    /^No RDL Sync is running here \(no daemon, no tray app\): the pass runs in this command\.$/m,
  );
  assert.match(asked.stdout, /uploaded 1, .*0 still queued in transit/);
  assert.ok(emulator.getFile(`/RDL/Plain/${rel}`), 'on Dropbox');
});

test('beside a running daemon, sync asks it and waits for its pass: what the pass left, before and after the fix', async () => {
  const { dirs, file, cli, fix, log, startDaemon } = await hubWithLockedFile();
  const daemon = await startDaemon();
  const asksServed = () => log().match(/a pass asked for by rdl-sync sync/g)?.length ?? 0;
  assert.match(log(), /file could not be staged/, 'the first pass tried the file');
  const askedOf = new RegExp(
    `Asked the running RDL Sync \\(pid ${daemon.pid}, an .rdl-sync run. daemon\\)`,
  );

  // --wait 0: asks and returns at once, as before the wait existed.
  const quick = await cli('sync', '--wait', '0');
  assert.equal(quick.code, 0, quick.stdout + quick.stderr);
  assert.match(quick.stdout, askedOf);
  assert.match(quick.stdout, /it begins within a few seconds/);
  assert.doesNotMatch(quick.stdout, /The pass has ended/);
  const saved = JSON.parse(fs.readFileSync(path.join(dirs.configDir, 'config.json'), 'utf8'));
  await waitFor('the quick ask served', async () => {
    const served = (await readPublishedStatus(dirs.configDir))?.status.syncAskServedMs;
    return served != null && served >= saved.state.syncAskedAtMs;
  });

  // Not fixed yet: the pass asked for tries the file again, and sync says it is still held.
  const early = await cli('sync');
  assert.equal(early.code, 1, early.stdout + early.stderr);
  assert.match(early.stdout, askedOf);
  assert.match(early.stdout, /waiting for it to end \(at most 10 min; Ctrl-C ends the wait/);
  assert.match(early.stdout, /The pass has ended; 0 files done since the ask\./);
  assert.match(early.stdout, /Waiting in watch folder: 1 /);
  assert.equal(asksServed(), 2, log());

  fix();
  // `once` beside it is refused, and says what works beside it.
  const refused = await cli('once');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /use rdl-sync sync \/ status \/ pause \/ resume/);

  const asked = await cli('sync');
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  assert.match(asked.stdout, /The pass has ended; 1 file done since the ask\./);
  assert.match(asked.stdout, /State: idle\. /);
  assert.match(asked.stdout, /Waiting in watch folder: 0 +In transit: 0 /);
  // sync returned after the pass: the file is there already, not on its way.
  assert.ok(emulator.getFile(`/RDL/site1/${LOCKED}`), 'on Dropbox when sync returned');
  assert.ok(!fs.existsSync(file));
  assert.equal(asksServed(), 3, log());
  // The daemon took each ask once: the next polls of the same saved ask (every 2 s) run no pass.
  const lastPass = async () => (await readPublishedStatus(dirs.configDir))?.status.lastPassMs;
  const served = await lastPass();
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(await lastPass(), served, `the same ask served twice: ${log()}`);
  assert.equal(asksServed(), 3, log());

  // Asked while paused: the pass runs anyway (as the tray's and window's buttons do not), said.
  assert.equal((await cli('pause')).code, 0);
  await waitFor('the daemon paused', async () => {
    const s = await readPublishedStatus(dirs.configDir);
    return s?.pid === daemon.pid && s?.status.paused;
  });
  const whilePaused = await cli('sync');
  assert.equal(whilePaused.code, 0, whilePaused.stdout + whilePaused.stderr);
  assert.match(
    whilePaused.stdout,
    /^It is paused: this one pass runs anyway, and it stays paused after\.$/m,
  );
  assert.match(whilePaused.stdout, /^State: paused\./m);
  assert.equal(asksServed(), 4, log());
});

test('sync waiting on a daemon that is paused, then stopped, before its pass ends says which (exit 1); Ctrl-C ends only the wait', async () => {
  const { dirs, cli, log, startDaemon } = await hubOf('Stops');
  const proc = await startDaemon();
  const asksTaken = () => log().match(/a pass asked for by rdl-sync sync/g)?.length ?? 0;
  /** The daemon took the nth ask and is running its pass (published). */
  const runningAsk = (n: number) =>
    waitFor(`the daemon running the pass of ask ${n}`, async () => {
      const s = await readPublishedStatus(dirs.configDir);
      return asksTaken() >= n && s?.pid === proc.pid && s?.status.passRunning;
    });
  const drop = (name: string) => {
    const file = path.join(dirs.watchDir, 'RDL', 'USB0', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 't,v\n1,2\n');
  };
  // A file to upload over a slow link: each pass asked for runs for several seconds.
  emulator.shapeLink({ latencyMs: 1500 });
  try {
    drop('paused.csv');
    const first = cli('sync');
    await runningAsk(1);
    // `rdl-sync pause` cuts the pass short: nothing runs the ask until a resume. It returns once
    // the daemon shows the pass ended (it said "Paused" while the pass went on copying).
    const pausing = await cli('pause');
    assert.equal(pausing.code, 0, pausing.stdout + pausing.stderr);
    assert.match(
      pausing.stdout,
      new RegExp(
        `^The running RDL Sync \\(pid ${proc.pid}, an \`rdl-sync run\` daemon\\) has ended the pass under way: nothing is being copied now\\.$`,
        'm',
      ),
    );
    const atReturn = await readPublishedStatus(dirs.configDir);
    assert.equal(atReturn?.pid, proc.pid);
    assert.equal(atReturn?.status.paused, true);
    assert.equal(atReturn?.status.passRunning, false);
    const paused = await first;
    assert.equal(paused.code, 1, paused.stdout + paused.stderr);
    assert.match(
      paused.stdout,
      /RDL Sync was paused before the pass asked for ended: Paused until someone resumes it \(rdl-sync resume, .*\)\. 1 file waiting safely\. The pass after the resume tries the failing files again\.$/m,
    );
    assert.equal(emulator.getFile('/RDL/Stops/RDL/USB0/paused.csv'), undefined);
    // The resume's pass serves the ask the pause cut short.
    const saved = JSON.parse(fs.readFileSync(path.join(dirs.configDir, 'config.json'), 'utf8'));
    const resuming = await cli('resume');
    assert.equal(resuming.code, 0, resuming.stdout + resuming.stderr);
    assert.match(
      resuming.stdout,
      /^Resumed\.\nThe running RDL Sync \(pid \d+, .*\) follows it: a pass begins now\.$/m,
    );
    assert.equal((await readPublishedStatus(dirs.configDir))?.status.paused, false);
    await waitFor(
      'the ask served after the resume',
      async () =>
        ((await readPublishedStatus(dirs.configDir))?.status.syncAskServedMs ?? 0) >=
        saved.state.syncAskedAtMs,
      30_000,
    );
    assert.ok(emulator.getFile('/RDL/Stops/RDL/USB0/paused.csv'), 'served before the file moved');

    // Ctrl-C ends the wait, not the pass, and says so (not the words of a pass run here).
    drop('interrupted.csv');
    const interrupted = spawnCli(['sync', '--config-dir', dirs.configDir], { home: dirs.root });
    let stderr = '';
    interrupted.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await runningAsk(2);
    interrupted.kill('SIGINT');
    await exited(interrupted);
    assert.equal(interrupted.exitCode, 130, stderr);
    assert.match(
      stderr,
      new RegExp(
        `^rdl-sync sync: stopped waiting\\. The pass asked for goes on in the running RDL Sync \\(pid ${proc.pid}\\); rdl-sync status shows how it goes\\.$`,
        'm',
      ),
    );
    assert.doesNotMatch(stderr, /the next run takes them up/);
    await waitFor(
      "the interrupted wait's pass on Dropbox",
      async () => emulator.getFile('/RDL/Stops/RDL/USB0/interrupted.csv'),
      30_000,
    );

    drop('stopped.csv');
    const second = cli('sync');
    await runningAsk(3);
    proc.kill('SIGTERM');
    const stopped = await second;
    assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
    assert.match(
      stopped.stdout,
      new RegExp(`The running RDL Sync \\(pid ${proc.pid}\\) stopped before its pass ended`),
    );
    await exited(proc);
  } finally {
    emulator.resetLink();
    await killIfRunning(proc);
  }
});

test("beside an earlier version's daemon, whose status has no word for asks, sync says to restart it", async () => {
  // What a daemon of an earlier version publishes: the run lock (held here, as the service holds
  // it) and a status.json without syncAskServedMs. It never says an ask was served.
  const { dirs } = await hubOf('Older');
  const lock = await acquireRunLock(dirs.configDir, 'service');
  try {
    const status = new StatusModel(() => Date.now()).snapshot();
    delete status.syncAskServedMs;
    fs.writeFileSync(
      path.join(dirs.configDir, 'status.json'),
      JSON.stringify({ pid: process.pid, updatedAtMs: Date.now(), status }),
    );
    const r = await runCli(['sync', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `The running RDL Sync \\(pid ${process.pid}\\) is an earlier version: it does not say when the pass asked for ends .*; to have rdl-sync sync wait for its pass, restart it: sudo systemctl restart rdl-sync\\.`,
      ),
    );
  } finally {
    await lock.release();
  }
});

test('beside a tray app still waiting to be set up, sync says no pass could run (exit 2)', async () => {
  // The tray app takes the run lock before its first-run setup is done: a real engine started
  // here as the tray app starts it, with no settings saved yet.
  const dirs = await makeDirs('rdl-cli-sync-');
  roots.push(dirs.root);
  const engine = await createEngine({
    configDir: dirs.configDir,
    home: dirs.root,
    watchConfig: true,
    publishStatus: true,
    role: 'tray-app',
  });
  try {
    await engine.start();
    const r = await runCli(['sync', '--wait', '90s', '--config-dir', dirs.configDir], {
      home: dirs.root,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /the RDL Sync tray app\) for a pass now/);
    // As given: it read "at most 2 min".
    assert.match(r.stdout, /waiting for it to end \(at most 90s;/);
    assert.match(r.stdout, /^No pass could run: the running RDL Sync waits to be set up\.$/m);
    assert.match(r.stdout, /^! Setup needed: RDL Sync has no settings yet/m);
  } finally {
    await engine.stop();
  }
});

test('a hand edit with a mistake in the settings file: sync and pause beside the daemon say they could not be done, and why (exit 2), the file untouched', async () => {
  // The daemon keeps its last valid settings. Its pause and the sync ask live in that file, which
  // is left as the person wrote it (conf checks the whole file before it writes a key). Before,
  // both commands said "Paused" and "Asked", and nothing followed: sync waited its whole wait.
  const { dirs, cli, startDaemon } = await hubOf('Typo');
  const proc = await startDaemon();
  const configFile = path.join(dirs.configDir, 'config.json');
  try {
    const data = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    const edited = JSON.stringify({ ...data, intervalSeconds: -5 }, null, 2);
    fs.writeFileSync(configFile, edited);
    await waitFor('the mistake shown', async () =>
      (await readPublishedStatus(dirs.configDir))?.status.problems.some(
        (p) => p.id === 'settings-file-mistakes',
      ),
    );
    for (const command of [['sync', '--wait', '30s'], ['pause']]) {
      const r = await cli(...command);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^rdl-sync ${command[0]}: Not done: a pause or a sync ask is kept in the settings file, and that file could not be written: .*config\\.json has mistakes \\(intervalSeconds: Interval must be at least 2 seconds \\(got -5\\)\\)\\. It is left as it is; fix it first`,
          'm',
        ),
      );
      assert.doesNotMatch(r.stdout, /Asked the running|Paused until/);
    }
    assert.equal(fs.readFileSync(configFile, 'utf8'), edited, 'the file as the person wrote it');
    const s = await readPublishedStatus(dirs.configDir);
    assert.equal(s?.status.paused, false);
  } finally {
    await killIfRunning(proc);
  }
});

test('sync refuses a --wait that is not a duration, saving no ask', async () => {
  const { dirs } = await hubOf('Usage');
  const r = await runCli(['sync', '--wait', 'soon', '--config-dir', dirs.configDir], {
    home: dirs.root,
  });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /--wait: "soon" is not a duration/);
  const saved = JSON.parse(fs.readFileSync(path.join(dirs.configDir, 'config.json'), 'utf8'));
  assert.equal(saved.state?.syncAskedAtMs, undefined);
});

test('beside a once still at work, sync says to run it again when it has ended, and saves no ask', async () => {
  const { dirs } = await hubOf('Busy');
  const file = path.join(dirs.watchDir, 'RDL', 'USB0', 'a.csv');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 't,v\n1,2\n');
  // A slow link: `once` holds the run lock through a pass of several requests.
  emulator.shapeLink({ latencyMs: 1500 });
  const once = spawnCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  try {
    await waitFor('once holding the run lock', async () => {
      return (await liveLockOwner(dirs.configDir))?.role === 'once';
    });
    const r = await runCli(['sync', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`An rdl-sync once or sync \\(pid ${once.pid}\\) is syncing now and takes no asks`),
    );
    const saved = JSON.parse(fs.readFileSync(path.join(dirs.configDir, 'config.json'), 'utf8'));
    assert.equal(saved.state?.syncAskedAtMs, undefined, 'an ask nobody would serve was saved');
  } finally {
    emulator.resetLink();
    await exited(once);
  }
  assert.equal(once.exitCode, 0);
});

test('pause beside a running once (which follows no pause) waits for its pass to end before it returns', async () => {
  // `rdl-sync pause && umount /media/card` returned at once while the once copied on.
  const { dirs } = await hubOf('PauseOnce');
  const lock = await acquireRunLock(dirs.configDir, 'once');
  // The once "ends" only once pause has said it waits for it: a release on a timer raced the
  // command's own start on a loaded machine (it then found no once, and said nothing of one).
  const pause = spawnCli(['pause', '--config-dir', dirs.configDir], { home: dirs.root });
  let stdout = '';
  pause.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  pause.stderr!.resume();
  try {
    await waitFor('pause waiting for the once', async () =>
      /waiting for its pass to end/.test(stdout),
    );
    // Still waiting a moment later: it follows the once, not a timer of its own.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pause.exitCode, null, `returned while the once still ran: ${stdout}`);
    await lock.release();
    const ended = await exitedWithin(pause, 30_000);
    // (Its output read to the end: 'exit' may come before the pipe's last data.)
    if (!pause.stdout!.readableEnded) await once(pause.stdout!, 'end');
    assert.equal(ended?.code, 0, stdout);
    assert.match(
      stdout,
      new RegExp(
        `^An rdl-sync once or sync \\(pid ${process.pid}\\) is syncing now and follows no pause: waiting for its pass to end`,
        'm',
      ),
    );
    assert.match(stdout, /^It has ended: nothing is being copied now\.$/m);
  } finally {
    await lock.release();
    await killIfRunning(pause);
  }
});
