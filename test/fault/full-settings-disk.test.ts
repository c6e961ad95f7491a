// A hub keeps its settings folder on the loggers' one card, and a full disk is the hubs' most
// common fault (WORKLOAD.md). Found by the crash torture: the daemon started on a full disk failed
// with a bare "rdl-sync run: ENOSPC: no space left on device, write" and left an empty
// engine.lock.<uuid>.tmp behind at every start (systemd restarts it every minute). It must say
// which disk is full and what to do, lose nothing, leave nothing behind, and start once space is
// freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { listFilesRel, makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { History } from '../../src/engine/history/index.js';
import { canMount, fill, fillToTheByte, mountTmpfs, unmount } from '../archive/helpers.js';
import { exited, runCli, spawnCli, waitFor, waitSynced, writeFileIn } from '../cli/cli-harness.js';
import { alertLogHook } from '../alerts/loopback.js';

test('the daemon on a full settings disk names the disk and the fix, leaves no temporary, and runs once space is freed', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-full-settings-');
  const emulator = await startEmulator({});
  const disk = path.join(dirs.root, 'card');
  await fs.mkdir(disk);
  mountTmpfs(disk, 1024);
  try {
    const configDir = path.join(disk, 'rdl-sync');
    await writeConfig(configDir, testSettings(dirs, emulator), emulator);
    await fs.writeFile(path.join(dirs.watchDir, 'day.csv'), 'a,b\n1,2\n');
    const filler = await fill(disk);

    const full = await runCli(['run', '--config-dir', configDir], { home: dirs.root });
    assert.equal(full.code, 1, full.stderr);
    assert.match(
      full.stderr,
      new RegExp(`disk holding the settings folder ${configDir} is full \\(ENOSPC\\): free space`),
    );
    assert.match(full.stderr, /nothing is lost/);
    assert.deepEqual(
      (await fs.readdir(configDir)).filter((n) => n.startsWith('engine.lock')),
      [],
      'no lock or lock temporary left behind',
    );
    assert.equal(await fs.readFile(path.join(dirs.watchDir, 'day.csv'), 'utf8'), 'a,b\n1,2\n');

    // Space freed: the next start syncs.
    await fs.rm(filler);
    const once = await runCli(['once', '--config-dir', configDir], { home: dirs.root });
    assert.equal(once.code, 0, once.stderr);
    assert.equal(emulator.getFile('/RDL/site1/day.csv')?.size, 8);
  } finally {
    unmount(disk);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('a daemon stopped while its settings disk is full exits 0: the saves it cannot make are named in its log, none is a bare ENOSPC', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-full-settings-stop-');
  const emulator = await startEmulator({});
  let child: ChildProcess | undefined;
  const disk = path.join(dirs.root, 'card');
  await fs.mkdir(disk);
  mountTmpfs(disk, 1024);
  try {
    const configDir = path.join(disk, 'rdl-sync');
    await writeConfig(configDir, testSettings(dirs, emulator), emulator);
    child = spawnCli(['run', '--config-dir', configDir], {
      home: dirs.root,
      extraEnv: { RDL_SYNC_QUIET: '0' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await fs.writeFile(path.join(dirs.watchDir, 'first.csv'), 'a,b\n1,2\n');
    await waitSynced(dirs, emulator, 'first.csv');

    // The loggers fill the card: the journal and the history can no longer be saved, and a file
    // synced now leaves work the journal holds only in memory when the stop comes.
    // To the byte: an append that fits in a file's last page still lands on a full tmpfs.
    const filler = await fill(disk);
    await fillToTheByte(filler);
    for (let i = 0; i < 60; i++)
      await fs.writeFile(path.join(dirs.watchDir, `more-${i}.csv`), `a,b\n${i},4\n`);
    await waitFor('the files on Dropbox', async () => emulator.getFile('/RDL/site1/more-59.csv'));
    child.kill('SIGTERM');
    const { code } = await exited(child);
    // Before: exit 1 and "rdl-sync run: ENOSPC: no space left on device, write" (crash torture,
    // onecard layout, seed 32): systemd counts the stop as failed, and nothing said which file.
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /rdl-sync run: ENOSPC/);
    assert.match(
      stderr,
      new RegExp(
        `could not save journal\\.json before stopping: .* no file is lost .*disk holding the settings folder ${configDir} is full \\(ENOSPC\\): free space on it`,
      ),
    );
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    unmount(disk);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('a file finished while the settings disk is full is recorded done once: no record is kept whose finished mark could not be saved', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-full-settings-finish-');
  const emulator = await startEmulator({});
  const children: ChildProcess[] = [];
  const disk = path.join(dirs.root, 'card');
  await fs.mkdir(disk);
  mountTmpfs(disk, 1024);
  let cardMounted = false;
  try {
    const configDir = path.join(disk, 'rdl-sync');
    // The archive is a card that is not in yet: the files reach Dropbox and wait in transit.
    await writeConfig(
      configDir,
      testSettings(dirs, emulator, { archiveMustBeMountPoint: true }),
      emulator,
    );
    // Yesterday's history, one short record: its file's last page has room for a few more.
    const kept = await History.open(path.join(configDir, 'history.jsonl'), 5000);
    kept.append({
      rel: 'yesterday.csv',
      size: 1,
      contentHash: null,
      startedAtMs: 1,
      finishedAtMs: 2,
      outcome: 'archive-removed',
      upload: { status: 'skipped', atMs: 2, reason: 'test' },
      archive: { status: 'skipped', atMs: 2, reason: 'test' },
    });
    await kept.close();
    const run = (): { child: ChildProcess; stderr: () => string } => {
      const child = spawnCli(['run', '--config-dir', configDir], {
        home: dirs.root,
        extraEnv: { RDL_SYNC_QUIET: '0' },
      });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      return { child, stderr: () => stderr };
    };
    const first = run();
    const log = path.join(configDir, 'logs', 'rdl-sync.log');
    await waitFor(
      'the daemon to start',
      async () =>
        (await fs.readFile(log, 'utf8').catch(() => '')).includes(`"pid":${first.child.pid}`),
      60_000,
    );

    // The loggers fill the card to the byte; then a day's files come.
    const filler = await fill(disk);
    await fillToTheByte(filler);
    const rels = Array.from({ length: 40 }, (_, i) => `RDL/USB0/2026-12/RDL_2026-12-${i}_USB0.txt`);
    for (const rel of rels) await writeFileIn(dirs.watchDir, rel, `time,value\n${rel},1\n`);
    await waitFor('the files on Dropbox', async () =>
      rels.every((rel) => emulator.getFile(`/RDL/site1/${rel}`)),
    );
    await waitFor('a journal save refused', async () =>
      first.stderr().includes('Could not save the journal'),
    );

    // The card goes in: every file gets its card copy and is finished while nothing can be saved.
    mountTmpfs(dirs.archiveDir, 4096);
    cardMounted = true;
    await waitFor('the card copies', async () => {
      const onCard = new Set(await listFilesRel(dirs.archiveDir));
      return rels.every((rel) => onCard.has(rel));
    });
    // Five passes more (2 s apart; a failure that repeats is logged once, so the log cannot count
    // them), or until a record of ours is kept: before, the third pass after the copies appended
    // the records of files marked finished by the first two, whose marks were never saved.
    const historyFile = path.join(configDir, 'history.jsonl');
    const fivePassesMs = Date.now() + 5 * 2_000 + 2_000;
    await waitFor('five more passes that could not save', async () => {
      const recorded = (await fs.readFile(historyFile, 'utf8')).includes('RDL_2026-12-');
      return recorded || Date.now() >= fivePassesMs;
    });
    first.child.kill('SIGKILL');
    await exited(first.child);

    // Room again: the next daemon finishes what is left.
    await fs.rm(filler);
    const second = run();
    await waitFor(
      'transit to empty',
      async () => (await listFilesRel(dirs.transitDir)).length === 0,
      60_000,
    );
    second.child.kill('SIGTERM');
    assert.equal((await exited(second.child)).code, 0, second.stderr());

    const history = await History.open(path.join(configDir, 'history.jsonl'), 5000);
    const done = new Map<string, number>();
    for (const r of history.query({ limit: 10_000 }))
      if (r.outcome === 'done') done.set(r.rel, (done.get(r.rel) ?? 0) + 1);
    await history.close();
    // Before: the first daemon appended the records of the files whose marks it could not save
    // (the room left in the history's last page took a few), the second finished those files
    // again: two `done` records each (the crash torture, onecard seed 32).
    assert.deepEqual(
      rels.filter((rel) => done.get(rel) !== 1).map((rel) => `${rel}: ${done.get(rel) ?? 0}`),
      [],
      'one done record per file',
    );
    assert.deepEqual(
      emulator
        .listFiles()
        .map((f) => f.pathDisplay)
        .filter((p) => p.startsWith('/RDL/site1/'))
        .sort(),
      rels.map((rel) => `/RDL/site1/${rel}`).sort(),
      'one copy each on Dropbox, no "(1)"',
    );
    assert.deepEqual(
      (await listFilesRel(dirs.archiveDir)).filter((f) => !f.startsWith('.')).sort(),
      [...rels].sort(),
      'and on the card',
    );
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (cardMounted) unmount(dirs.archiveDir);
    unmount(disk);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('under systemd, started on a full settings disk: it waits and tries again by itself, and neither its words nor its alert tell people to start it again', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-full-settings-wait-');
  const emulator = await startEmulator({});
  let child: ChildProcess | undefined;
  const disk = path.join(dirs.root, 'card');
  await fs.mkdir(disk);
  mountTmpfs(disk, 1024);
  try {
    const configDir = path.join(disk, 'rdl-sync');
    // The alert command lives off the card (as an email server does) and logs each alert's words.
    const { hook, heard } = await alertLogHook(dirs.root, 'heard.log', { words: true });
    await writeConfig(configDir, testSettings(dirs, emulator, { alertCommand: hook }), emulator);
    await fs.writeFile(path.join(dirs.watchDir, 'day.csv'), 'a,b\n1,2\n');
    const filler = await fill(disk);
    await fillToTheByte(filler);

    child = spawnCli(['run', '--config-dir', configDir], {
      home: dirs.root,
      extraEnv: { INVOCATION_ID: 'f00dfeedf00dfeedf00dfeedf00dfeed' },
    });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    await waitFor('the reason on stdout', async () => /tries again every/.test(stdout));
    const words = await waitFor('the alert', async () => {
      const w = await heard();
      return w.includes('raised daemon-stopped') && w;
    });
    assert.match(
      words,
      /^raised daemon-stopped RDL Sync cannot start: the disk holding the settings folder .* is full \(ENOSPC\): free space on it.* It tries again every 15 s and starts by itself once this is fixed, no restart needed\./m,
    );
    // It starts by itself: "then start RDL Sync again" sent people to the hub for nothing.
    assert.doesNotMatch(words, /start RDL Sync again|systemctl restart/);
    assert.match(
      stdout,
      /is full \(ENOSPC\): free space on it.*The service tries again every 15 s/,
    );
    assert.doesNotMatch(stdout, /start RDL Sync again/);

    await fs.rm(filler);
    await waitSynced(dirs, emulator, 'day.csv');
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    unmount(disk);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
