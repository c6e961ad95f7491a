// Small files: each is read once (hashed in the same read) and its bytes land in one closed
// upload session, many per append_batch request (append-batch.ts); a file whose entry fails
// gets a session of its own via upload_session/start. Then up to 1000 of them are committed by
// one finish_batch_v2 call, which takes Dropbox's namespace write lock once instead of once per
// file. Commits take turns (one batch at a time); uploads of the next files continue meanwhile.
// A batch is committed when COMMIT_AT are stored, when the files stop coming for now, or at their
// end (the last uploads' files then join it: see `due` in uploadSmallFiles).
import type { files } from 'dropbox';
import type { Source } from '../channel.js';
import { SyncError } from '../errors.js';
import type {
  Clock,
  Committing,
  Logger,
  Refusals,
  UploadOutcome,
  UploadProgress,
} from '../ports.js';
import type { DropboxCalls } from './calls.js';
import {
  appendSmallFiles,
  fileToPlace,
  MAX_APPEND_BODY,
  MAX_BODIES_IN_FLIGHT,
  type BulkJob,
} from './append-batch.js';
import { classifyUnion, unionTags } from './classify.js';
import { contentHashOf } from './content-hash.js';
import {
  commitInfo,
  firstTargetOf,
  place,
  replaceMismatch,
  type ConflictPolicy,
  type FileToPlace,
  type PlaceStart,
} from './placement.js';
import type { HeaderBudget } from './header-budget.js';
import type { RetryPolicy } from '../retry-policy.js';
import { retryDelayMs } from './retry.js';
import { readSmall } from './small-read.js';
import type { SessionReserve } from './session-reserve.js';

export const MAX_BATCH_ENTRIES = 1000;
/**
 * While files still come, a commit starts once this many are stored (taking all stored then, up to
 * MAX_BATCH_ENTRIES). Half a full batch: commits keep pace with the uploads, so the one left after
 * the last upload (which the pass waits for) is small, for one lock take more per 1000 files.
 */
export const COMMIT_AT = 500;
/**
 * Once no more files will come, the last uploads' files join one final commit; only when they
 * and the stored ones would not fit one finish_batch does a commit of at least this many go first.
 */
export const TAIL_BATCH_ENTRIES = 250;

/** One small file to upload: the job append_batch packs, under the name this module uses. */
export type SmallJob = BulkJob;

export interface SmallBatchDeps {
  calls: DropboxCalls;
  policy: ConflictPolicy;
  concurrency: number;
  retry: RetryPolicy;
  clock: Clock;
  logger: Logger;
  /** Largest append_batch body (the chunk size, at most 16 MiB). */
  bodyLimit?: number;
  /** append_batch requests in flight at once. */
  bodiesInFlight?: number;
  /** The header size limit in force on this link. */
  headers: HeaderBudget;
  /** Sessions held for these files (AppendBatchDeps.reserve). */
  reserve?: SessionReserve;
  /** Small files the caller expects in all (AppendBatchDeps.expected). */
  expected?: () => number | undefined;
  /** Told before a group's commit (UploadOptions.onCommitting). */
  committing?: (files: readonly Committing[]) => Promise<Refusals | void>;
}

interface Staged {
  job: SmallJob;
  file: FileToPlace;
  sessionId: string;
}

/** A per-file result, or a thrown SyncError of kind 'blocked' (or the abort reason). */
export type Report = (job: SmallJob, outcome: UploadOutcome) => void;

export function okOutcome(
  rel: string,
  metadata: files.FileMetadata,
  file: FileToPlace,
  alreadyPresent: boolean,
): UploadOutcome {
  return {
    rel,
    ok: true,
    remotePath: metadata.path_display ?? file.target,
    contentHash: file.contentHash,
    rev: metadata.rev,
    size: file.size,
    alreadyPresent,
  };
}

/** Runs per-file work; per-file failures become outcomes, 'blocked' and aborts propagate. */
export async function perFile(
  rel: string,
  report: (o: UploadOutcome) => void,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (!(e instanceof SyncError) || e.kind === 'blocked') throw e;
    report({ rel, ok: false, error: e });
  }
}

