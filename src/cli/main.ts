// The headless front end: `rdl-sync <command>`. Thin by design: it parses arguments, calls the
// engine facade and prints. Exit codes: 0 ok, 1 something failed or waits, 2 bad usage/settings.
// Results go to stdout; usage mistakes and failures go to stderr, so `status --json | jq` and
// similar pipes only ever see the answer.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HELP } from './help.js';
import { interruptWords } from './interrupt-words.js';
import { COMMAND_OPTIONS, strayArguments } from './options.js';
import { commandWrites } from './command-writes.js';
import { joinOptionValues, shieldNegativeNumbers, unshieldPositionals } from './option-values.js';
import type { CliContext } from './context.js';
import { flushCompileCache } from '../../bin/compile-cache.js';
import { endIfACardHolds, endProcess } from './end-process.js';

/** How long a stopping daemon may take before it exits anyway (abandoning is crash-safe). */
const STOP_DEADLINE_MS = 5_000;

export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  stopper: AbortController = new AbortController(),
): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (!command) {
    if (rest.length === 1 && VERSION_FLAGS.includes(rest[0]!)) {
      out.write(`${await versionLine()}\n`);
      return 0;
    }
    const asked = rest.includes('--help') || rest.includes('-h');
    (asked ? out : err).write(`${HELP.main}\n`);
    return asked ? 0 : 2;
  }
  // `rdl-sync help` and `rdl-sync help status`, as many tools take them.
  if (command === 'help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    if (topic === undefined || Object.hasOwn(HELP, topic)) {
      out.write(`${HELP[topic ?? 'main']}\n`);
      return 0;
    }
    err.write(`${await unknownCommand(topic)}\n`);
    return 2;
  }
  if (command === 'version') {
    out.write(`${await versionLine()}\n`);
    return 0;
  }
  const commandOptions = Object.hasOwn(COMMAND_OPTIONS, command)
    ? COMMAND_OPTIONS[command]
    : undefined;
  if (!commandOptions) {
    err.write(`${await unknownCommand(command)}\n`);
    return 2;
  }
  const options: NonNullable<ParseArgsConfig['options']> = {
    'config-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...commandOptions,
  };
  let parsed;
  try {
    const read = parseArgs({
      args: shieldNegativeNumbers(joinOptionValues(rest, options)),
      options,
      allowPositionals: true,
      strict: true,
    });
    parsed = { ...read, positionals: unshieldPositionals(read.positionals) };
  } catch (e) {
    err.write(
      `${await usageMistake(e as Error, command, Object.keys(options))}\n\n${HELP[command] ?? HELP.main}\n`,
    );
    return 2;
  }
  if (parsed.values.help) {
    out.write(`${HELP[command]}\n`);
    return 0;
  }
  const stray = strayArguments(command, parsed.positionals);
  if (stray) {
    err.write(`${stray}\n\n${HELP[command] ?? HELP.main}\n`);
    return 2;
  }
  // Loaded only now: help and usage mistakes are answered without starting the engine's modules.
  const [
    { commands },
    { createLogger, defaultConfigDir, isSyncError, silentLogger, withoutRetryWords },
    { guardFor, besideOtherUsersServices },
  ] = await Promise.all([
    import('./commands.js'),
    import('../engine/index.js'),
    import('./other-user-guard.js'),
  ]);
  // The modules every command needs are compiled now: into the compile cache with them (where it
  // is on), not only at a clean exit, which a daemon stopped by a signal or a power cut never has.
  flushCompileCache();
  const given = parsed.values['config-dir'] as string | undefined;
  // `--config-dir "$DIR"` with DIR unset: path.resolve('') is the working folder, and settings,
  // credentials and logs went there.
  if (given !== undefined && given.trim() === '') {
    err.write(
      'rdl-sync: --config-dir is empty: give the settings folder, or leave the option out for the default (~/.config/rdl-sync, or $RDL_SYNC_CONFIG_DIR).\n',
    );
    return 2;
  }
  const configDir = path.resolve(given ?? defaultConfigDir());
  // Before anything is written here (the log file included): `sudo rdl-sync pause` beside the
  // service of the hub's user must not make root's settings folder at all (other-user-guard.ts).
  // Only root's habit is guarded: another user running a command of its own beside someone's
  // service is a second, separate RDL Sync (a shared lab machine), not a mistaken `sudo`.
  const named =
    parsed.values['config-dir'] !== undefined || (process.env.RDL_SYNC_CONFIG_DIR ?? '').trim();
  const guard =
    named || process.getuid?.() !== 0
      ? 'none'
      : guardFor(command, parsed.positionals, parsed.values.send === true);
  if (guard !== 'none') {
    const beside = await besideOtherUsersServices(command, [command, ...rest], configDir);
    if (beside && guard === 'refuse') {
      err.write(beside.refusal);
      return 2;
    }
    if (beside) err.write(beside.note);
  }
  const logFile = path.join(configDir, 'logs', 'rdl-sync.log');
  // A dry run writes nothing at all: createLogger makes the log folder at once, and the engine
  // logs its "Setup needed" there (`sudo rdl-sync import-legacy --dry-run` left root a log file).
  // A command that only reads logs only into a settings folder that is there (command-writes.ts).
  const writes = commandWrites(command, parsed.positionals, parsed.values);
  const logger =
    writes === 'nothing' || (writes === 'log-if-there' && !existsSync(configDir))
      ? { ...silentLogger, file: logFile }
      : createLogger({
          file: logFile,
          console: command === 'run' && process.env.RDL_SYNC_QUIET !== '1',
        });
  const ctx: CliContext = {
    configDir,
    logger,
    out,
    stopSignal: stopper.signal,
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
  try {
    return await commands[command]!.run(ctx);
  } catch (e) {
    let message =
      settingsFolderTrouble(e, configDir) ??
      (isSyncError(e) ? e.message : e instanceof Error ? e.message : String(e));
    // The engine's words for a daemon ("…; will retry"): a command that ends now retries nothing
    // (fleet offline said it, then exited 1).
    if (command !== 'run' && withoutRetryWords(message) !== message)
      message = `${withoutRetryWords(message)}. Nothing more is tried: run the command again once that is fixed.`;
    err.write(`rdl-sync ${command}: ${message}\n`);
    // Refused beside another RDL Sync that syncs on: a refusal, not a failure of the syncing.
    if (isSyncError(e) && e.code === 'already-running')
      logger.warn(`${command} refused: another RDL Sync is syncing`, { reason: message });
    else logger.error(`${command} failed`, { reason: message });
    return isSyncError(e) && e.code === 'settings-invalid' ? 2 : 1;
  }
}

