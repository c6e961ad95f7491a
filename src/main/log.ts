// The app's log: the engine's file logger (electron-log, redacted), plus a tap that forwards
// each line to the window's Log tab while it is open, and the tail the tab starts from.
import { createLogger, formatLine, redact, tailLog, type Logger } from '../engine/index.js';
import type { LogLine } from '../shared/ipc.js';

type Level = LogLine['level'];

export interface AppLogger extends Logger {
  readonly file: string;
  /** Lines as they are written; returns unsubscribe. */
  onLine(listener: (line: LogLine) => void): () => void;
}

export function createAppLogger(file: string, level: Level = 'info'): AppLogger {
  const fileLogger = createLogger({ file, level });
  const listeners = new Set<(line: LogLine) => void>();
  const order: Level[] = ['debug', 'info', 'warn', 'error'];
  const write = (lvl: Level, message: string, fields?: Record<string, unknown>): void => {
    fileLogger[lvl](message, fields);
    if (order.indexOf(lvl) < order.indexOf(level) || listeners.size === 0) return;
    const line: LogLine = {
      level: lvl,
      text: `${stamp(new Date(), lvl)} ${formatLine(message, fields)}`,
    };
    for (const l of listeners) l(line);
  };
  return {
    file: fileLogger.file,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    onLine: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The start of a line as the file has it (electron-log's format in engine/log/logger.ts: local
 * time, the level padded to align), so a line the Log tab follows reads like the same line read
 * back by Reload: in UTC and another layout it read hours off on a hub away from Greenwich.
 */
function stamp(d: Date, level: Level): string {
  const day = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  const ms = String(d.getMilliseconds()).padStart(3, '0');
  return `[${day} ${time}.${ms}] [${`${level}]`.padEnd(6)}`;
}

const LEVEL_IN_LINE = /\[(debug|info|warn|error)\]/;

/** The last lines of the file, redacted again (the file may predate a registered secret). */
export async function readLogLines(file: string, lines: number): Promise<LogLine[]> {
  return (await tailLog(file, lines)).map((raw) => {
    const level = (LEVEL_IN_LINE.exec(raw)?.[1] ?? 'info') as Level;
    return { level, text: redact(raw) };
  });
}
