// The README's "Headless (systemd)" steps, checked where systemd cannot run: the shipped unit and
// the one a source checkout makes from it (User= and ExecStart= set as the README says) pass
// `systemd-analyze verify`, and the exact ExecStart runs as the service would run it — as the
// unit's user, from /, with only the environment systemd gives a User= service plus the unit's
// Environment= lines — syncs a file, and stops with exit code 0 on the unit's KillSignal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { testSettings, writeConfig } from '../engine/harness.js';
import {
  exited,
  readPublishedStatus,
  repo,
  waitFor,
  writeFileIn,
  killIfRunning,
} from './cli-harness.js';
import { cannotDropPrivileges, NOBODY } from '../stage/unprivileged.js';

const UNIT = path.join(repo, 'build', 'rdl-sync.service');

let emulator: Emulator;
let base: string;

before(async () => {
  emulator = await startEmulator({});
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-systemd-unit-'));
  await fs.chmod(base, 0o755); // the service user must reach its home below it
});

after(async () => {
  await emulator.close();
  await fs.rm(base, { recursive: true, force: true });
});

function verify(unitFile: string): { code: number | null; out: string } {
  const r = spawnSync('systemd-analyze', ['verify', unitFile], {
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The unit as the README tells a source checkout to install it. */
function forSourceCheckout(unit: string, user: string): string {
  return unit
    .replace(/^User=.*$/m, `User=${user}`)
    .replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${repo}/bin/rdl-sync.js run`);
}

/** systemd's simple word splitting for these lines: double quotes group, nothing else. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

test('the shipped unit and the source-checkout unit pass systemd-analyze verify', async () => {
  const shipped = verify(UNIT);
  // Nothing is installed at /opt here: the only complaint is that, with the quoted path read as
  // one path (a space in "RDL Sync").
  const complaints = shipped.out.split('\n').filter((l) => l.trim() !== '');
  assert.deepEqual(
    complaints,
    [
      'rdl-sync.service: Command /opt/RDL Sync/rdl-sync is not executable: No such file or directory',
    ],
    shipped.out,
  );

  const dir = path.join(base, 'units');
  await fs.mkdir(dir);
  const unitFile = path.join(dir, 'rdl-sync.service');
  await fs.writeFile(unitFile, forSourceCheckout(await fs.readFile(UNIT, 'utf8'), 'pi'));
  const checkout = verify(unitFile);
  assert.equal(checkout.code, 0, checkout.out);
  assert.doesNotMatch(checkout.out, /Unknown|Invalid|Failed|not executable|ignoring/i);
});

test('its ExecStart, run as the service user with the unit’s environment, syncs and stops cleanly on KillSignal', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const unit = forSourceCheckout(await fs.readFile(UNIT, 'utf8'), 'nobody');
  const [execPath, ...args] = words(/^ExecStart=(.*)$/m.exec(unit)![1]!);
  const unitEnv = Object.fromEntries(
    [...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const killSignal = /^KillSignal=(\w+)$/m.exec(unit)![1]! as NodeJS.Signals;
  assert.equal(unitEnv.MALLOC_MMAP_THRESHOLD_, '131072', 'the unit keeps its malloc setting');
  assert.equal(unitEnv.UV_THREADPOOL_SIZE, '24', 'room in the thread pool beside a hung card');

  // The service user's home, set up beforehand as that user would (here: settings written).
  const home = path.join(base, 'home', 'pi');
  const folders = {
    watchDir: path.join(home, 'SHELF3', 'logging-folder', '2_tosync'),
    transitDir: path.join(home, 'SHELF3', 'logging-folder', '3_transit'),
    archiveDir: path.join(home, 'SHELF3', 'logging-folder', '4_synced'),
  };
  const configDir = path.join(home, '.config', 'rdl-sync');
  await fs.mkdir(folders.watchDir, { recursive: true });
  await fs.mkdir(folders.archiveDir, { recursive: true });
  await writeConfig(configDir, testSettings(folders, emulator, { site: 'Site3_Unit' }), emulator);
  spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, path.join(base, 'home')]);

  // What systemd gives a User= service: HOME, USER, LOGNAME, SHELL, a PATH, and Environment=.
  const daemon = spawn(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', execPath!, ...args],
    {
      cwd: '/',
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: home,
        USER: 'nobody',
        LOGNAME: 'nobody',
        SHELL: '/usr/sbin/nologin',
        // As systemd sets for every unit it starts (a `run` beside another user's RDL Sync is
        // refused unless systemd started it: src/cli/other-user-guard.ts).
        INVOCATION_ID: 'systemd-unit-test',
        ...unitEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let journal = '';
  daemon.stdout!.setEncoding('utf8').on('data', (d: string) => (journal += d));
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (journal += d));
  try {
    await waitFor('the service to publish its status', async () => {
      const p = await readPublishedStatus(configDir);
      return p && p.pid !== null && p.status.lastPassMs !== null;
    });
    // The pool's threads are made at its first use, all of them: with Node's default of 4 the
    // process has about a dozen threads (a hung card's calls then froze the whole daemon).
    const threads = (await fs.readdir(`/proc/${daemon.pid}/task`)).length;
    assert.ok(threads >= 24, `the service runs with the unit's thread pool: ${threads} threads`);
    const rel = 'RDL/USB0/2026-12/RDL_2026-12-01_USB0.txt';
    await writeFileIn(folders.watchDir, rel, '2026-12-01T00:00:00,USB0,T1=4.2\n');
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, folders.watchDir]);
    await waitFor(
      'the file on Dropbox and in 4_synced',
      async () =>
        Boolean(emulator.getFile(`/RDL/Site3_Unit/${rel}`)) &&
        (await fs.stat(path.join(folders.archiveDir, rel)).then(
          () => true,
          () => false,
        )),
      60_000,
    );
    daemon.kill(killSignal);
    const end = await exited(daemon);
    assert.deepEqual(end, { code: 0, signal: null }, journal);
    assert.match(journal, /daemon started/);
    assert.match(journal, /daemon stopped/);
  } finally {
    await killIfRunning(daemon);
  }
});