const VERSION_FLAGS = ['--version', '-V', '-v'];

/**
 * The settings folder (or a folder on its way) cannot be made: a service user whose home is
 * /nonexistent, a --config-dir naming a file. Node's words ("EACCES: permission denied, mkdir
 * '/nonexistent'") named neither the folder's purpose nor the fix.
 */
function settingsFolderTrouble(e: unknown, configDir: string): string | null {
  const {
    code,
    path: at,
    syscall,
  } = (e ?? {}) as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || typeof at !== 'string' || syscall !== 'mkdir') return null;
  const within =
    at === configDir || configDir.startsWith(at.endsWith(path.sep) ? at : at + path.sep);
  if (!within) return null;
  const why =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? `${at} is a file, not a folder`
      : code === 'EACCES' || code === 'EPERM'
        ? `this user may not create ${at} (${code})`
        : `${at} could not be made (${code})`;
  return `the settings folder ${configDir} cannot be made: ${why}. Name a folder this user can write with --config-dir DIR (or RDL_SYNC_CONFIG_DIR), or give the user a home folder it can write.`;
}

/** "Unknown command "statsu": did you mean status?" (the engine's modules load for it: a mistake's path). */
async function unknownCommand(word: string): Promise<string> {
  const { closestWord } = await import('../engine/index.js');
  const meant = closestWord(word, Object.keys(COMMAND_OPTIONS));
  return `Unknown command "${word}"${meant ? `: did you mean ${meant}?` : '.'} Run rdl-sync --help for the list.`;
}

/** "rdl-sync 0.1.0 (Node 20.20.2)": the version in package.json, and the runtime running it. */
async function versionLine(): Promise<string> {
  const { appVersion } = await import('../engine/app-version.js');
  return `rdl-sync ${appVersion()} (Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''})`;
}

/**
 * The command word and the rest. Options for every command may come before it (`rdl-sync
 * --config-dir /x status`, as the help lists them apart): they were taken for no command at all,
 * and the main help printed with no reason given.
 */
export function splitCommand(argv: readonly string[]): { command?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config-dir') {
      i++; // its value
      continue;
    }
    if (a.startsWith('--config-dir=')) continue;
    if (a.startsWith('-')) return { rest: [...argv] };
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: [...argv] };
}

/**
 * What a signal does to the command `argv` runs: the daemon stops safely, doctor removes its
 * scratch folder, the one-shot commands say what became of their work. By the command word
 * wherever it stands (`rdl-sync --config-dir D run`): the first word only, and a daemon started
 * with the option first died on SIGTERM at once, its lock and status left behind.
 */
export function installSignalsFor(argv: readonly string[], stopper: AbortController): void {
  const { command } = splitCommand(argv);
  if (command === 'run') installDaemonStop(stopper);
  else if (command === 'doctor') installDoctorStop(stopper);
  else if (command && ['once', 'sync', 'pause', 'resume'].includes(command))
    installOnceInterrupt(command);
}

