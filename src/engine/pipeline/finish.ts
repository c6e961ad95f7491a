// The last step of a file's life, and the only place a file is ever deleted: its transit copy goes
// when, and only when, both legs verified the same content hash and the transit file is still the
// very one they read (same device, inode, size and mtime, and no process has it open for writing).
//
// Order, per group of files settled, so that a kill at any instant loses neither a file nor its record:
//   1. mark the entries finished and save the journal (a failed save stops here: no record of a
//      file whose mark is not on disk);
//   2. append the history records and save the history;
//   3. remove the transit copies; 4. forget the entries.
// A transit file found later with a finished mark and the same identity was killed between 1 and
// 3: its record is written if missing and its copy removed, without running the legs again.
import type { FileRef, JournalEntry, PassDeps } from './deps.js';
import { historyRecordFor } from './history-record.js';
import { LEG_IDS } from '../legs/ids.js';
import { ownCopiesOf } from './file-version.js';
import {
  FILE_FAILING_THRESHOLD,
  failingSince,
  fileFailingProblem,
  fileRetryDelayMs,
} from './problems.js';

export interface FinishItem {
  file: FileRef;
  entry: JournalEntry;
}

export type RemovalCheck =
  | 'ok'
  /** The legs verified different bytes: both run again, replacing what they wrote. */
  | 'legs-disagree'
  /** The transit file is not the one the legs read, or is still being written: wait. */
  | 'changed'
  | 'gone';

/** Every enabled leg has its verified copy (a leg turned off counts as done). */
export function legsDone(deps: PassDeps, entry: JournalEntry): boolean {
  return deps.legs.every((leg) => entry[leg.id] !== undefined);
}

/** Open-for-writing descriptors at one instant (null: the OS does not tell). */
export type WriterSnapshot = { has(dev: number, ino: number): boolean } | null;

export async function checkBeforeRemoval(
  deps: PassDeps,
  w: FinishItem,
  writers: WriterSnapshot,
): Promise<RemovalCheck> {
  const hashes = new Set(deps.legs.map((leg) => w.entry[leg.id]?.contentHash).filter(Boolean));
  if (hashes.size > 1) return 'legs-disagree';
  // The legs' copies are of other bytes than the transit file has now (file-version.ts cutShort).
  if (w.entry.size !== w.file.size || w.entry.mtimeMs !== w.file.mtimeMs) return 'changed';
  let now;
  try {
    now = await deps.statTransit(w.file.rel);
  } catch {
    return 'changed'; // cannot tell: keep it, the walk of transit reports what cannot be read
  }
  if (!now) return 'gone';
  if (
    now.size !== w.file.size ||
    now.mtimeMs !== w.file.mtimeMs ||
    (w.file.dev !== undefined && (now.dev !== w.file.dev || now.ino !== w.file.ino))
  ) {
    return 'changed';
  }
  if (writers?.has(now.dev, now.ino)) return 'changed';
  return 'ok';
}

/**
 * Both legs run again; what they wrote of this version is replaced, not kept beside. The first
 * time waits only for the file to settle (it most likely changed under a leg); when the legs keep
 * disagreeing (a failing disk, something rewriting the file in place) it backs off like any
 * failing file and, after a few rounds, is a problem that names it.
 */
