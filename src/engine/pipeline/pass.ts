// One pass of the life of a file (DESIGN.md): scan → stage → {upload leg, archive leg} → done.
// The transit folder is the queue: the pass walks it in windows, so memory stays bounded however
// long the backlog is. The journal only saves work (known legs, retry times); losing it costs a
// re-check, never a file. Nothing leaves transit before both legs are verified.
import { SyncError, isSyncError } from '../errors.js';
import { monotonicNow, type UploadItem } from '../ports.js';
import type {
  ArchiveCheckResult,
  ArchivePort,
  FileRef,
  JournalEntryShape,
  PassDeps,
} from './deps.js';
import type { ArchiveStatus } from '../status/types.js';
import {
  ARCHIVE_PROBLEM_IDS,
  FILE_FAILING_THRESHOLD,
  UPLOAD_PROBLEM_IDS,
  fileFailingProblem,
  fileRetryDelayMs,
  legProblem,
  notConnected,
  offlineProblem,
  retryDue,
} from './problems.js';
import { mapConcurrent } from './concurrency.js';
import { historyRecordFor } from './history-record.js';
import { scanAndStage, type StageMemory } from './stage-step.js';
import { entryForCurrentVersion } from './file-version.js';
import { checkBeforeRemoval, finishFiles, legsDone, redoLegs, writersNow } from './finish.js';

export interface PassReport {
  staged: number;
  done: number;
  uploaded: number;
  archived: number;
  fileFailures: number;
  uploadBlocked: SyncError | null;
  archiveBlocked: SyncError | null;
  remainingInTransit: number;
  /** Bytes of the files left in transit; null when the walk of transit was not complete. */
  transitBytes: number | null;
  aborted: boolean;
}

interface WorkItem {
  file: FileRef;
  entry: JournalEntryShape;
}

/** State that outlives one pass (kept by the engine): when Dropbox went away, first sightings. */
export interface PassMemory extends StageMemory {
  /** Monotonic time Dropbox went away (durations survive a wall-clock step). */
  offlineSinceMono: number | null;
  firstSeenMs: Map<string, number>;
  /** Problem ids raised for unreadable parts of transit by the last walk. */
  transitProblemIds: Set<string>;
}

export function newPassMemory(): PassMemory {
  return {
    offlineSinceMono: null,
    firstSeenMs: new Map(),
    stageFailures: new Map(),
    entryProblemIds: new Set(),
    transitProblemIds: new Set(),
  };
}

const TRANSIENT = new Set(['retry', 'retry-after']);
const TRANSIT_PROBLEM_PREFIX = 'transit-unreadable:';

