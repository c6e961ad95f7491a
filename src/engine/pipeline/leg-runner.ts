// The one leg runner: whatever the destination, the files it is fed go through `place`, each
// outcome lands in the journal under the leg's id, and what happens is told as events. A file's
// failure backs off on this leg only: its other legs go on.
import type { SyncError } from '../errors.js';
import type { JournalEntry, OwnCopyRecord as OwnCopy } from '../journal/journal.js';
import type { DestinationLeg, PlaceItem, WriteToCome } from '../legs/leg.js';
import type { Refusals } from '../ports.js';
import { holdZeroed, writingZeros } from './zeroed.js';
import type { LegId } from '../legs/ids.js';
import type { FileRef, PassDeps } from './deps.js';
import { historyRecordFor } from './history-record.js';
import { keepBothName, keptUnderOtherName } from '../legs/keep-both.js';
import { legRetry, worstFailure } from './leg-state.js';
import type { Source } from '../channel.js';
import type { HistoryRecord } from '../status/types.js';
import { FILE_FAILING_THRESHOLD, failingSince, fileRetryDelayMs } from './problems.js';

export interface WorkItem {
  file: FileRef;
  entry: JournalEntry;
}

/** What the legs did in a pass, per leg id. */
export interface LegTally {
  placed: Partial<Record<LegId, number>>;
  /** Of those placed, the ones found there already, the same (nothing sent or copied). */
  alreadyThere: Partial<Record<LegId, number>>;
  /** Bytes of the files placed that were sent or copied (not found there already). */
  sentBytes: Partial<Record<LegId, number>>;
  fileFailures: number;
}

/** The PlaceItem a leg gets for a work item. */
export function placeItemFor(w: WorkItem, leg: LegId): PlaceItem {
  const replace = w.entry.supersedes?.[leg];
  return {
    rel: w.file.rel,
    localPath: w.file.absPath,
    size: w.file.size,
    mtimeMs: w.file.mtimeMs,
    ...(w.file.dev !== undefined && w.file.ino !== undefined
      ? { dev: w.file.dev, ino: w.file.ino }
      : {}),
    ...(w.file.bytesSynced ? { bytesSynced: true } : {}),
    ...(replace ? { replace } : {}),
  };
}

/** The files a leg is given in one pass, as they come, and where its answers go. */
export interface LegFeed {
  items: Source<PlaceItem>;
  /** The work item behind a rel handed to this leg (undefined: not handed to it). */
  workItem(rel: string): WorkItem | undefined;
  /** The leg answered for this file (its outcome is in the journal). */
  answered(rel: string): void;
}