/** The signals that stop a command, with their numbers (exit 128 + number, as the shell's). */
const STOP_SIGNALS = [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const;

/**
 * Ctrl-C in `doctor` cuts its probe short, and the command still removes the scratch folder it
 * wrote in the site's Dropbox folder (it used to end at once and leave a file there, for the
 * sites' merge tool to find). A second Ctrl-C ends it at once: the next doctor removes the folder.
 */
function installDoctorStop(stopper: AbortController): void {
  for (const [signal, number] of STOP_SIGNALS) {
    process.on(signal, () => {
      if (stopper.signal.aborted) {
        process.stderr.write(
          'rdl-sync doctor: stopped. Its scratch folder may be left in Dropbox; the next rdl-sync doctor removes it.\n',
        );
        process.exit(128 + number);
      }
      process.stderr.write(
        'rdl-sync doctor: interrupted; removing its scratch folder from Dropbox first (Ctrl-C again ends at once).\n',
      );
      stopper.abort(signal);
    });
  }
}

/**
 * The daemon's stop, installed before anything else is loaded: a SIGTERM at any moment of
 * start-up is then a request the start-up sees, never lost. Once asked, the process ends within
 * STOP_DEADLINE_MS whatever it is doing (the pipeline is safe to abandon at any instant).
 * (The other commands' handlers: installSignalsFor.)
 */
export function installDaemonStop(stopper: AbortController): void {
  for (const [signal] of STOP_SIGNALS) {
    process.on(signal, () => {
      if (stopper.signal.aborted) return;
      stopper.abort(signal);
      setTimeout(() => void endProcess(0, signal), STOP_DEADLINE_MS).unref();
    });
  }
}

/**
 * Ctrl-C (or a stop) during `once` (or `sync` running its pass here): the pass is safe to abandon at any instant (DESIGN.md), so the
 * process ends at once, as the signal's default would, but says what became of the files: the
 * shell printed only "Interrupt", and a technician could not tell whether the file in hand was
 * lost, half on Dropbox, or would have to be copied by hand.
 */
function installOnceInterrupt(command: string): void {
  let ending = false;
  for (const [signal, number] of STOP_SIGNALS) {
    // Still listened to while the process ends (end-process.ts may take moments): a signal left
    // to its own action then ended the process by it, not with the exit status said.
    process.on(signal, () => {
      if (ending) return;
      ending = true;
      process.stderr.write(interruptWords(command, signal));
      void endProcess(128 + number, signal);
    });
  }
}

/** `status | head -1`: a reader that went away is not an error worth a stack trace. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/**
 * node's words for a usage mistake, but an option left without its value (`sync --wait
 * --config-dir D`), which node calls "ambiguous" and answers with a '--wait=-XYZ' riddle, and an
 * unknown option, which node answers with advice on positional arguments and no guess.
 */
async function usageMistake(e: Error, command: string, optionNames: string[]): Promise<string> {
  const missing = /^Option '(--[\w-]+)' argument is ambiguous/.exec(e.message);
  if (missing)
    return `Option '${missing[1]}' needs a value right after it, not another option (for example ${missing[1]}=VALUE).`;
  const unknown = /^Unknown option '(-{1,2}[^'=]+)/.exec(e.message);
  if (!unknown) return e.message;
  const { closestWord } = await import('../engine/index.js');
  const meant = closestWord(unknown[1]!.replace(/^-+/, ''), optionNames);
  return `Unknown option '${unknown[1]}' for rdl-sync ${command}${meant ? `: did you mean --${meant}?` : '.'} Its options are below.`;
}

/**
 * Runs the command line this process was started with, and exits as a command does. Called by
 * bin/rdl-sync.js after it imports this module, whatever name the process was started by (a link
 * such as /usr/local/bin/rdl-sync, a wrapper, systemd's ExecStart), and by this module itself
 * when it is the process's main module (`node dist/cli/cli.mjs`, `tsx src/cli/main.ts`).
 */
export function runCommandLine(): void {
  const argv = process.argv.slice(2);
  const stopper = new AbortController();
  installSignalsFor(argv, stopper);
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  main(argv, process.stdout, process.stderr, stopper).then(
    (code) => {
      process.exitCode = code;
      // Once nothing is left to run (every write, fsync and request this command started has
      // ended: 'beforeExit' comes only then), end without Node's teardown of the heap and its
      // threads, which took 60-140 ms of `once`'s time after its last commit (more after a big
      // pass). Nothing it skips is ours: 'exit' listeners still run.
      process.once('beforeExit', () => process.exit(code));
      // A daemon that has stopped moves nothing more: a handle some library left open (a
      // keep-alive socket, a timer) must not keep the process alive. Nor, for any command, a
      // call on a card that stopped answering (end-process.ts).
      if (splitCommand(argv).command === 'run')
        setTimeout(() => void endProcess(code), 1_000).unref();
      else setTimeout(() => void endIfACardHolds(), 1_000).unref();
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * This module is the file node was asked to run (links resolved). Not its name: the entry used to
 * be recognised by the name it was started as, and one started through a link or wrapper of any
 * other name (`rdlsync`, `rdl-sync-daemon`) did nothing and exited 0, a service that never synced
 * and that systemd, seeing success, never restarted. The tray app's bundle, which imports this
 * module under Electron, never runs it this way (its headless mode calls main itself).
 */
function isMainModule(): boolean {
  if (process.versions.electron || !process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) runCommandLine();