async function stage(deps: SmallBatchDeps, job: SmallJob, signal: AbortSignal): Promise<Staged> {
  const bytes = await readSmall(job, job.size);
  const sessionId = await deps.calls.start(job.rel, bytes, true, signal);
  return { job, file: fileToPlace(job, bytes), sessionId };
}

/** Uploads a small file's bytes again into a new closed session (the old one is gone). */
function freshSession(deps: SmallBatchDeps, s: Staged, signal: AbortSignal): () => Promise<string> {
  return async () => {
    const bytes = await readSmall(s.job, s.file.size);
    if (contentHashOf(bytes) !== s.file.contentHash) {
      throw new SyncError({
        kind: 'retry',
        code: 'file-unreadable',
        message: `"${s.job.rel}" changed while it was being uploaded; will upload it again`,
      });
    }
    return deps.calls.start(s.job.rel, bytes, true, signal);
  };
}

/** A folder listing answers for up to this many entries; a larger folder is not listed. */
const MAX_LISTED_ENTRIES = 20_000;

function parentOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('/')));
}

/**
 * Which of these files are on Dropbox with our bytes, found with one listing per folder instead
 * of one metadata call per file. Files in folders that cannot be listed are simply not found.
 */
async function landedByListing(
  deps: SmallBatchDeps,
  staged: Staged[],
  signal: AbortSignal,
): Promise<Map<Staged, files.FileMetadata>> {
  const found = new Map<Staged, files.FileMetadata>();
  const byFolder = new Map<string, Staged[]>();
  for (const s of staged) {
    const folder = parentOf(s.file.target);
    const members = byFolder.get(folder);
    if (members) members.push(s);
    else byFolder.set(folder, [s]);
  }
  for (const [folder, members] of byFolder) {
    let listing: Map<string, files.FileMetadata> | undefined;
    try {
      listing = await deps.calls.listFiles(folder, MAX_LISTED_ENTRIES, signal);
    } catch (e) {
      if (!(e instanceof SyncError) || e.kind === 'blocked') throw e;
      continue;
    }
    for (const s of members) {
      const name = s.file.target.slice(folder.length + 1).toLowerCase();
      const m = listing?.get(name);
      if (m !== undefined && m.content_hash === s.file.contentHash) found.set(s, m);
    }
  }
  return found;
}

/**
 * Tells the caller what is about to be committed (the journal notes it, so a copy found after a
 * kill is known as ours); its trouble never holds the commit back. Returns what it refused.
 */
async function noteCommits(
  deps: SmallBatchDeps,
  notes: ReadonlyArray<{ job: SmallJob; file: FileToPlace }>,
): Promise<Refusals | void> {
  if (!deps.committing || notes.length === 0) return;
  const files = notes.map((s) => ({
    rel: s.job.rel,
    remotePath: firstTargetOf(s.file).path,
    contentHash: s.file.contentHash,
  }));
  return deps.committing(files).catch((e: unknown) =>
    deps.logger.warn('could not note the commit to come', {
      files: files.length,
      error: String(e),
    }),
  );
}

