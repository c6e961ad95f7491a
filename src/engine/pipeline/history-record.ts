// What the history keeps of a file: both legs' results, read off its journal entry.
import type { ErrorCode } from '../errors.js';
import type { HistoryRecord, LegResult } from '../status/types.js';
import type { FileRef, JournalEntryShape } from './deps.js';

export function historyRecordFor(
  file: FileRef,
  entry: JournalEntryShape,
  outcome: HistoryRecord['outcome'],
  times: { startedAtMs: number; nowMs: number },
  archiveEnabled: boolean,
): Omit<HistoryRecord, 'id'> {
  const legTimes = [entry.upload?.atMs, entry.archive?.atMs].filter(
    (t): t is number => t !== undefined,
  );
  return {
    rel: file.rel,
    size: file.size,
    contentHash: entry.contentHash ?? entry.upload?.contentHash ?? null,
    startedAtMs: Math.min(times.startedAtMs, ...legTimes),
    finishedAtMs: times.nowMs,
    outcome,
    upload: entry.upload
      ? doneLeg(entry.upload.atMs, entry.upload.remotePath, entry.upload)
      : notDone(entry, times.nowMs),
    archive: !archiveEnabled
      ? { status: 'skipped', atMs: times.nowMs, reason: 'SD-card archive is turned off' }
      : entry.archive
        ? doneLeg(entry.archive.atMs, entry.archive.path, entry.archive)
        : notDone(entry, times.nowMs),
  };
}

function doneLeg(
  atMs: number,
  path: string,
  leg: { alreadyPresent: boolean; contentHash: string },
): LegResult {
  return {
    status: 'done',
    atMs,
    path,
    alreadyPresent: leg.alreadyPresent,
    contentHash: leg.contentHash,
  };
}

function notDone(entry: JournalEntryShape, nowMs: number): LegResult {
  const e = entry.lastError;
  return {
    status: 'failed',
    atMs: e?.atMs ?? nowMs,
    code: (e?.code ?? 'unknown') as ErrorCode,
    message: e?.message ?? 'not done yet',
  };
}
