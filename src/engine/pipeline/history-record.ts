// What the history keeps of a file: every leg's result, read off its journal entry, keyed by
// leg id (the history file's `upload` and `archive` fields).
import type { ErrorCode } from '../errors.js';
import type { HistoryRecord, LegResult } from '../status/types.js';
import { LEGS, LEG_IDS, type LegId } from '../legs/ids.js';
import type { FileRef, JournalEntry } from './deps.js';

export function historyRecordFor(
  file: FileRef,
  entry: JournalEntry,
  outcome: HistoryRecord['outcome'],
  times: { startedAtMs: number; nowMs: number },
  enabledLegs: ReadonlySet<LegId>,
): Omit<HistoryRecord, 'id'> {
  const legTimes = LEG_IDS.map((id) => entry[id]?.atMs).filter((t): t is number => t !== undefined);
  const legResult = (id: LegId): LegResult => {
    if (!enabledLegs.has(id))
      return { status: 'skipped', atMs: times.nowMs, reason: LEGS[id].offReason };
    const done = entry[id];
    return done ? doneLeg(done) : notDone(entry, id, times.nowMs);
  };
  return {
    rel: file.rel,
    size: file.size,
    contentHash: entry.contentHash ?? entry.upload?.contentHash ?? null,
    startedAtMs: Math.min(times.startedAtMs, ...legTimes),
    finishedAtMs: times.nowMs,
    outcome,
    upload: legResult('upload'),
    archive: legResult('archive'),
  };
}

function doneLeg(leg: {
  atMs: number;
  path: string;
  alreadyPresent: boolean;
  contentHash: string;
}): LegResult {
  return {
    status: 'done',
    atMs: leg.atMs,
    path: leg.path,
    alreadyPresent: leg.alreadyPresent,
    contentHash: leg.contentHash,
  };
}

/** A leg not done: its own last error, else the file's (journals from before per-leg back-off). */
function notDone(entry: JournalEntry, leg: LegId, nowMs: number): LegResult {
  const e = entry.retry?.[leg]?.lastError ?? entry.lastError;
  return {
    status: 'failed',
    atMs: e?.atMs ?? nowMs,
    code: (e?.code ?? 'unknown') as ErrorCode,
    message: e?.message ?? 'not done yet',
  };
}