/** Commits `group` (its commit already noted: see uploadSmallFiles). */
async function commitGroup(
  deps: SmallBatchDeps,
  group: Staged[],
  report: Report,
  signal: AbortSignal,
  /** Dropbox's answer came and every file landed as sent: the next commit may go now. */
  lineFree?: () => void,
): Promise<void> {
  let pending = group;
  const slow: Array<{ s: Staged; start: PlaceStart }> = [];
  // Commits whose answer never came (or whose retry found the session consumed): ours may have
  // landed. `gaveUp` holds the error when Dropbox kept failing the commit itself.
  const unanswered: Staged[] = [];
  let gaveUp: SyncError | undefined;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const entries = pending.map((s) => ({
      cursor: { session_id: s.sessionId, offset: s.file.size },
      commit: commitInfo(firstTargetOf(s.file), s.file.mtimeMs),
    }));
    let results: files.UploadSessionFinishBatchResultEntry[];
    try {
      results = await deps.calls.finishBatch(entries, signal);
    } catch (e) {
      // Long runs of empty-body 503s happen on finish: this group waits for a later pass, the
      // others carry on. The commit may still have gone through after we stopped waiting.
      if (!(e instanceof SyncError) || e.kind === 'blocked') throw e;
      deps.logger.warn('Dropbox kept failing a batch commit; checking what landed', {
        files: pending.length,
        code: e.code,
      });
      gaveUp = e;
      unanswered.push(...pending);
      break;
    }
    if (
      lineFree &&
      slow.length === 0 &&
      unanswered.length === 0 &&
      results.length === pending.length &&
      results.every(
        (r, i) => r['.tag'] === 'success' && r.content_hash === pending[i]!.file.contentHash,
      )
    ) {
      // Nothing of this group needs Dropbox again (no retry, no file sent alone, none to look
      // for: earlier attempts of a contended group left none either), so the next
      // commit need not wait for its files to be reported: that is the main thread's work of
      // some milliseconds per hundred files, and after the last upload it held up the last commit.
      // The turn of the event loop lets the next commit's request out first.
      lineFree();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const contended: Staged[] = [];
    let waitMs = 0;
    pending.forEach((s, i) => {
      const r = results[i];
      if (r === undefined) {
        unanswered.push(s);
      } else if (r['.tag'] === 'success') {
        if (r.content_hash === s.file.contentHash)
          report(s.job, okOutcome(s.job.rel, r, s.file, false));
        else {
          try {
            slow.push({ s, start: { target: replaceMismatch(s.file, r, 1), mismatches: 1 } });
          } catch (e) {
            report(s.job, { rel: s.job.rel, ok: false, error: e as SyncError });
          }
        }
      } else {
        const err = classifyUnion(r.failure, { rel: s.job.rel });
        const tag = r.failure['.tag'];
        if (err.code === 'write-contention' || err.code === 'rate-limited') {
          contended.push(s);
          waitMs = Math.max(waitMs, retryDelayMs(err, attempt, deps.retry));
        } else if (err.kind === 'blocked') {
          throw err;
        } else if (tag === 'lookup_failed' && unionTags(r.failure).includes('not_found')) {
          unanswered.push(s); // consumed: most likely by our own commit whose answer was lost
        } else if (tag === 'lookup_failed') {
          slow.push({ s, start: { mightHaveWritten: true } });
        } else if (err.code === 'conflict') {
          slow.push({ s, start: { sessionId: s.sessionId } });
        } else if (err.kind === 'file-failed') {
          report(s.job, { rel: s.job.rel, ok: false, error: err });
        } else {
          slow.push({ s, start: {} });
        }
      }
    });
    pending = contended;
    if (pending.length > 0) {
      if (attempt + 1 >= deps.retry.maxAttempts) {
        // Still contended after minutes of backing off: committing each file on its own would
        // only take the lock more often. The files are tried again on a later pass.
        for (const s of pending) {
          report(s.job, {
            rel: s.job.rel,
            ok: false,
            error: new SyncError({
              kind: 'retry',
              code: 'write-contention',
              message: `Dropbox stayed busy with other changes while committing "${s.job.rel}"; will retry`,
            }),
          });
        }
        break;
      }
      deps.logger.warn('Dropbox busy: committing part of a batch again', {
        files: pending.length,
        waitMs,
      });
      await deps.clock.sleep(waitMs, signal);
    }
  }
  if (unanswered.length > 0) {
    const landed = await landedByListing(deps, unanswered, signal);
    for (const s of unanswered) {
      const m = landed.get(s);
      if (m !== undefined) report(s.job, okOutcome(s.job.rel, m, s.file, false));
      else if (gaveUp === undefined) slow.push({ s, start: { mightHaveWritten: true } });
      else {
        report(s.job, {
          rel: s.job.rel,
          ok: false,
          error: new SyncError({
            kind: 'retry',
            code: gaveUp.code,
            message: `Dropbox kept failing to commit "${s.job.rel}"; will retry`,
            cause: gaveUp,
          }),
        });
      }
    }
  }
  // Conflicts, lost sessions and the like are rare: settle them one by one.
  for (const { s, start } of slow) {
    await perFile(
      s.job.rel,
      (o) => report(s.job, o),
      async () => {
        const placed = await place(
          deps.calls,
          s.file,
          deps.policy,
          freshSession(deps, s, signal),
          start,
          signal,
        );
        report(s.job, okOutcome(s.job.rel, placed.metadata, s.file, placed.alreadyPresent));
      },
    );
  }
}

