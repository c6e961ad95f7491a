// Step 1 of a pass: find finished files in the watch folder and move them into transit.
// Everything that can go wrong here goes wrong for one file or one folder at a time: a file that
// cannot be moved is retried with back-off and shown by name, an unreadable folder is a problem,
// a missing watch folder or a full transit disk stops staging only. None of it may stop the queue
// already in transit from draining (the rest of the pass runs whatever happened here).
import { SyncError, isSyncError } from '../errors.js';
import type { FileRef, PassDeps, ScanOutcome, StageOutcome, TransitStat } from './deps.js';
import type { NewProblem } from './events.js';
import { mapLimit } from '../pool.js';
import {
  FILE_FAILING_PREFIX,
  FILE_FAILING_THRESHOLD,
  failingSince,
  fileFailingProblem,
  fileRetryDelayMs,
  retryDue,
} from './problems.js';

/** A file in the watch folder that could not be staged: retried with back-off, shown by name. */
export interface StageFailure {
  attempts: number;
  nextTryMs: number;
  /**
   * When it failed (retryDue reads it against a person's "Sync now"), and `sinceMs` when its
   * failures in a row began before that.
   */
  lastError: { atMs: number; sinceMs?: number };
  error: SyncError;
}

export interface StageMemory {
  stageFailures: Map<string, StageFailure>;
  /** Set when `stageFailures` changed: the engine saves them then (watch-failures-file.ts). */
  stageFailuresChanged?: boolean;
  /** When a person last asked for a pass ("Sync now"): failures from before are due (retryDue). */
  retryAskedMs?: number;
  /** Problem ids raised for unreadable entries by the last scan (cleared when they heal). */
  entryProblemIds: Set<string>;
  /** Whether the watch folder's trouble was logged already (logged once, not every pass). */
  watchProblemLogged?: boolean;
  /** Whether the transit problem shown names files without room (not an unwritable transit). */
  transitNoRoomShown?: boolean;
  /**
   * Files held in the watch folder whose mtime is ahead of now (a logger's clock runs ahead): the
   * pass that first held each, their arrival for the silent-logger check (see `held`).
   */
  heldAheadMs?: Map<string, number>;
  /**
   * Files still settling in the watch folder: their arrival as first seen (their mtime then, or
   * that pass). Their mtime changes while they are written, and the silent-logger check learns a
   * source again whenever an arrival's time changes (costly behind a long outage's queue).
   */
  pendingSinceMs?: Map<string, number>;
  /**
   * The transit folder is gone or its disk unmounted (stage/transit-place.ts), as the pass found
   * it before staging: every file waits in the watch folder, none is tried (the pass raises it).
   */
  transitMissing?: SyncError | null;
  /**
   * What held the transit queue back in the last pass ("Dropbox is unreachable"), told by the
   * engine after each pass; null: nothing did; absent: no pass has ended yet, so nothing is known.
   */
  queueHeldBy?: string | null;
}

export interface StageStepResult {
  staged: number;
  /** Files in the watch folder that wait: settling, still open, behind a same-named one, or failing. */
  waiting: number;
  /** Of `waiting`, those still being written or changing (settling, or held open). */
  settling: number;
  /** Their names (`once` names what it leaves, and what it waits for). */
  settlingRels: string[];
  /** Files that failed to stage this time or wait out their back-off. */
  failing: number;
  /**
   * Of those, the one with the most attempts and why (the status sentence names it: below the
   * failing threshold it is in no problem yet); null: none.
   */
  worstFailing: { rel: string; message: string; attempts: number } | null;
  /**
   * The files that stay in the watch folder this pass, finished (transit full or unwritable, a
   * failure, a file busy or changing) or still settling, with their mtime (one ahead of now: the
   * pass that first held it): a logger that wrote them is working, whatever keeps them here (the
   * silent-logger check counts them).
   */
  held: Array<{ rel: string; atMs: number }>;
}

/**
 * Files moved into transit at once: enough for one folder sync to cover many of them. Each file
 * waits for a sync of its transit folder that started after its move (fsutil/folder-syncs.ts), so
 * a sync covers the files that queued while the one before it ran: with 16 in flight that was
 * about 8 files a sync (250 directory fsyncs, each a journal commit on an SD card, per 2,000 files
 * in one folder), with 64 about 31 (64 fsyncs).
 */
