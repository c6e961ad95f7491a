// A file's state on each leg, read off its journal entry: done, due, failing. Back-off is kept per
// leg (DESIGN.md: "each leg backs off on its own"), beside the file's own wait (settling after a
// change, legs that disagree), which holds every leg.
import type { JournalEntry, LegRetry } from '../journal/journal.js';
import type { LegId } from '../legs/ids.js';
import { retryDue } from './problems.js';
import { CUT_SHORT } from './file-version.js';
import { ZEROED } from './zeroed.js';

const FRESH: LegRetry = { attempts: 0, nextTryMs: 0 };

export function legRetry(entry: JournalEntry, leg: LegId): LegRetry {
  return entry.retry?.[leg] ?? FRESH;
}

/** Whether this leg should run for the file now (`askedMs`: see retryDue). */
export function legDue(
  entry: JournalEntry,
  leg: LegId,
  nowMs: number,
  settleMs: number,
  askedMs?: number,
  /** Since when this leg's own failures are due at once (a larger card put in). */
  legAskedMs?: number,
): boolean {
  const legAsked = Math.max(askedMs ?? -Infinity, legAskedMs ?? -Infinity);
  return (
    entry.finishedAtMs === undefined &&
    entry[leg] === undefined &&
    entry.lastError?.code !== CUT_SHORT &&
    entry.lastError?.code !== ZEROED &&
    retryDue(entry, nowMs, settleMs, askedMs) &&
    retryDue(legRetry(entry, leg), nowMs, 0, legAsked)
  );
}

/** A failure as the journal keeps it, with how many times in a row (attempts). */
export type WorstFailure = { attempts: number } & NonNullable<LegRetry['lastError']>;

/** The file's worst trouble (most attempts), on any leg or its own; null when none. */
export function worstFailure(entry: JournalEntry): WorstFailure | null {
  let worst: WorstFailure | null = null;
  const candidates: { attempts: number; lastError?: LegRetry['lastError'] }[] = [
    entry,
    ...Object.values(entry.retry ?? {}),
  ];
  for (const c of candidates) {
    if (!c.lastError || c.attempts <= 0) continue;
    if (!worst || c.attempts > worst.attempts) worst = { attempts: c.attempts, ...c.lastError };
  }
  return worst;
}