/** Runs one leg over the files it is fed; returns what blocked the leg, or null. */
export async function runLeg(
  deps: PassDeps,
  leg: DestinationLeg,
  feed: LegFeed,
  ctx: { firstSeenMs: Map<string, number>; tally: LegTally; settleMs: number },
  signal?: AbortSignal,
): Promise<SyncError | null> {
  /** Files whose bytes started moving and that have no outcome yet (a long pass: few at a time). */
  const started = new Set<string>();
  /** Per file: the copy this leg was writing before this pass noted its own (from a killed run). */
  const writtenBefore = new Map<string, OwnCopy | undefined>();
  const blocked = await leg.place(feed.items, {
    ...(signal ? { signal } : {}),
    onStarted: (rel, size) => {
      started.add(rel);
      deps.emit({ type: 'leg-started', leg: leg.id, rel, size });
    },
    onReached: () => deps.emit({ type: 'leg-reached', leg: leg.id, atMs: deps.clock.now() }),
    beforeWrite: (copies) => noteWrites(deps, leg.id, feed, copies, writtenBefore),
    onProgress: (rel, bytesDone) =>
      deps.emit({ type: 'leg-progress', leg: leg.id, rel, bytesDone }),
    onOutcome: (o) => {
      // Answered once: the feed forgets a file when its answer comes.
      const w = feed.workItem(o.rel);
      if (!w) return;
      started.delete(o.rel);
      if (!o.ok) {
        recordLegFailure(deps, leg.id, w, o.error, ctx);
      } else {
        // Whether this hash agrees with the other legs' is decided once, before removal
        // (finish.ts): any leg may finish first, and any may have read a changing file.
        const done = {
          path: o.path,
          contentHash: o.contentHash,
          ...(o.rev === undefined ? {} : { rev: o.rev }),
          atMs: deps.clock.now(),
          alreadyPresent:
            o.alreadyPresent &&
            !ourWrite(
              writtenBefore.has(o.rel) ? writtenBefore.get(o.rel) : w.entry.writing?.[leg.id],
              o,
            ),
        };
        const { [leg.id]: _written, ...stillWriting } = w.entry.writing ?? {};
        applyPatch(deps, w, {
          [leg.id]: done,
          contentHash: o.contentHash,
          writing: Object.keys(stillWriting).length > 0 ? stillWriting : undefined,
        });
        ctx.tally.placed[leg.id] = (ctx.tally.placed[leg.id] ?? 0) + 1;
        if (done.alreadyPresent)
          ctx.tally.alreadyThere[leg.id] = (ctx.tally.alreadyThere[leg.id] ?? 0) + 1;
        else ctx.tally.sentBytes[leg.id] = (ctx.tally.sentBytes[leg.id] ?? 0) + w.file.size;
        // Another file held the name there: each destination numbers its own copy, so the names
        // on Dropbox and on the card may differ, and a `name (1)` is what a merge tool reads as
        // more data. Said, not only kept in the journal.
        const placedAs = keptUnderOtherName(o.rel, o.path);
        if (placedAs !== null)
          deps.logger.warn('a different file already had this name there: kept beside it', {
            rel: o.rel,
            leg: leg.id,
            placedAs,
            path: o.path,
          });
        deps.emit({
          type: 'leg-done',
          leg: leg.id,
          rel: o.rel,
          path: o.path,
          contentHash: o.contentHash,
          alreadyPresent: o.alreadyPresent,
        });
      }
      feed.answered(o.rel);
    },
    // Left for a later pass: it no longer holds the pass's room (told as stopped below).
    onLeft: (rel) => feed.answered(rel),
  });
  for (const rel of started) deps.emit({ type: 'leg-stopped', leg: leg.id, rel });
  if (blocked) deps.emit({ type: 'leg-blocked', leg: leg.id, error: blocked });
  return blocked;
}

/**
 * Saves the copies the leg is about to write, and waits for the save: the journal otherwise
 * saves at most every FLUSH_DELAY_MS, and a kill in that window lost the knowledge that the copy
 * was ours, so a later version of the file went beside it as `name (1)` (6 of 6 kills in
 * test/fault/crash-changed.test.ts). One save per commit group, not per file.
 */
async function noteWrites(
  deps: PassDeps,
  leg: LegId,
  feed: LegFeed,
  copies: readonly WriteToCome[],
  writtenBefore: Map<string, OwnCopy | undefined>,
): Promise<Refusals | undefined> {
  let noted = 0;
  const refused = new Map<string, SyncError>();
  for (const c of copies) {
    const w = feed.workItem(c.rel);
    if (!w) continue;
    if (writingZeros(w.entry, c.contentHash)) {
      refused.set(c.rel, holdZeroed(deps, w));
      continue;
    }
    if (!writtenBefore.has(c.rel)) writtenBefore.set(c.rel, w.entry.writing?.[leg]);
    applyPatch(deps, w, {
      writing: { ...w.entry.writing, [leg]: { path: c.path, contentHash: c.contentHash } },
    });
    noted++;
  }
  if (noted === 0) return refused;
  // Failing to save costs only this protection: the write goes on (a full settings disk must
  // not stop the uploads), and the scheduled save retries.
  await deps.journal.flush().catch((e: unknown) =>
    deps.logger.warn('could not save the journal before a write; will retry', {
      leg,
      error: String(e),
    }),
  );
  return refused;
}

