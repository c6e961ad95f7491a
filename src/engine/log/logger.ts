// The engine's Logger on electron-log's Node entry: one file per logger, rotated by size (the
// previous file is kept as <name>.old.<ext>), every line redacted before it is formatted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import electronLog from 'electron-log/node';
import type { Logger } from '../ports.js';
import { catchFileFailure, FileTrouble, takeFileFailure } from './file-trouble.js';
import { printable } from './printable.js';
import { redact, redactValue } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  file: string;
  level?: LogLevel;
  /** Also print to the console (the daemon under systemd: the journal gets the lines). */
  console?: boolean;
  /** Rotate when the file grows past this many bytes. Default 5 MB. */
  maxBytes?: number;
}

export type FileLogger = Logger & { readonly file: string };

export const DEFAULT_MAX_LOG_BYTES = 5 * 1024 * 1024;
let instances = 0;

/**
 * electron-log tells of a log file it cannot write through a console transport, stack and all, at
 * every line: through the instance that made the shared file registry first, which is its default
 * instance (made when the module loads). Caught in every console transport, said once
 * (file-trouble.ts).
 */
function catchFileFailures(instance: typeof electronLog): void {
  const consoleWrite = instance.transports.console.writeFn;
  instance.transports.console.writeFn = (args) => {
    if (!catchFileFailure(args.message.data)) consoleWrite(args);
  };
}
catchFileFailures(electronLog);

export function createLogger(opts: LoggerOptions): FileLogger {
  const file = path.resolve(opts.file);
  // Log lines name the site, folders and files: private to this user, like the rest of the config.
  // A folder that cannot be made (its disk read-only or full, another owner) is no reason to stop:
  // the lines still reach the console (the journal) and the caller names the folder's trouble.
  // Before, `run` on a read-only card died on a bare "ENOENT: ... mkdir '…/logs'" at every start.
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch {
    // electron-log reports each line it cannot write; the daemon raises settings-unwritable
  }
  const level = opts.level ?? 'info';
  // Each logger gets its own electron-log instance so two (tests, daemon + tool) never share transports.
  const log = electronLog.create({ logId: `rdl-sync-${++instances}` });
  // electron-log looks for an app name to build default paths; we always give the path ourselves.
  log.transports.file.setAppName('rdl-sync');
  log.transports.file.resolvePathFn = () => file;
  log.transports.file.maxSize = opts.maxBytes ?? DEFAULT_MAX_LOG_BYTES;
  // New files (the first, and each one after a rotation) are created 0600.
  log.transports.file.writeOptions = { flag: 'a', mode: 0o600, encoding: 'utf8' };
  log.transports.file.level = level;
  log.transports.file.format = '[{y}-{m}-{d} {h}:{i}:{s}.{ms}] [{level}] {text}';
  log.transports.console.level = opts.console ? level : false;
  // Node has no IPC peer and we never post logs anywhere.
  for (const name of ['ipc', 'remote'] as const) {
    const transport = log.transports[name] as { level: unknown } | undefined;
    if (transport) transport.level = false;
  }
  // Second net: anything that reaches electron-log by another route is redacted too.
  log.hooks.push((message) => ({
    ...message,
    data: message.data.map((d: unknown) => (typeof d === 'string' ? redact(d) : redactValue(d))),
  }));

  catchFileFailures(log);
  const trouble = new FileTrouble(file, {
    tell: (text) => console.error(`rdl-sync: ${printable(redact(text))}`),
    record: (text) => {
      log.warn(printable(redact(text)));
      takeFileFailure();
    },
  });
  const stuck = (): boolean => {
    const current = log.transports.file.getFile() as { isNull?: () => boolean };
    return current.isNull?.() === true;
  };

  const write = (lvl: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (trouble.active) endCutLine(file);
    takeFileFailure();
    log[lvl](formatLine(message, fields));
    // A line below the file's level never tries the file: nothing to learn from it.
    if (!compareLevel(level, lvl)) return;
    const reason = takeFileFailure();
    if (reason !== null || trouble.active) trouble.afterLine(reason, stuck());
  };
  return {
    file,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/**
 * On a full disk electron-log's write stores what fits of a line and then fails: the line is cut,
 * without its line end, and the first line written once there is room was glued to it (the log
 * tail and `grep` then showed the next line's time in the middle of the cut one). Tried before
 * each line while the file is in trouble only; a file it cannot write is left for the line's own
 * write to report.
 */
function endCutLine(file: string): void {
  try {
    const fd = fs.openSync(file, 'a+', 0o600);
    try {
      const { size } = fs.fstatSync(fd);
      const last = Buffer.alloc(1);
      if (size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a)
        fs.writeSync(fd, os.EOL);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // still cannot be written (full, read-only): the line's own write tells
  }
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Whether a line at `lvl` reaches a file whose threshold is `threshold`. */
function compareLevel(threshold: LogLevel, lvl: LogLevel): boolean {
  return LEVELS.indexOf(lvl) >= LEVELS.indexOf(threshold);
}

/**
 * One line: the message, then the fields as compact JSON; all of it redacted. A message may quote
 * outside text (the window's errors, a reason naming a file): its control characters are escaped
 * so it cannot start a line of its own (JSON escapes the fields' already).
 */
export function formatLine(message: string, fields?: Record<string, unknown>): string {
  const text = printable(redact(message));
  if (!fields || Object.keys(fields).length === 0) return text;
  let json: string;
  try {
    json = JSON.stringify(redactValue(fields));
  } catch {
    json = '{"fields":"(not serialisable)"}';
  }
  // JSON leaves C1 controls, U+2028/9 and bidi overrides as they are.
  return `${text} ${printable(redact(json))}`;
}