export async function runPass(
  deps: PassDeps,
  memory: PassMemory,
  signal?: AbortSignal,
): Promise<PassReport> {
  const report: PassReport = {
    staged: 0,
    done: 0,
    uploaded: 0,
    archived: 0,
    fileFailures: 0,
    uploadBlocked: null,
    archiveBlocked: null,
    remainingInTransit: 0,
    transitBytes: null,
    aborted: false,
  };
  const { status, clock } = deps;

  // 1. Detect and stage finished files. Whatever fails here fails for one file or for staging
  //    alone: the queue below drains regardless.
  const staging = await scanAndStage(deps, memory, signal);
  report.staged = staging.staged;
  status.updateCounts({ waiting: staging.waiting });

  // 2. The archive target is checked once per pass; a missing card blocks only its leg.
  let archiveBlocked: SyncError | null = null;
  if (deps.archive) {
    const check = await checkArchiveSafely(deps.archive);
    status.update({ archive: archiveStatusOf(deps.archive.root, check) });
    archiveBlocked = check.problem;
  }
  let uploadBlocked: SyncError | null = deps.remote ? null : (deps.remoteMissing ?? notConnected());

  // 3. Walk the queue in windows.
  const windowSize = deps.windowSize ?? 1000;
  const settleMs = deps.settleMs ?? 0;
  let window: WorkItem[] = [];
  let remaining = 0;
  let remainingBytes = 0;
  let uploadPending = 0;
  let archivePending = 0;
  let failed = staging.failing;

  const processWindow = async (): Promise<void> => {
    const items = window;
    window = [];
    if (items.length === 0) return;
    // Show the window's files as queued while its legs run, not only once they are settled.
    status.updateCounts({
      transit: remaining + items.length,
      uploadPending: uploadPending + items.filter((w) => !w.entry.upload).length,
      archivePending:
        archivePending + (deps.archive ? items.filter((w) => !w.entry.archive).length : 0),
    });
    const now = clock.now();
    // Files marked finished before a crash need no legs: only their removal is repeated.
    const due = items.filter(
      (w) => w.entry.finishedAtMs === undefined && retryDue(w.entry, now, settleMs),
    );
    const [upErr, arErr] = await Promise.all([
      uploadBlocked ? Promise.resolve(uploadBlocked) : uploadLeg(deps, memory, due, report, signal),
      archiveBlocked || !deps.archive
        ? Promise.resolve(archiveBlocked)
        : archiveLeg(deps, memory, due, report, signal),
    ]);
    uploadBlocked = upErr;
    archiveBlocked = arErr;

    const finishable: WorkItem[] = [];
    const waiting: WorkItem[] = [];
    const writers = items.some((w) => legsDone(deps, w.entry)) ? await writersNow(deps) : null;
    for (const w of items) {
      if (signal?.aborted) {
        waiting.push(w);
        continue;
      }
      if (w.entry.finishedAtMs !== undefined) {
        finishable.push(w);
        continue;
      }
      if (!legsDone(deps, w.entry)) {
        waiting.push(w);
        continue;
      }
      const check = await checkBeforeRemoval(deps, w, writers);
      if (check === 'ok') finishable.push(w);
      else {
        if (check === 'legs-disagree') redoLegs(deps, w, settleMs);
        if (check === 'gone')
          deps.journal.delete(w.file.rel); // taken out of transit by someone
        else waiting.push(w);
      }
    }
    if (!signal?.aborted) report.done += await finishFiles(deps, finishable, memory.firstSeenMs);
    else waiting.push(...finishable);
    for (const w of waiting) {
      remaining++;
      remainingBytes += w.file.size;
      if (!w.entry.upload) uploadPending++;
      if (deps.archive && !w.entry.archive) archivePending++;
      if (w.entry.lastError && w.entry.attempts > 0) failed++;
    }
    deps.journal.scheduleFlush();
    status.updateCounts({ transit: remaining, uploadPending, archivePending, failed });
  };

  const transitErrors = new Map<string, string>();
  const seen = new Set<string>();
  try {
    for await (const file of deps.listTransit((rel, error) =>
      transitErrors.set(rel, error instanceof Error ? error.message : String(error)),
    )) {
      if (signal?.aborted) break;
      seen.add(file.rel);
      if (!memory.firstSeenMs.has(file.rel)) memory.firstSeenMs.set(file.rel, clock.now());
      const entry = entryForCurrentVersion(deps.journal, file, clock.now(), settleMs, deps.logger);
      window.push({ file, entry });
      if (window.length >= windowSize) await processWindow();
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    transitErrors.set('', e instanceof Error ? e.message : String(e));
  }
  if (!signal?.aborted) await processWindow();
  else remaining += window.length;
  reflectTransitProblems(deps, memory, transitErrors);
  if (!signal?.aborted && transitErrors.size === 0) forgetLeftFiles(deps, seen);

  report.aborted = Boolean(signal?.aborted);
  report.remainingInTransit = remaining;
  report.transitBytes = !signal?.aborted && transitErrors.size === 0 ? remainingBytes : null;
  report.uploadBlocked = uploadBlocked;
  report.archiveBlocked = archiveBlocked;
  status.updateCounts({ transit: remaining, uploadPending, archivePending, failed });
  reflectLegProblems(deps, memory, report, remaining);
  await deps.journal.flush();
  return report;
}

/**
 * After a complete walk of transit, entries of files no longer there are forgotten (a person
 * emptied transit, or the transit folder changed). Kept, they would make a later, different file
 * of the same name look like a new version of that one, and replace its copies.
 */
function forgetLeftFiles(deps: PassDeps, seen: Set<string>): void {
  let forgotten = 0;
  for (const rel of deps.journal.rels()) {
    if (seen.has(rel)) continue;
    deps.journal.delete(rel);
    forgotten++;
  }
  if (forgotten > 0)
    deps.logger.info('forgot journal entries of files no longer in transit', { forgotten });
}

async function checkArchiveSafely(archive: ArchivePort): Promise<ArchiveCheckResult> {
  try {
    return await archive.check();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return {
      present: false,
      writable: false,
      freeBytes: null,
      totalBytes: null,
      problem: new SyncError({
        kind: 'blocked',
        code: 'archive-missing',
        message: `The archive folder ${archive.root} cannot be checked (${reason}): check the card or folder`,
        cause: e,
      }),
    };
  }
}

/** Parts of transit that cannot be read hold files that cannot move: a problem, not a log line. */
function reflectTransitProblems(
  deps: PassDeps,
  memory: PassMemory,
  errors: Map<string, string>,
): void {
  const ids = new Set<string>();
  for (const [rel, reason] of errors) {
    const id = `${TRANSIT_PROBLEM_PREFIX}${rel}`;
    ids.add(id);
    const where = rel ? `${deps.transitDir}/${rel}` : deps.transitDir;
    deps.status.raise({
      id,
      code: 'unreadable-entry',
      severity: 'attention',
      tab: 'status',
      message: `Cannot read ${where} in the transit folder (${reason}): give RDL Sync's user access to it; the files in it wait safely`,
    });
  }
  for (const id of memory.transitProblemIds) if (!ids.has(id)) deps.status.clear(id);
  memory.transitProblemIds = ids;
}

/** The SD-card part of the status model, from one check of the card. */
export function archiveStatusOf(root: string, check: ArchiveCheckResult): ArchiveStatus {
  const { present, writable, freeBytes, totalBytes } = check;
  return { enabled: true, path: root, present, writable, freeBytes, totalBytes };
}

async function uploadLeg(
  deps: PassDeps,
  memory: PassMemory,
  due: WorkItem[],
  report: PassReport,
  signal?: AbortSignal,
): Promise<SyncError | null> {
  const todo = due.filter((w) => !w.entry.upload);
  if (todo.length === 0 || !deps.remote) return null;
  const byRel = new Map(todo.map((w) => [w.file.rel, w]));
  const items: UploadItem[] = todo.map((w) => ({
    rel: w.file.rel,
    localPath: w.file.absPath,
    size: w.file.size,
    mtimeMs: w.file.mtimeMs,
    ...(w.entry.supersedes?.upload
      ? {
          replace: {
            remotePath: w.entry.supersedes.upload.remotePath,
            rev: w.entry.supersedes.upload.rev,
          },
        }
      : {}),
  }));
  const started = new Set<string>();
  try {
    const outcomes = await deps.remote.uploadMany(items, {
      ...(signal ? { signal } : {}),
      onProgress: (p) => {
        if (!started.has(p.rel)) {
          started.add(p.rel);
          deps.status.transferStarted(p.rel, 'upload', p.size);
        }
        deps.status.transferProgress(p.rel, 'upload', p.bytesSent);
      },
    });
    const now = deps.clock.now();
    for (const o of outcomes) {
      const w = byRel.get(o.rel);
      if (!w) continue;
      if (o.ok) {
        const upload = {
          remotePath: o.remotePath,
          contentHash: o.contentHash,
          rev: o.rev,
          atMs: now,
          alreadyPresent: o.alreadyPresent,
        };
        applyPatch(deps, w, { upload, contentHash: o.contentHash });
        report.uploaded++;
      } else {
        recordFileFailure(deps, memory, w, o.error, report);
      }
    }
    deps.status.update({
      offline: false,
      dropbox: { ...deps.status.current.dropbox, connected: true, lastContactMs: now },
    });
    return null;
  } catch (e) {
    return asLegError(e, 'upload');
  } finally {
    for (const rel of started) deps.status.transferEnded(rel, 'upload');
  }
}

async function archiveLeg(
  deps: PassDeps,
  memory: PassMemory,
  due: WorkItem[],
  report: PassReport,
  signal?: AbortSignal,
): Promise<SyncError | null> {
  const archive = deps.archive;
  if (!archive) return null;
  let blocked: SyncError | null = null;
  const todo = due.filter((w) => !w.entry.archive);
  await mapConcurrent(todo, deps.archiveConcurrency ?? 2, async (w) => {
    // A card too full for one file may still take smaller ones: only the other blocks stop the leg.
    if ((blocked && blocked.code !== 'archive-full') || signal?.aborted) return;
    deps.status.transferStarted(w.file.rel, 'archive', w.file.size);
    try {
      const replace = w.entry.supersedes?.archive;
      const r = await archive.store({
        rel: w.file.rel,
        srcPath: w.file.absPath,
        size: w.file.size,
        ...(signal ? { signal } : {}),
        ...(replace ? { replace } : {}),
        onProgress: (bytes) => deps.status.transferProgress(w.file.rel, 'archive', bytes),
      });
      // Whether this hash agrees with the upload leg's is decided once, before removal
      // (finish.ts): either leg may finish first, and either may have read a changing file.
      applyPatch(deps, w, {
        archive: {
          path: r.path,
          contentHash: r.contentHash,
          atMs: deps.clock.now(),
          alreadyPresent: r.alreadyPresent,
        },
        contentHash: r.contentHash,
      });
      report.archived++;
    } catch (e) {
      const err = asLegError(e, 'archive');
      if (err.kind === 'blocked') blocked ??= err;
      else if (!signal?.aborted) recordFileFailure(deps, memory, w, err, report);
    } finally {
      deps.status.transferEnded(w.file.rel, 'archive');
    }
  });
  return blocked;
}

function applyPatch(deps: PassDeps, w: WorkItem, patch: Partial<JournalEntryShape>): void {
  w.entry = { ...w.entry, ...patch };
  deps.journal.update(w.file.rel, patch);
}

function recordFileFailure(
  deps: PassDeps,
  memory: PassMemory,
  w: WorkItem,
  error: SyncError,
  report: PassReport,
): void {
  report.fileFailures++;
  const now = deps.clock.now();
  const attempts = w.entry.attempts + 1;
  const lastError = { code: error.code, message: error.message, atMs: now };
  applyPatch(deps, w, { attempts, nextTryMs: now + fileRetryDelayMs(attempts), lastError });
  deps.logger.warn('file failed', {
    rel: w.file.rel,
    code: error.code,
    reason: error.message,
    attempts,
  });
  if (attempts === FILE_FAILING_THRESHOLD) {
    deps.status.raise(fileFailingProblem(w.file.rel, attempts, error));
    deps.history.append(
      historyRecordFor(
        w.file,
        w.entry,
        'failed',
        { startedAtMs: memory.firstSeenMs.get(w.file.rel) ?? now, nowMs: now },
        deps.archive !== null,
      ),
    );
  }
}

function asLegError(e: unknown, leg: 'upload' | 'archive'): SyncError {
  if (isSyncError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SyncError({
    kind: 'retry',
    code: 'unknown',
    message: `${leg} failed unexpectedly: ${message}`,
    cause: e,
  });
}

/** After a pass, the problems shown match what the legs met: raised once, cleared when healed. */
function reflectLegProblems(
  deps: PassDeps,
  memory: PassMemory,
  report: PassReport,
  pending: number,
): void {
  const { status, clock } = deps;
  const up = report.uploadBlocked;
  const offline = up !== null && (TRANSIENT.has(up.kind) || up.code === 'offline');
  if (offline) {
    const mono = monotonicNow(clock);
    memory.offlineSinceMono ??= mono;
    status.update({ offline: true });
    if (mono - memory.offlineSinceMono >= deps.offlineAlertMs)
      status.raise(offlineProblem(memory.offlineSinceMono, mono, pending));
  } else {
    memory.offlineSinceMono = null;
    if (status.current.offline) status.update({ offline: false });
  }
  for (const id of UPLOAD_PROBLEM_IDS) {
    if (id === 'offline' ? !offline : up?.code !== id) status.clear(id);
  }
  if (up && up.kind === 'blocked' && !offline) status.raise(legProblem(up, pending));

  const ar = report.archiveBlocked;
  for (const id of ARCHIVE_PROBLEM_IDS) if (ar?.code !== id) status.clear(id);
  if (ar) status.raise(legProblem(ar, pending));
  if (report.uploadBlocked || report.archiveBlocked) {
    deps.logger.info('pass ended with a blocked leg', {
      upload: report.uploadBlocked?.code ?? null,
      archive: report.archiveBlocked?.code ?? null,
    });
  }
}
