// On a hub whose service runs as its user (pi), `sudo rdl-sync settings set …`, `sudo rdl-sync
// pause`, `sudo rdl-sync once` and the like used root's own settings folder: root's settings were
// made, the pause paused nothing, and `once`/`run` became a second syncer on the service's
// folders, while the person believed the hub was changed. Now each refuses, naming the service
// and the command to type instead; commands that only read say the same in a note.
// Real parts: the hub's user is nobody (setpriv), its daemon the real `rdl-sync run` through bin/
// with its default settings folder in its home; root's commands the built CLI (dist/cli/cli.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  exited,
  readPublishedStatus,
  spawnBuiltCli,
  type CliEnv,
  type CliResult,
} from './cli-harness.js';
import { cannotDropPrivileges, NOBODY } from '../stage/unprivileged.js';
import { startHubUserService } from './hub-user-service.js';

let root: string;
let piHome: string;
let piConfig: string;
let pid: number;
let daemon: ChildProcess | undefined;
const skip = cannotDropPrivileges();

/** Root at a terminal as `sudo` leaves it: no folder named, its own home. */
let asRoot: CliEnv;

before(async () => {
  if (skip) return;
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-sudo-beside-'));
  // mkdtemp makes it 0700: the hub's user must reach its folders below.
  await fs.chmod(root, 0o755);
  piHome = path.join(root, 'pi');
  // The service as on a hub: no --config-dir, its settings in its home's .config/rdl-sync.
  const service = await startHubUserService(piHome);
  ({ daemon, pid, configDir: piConfig } = service);
  asRoot = { home: path.join(root, 'root-home'), extraEnv: { RDL_SYNC_CONFIG_DIR: '' } };
});

after(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function builtCli(args: string[], env: CliEnv): Promise<CliResult> {
  const child = await spawnBuiltCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // 'close': the process has exited and its output is all read. Bounded: a hung command fails.
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rdl-sync ${args.join(' ')} did not finish in 45 s`));
    }, 45_000);
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, stdout, stderr };
}

/** The words bash makes of a command line as printed (a `sudo` stand-in prints them). */
function wordsBashSees(line: string): string[] {
  const r = spawnSync('bash', ['-c', `sudo() { printf '%s\\0' "$@"; }; ${line}`], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

/**
 * The command the message gives to type instead for the hub user's service (another test's
 * daemon of another user, running meanwhile, gets a line of its own).
 */
function suggested(said: string): string {
  const lines = [...said.matchAll(/: (sudo -u .*)$/gm)].map((m) => m[1]!);
  const ours = lines.find((l) => l.includes(piConfig));
  assert.ok(ours, `no command to type instead for ${piConfig} in: ${said}`);
  return ours;
}

const refused: string[][] = [
  ['settings', 'set', 'site', "Site9 O'Brien farm"],
  ['pause', '--for', '2h'],
  ['resume'],
  ['sync'],
  ['once'],
  ['run'],
  ['auth'],
  ['import-legacy', '--root', path.join('/home', 'pi', 'SHELF3')],
  ['alert', 'test'],
  ['retention', '--dry-run'],
  ['report', '--send'],
];

test('sudo rdl-sync beside the service of the hub user: refused, with the command to use', async (t) => {
  if (skip) return t.skip(skip);
  const before = await fs.readFile(path.join(piConfig, 'config.json'), 'utf8');
  for (const args of refused) {
    const r = await builtCli(args, asRoot);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(
        `^rdl-sync ${args[0]}: not done\\. (.*; )?RDL Sync runs on this machine as user nobody \\(pid ${pid}\\), with its settings in ${piConfig}; (.*; )?this command, run as root, `,
      ),
      r.stderr,
    );
    const sync = args[0] === 'once' || args[0] === 'run';
    assert.match(
      r.stderr,
      sync
        ? /would start a second syncer beside it, on the same folders/
        : /would use root's own settings in .*, which that service never reads/,
    );
    // Pasted into a shell, the command is the same one, as the hub's user, on its settings.
    assert.deepEqual(wordsBashSees(suggested(r.stderr)), [
      '-u',
      'nobody',
      'rdl-sync',
      ...args,
      '--config-dir',
      piConfig,
    ]);
  }
  // Nothing was done: no settings folder of root's, the service's own settings untouched.
  await assert.rejects(fs.stat(path.join(asRoot.home, '.config')), { code: 'ENOENT' });
  assert.equal(await fs.readFile(path.join(piConfig, 'config.json'), 'utf8'), before);
  assert.equal(daemon!.exitCode, null, 'the service runs on');
  assert.equal((await readPublishedStatus(piConfig))!.pid, pid);
});

test('a command that only reads runs, with a note naming the service', async (t) => {
  if (skip) return t.skip(skip);
  const r = await builtCli(['history', '--failures'], asRoot);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^No failures recorded\./m);
  assert.match(
    r.stderr,
    new RegExp(
      `^Note: RDL Sync runs on this machine as user nobody \\(pid ${pid}\\), with its settings in ${piConfig}; what follows is from the settings in ${path.join(asRoot.home, '.config', 'rdl-sync')}, which it never reads\\.`,
      'm',
    ),
  );
  assert.deepEqual(wordsBashSees(suggested(r.stderr)), [
    '-u',
    'nobody',
    'rdl-sync',
    'history',
    '--failures',
    '--config-dir',
    piConfig,
  ]);
});

test('a settings folder named on purpose is used, as before', async (t) => {
  if (skip) return t.skip(skip);
  const r = await builtCli(
    ['settings', 'set', 'site', 'Site8_Barn', '--config-dir', piConfig],
    asRoot,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, '');
  const saved = JSON.parse(await fs.readFile(path.join(piConfig, 'config.json'), 'utf8')) as {
    settings?: { site?: string };
    site?: string;
  };
  assert.equal(saved.settings?.site ?? saved.site, 'Site8_Barn');
  // Root's write into the hub user's folder keeps the file the hub user's: its service reads on.
  assert.equal((await fs.stat(path.join(piConfig, 'config.json'))).uid, NOBODY);
});

test('root with settings of its own (an RDL Sync of root on purpose) is not refused', async (t) => {
  if (skip) return t.skip(skip);
  const rootsOwn: CliEnv = {
    home: path.join(root, 'root-own'),
    extraEnv: { RDL_SYNC_CONFIG_DIR: '' },
  };
  const ownConfig = path.join(rootsOwn.home, '.config', 'rdl-sync');
  for (const dir of ['watch', 'transit', 'archive'])
    await fs.mkdir(path.join(rootsOwn.home, dir), { recursive: true });
  const made = await builtCli(
    [
      'settings',
      'set',
      'watchDir',
      path.join(rootsOwn.home, 'watch'),
      'transitDir',
      path.join(rootsOwn.home, 'transit'),
      'archiveDir',
      path.join(rootsOwn.home, 'archive'),
      'archiveMustBeMountPoint',
      'false',
      'site',
      'Root_Own',
      '--config-dir',
      ownConfig,
    ],
    rootsOwn,
  );
  assert.equal(made.code, 0, made.stdout + made.stderr);
  const r = await builtCli(['settings', 'set', 'site', 'Root_Own2'], rootsOwn);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, '');
  const saved = JSON.parse(await fs.readFile(path.join(ownConfig, 'config.json'), 'utf8')) as {
    settings?: { site?: string };
    site?: string;
  };
  assert.equal(saved.settings?.site ?? saved.site, 'Root_Own2');
});
