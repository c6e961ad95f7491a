// A hub paused until someone resumes it, read where no Resume button is: `rdl-sync status` over
// ssh, the digest by email. Both said "Paused until you resume." and named no way to do it (the
// long-pause alert names both). Now they do; the window and the tray keep their short sentence,
// their own Resume button or menu item beside it. The real CLI on a real settings file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-paused-resume-');
});

after(async () => {
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

/** The settings file with syncing paused: until resumed (null), or until that time. */
async function pausedConfig(pausedUntilMs: number | null): Promise<void> {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Paused' }), emulator);
  const file = path.join(dirs.configDir, 'config.json');
  const settings = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  settings.state = { paused: true, pausedUntilMs };
  await fs.writeFile(file, JSON.stringify(settings, null, 2));
}

const cli = (...args: string[]) =>
  runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });

test('paused until resumed: status and the digest say how to resume', async () => {
  await pausedConfig(null);
  await writeFileIn(dirs.watchDir, 'RDL/USB0/a.csv', 'timestamp,t\n');
  const status = await cli('status');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(
    status.stdout,
    /^State: paused\. Paused until someone resumes it \(rdl-sync resume, or Resume in the tray menu\)\./m,
  );
  const report = await cli('report');
  assert.equal(report.code, 0, report.stdout + report.stderr);
  assert.match(
    report.stdout,
    /Paused until someone resumes it \(rdl-sync resume, or Resume in the tray menu\)\./,
  );
  assert.doesNotMatch(status.stdout + report.stdout, /until you resume/);
});

test('paused for a while: status says when it resumes by itself, date and UTC as the alerts say it, and how to resume sooner', async () => {
  // Two days: the time alone ("Paused until 14:00") read as today, two days early.
  const until = Date.now() + 2 * 24 * 3_600_000;
  await pausedConfig(until);
  const status = await cli('status');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  const utc = new Date(until).toISOString().slice(0, 16).replace('T', ' ');
  assert.match(
    status.stdout,
    new RegExp(
      `^State: paused\\. Paused until ${utc} UTC, when it resumes by itself \\(sooner: rdl-sync resume, or Resume in the tray menu\\)\\.`,
      'm',
    ),
  );
});

test('pause --for says when it ends in UTC, as status then says it (it printed the hub clock with no zone)', async () => {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Paused' }), emulator);
  const before = Date.now();
  const paused = await runCli(['pause', '--for', '2d', '--config-dir', dirs.configDir], {
    home: dirs.root,
    extraEnv: { TZ: 'America/Toronto' },
  });
  assert.equal(paused.code, 0, paused.stdout + paused.stderr);
  const m =
    /^Paused until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(for 2 days\), when it resumes by itself \(sooner: rdl-sync resume\)\.$/m.exec(
      paused.stdout,
    );
  assert.ok(m, paused.stdout);
  const until = Date.parse(`${m[1]!.replace(' ', 'T')}:00Z`);
  assert.ok(Math.abs(until - (before + 2 * 86_400_000)) < 120_000, m[1]);
  // With nothing running, nothing to wait for: said, and where the pause goes.
  assert.match(
    paused.stdout,
    /^No RDL Sync is running here now: the next one to start stays paused\.$/m,
  );
  const status = await cli('status');
  assert.match(status.stdout, new RegExp(`Paused until ${m[1]} UTC`), status.stdout);
});

test('resume when nothing is paused says so, and changes nothing', async () => {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Paused' }), emulator);
  const file = path.join(dirs.configDir, 'config.json');
  const before = await fs.readFile(file, 'utf8');
  const r = await cli('resume');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(
    r.stdout,
    'RDL Sync is not paused: nothing to resume (rdl-sync sync asks for a pass now).\n',
  );
  assert.equal(await fs.readFile(file, 'utf8'), before, 'the settings file untouched');
});