export function redoLegs(deps: PassDeps, w: FinishItem, settleMs: number): void {
  const supersedes = ownCopiesOf(w.entry);
  const now = deps.clock.now();
  const again = w.entry.lastError?.code === 'hash-mismatch';
  const attempts = w.entry.attempts + 1;
  const sinceMs = failingSince(w.entry, now);
  const message = `${w.file.rel} read differently for Dropbox and for the archive; it is synced again (check the disk if this repeats)`;
  deps.logger.warn('Dropbox and the archive hold different content for a file; syncing it again', {
    rel: w.file.rel,
    ...Object.fromEntries(deps.legs.map((leg) => [leg.id, w.entry[leg.id]?.contentHash ?? null])),
    attempts,
  });
  const { contentHash: _h, supersedes: _s, ...rest } = w.entry;
  for (const id of LEG_IDS) delete rest[id];
  w.entry = {
    ...rest,
    attempts,
    nextTryMs: now + (again ? fileRetryDelayMs(attempts) : settleMs),
    lastError: { code: 'hash-mismatch', message, atMs: now, ...(sinceMs < now ? { sinceMs } : {}) },
    ...(supersedes ? { supersedes } : {}),
  };
  deps.journal.put(w.file.rel, w.entry);
  if (again && attempts >= FILE_FAILING_THRESHOLD) {
    deps.emit({
      type: 'problem',
      problem: fileFailingProblem(
        w.file.rel,
        attempts,
        { code: 'hash-mismatch', message },
        sinceMs,
      ),
    });
  }
}

/** One snapshot of writers for a settled group's removal checks; a failed look counts as "cannot tell". */
export async function writersNow(deps: PassDeps): Promise<WriterSnapshot> {
  if (!deps.openWriters) return null;
  try {
    return await deps.openWriters();
  } catch (e) {
    deps.logger.warn('could not list open files; size, mtime and inode decide alone', {
      reason: e instanceof Error ? e.message : String(e),
    });
    return null;
  }
}

/** Finishes files whose removal check passed (or that were marked finished before a crash). */
export async function finishFiles(
  deps: PassDeps,
  items: FinishItem[],
  firstSeenMs: Map<string, number>,
): Promise<number> {
  if (items.length === 0) return 0;
  const { journal, history, clock } = deps;
  const now = clock.now();
  const fresh = new Set<FinishItem>();
  const enabled = new Set(deps.legs.map((leg) => leg.id));
  for (const w of items) {
    if (w.entry.finishedAtMs !== undefined) continue;
    w.entry = { ...w.entry, finishedAtMs: now };
    journal.update(w.file.rel, { finishedAtMs: now });
    fresh.add(w);
  }
  // Saved even with no fresh mark: a mark set by an earlier pass whose save failed (a full
  // settings disk) is in memory only, and a record appended for it then would be kept by a kill
  // while the mark is lost: the next process finished the file again, and recorded it done twice
  // (the crash torture, onecard). A journal with nothing unsaved writes nothing here.
  await journal.flush();

  for (const w of items) {
    const finishedAtMs = w.entry.finishedAtMs ?? now;
    // Only a file marked finished before a kill can have its record already (a scan of the kept
    // history per file would put O(history) work on every file of every group).
    if (!fresh.has(w) && history.hasRecord(w.file.rel, finishedAtMs)) continue;
    history.append(
      historyRecordFor(
        w.file,
        w.entry,
        'done',
        { startedAtMs: firstSeenMs.get(w.file.rel) ?? finishedAtMs, nowMs: finishedAtMs },
        enabled,
      ),
    );
  }
  await history.flush();

  let done = 0;
  const keepFolders = deps.pruneTransit !== undefined;
  const removed: string[] = [];
  for (const w of items) {
    try {
      await deps.removeFromTransit(w.file.rel, { keepFolders });
      removed.push(w.file.rel);
    } catch (e) {
      // Both copies are safe; the finished mark makes the next pass remove it without new legs.
      deps.logger.warn('could not remove a finished file from transit; will retry', {
        rel: w.file.rel,
        reason: e instanceof Error ? e.message : String(e),
      });
      continue;
    }
    journal.delete(w.file.rel);
    firstSeenMs.delete(w.file.rel);
    deps.emit({ type: 'file-done', rel: w.file.rel, atMs: clock.now() });
    done++;
  }
  // Emptied folders go once per window; one that cannot go now is tried again by a later window.
  await deps.pruneTransit?.(removed).catch((e: unknown) =>
    deps.logger.warn('could not remove emptied folders from transit', {
      reason: e instanceof Error ? e.message : String(e),
    }),
  );
  journal.scheduleFlush();
  return done;
}