export const STAGE_CONCURRENCY = 64;

export const WATCH_PROBLEM_ID = 'watch-unavailable';
export const TRANSIT_PROBLEM_ID = 'transit-unwritable';
export const ENTRY_PROBLEM_PREFIX = 'unreadable:';
/** Unreadable entries shown one by one; beyond this, one summary problem (a broken disk lists thousands). */
const MAX_ENTRY_PROBLEMS = 20;

export async function scanAndStage(
  deps: PassDeps,
  memory: StageMemory,
  signal?: AbortSignal,
  /** Told the sizes of the finished files the scan found, before they are staged. */
  onScanned?: (sizes: readonly number[]) => void,
  /**
   * Told of each file once it is in transit, with its transit identity when staging knows it;
   * staging waits for it (the pass's room for files).
   */
  onStaged?: (file: FileRef, transitPath: string, identity?: TransitStat) => Promise<void>,
  /** Told the size of each file the scan's walk meets, before it has decided which are finished. */
  onSighting?: (size: number) => void,
): Promise<StageStepResult> {
  const scan = await scanSafely(deps, signal, onSighting);
  if (scan.stable.length > 0) onScanned?.(scan.stable.map((f) => f.size));
  reflectWatchProblem(deps, memory, scan.watchProblem ?? null);
  reflectEntryProblems(deps, memory, scan.errors);

  const result: StageStepResult = {
    staged: 0,
    waiting: scan.pending, // files held open are among the pending ones
    settling: scan.pending,
    settlingRels: (scan.pendingFiles ?? []).map((f) => f.rel),
    failing: 0,
    worstFailing: null,
    held: [],
  };
  const countFailing = (rel: string): void => {
    result.failing++;
    const f = memory.stageFailures.get(rel);
    if (f && (!result.worstFailing || f.attempts > result.worstFailing.attempts))
      result.worstFailing = { rel, message: f.error.message, attempts: f.attempts };
  };
  const now = deps.clock.now();
  const heldAhead = new Map<string, number>();
  const arrived = (file: { rel: string; mtimeMs: number }): void => {
    let atMs = file.mtimeMs;
    if (atMs > now) {
      // Not "now" at every pass: a file stuck here would keep a stopped logger from ever being
      // reported silent. Counted from the pass that first held it (only these are remembered).
      atMs = memory.heldAheadMs?.get(file.rel) ?? now;
      heldAhead.set(file.rel, atMs);
    }
    result.held.push({ rel: file.rel, atMs });
  };
  const hold = (file: FileRef): void => {
    result.waiting++;
    arrived(file);
  };
  // A file still settling came from its logger too: a logger whose new file waited out the stable
  // time was called silent beside "Waiting in watch folder: 1". As first seen, not as written
  // since (see pendingSinceMs).
  const pendingSince = new Map<string, number>();
  for (const file of scan.pendingFiles ?? []) {
    const atMs = memory.pendingSinceMs?.get(file.rel) ?? Math.min(file.mtimeMs, now);
    pendingSince.set(file.rel, atMs);
    result.held.push({ rel: file.rel, atMs });
  }
  memory.pendingSinceMs = pendingSince;
  // (Set inside the callbacks below: typed by hand so the checks after them are not narrowed away.)
  const missing = memory.transitMissing ?? null;
  let blocked = missing;
  // The first file the transit disk had no room for, and how many in all.
  let noRoom = null as SyncError | null;
  let noRoomFiles = 0;
  // The transit disk's free space when it last refused a file: larger files are not tried this
  // pass. With transit full (a long outage fills it) every waiting file was otherwise tried, at
  // several system calls each, every pass: 3,000 waiting files made a pass 4 times as long.
  let roomLeft = null as number | null;
  const seen = new Set<string>();
  // Several files at a time, so their moves share one sync of each transit folder (stage-file.ts).
  await mapLimit(scan.stable, STAGE_CONCURRENCY, async (file) => {
    seen.add(file.rel);
    const failure = memory.stageFailures.get(file.rel);
    if (
      blocked ||
      signal?.aborted ||
      (failure && !retryDue(failure, now, 0, memory.retryAskedMs))
    ) {
      hold(file);
      if (failure) countFailing(file.rel);
      return;
    }
    if (roomLeft !== null && file.size > roomLeft) {
      hold(file);
      noRoomFiles++;
      return;
    }
    if (!(await journalFreesName(deps, file.rel))) {
      hold(file);
      result.settling++; // as a file behind a same-named one in transit ('busy')
      result.settlingRels.push(file.rel);
      return;
    }
    const outcome = await stageSafely(deps, file);
    switch (outcome.status) {
      case 'staged':
        result.staged++;
        deps.emit({ type: 'staged', rel: file.rel });
        forgetFailure(deps, memory, file.rel);
        await onStaged?.(file, outcome.transitPath, outcome.identity);
        break;
      case 'vanished':
        forgetFailure(deps, memory, file.rel);
        break;
      case 'busy':
      case 'changed':
        hold(file);
        result.settling++;
        result.settlingRels.push(file.rel);
        break;
      case 'failed':
        hold(file);
        recordStageFailure(deps, memory, file, outcome.error);
        countFailing(file.rel);
        break;
      case 'no-room':
        hold(file);
        noRoom ??= outcome.error;
        noRoomFiles++;
        if (outcome.freeBytes !== null) roomLeft = outcome.freeBytes;
        break;
      case 'blocked':
        hold(file);
        blocked ??= outcome.error;
        break;
    }
  });
  memory.heldAheadMs = heldAhead;
  // A failing file that left the watch folder starts afresh.
  for (const rel of goneFromWatch(memory.stageFailures.keys(), scan, seen)) {
    forgetFailure(deps, memory, rel);
  }
  const problem = missing ? null : (blocked ?? noRoom);
  if (missing) {
    // The transit folder's own problem says it all (pass.ts); not also "cannot write" to it.
    clearProblem(deps, TRANSIT_PROBLEM_ID);
    memory.transitNoRoomShown = false;
  } else if (problem) {
    const others = noRoomFiles - 1;
    const more =
      !blocked && others > 0
        ? others === 1
          ? ' (1 more file waits for room)'
          : ` (${others} more files wait for room)`
        : '';
    // "Still sync" was said also while Dropbox was unreachable or the card full, which is what
    // filled the transit disk: the files there then wait too, and their leaving makes the room.
    // Before this process's first pass has ended (queueHeldBy undefined) nothing is known of the
    // legs: a daemon restarted on a full transit disk with Dropbox away said "still sync" (trial).
    const inTransit =
      memory.queueHeldBy === undefined
        ? ''
        : memory.queueHeldBy
          ? ` Files in transit wait too while ${memory.queueHeldBy}, and free room as they leave`
          : ' Files already in transit still sync';
    raiseProblem(deps, {
      id: TRANSIT_PROBLEM_ID,
      code: 'transit-unwritable',
      severity: 'attention',
      tab: 'status',
      message: `${problem.message.replace(/[.\s]+$/, '')}${more}.${inTransit}`,
    });
    memory.transitNoRoomShown = !blocked;
  } else if (
    result.staged > 0 ||
    scan.stable.length === 0 ||
    // Files without room are tried again every pass (they have no back-off): a whole pass that
    // found none means the ones named have gone, or fit now, even if nothing else was staged.
    (memory.transitNoRoomShown && !signal?.aborted)
  ) {
    // Something was staged, or nothing waited to be: no file is held back for transit's sake.
    clearProblem(deps, TRANSIT_PROBLEM_ID);
    memory.transitNoRoomShown = false;
  }
  return result;
}