export async function uploadSmallFiles(
  deps: SmallBatchDeps,
  jobs: Source<SmallJob>,
  report: Report,
  signal: AbortSignal,
  onProgress?: (p: UploadProgress) => void,
  /** Called once when a commit fails for everyone, so uploads still running stop at once. */
  stop?: (reason: unknown) => void,
): Promise<void> {
  const ready: Staged[] = [];
  /** Resolves when the next commit may start: one commit at a time takes Dropbox's lock. */
  let line: Promise<void> = Promise.resolve();
  /** Resolves when every commit started so far has ended (its files reported). */
  let allCommits: Promise<unknown> = Promise.resolve();
  let commitFailure: unknown;
  let commitQueued = false;
  // Each commit is noted (deps.committing: a journal save) before it is sent. Made in the commit's
  // turn, that save held the commit line (traced: 13 ms on a quiet machine, 50-400 under load),
  // and after the last upload's answer that is time the whole pass waits. So at the tail (every
  // file taken), what is stored and the last uploads' files are noted while their append_batch
  // is on its way, and the final commit goes at their answer. Only there: earlier commits overlap
  // the uploads anyway, and noting ahead all along would cost a save (an fsync: on a hub, an SD
  // card's) per few files instead of one per commit. Noted early is safe: a note says a write
  // may come, and the commit's answer says whether it did.
  /** Jobs whose commit has been noted. */
  const noted = new Set<SmallJob>();
  /** Jobs the caller refused when noted (reported when they come to be committed). */
  const refused = new Map<SmallJob, SyncError>();
  /** Files in append_batch requests in flight (appendSmallFiles tells), not stored yet. */
  const onTheWay = new Map<SmallJob, FileToPlace>();
  /** The note made ahead now, and whose files it holds. */
  let noting: Promise<void> | null = null;
  let notingNow = new Set<SmallJob>();
  const note = async (notes: ReadonlyArray<{ job: SmallJob; file: FileToPlace }>) => {
    for (const n of notes) noted.add(n.job);
    const refusals = await noteCommits(deps, notes);
    if (refusals)
      for (const [rel, error] of refusals) {
        const n = notes.find((x) => x.job.rel === rel);
        if (n) refused.set(n.job, error);
      }
  };
  /** Files in `group` that were refused are reported; the rest are returned. */
  const withoutRefused = (group: Staged[]): Staged[] =>
    group.filter((s) => {
      const error = refused.get(s.job);
      if (error) report(s.job, { rel: s.job.rel, ok: false, error });
      return !error;
    });
  const noteAhead = (): void => {
    if (!deps.committing || noting !== null || commitFailure !== undefined) return;
    const last = jobs.complete && jobs.buffered === 0;
    if (!last || sending === 0) return;
    const notes: Array<{ job: SmallJob; file: FileToPlace }> = ready.filter(
      (s) => !noted.has(s.job),
    );
    if (last) for (const [job, file] of onTheWay) if (!noted.has(job)) notes.push({ job, file });
    if (notes.length === 0) return;
    notingNow = new Set(notes.map((n) => n.job));
    noting = note(notes).then(() => {
      noting = null;
      notingNow = new Set();
      noteAhead();
    });
  };
  /** The group's commit noted: waits for a note ahead that holds some of it, notes the rest. */
  const noteGroup = async (group: Staged[]): Promise<Staged[]> => {
    while (noting !== null && group.some((s) => notingNow.has(s.job))) await noting;
    await note(group.filter((s) => !noted.has(s.job)));
    return withoutRefused(group);
  };
  // A commit's files are taken when it starts, not when it was asked for: what was stored while
  // the commit before it ran goes with it (one commit, not a queue of small ones).
  const flush = (): void => {
    if (commitQueued || ready.length === 0) return;
    commitQueued = true;
    let free!: () => void;
    const freed = new Promise<void>((resolve) => (free = resolve));
    const run = line.then(async () => {
      try {
        commitQueued = false;
        const taken = ready.splice(0, MAX_BATCH_ENTRIES);
        if (commitFailure !== undefined || taken.length === 0) return;
        const group = await noteGroup(taken);
        if (group.length === 0) return;
        await commitGroup(deps, group, report, signal, () => {
          free();
          if (due()) flush();
        });
      } catch (e) {
        commitFailure ??= e;
        stop?.(e);
      } finally {
        free();
      }
      // What was stored meanwhile goes now when it is due: waiting for the next upload's answer
      // would leave the commit line idle (and after the last upload, nothing would start it).
      if (due()) flush();
    });
    line = freed;
    allCommits = Promise.all([allCommits, run]);
    noteAhead();
  };
  /** Files the append_batch requests in flight carry (appendSmallFiles tells). */
  let sending = 0;
  /** Enough is stored to commit now. */
  const due = (): boolean => {
    const last = jobs.complete && jobs.buffered === 0;
    if (!last) return ready.length >= COMMIT_AT;
    // Every file has been taken and only the last uploads are on their way: the last commit (and
    // the removal of its files from transit) is what the caller waits for at the end. Commits
    // take turns, so one started before the last uploads are answered makes their files wait
    // for it and then a round trip of their own (measured: the pass's two last commits one after
    // the other, ~60 ms more). The requests in flight share the link and are answered close
    // together, so their count says little about how long they still take: their files join
    // what is stored in one final commit, unless together they would not fit one finish_batch.
    // (An early commit pays off only when the last answers are more than a round trip away;
    // should real Dropbox's commits of many entries prove slow, that is the rule to refine.)
    return ready.length + sending > MAX_BATCH_ENTRIES && ready.length >= TAIL_BATCH_ENTRIES;
  };
  const accept = (staged: Staged): void => {
    onTheWay.delete(staged.job);
    onProgress?.({ rel: staged.job.rel, bytesSent: staged.file.size, size: staged.file.size });
    ready.push(staged);
    if (due()) flush();
    else noteAhead();
  };
  await appendSmallFiles(
    {
      calls: deps.calls,
      logger: deps.logger,
      clock: deps.clock,
      bodyLimit: Math.min(deps.bodyLimit ?? MAX_APPEND_BODY, MAX_APPEND_BODY),
      bodiesInFlight: deps.bodiesInFlight ?? Math.min(deps.concurrency, MAX_BODIES_IN_FLIGHT),
      concurrency: deps.concurrency,
      headers: deps.headers,
      ...(deps.reserve ? { reserve: deps.reserve } : {}),
      ...(deps.expected ? { expected: deps.expected } : {}),
    },
    jobs,
    {
      stored: (job, file, sessionId) => accept({ job, file, sessionId }),
      single: (job) => {
        onTheWay.delete(job);
        return perFile(
          job.rel,
          (o) => report(job, o),
          async () => accept(await stage(deps, job, signal)),
        );
      },
      failed: (job, error) => report(job, { rel: job.rel, ok: false, error }),
      sending: (files) => {
        sending = files;
      },
      packed: (files) => {
        for (const { job, file } of files) onTheWay.set(job, file);
        noteAhead();
      },
      checkStop: () => {
        if (commitFailure !== undefined) throw commitFailure;
      },
      // No more files for now and nothing on the way: what is stored is committed instead of
      // waiting for a full batch (its files are answered for, and the pass moves on).
      idle: () => {
        if (ready.length > 0) flush();
      },
    },
    signal,
  );
  // Commit what is left, and wait for every commit (one may have started the next early).
  for (;;) {
    if (ready.length > 0 && commitFailure === undefined) flush();
    const waiting = allCommits;
    await waiting;
    if (waiting === allCommits && (ready.length === 0 || commitFailure !== undefined)) break;
  }
  while (noting !== null) await noting;
  if (commitFailure !== undefined) throw commitFailure;
}