/**
 * "Already present" that is this version's own write from before a kill (or an earlier pass whose
 * answer was lost): the leg was about to write this content there, so the copy is ours, replaced
 * by a later version rather than kept beside it. A write noted in this pass does not count: its
 * commit's answer says whether it wrote.
 */
function ourWrite(earlier: OwnCopy | undefined, o: { path: string; contentHash: string }): boolean {
  if (earlier === undefined || earlier.contentHash !== o.contentHash) return false;
  return earlier.path.toLowerCase() === o.path.toLowerCase() || keptBeside(earlier.path, o.path);
}

/**
 * `path` is a keep-both name of `noted` (`name (n).ext`). What a leg notes is where it means to
 * write; another party's file found there sends the write to a keep-both name (Dropbox's
 * look-first placement) without a note of its own, so a kill before the answer was saved left the
 * copy there, with the noted content, taken for someone else's: the next version went to `(2)`.
 */
function keptBeside(noted: string, path: string): boolean {
  const numbers = [...path.slice(path.lastIndexOf('/') + 1).matchAll(/ \((\d+)\)/g)];
  const n = Number(numbers.at(-1)?.[1]);
  return n > 0 && keepBothName(noted, n).toLowerCase() === path.toLowerCase();
}

export function applyPatch(deps: PassDeps, w: WorkItem, patch: Partial<JournalEntry>): void {
  w.entry = { ...w.entry, ...patch };
  deps.journal.update(w.file.rel, patch);
}

function recordLegFailure(
  deps: PassDeps,
  leg: LegId,
  w: WorkItem,
  error: SyncError,
  ctx: { firstSeenMs: Map<string, number>; tally: LegTally },
): void {
  ctx.tally.fileFailures++;
  const now = deps.clock.now();
  const before = worstFailure(w.entry)?.attempts ?? 0;
  const prior = legRetry(w.entry, leg);
  const attempts = prior.attempts + 1;
  const sinceMs = failingSince(prior, now);
  const lastError = {
    code: error.code,
    message: error.message,
    atMs: now,
    ...(sinceMs < now ? { sinceMs } : {}),
  };
  const retry = { attempts, nextTryMs: now + fileRetryDelayMs(attempts), lastError };
  applyPatch(deps, w, { retry: { ...w.entry.retry, [leg]: retry } });
  deps.logger.warn('file failed', {
    rel: w.file.rel,
    leg,
    code: error.code,
    reason: error.message,
    attempts,
  });
  deps.emit({ type: 'leg-failed', leg, rel: w.file.rel, error, attempts, sinceMs });
  // One 'failed' record per file when it first crosses the threshold, whichever leg got it there.
  if (attempts === FILE_FAILING_THRESHOLD && before < FILE_FAILING_THRESHOLD) {
    const record = historyRecordFor(
      w.file,
      w.entry,
      'failed',
      { startedAtMs: ctx.firstSeenMs.get(w.file.rel) ?? now, nowMs: now },
      new Set(deps.legs.map((l) => l.id)),
    );
    if (!failureRecorded(deps, record)) deps.history.append(record);
  }
}

/**
 * The file's newest record already tells this failure: a count of attempts lost with the journal
 * (a save refused by a full settings disk, or a kill, after the history's save of the record
 * landed; a journal set aside as damaged) made the file cross the threshold again, and the
 * history showed it failed twice. A record of the same size whose content hash does not differ
 * (unknown on either side) is the same file; a record after it (done) ends that failure. Looked
 * up once per file crossing the threshold, not per attempt.
 */
function failureRecorded(deps: PassDeps, record: Omit<HistoryRecord, 'id'>): boolean {
  const last = deps.history.newestOf(record.rel);
  return (
    last?.outcome === 'failed' &&
    last.size === record.size &&
    (last.contentHash === null ||
      record.contentHash === null ||
      last.contentHash === record.contentHash)
  );
}