async function scanSafely(
  deps: PassDeps,
  signal?: AbortSignal,
  onSighting?: (size: number) => void,
): Promise<ScanOutcome> {
  try {
    return await deps.scanner.scan(signal, onSighting);
  } catch (e) {
    if (signal?.aborted) throw e;
    // The scanner reports a missing watch folder itself; anything it throws is the same kind of
    // trouble: staging waits, the queue drains.
    const reason = e instanceof Error ? e.message : String(e);
    return {
      stable: [],
      pending: 0,
      ignored: 0,
      errors: [],
      watchProblem: new SyncError({
        kind: 'blocked',
        code: 'watch-unavailable',
        message: `The watch folder cannot be read (${reason}): check that it exists and is mounted; files already in transit still sync`,
        cause: e,
      }),
    };
  }
}

/**
 * Whether a file may take its name in transit as far as the journal goes. An entry still known
 * for the name belongs to an earlier file of that name, and until its deletion is on disk a
 * restart finds it again: a kill between a finished file's removal and the save of its deletion
 * (or a full settings disk refusing that save, then a kill) left the finished mark of a file
 * gone from transit, and a new file placed under the name could get the freed inode number (a
 * copy's temporary, or a logger's new file moved in). The next process took it for a later
 * version of the finished file (file-version.ts finishedYetHere): its legs replaced the earlier
 * file's copies on Dropbox and the card, which then held only the new bytes. So the deletion is
 * saved first, or while the journal cannot be saved the file waits in the watch folder.
 * While the name's file is still in transit, staging itself decides, as for a name the journal
 * does not know: placing never replaces, so it either waits behind that file or, when the transit
 * name holds this very file (a move a kill cut short, that the walk of transit met first and so
 * gave an entry), finishes the move (stage-file.ts finishCutMove). Held back here instead, that
 * file was staged again once its transit copy was done: read and sent twice, recorded done twice.
 * The common case, a name the journal does not know, costs one lookup and no save.
 */
