// The files that could not leave the watch folder, kept across processes. Held in memory only,
// their count began again at every start: after a restart (a reboot, an upgrade) a file failing
// for days read "failed 1 time", its problem vanished, and the alert told every channel
// "Resolved" while nothing had changed; a `once` from cron never reached "failed 3 times" at all,
// so nobody was ever told. Files in transit keep theirs in the journal; these are not in transit.
//
// One small JSON file beside the journal, replaced atomically when the failures change (not at
// every pass). Losing it costs only the count: a damaged file is set aside and starts empty.
import fs from 'node:fs/promises';
import * as z from 'zod';
import { SyncError, type ErrorCode } from '../errors.js';
import { atomicWriteFile } from '../fsutil/index.js';
import { whereJsonInvalid } from '../json-mistake.js';
import { silentLogger, type Logger } from '../ports.js';
import type { StageFailure } from '../pipeline/stage-step.js';

export const WATCH_FAILURES_FILE = 'watch-failures.json';

/**
 * At most this many are kept, the most tried first: a folder of thousands of files nobody may
 * read is one problem a person fixes once; its count need not be kept per file, and the file
 * rewritten at each change must stay small on an SD card. The rest start afresh after a restart.
 */
export const MAX_SAVED_WATCH_FAILURES = 2_000;

const savedSchema = z.object({
  version: z.literal(1),
  failures: z.array(
    z.object({
      rel: z.string().min(1),
      attempts: z.number().int().positive(),
      nextTryMs: z.number(),
      atMs: z.number(),
      /** When its failures in a row began, where before `atMs` (the problem's since-when). */
      sinceMs: z.number().optional(),
      code: z.string(),
      message: z.string(),
    }),
  ),
});

/** The failures saved by the last process, by rel; empty when none were, or the file is damaged. */
export async function loadWatchFailures(
  file: string,
  logger: Logger = silentLogger,
): Promise<Map<string, StageFailure>> {
  const out = new Map<string, StageFailure>();
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn('could not read the watch folder failures', { file, reason: String(e) });
    return out;
  }
  let saved;
  try {
    saved = savedSchema.parse(JSON.parse(text));
  } catch (e) {
    // Only counts are lost: the files themselves are still in the watch folder, tried afresh.
    logger.warn('the saved watch folder failures are damaged: counting from 0 again', {
      file,
      // Not JSON.parse's message: it quotes the file's text beside the fault into the log.
      reason:
        e instanceof SyntaxError
          ? `not JSON (${whereJsonInvalid(text)})`
          : e instanceof Error
            ? e.message.slice(0, 200)
            : String(e),
    });
    return out;
  }
  for (const f of saved.failures) {
    out.set(f.rel, {
      attempts: f.attempts,
      nextTryMs: f.nextTryMs,
      lastError: { atMs: f.atMs, ...(f.sinceMs !== undefined ? { sinceMs: f.sinceMs } : {}) },
      error: new SyncError({
        kind: 'file-failed',
        code: f.code as ErrorCode,
        message: f.message,
      }),
    });
  }
  return out;
}

/** Replaces the saved failures with `failures` (the most tried, up to the limit). */
export async function saveWatchFailures(
  file: string,
  failures: ReadonlyMap<string, StageFailure>,
): Promise<void> {
  const kept = [...failures]
    .sort(([a, fa], [b, fb]) => fb.attempts - fa.attempts || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_SAVED_WATCH_FAILURES)
    .map(([rel, f]) => ({
      rel,
      attempts: f.attempts,
      nextTryMs: f.nextTryMs,
      atMs: f.lastError.atMs,
      ...(f.lastError.sinceMs !== undefined ? { sinceMs: f.lastError.sinceMs } : {}),
      code: f.error.code,
      message: f.error.message,
    }));
  await atomicWriteFile(file, `${JSON.stringify({ version: 1, failures: kept })}\n`);
}
