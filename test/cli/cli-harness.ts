// Runs the real `rdl-sync` CLI as a child process, the way a person or systemd does, while the
// Dropbox emulator keeps serving in the test process (so spawning is async, never spawnSync).
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import fs from 'node:fs/promises';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCli } from '../../scripts/build.mjs';
import { defaultConfigDir } from '../../src/engine/settings/paths.js';
import type { StatusSnapshot } from '../../src/engine/status/types.js';
import type { Emulator } from '../../tools/emulator/index.js';
import { listFilesRel } from '../engine/harness.js';
import { cliCommand } from './cli-command.js';

export const repo = path.resolve(import.meta.dirname, '../..');
/** A hung CLI must fail its test, not the whole suite. */
const COMMAND_TIMEOUT_MS = 45_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  /** HOME of the child: defaults (~/rdl/tosync) land in the test's temp folder, never in ours. */
  home: string;
  extraEnv?: NodeJS.ProcessEnv;
  /** Run as this unprivileged uid (and gid) through setpriv, as a hub's user `pi` would. */
  asUid?: number;
}

function childEnv(env: CliEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: env.home,
    USERPROFILE: env.home,
    // The compile cache (Node >= 22.1) in the test's home too, never the developer's own.
    XDG_CACHE_HOME: path.join(env.home, '.cache'),
    // The child's own default folder, named: a command of one test run beside another test's
    // daemon of another user (root's, nobody's) would be refused as `sudo rdl-sync …` beside a
    // hub's service is (src/cli/other-user-guard.ts). The tests of that refusal clear it.
    RDL_SYNC_CONFIG_DIR: defaultConfigDir(
      { ...process.env, RDL_SYNC_CONFIG_DIR: '', ...env.extraEnv },
      process.platform,
      env.home,
    ),
    RDL_SYNC_QUIET: '1',
    NODE_ENV: 'test',
    // As at a terminal, even when the tests themselves run under systemd (a test sets it).
    INVOCATION_ID: '',
    ...env.extraEnv,
  };
}

/** The CLI (cli-command.ts: the run's bundle, or the source), or with `viaBin` bin/rdl-sync.js. */
export function spawnCli(args: string[], env: CliEnv, viaBin = false): ChildProcess {
  const command = viaBin ? [path.join(repo, 'bin/rdl-sync.js')] : cliCommand();
  const [file, argv] =
    env.asUid === undefined
      ? [process.execPath, [...command, ...args]]
      : [
          'setpriv',
          [
            `--reuid=${env.asUid}`,
            `--regid=${env.asUid}`,
            '--clear-groups',
            process.execPath,
            ...command,
            ...args,
          ],
        ];
  return spawn(file, argv, {
    cwd: repo,
    env: childEnv(env),
    // stdin is not a terminal: the commands must work unattended.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The bundle built once per test process into a temp folder; see spawnBuiltCli. */
let builtCli: Promise<string> | null = null;

function builtCliPath(): Promise<string> {
  // The one scripts/run-tests.mjs built for this run, laid out the same way.
  const bundle = process.env.RDL_TEST_CLI_BUNDLE;
  if (bundle) return Promise.resolve(bundle);
  builtCli ??= (async () => {
    // Laid out as an installed package: its package.json above dist/ (the version it reports).
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'rdl-built-cli-'));
    process.once('exit', () => rmSync(pkg, { recursive: true, force: true }));
    copyFileSync(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
    return buildCli(path.join(pkg, 'dist', 'cli', 'cli.mjs'));
  })();
  return builtCli;
}

/**
 * The CLI bundled as `npm run build` bundles it (dist/cli/cli.mjs), as an installed package runs
 * it. Built afresh from src for each test process: the repository's own dist/ is absent on a clean
 * clone (CI) and stale after any edit, so a test must never run it.
 */
export async function spawnBuiltCli(args: string[], env: CliEnv): Promise<ChildProcess> {
  return spawn(process.execPath, [await builtCliPath(), ...args], {
    cwd: repo,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs one command to completion and collects what it printed. */
export function runCli(args: string[], env: CliEnv, viaBin = false): Promise<CliResult> {
  const child = spawnCli(args, env, viaBin);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rdl-sync ${args.join(' ')} did not finish in ${COMMAND_TIMEOUT_MS} ms`));
    }, COMMAND_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One test file's temporary world: a HOME and a settings folder of its own, in one temp folder. */
export interface CliSandbox {
  root: string;
  env: CliEnv;
  /** `<root>/config`, made by the first command that saves into it. */
  configDir: string;
  /** `rdl-sync <args> --config-dir <configDir>`. */
  cli(...args: string[]): Promise<CliResult>;
}

/**
 * Made when the test file loads (so its names can be taken at the top of the file) and removed
 * after its tests: the set-up every settings and import test file repeated before each test run.
 */
export function cliSandbox(prefix: string): CliSandbox {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rm(root, { recursive: true, force: true }));
  const env: CliEnv = { home: path.join(root, 'home') };
  const configDir = path.join(root, 'config');
  return {
    root,
    env,
    configDir,
    cli: (...args) => runCli([...args, '--config-dir', configDir], env),
  };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits (60 s at most) until `rel` is in the archive folder and on Dropbox below `remoteRoot`. */
export function waitSynced(
  dirs: { archiveDir: string },
  emulator: Emulator,
  rel: string,
  remoteRoot = '/RDL/site1',
): Promise<true> {
  return waitFor(
    `${rel} on Dropbox and the card`,
    async () =>
      (await listFilesRel(dirs.archiveDir)).includes(rel) &&
      Boolean(emulator.getFile(`${remoteRoot}/${rel}`)),
    60_000,
  );
}

export interface PublishedStatus {
  pid: number | null;
  updatedAtMs: number;
  status: StatusSnapshot;
}

/** The daemon's <configDir>/status.json, or null while it has not been written. */
export async function readPublishedStatus(configDir: string): Promise<PublishedStatus | null> {
  try {
    return JSON.parse(
      await fs.readFile(path.join(configDir, 'status.json'), 'utf8'),
    ) as PublishedStatus;
  } catch {
    return null;
  }
}

export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * The child's exit, or null when it has not exited within `ms`. The deadline's timer is cleared
 * either way: one left running holds the test file's process open until it fires.
 */
export async function exitedWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: string | null } | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      exited(child),
      new Promise<null>((r) => (timer = setTimeout(() => r(null), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A test's cleanup: kills `child` (SIGKILL) if it still runs, and waits for its exit. */
export async function killIfRunning(child: ChildProcess | null | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}

export async function writeFileIn(
  dir: string,
  rel: string,
  content: string | Buffer,
): Promise<string> {
  const p = path.join(dir, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, content);
  return p;
}

/**
 * Writes `settings` as the settings file (config.json) of the config folder `dir`, made if
 * missing: by hand, unchecked, as a person's edit is. Returns `dir`.
 */
export async function writeSettingsFile(dir: string, settings: object): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(settings, null, 2));
  return dir;
}