async function journalFreesName(deps: PassDeps, rel: string): Promise<boolean> {
  if (!deps.journal.knows(rel)) return true;
  const inTransit = await deps.statTransit(rel).catch(() => undefined);
  if (inTransit === undefined) return false; // cannot tell
  if (inTransit !== null) return true; // taken: staging waits behind it, or finishes a cut move
  deps.journal.delete(rel);
  try {
    await deps.journal.flush();
  } catch {
    return false; // the journal's own retry logs it; the file is safe where it is
  }
  // A problem of the file that left transit named it; the new file's own are raised afresh.
  clearProblem(deps, `${FILE_FAILING_PREFIX}${rel}`);
  return true;
}

async function stageSafely(deps: PassDeps, file: FileRef): Promise<StageOutcome> {
  try {
    return await deps.stage(file);
  } catch (e) {
    // Staging is meant to report per-file trouble as an outcome; anything thrown is still this
    // file's trouble, never the pass's.
    const error = isSyncError(e)
      ? e
      : new SyncError({
          kind: 'file-failed',
          code: 'file-unreadable',
          message: `${file.rel} could not be moved into transit (${e instanceof Error ? e.message : String(e)}): check its permissions`,
          cause: e,
        });
    return error.kind === 'blocked' ? { status: 'blocked', error } : { status: 'failed', error };
  }
}

/**
 * Of `failing`, the files the scan shows gone from the watch folder. Not a file merely unsettled
 * (a new process's first look cannot always tell a finished file: another user's, with writers it
 * may not inspect), nor one below a folder it could not read, nor any when the watch folder itself
 * could not be read: each of those forgot the kept failure, so the first pass after a restart
 * read as the trouble resolved. `seen`: the stable files this pass met, when not all of them.
 */
export function goneFromWatch(
  failing: Iterable<string>,
  scan: ScanOutcome,
  seen: ReadonlySet<string> = new Set(scan.stable.map((f) => f.rel)),
): string[] {
  const rels = [...failing];
  // Every pass asks, most with no failure kept: nothing to build then.
  if (rels.length === 0 || scan.watchProblem) return [];
  const pending = new Set((scan.pendingFiles ?? []).map((f) => f.rel));
  const unread = scan.errors.map((e) => e.rel);
  const gone: string[] = [];
  for (const rel of rels) {
    if (seen.has(rel) || pending.has(rel)) continue;
    if (unread.some((dir) => dir === '' || rel === dir || rel.startsWith(`${dir}/`))) continue;
    gone.push(rel);
  }
  return gone;
}

