// Hands-on trial: Dropbox answered "too many requests" with a Retry-After of 2 minutes, and for
// those 2 minutes `rdl-sync status` said "Syncing 16 files…", with nothing moving and nothing
// saying why. Now the sentence says who made the uploads wait, and until when; once Dropbox
// answers, the files go on. A real daemon (child process), the emulator over HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  exited,
  killIfRunning,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  waitSynced,
  writeFileIn,
  type CliEnv,
} from '../cli/cli-harness.js';

let daemon: ChildProcess | null = null;
after(() => killIfRunning(daemon));

test('while Dropbox makes the uploads wait minutes (Retry-After), the status says so and until when, not "Syncing…"', async (t) => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-status-dropbox-wait-');
  t.after(async () => {
    await killIfRunning(daemon);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  });
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Wait' }), emulator);
  const env: CliEnv = { home: dirs.root };
  // Every upload path of the pass meets it once: the small files' batch, a single upload.
  for (const route of [
    'files/upload_session/append_batch',
    'files/upload_session/start_batch',
    'files/upload_session/start',
    'files/upload',
  ])
    emulator.addFault({ route, kind: 'too_many_requests', retryAfterSeconds: 15, times: 1 });
  for (let i = 0; i < 3; i++)
    await writeFileIn(dirs.watchDir, `RDL/USB0/r${i}.csv`, `t,v\n2026-12-06T12:00:0${i}Z,${i}\n`);
  daemon = spawnCli(['run', '--config-dir', dirs.configDir], env);

  const told = await waitFor(
    'the status to say that Dropbox makes the uploads wait',
    async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p?.status.state === 'syncing' && /uploads wait until/.test(p.status.sentence)
        ? p.status.sentence
        : null;
    },
    30_000,
  );
  assert.match(
    told,
    /^Syncing \d+ files?; Dropbox asked RDL Sync to slow down \(too many requests\): uploads wait until \d\d:\d\d, then go on\.$/,
  );
  const text = await runCli(['status', '--config-dir', dirs.configDir], env);
  assert.match(text.stdout, /^State: syncing\. Syncing .*uploads wait until \d\d:\d\d/m);

  // Dropbox answers after its wait: every file goes, and the words of the wait are gone.
  for (let i = 0; i < 3; i++) await waitSynced(dirs, emulator, `RDL/USB0/r${i}.csv`, '/RDL/Wait');
  await waitFor('the status without the wait', async () => {
    const p = await readPublishedStatus(dirs.configDir);
    return p && !/uploads wait/.test(p.status.sentence) && p.status.counts.transit === 0;
  });
  daemon.kill('SIGTERM');
  assert.equal((await exited(daemon)).code, 0);
});
