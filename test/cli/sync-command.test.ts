// `rdl-sync sync`: "Sync now" from a terminal. A person fixes what a file failed on (here a folder
// made immutable with chattr +i, which holds root too: its file cannot leave the watch folder),
// then asks. Before, nothing could try the file before its back-off ended: `once` waits it out,
// and beside a running daemon `once` is refused. Real CLI processes, the emulator over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { liveLockOwner } from '../../src/engine/run-lock.js';
import {
  exited,
  killIfRunning,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
} from './cli-harness.js';

const LOCKED = 'RDL/held/locked.csv';

let emulator: Emulator;
let daemon: ChildProcess | null = null;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  await killIfRunning(daemon);
  await emulator.close();
  for (const root of roots) {
    execFileSync('chattr', ['-R', '-i', root]);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** Folders and settings of their own, with the logger's file in a folder it cannot leave. */
async function hubWithLockedFile(intervalSeconds: number) {
  const dirs = await makeDirs('rdl-cli-sync-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { intervalSeconds }), emulator);
  const file = path.join(dirs.watchDir, ...LOCKED.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 't,v\n1,2\n');
  execFileSync('chattr', ['+i', path.dirname(file)]);
  const cli = (...args: string[]) =>
    runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });
  const fix = () => execFileSync('chattr', ['-i', path.dirname(file)]);
  return { dirs, file, cli, fix };
}

test('with no daemon, sync runs the pass here and tries the fixed file at once; once waits out its back-off', async () => {
  // A file on Dropbox where the file's folder should be (the upload fails, not_folder), which the
  // person then deletes in Dropbox's web page. That failure is kept in the journal: the next
  // `once`, in a new process, leaves the file to its back-off.
  const dirs = await makeDirs('rdl-cli-sync-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Plain' }), emulator);
  const rel = 'RDL/USB0/a.csv';
  const file = path.join(dirs.watchDir, ...rel.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 't,v\n1,2\n');
  emulator.putFile('/RDL/Plain/RDL/USB0', Buffer.from('a file where a folder should be'));
  const cli = (...args: string[]) =>
    runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });

  const first = await cli('once');
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.match(first.stdout, /failing in transit: RDL\/USB0\/a\.csv/);
  // …and says what tries it again before its back-off ends, as a second `once` would not.
  assert.match(first.stdout, /Once the cause is fixed, `rdl-sync sync` on the hub/);
  emulator.deletePath('/RDL/Plain/RDL/USB0');
  const unasked = await cli('once');
  assert.equal(unasked.code, 1, 'once leaves a failed file to its back-off (30 s)');
  assert.equal(emulator.getFile(`/RDL/Plain/${rel}`), undefined, unasked.stdout);

  const asked = await cli('sync');
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  assert.match(asked.stdout, /uploaded 1, .*0 still queued in transit/);
  assert.ok(emulator.getFile(`/RDL/Plain/${rel}`), 'on Dropbox');
});

test('beside a running daemon, sync asks it: it runs a pass at once and tries the fixed file', async () => {
  // An hour between passes: only the pass at its start, and then the one asked for.
  const { dirs, file, cli, fix } = await hubWithLockedFile(3600);
  daemon = spawnCli(['run', '--config-dir', dirs.configDir], { home: dirs.root });
  const log = () => {
    const p = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
  };
  await waitFor('the daemon failing to stage the file', async () =>
    /file could not be staged/.test(log()),
  );
  const firstPass = await waitFor('the end of its first pass', async () => {
    const s = await readPublishedStatus(dirs.configDir);
    return !s?.status.passRunning && s?.status.lastPassMs;
  });
  fix();
  // `once` beside it is refused, and says what works beside it.
  const refused = await cli('once');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /use rdl-sync sync \/ status \/ pause \/ resume/);

  const asked = await cli('sync');
  assert.equal(asked.code, 0, asked.stdout + asked.stderr);
  assert.match(
    asked.stdout,
    new RegExp(`Asked the running RDL Sync \\(pid ${daemon.pid}, an .rdl-sync run. daemon\\)`),
  );
  await waitFor('the fixed file on Dropbox', async () => emulator.getFile(`/RDL/site1/${LOCKED}`));
  assert.ok(!fs.existsSync(file));
  assert.match(log(), /a pass asked for by rdl-sync sync; failing files are tried again/);
  // The daemon took the ask once: the next polls of the same saved ask (every 2 s) run no pass.
  const lastPass = async () => (await readPublishedStatus(dirs.configDir))?.status.lastPassMs;
  const served = await waitFor('the end of the pass asked for', async () => {
    const s = await readPublishedStatus(dirs.configDir);
    const last = s?.status.lastPassMs;
    return !s?.status.passRunning && last && last > firstPass && last;
  });
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(await lastPass(), served, `the same ask served twice: ${log()}`);
});

test('beside a once still at work, sync says to run it again when it has ended, and saves no ask', async () => {
  const dirs = await makeDirs('rdl-cli-sync-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Busy' }), emulator);
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