function recordStageFailure(
  deps: PassDeps,
  memory: StageMemory,
  file: FileRef,
  error: SyncError,
): void {
  const before = memory.stageFailures.get(file.rel);
  const attempts = (before?.attempts ?? 0) + 1;
  const now = deps.clock.now();
  const sinceMs = before ? failingSince(before, now) : now;
  memory.stageFailuresChanged = true;
  memory.stageFailures.set(file.rel, {
    attempts,
    nextTryMs: now + fileRetryDelayMs(attempts),
    lastError: { atMs: now, ...(sinceMs < now ? { sinceMs } : {}) },
    error,
  });
  deps.logger.warn('file could not be staged', {
    rel: file.rel,
    code: error.code,
    reason: error.message,
    attempts,
  });
  if (attempts >= FILE_FAILING_THRESHOLD)
    raiseProblem(deps, fileFailingProblem(file.rel, attempts, error, sinceMs));
}

function forgetFailure(deps: PassDeps, memory: StageMemory, rel: string): void {
  if (!memory.stageFailures.delete(rel)) return;
  memory.stageFailuresChanged = true;
  clearProblem(deps, `${FILE_FAILING_PREFIX}${rel}`);
}

function reflectWatchProblem(deps: PassDeps, memory: StageMemory, problem: SyncError | null): void {
  if (!problem) {
    memory.watchProblemLogged = false;
    clearProblem(deps, WATCH_PROBLEM_ID);
    return;
  }
  if (!memory.watchProblemLogged) {
    memory.watchProblemLogged = true;
    deps.logger.warn('watch folder unavailable', { code: problem.code, reason: problem.message });
  }
  raiseProblem(deps, watchProblemOf(problem));
}

/** The problem a watch folder that cannot be used (missing, unreadable) stands as. */
export function watchProblemOf(problem: SyncError): NewProblem {
  return {
    id: WATCH_PROBLEM_ID,
    code: 'watch-unavailable',
    severity: 'attention',
    tab: 'settings',
    message: problem.message,
  };
}

/** Unreadable folders and names are problems a person sees, raised once and cleared when healed. */
function reflectEntryProblems(
  deps: PassDeps,
  memory: StageMemory,
  errors: ScanOutcome['errors'],
): void {
  const ids = new Set<string>();
  for (const e of errors.slice(0, MAX_ENTRY_PROBLEMS)) {
    if (!memory.entryProblemIds.has(`${ENTRY_PROBLEM_PREFIX}${e.rel}`)) {
      deps.logger.warn('watch folder entry cannot be read', {
        rel: e.rel,
        code: e.code ?? 'unreadable-entry',
        reason: e.message,
      });
    }
  }
  for (const problem of entryProblemsOf(errors)) {
    ids.add(problem.id);
    raiseProblem(deps, problem);
  }
  for (const id of memory.entryProblemIds) if (!ids.has(id)) clearProblem(deps, id);
  memory.entryProblemIds = ids;
}

/**
 * The problems a scan's unreadable folders and names stand as: one each, up to a limit, then one
 * for the rest. Also for `rdl-sync status` with no daemon, which scans and stages nothing.
 */
export function entryProblemsOf(errors: ScanOutcome['errors']): NewProblem[] {
  const problems: NewProblem[] = errors.slice(0, MAX_ENTRY_PROBLEMS).map((e) => ({
    id: `${ENTRY_PROBLEM_PREFIX}${e.rel}`,
    code: 'unreadable-entry',
    severity: 'attention',
    tab: 'status',
    message: e.message,
  }));
  if (errors.length > MAX_ENTRY_PROBLEMS) {
    problems.push({
      id: `${ENTRY_PROBLEM_PREFIX}*`,
      code: 'unreadable-entry',
      severity: 'attention',
      tab: 'log',
      message: `${errors.length - MAX_ENTRY_PROBLEMS} more entries in the watch folder cannot be read: see the log`,
    });
  }
  return problems;
}

function raiseProblem(deps: PassDeps, problem: NewProblem): void {
  deps.emit({ type: 'problem', problem });
}

function clearProblem(deps: PassDeps, id: string): void {
  deps.emit({ type: 'problem-cleared', id });
}
