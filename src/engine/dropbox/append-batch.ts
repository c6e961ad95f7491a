// Small files in bulk: files are read one after another as they come and packed into
// append_batch bodies (each file one closed session, its bytes one slice of the body), with a few
// bodies in flight at a time. A body goes when it is full, or at once when the link would
// otherwise sit idle (nothing in flight and no file waiting to be packed). Sessions come from
// start_batch, up to 1000 per call. So a thousand 8 KiB files cost one start_batch and a few
// append_batch calls instead of a thousand upload_session/start calls.
// Every request's Dropbox-API-Arg stays within the header budget (header-budget.ts); a request
// the server refuses as too large is split in halves and sent again, never given up on.
// A file whose entry fails, or every file once the server refuses append_batch itself, goes
// the one-file way instead (the caller's `single`).
import type { files } from 'dropbox';
import { Channel, type Source } from '../channel.js';
import { SyncError } from '../errors.js';
import type { Clock, Logger, OwnUpload } from '../ports.js';
import type { DropboxCalls } from './calls.js';
import { contentHashOf } from './content-hash.js';
import { BodyParts } from '../net/http-fetch.js';
import { APPEND_BATCH_BASE_BYTES, appendEntryBytes, type HeaderBudget } from './header-budget.js';
import type { FileToPlace } from './placement.js';
import { forEachLimit } from '../pool.js';
import { readSmall } from './small-read.js';
import {
  MAX_SESSIONS_PER_CALL,
  SPARE_SESSIONS,
  type AskedIds,
  type SessionReserve,
} from './session-reserve.js';

/** Entries one append_batch or finish_batch carries (Dropbox's limit). */
export const MAX_APPEND_ENTRIES = 1000;
/** The most one append_batch body carries (also capped by the chunk size). */
export const MAX_APPEND_BODY = 16 * 1024 * 1024;
/**
 * Bodies in flight at once. The header budget keeps a body of small files to a few dozen entries
 * (a few hundred KiB), so it takes several in flight to hide the per-request latency.
 */
export const MAX_BODIES_IN_FLIGHT = 8;
/** Memory stays bounded by this many full bodies in flight, however many smaller ones that is. */
export const FULL_BODIES_IN_FLIGHT = 4;

export interface BulkJob {
  rel: string;
  localPath: string;
  target: string;
  size: number;
  mtimeMs: number;
  /** Our own earlier revision of this file, to be replaced (see placement.firstTargetOf). */
  replace?: OwnUpload;
}

/** What placement needs of a small job once its bytes are read (and hashed) whole. */
export function fileToPlace(job: BulkJob, bytes: Buffer): FileToPlace {
  return {
    rel: job.rel,
    target: job.target,
    size: bytes.length,
    contentHash: contentHashOf(bytes),
    mtimeMs: job.mtimeMs,
    localPath: job.localPath,
    ...(job.replace ? { replace: job.replace } : {}),
  };
}

export interface AppendBatchDeps {
  calls: DropboxCalls;
  logger: Logger;
  /** Times the first body's wait for counted files (PACK_HOLD_MS). */
  clock: Clock;
  /** Largest body; files at most this size are packed. */
  bodyLimit: number;
  bodiesInFlight: number;
  /** For the one-file fallbacks. */
  concurrency: number;
  /** The header size limit in force (shared by every pass on this link). */
  headers: HeaderBudget;
  /**
   * Sessions held for these files (RemoteStore.prepare's, and the spare ones an earlier upload
   * left), taken when the first file needs one; what this upload does not use goes back. A batch
   * asked for ahead that failed counts as that call's failure (already retried by the policy, so
   * a failing server is not asked twice as often).
   */
  reserve?: SessionReserve;
  /** How many files the caller expects in all (the scan's count, once known): sizes start_batch. */
  expected?: () => number | undefined;
}

export interface AppendSink<J extends BulkJob> {
  /** The file's bytes are in a closed session, ready to commit. */
  stored(job: J, file: FileToPlace, sessionId: string): void;
  /** Upload this file on its own (its entry failed, or append_batch is unavailable). */
  single(job: J): Promise<void>;
  /** A per-file failure (the file could not be read). */
  failed(job: J, error: SyncError): void;
  /** Throws when the run must stop (a commit failed for everyone). */
  checkStop(): void;
  /** Nothing is in flight and no file is waiting: a good moment to commit what is stored. */
  idle?(): void;
  /**
   * How many files are packed or in append_batch requests in flight, their answer still to come
   * (told whenever it changes).
   */
  sending?(files: number): void;
  /** These files go in an append_batch request now (told before it is sent). */
  packed?(files: ReadonlyArray<{ job: J; file: FileToPlace }>): void;
}

interface PackedFile<J> {
  job: J;
  file: FileToPlace;
  sessionId: string;
  /** What its entry adds to the request's header. */
  headerBytes: number;
}

class Pack<J> {
  readonly items: Array<PackedFile<J>> = [];
  private parts: Buffer[] = [];
  bytes = 0;
  headerBytes = APPEND_BATCH_BASE_BYTES;

  add(item: PackedFile<J>, bytes: Buffer): void {
    this.items.push(item);
    this.parts.push(bytes);
    this.bytes += bytes.length;
    this.headerBytes += item.headerBytes;
  }

  /** The body: the files' own buffers, one part per item (the pack lets go of them). */
  body(): BodyParts {
    const body = new BodyParts(this.parts);
    this.parts = [];
    return body;
  }
}

/**
 * Fewer session ids left than this, and more files to come: the next start_batch is asked for
 * already, so the appends never wait on it (a wait of one round trip, a link idle meanwhile).
 */
export const SESSION_PREFETCH_AT = 250;

/**
 * Session ids from start_batch, fetched in as few calls as the remaining file count allows, the
 * next call made while the last ids are still being packed. With a reserve, each call asks for
 * SPARE_SESSIONS more than the files need, and the ids left unused go back to it for the next
 * upload; without one, an id fetched and never used costs nothing either: an empty session
 * expires on Dropbox by itself.
 */
class SessionIds {
  private ids: string[] = [];
  private at = 0;
  /** When `ids` were asked for (their age decides whether the reserve may keep them). */
  private idsAtMs = 0;
  /**
   * `ids` are the spare ones an earlier upload left: until they are used up, every id this
   * upload has handed out is one of them.
   */
  private idsAreSpare = false;
  private next: AskedIds | null = null;
  /** Whether the reserve's sessions were taken (at the first file). */
  private pulled = false;
  private readonly extra: number;

  constructor(
    private readonly calls: DropboxCalls,
    private readonly signal: AbortSignal,
    private readonly reserve?: SessionReserve,
  ) {
    this.extra = reserve ? SPARE_SESSIONS : 0;
  }

  /** `stillToPack`: this file and those expected after it. */
  async take(stillToPack: number): Promise<string> {
    if (!this.pulled) this.pull();
    if (this.at >= this.ids.length) {
      const want = Math.min(MAX_SESSIONS_PER_CALL, Math.max(1, stillToPack) + this.extra);
      const fetching = this.next ?? this.ask(want);
      this.next = null;
      this.ids = await fetching.ids;
      this.idsAtMs = fetching.atMs;
      this.at = 0;
      this.idsAreSpare = false;
    }
    const id = this.ids[this.at++];
    if (id === undefined) throw new Error('start_batch returned no session ids');
    const held = this.ids.length - this.at;
    const more = stillToPack - 1 - held;
    if (this.next === null && held < SESSION_PREFETCH_AT && more > 0) {
      this.next = this.ask(Math.min(MAX_SESSIONS_PER_CALL, more + this.extra));
      // Its failure is met by the take() that awaits it; one never awaited (the leg stopped) is
      // not an unhandled rejection.
      this.next.ids.catch(() => {});
    }
    return id;
  }

  /**
   * Dropbox no longer knows one of this upload's sessions (one expired sooner than documented).
   * While the ids in hand are the spare ones, it was one of them, and the others are as old: they
   * go too, and the next file asks for fresh ones. (Once fresh ones are in hand, an answer about
   * an earlier spare one changes nothing.)
   */
  forgetSpare(): void {
    if (!this.idsAreSpare) return;
    this.ids = [];
    this.at = 0;
    this.idsAreSpare = false;
  }

  /**
   * The upload is over: ids never handed to a file go back, and those of a batch still coming
   * once it has answered (one that fails, or is stopped with this upload, is simply dropped: a
   * later pass never meets this pass's error).
   */
  handBack(): void {
    const reserve = this.reserve;
    if (!reserve || !this.pulled) return;
    reserve.keep(this.ids.slice(this.at), this.idsAtMs);
    const coming = this.next;
    if (coming)
      coming.ids.then(
        (ids) => reserve.keep(ids, coming.atMs),
        () => {},
      );
    this.ids = [];
    this.at = 0;
    this.next = null;
  }

  /** At the first file, not before: the scan's hint may still come while the upload starts. */
  private pull(): void {
    this.pulled = true;
    if (!this.reserve) return;
    const got = this.reserve.takeAll();
    this.ids = got.spare;
    this.idsAtMs = got.spareAtMs;
    this.at = 0;
    this.idsAreSpare = got.spare.length > 0;
    this.next = got.asked;
  }

  private ask(count: number): AskedIds {
    const atMs = this.reserve?.now() ?? 0;
    return { ids: this.calls.startBatch(count, this.signal), atMs };
  }
}

/**
 * True when an entry's data are in its session: stored now, or by an earlier attempt whose answer
 * was lost. Every entry closes its session, so a replay meets a closed session: Dropbox answers
 * `closed` (its own uploader counts that as stored); `incorrect_offset` at the file's end means
 * the same. The commit's content hash check then verifies the bytes as usual.
 */
function entryStored(r: files.UploadSessionAppendBatchResultEntry | undefined, size: number) {
  if (r === undefined) return false;
  if (r['.tag'] === 'success') return true;
  const tag = r.failure['.tag'];
  if (tag === 'closed') return true;
  return tag === 'incorrect_offset' && r.failure.correct_offset === size;
}

/** Dropbox does not know the entry's session (expired, or never opened). */
function unknownSession(r: files.UploadSessionAppendBatchResultEntry | undefined): boolean {
  return r !== undefined && r['.tag'] === 'failure' && r.failure['.tag'] === 'not_found';
}

function isFatal(e: unknown): boolean {
  return !(e instanceof SyncError) || e.kind === 'blocked';
}

/**
 * How long an upload's part-filled first body waits for the files the scan counted and staging
 * is still handing on (a few ms for a hub's few files), rather than going with the first of them
 * alone: a pass of five files then makes one append_batch, not two. Only the first body: later
 * ones go as soon as the link would idle (a pass's file window may be waiting on their commit).
 * A bound, not a rule: a stage that takes longer (a large file copied first, a slow disk, a
 * counted file that never comes) holds the others back no longer than this.
 */
export const PACK_HOLD_MS = 20;

/** The first body's wait: ended by its time (`over`), or dropped early when the body goes. */
class PackHold {
  over = false;
  readonly ended: Promise<null>;
  private readonly stop = new AbortController();

  constructor(clock: Clock, signal: AbortSignal) {
    this.ended = clock.sleep(PACK_HOLD_MS, AbortSignal.any([signal, this.stop.signal])).then(
      () => {
        this.over = true;
        return null;
      },
      () => null, // dropped (the body went) or the upload stopped: the loop sees which
    );
  }

  drop(): void {
    this.stop.abort();
  }
}

/** A promise and the function that resolves it. */
function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Files expected beyond what is in hand when the caller gave no count: a modest start_batch. */
const UNKNOWN_COUNT_IDS = 100;

export async function appendSmallFiles<J extends BulkJob>(
  deps: AppendBatchDeps,
  jobs: Source<J>,
  sink: AppendSink<J>,
  signal: AbortSignal,
): Promise<void> {
  const sessions = new SessionIds(deps.calls, signal, deps.reserve);
  let taken = 0;
  /** This file and those still to come, as far as the caller's count and the queue tell. */
  const stillToPack = (): number => {
    if (jobs.complete) return jobs.buffered + 1;
    const expected = deps.expected?.();
    return Math.max(
      jobs.buffered + 1,
      expected !== undefined ? expected - taken + 1 : UNKNOWN_COUNT_IDS,
    );
  };
  /** The caller's count says files are still to come (this pass's scan found them). */
  const moreExpected = (): boolean => {
    if (jobs.complete) return false;
    const expected = deps.expected?.();
    return expected !== undefined && expected > taken;
  };
  const budget = deps.headers;
  const inFlight = new Set<Promise<void>>();
  const maxBytesInFlight = FULL_BODIES_IN_FLIGHT * deps.bodyLimit;
  let bytesInFlight = 0;
  /** Files in requests in flight, and in the pack being filled. */
  let filesInFlight = 0;
  let filesPacking = 0;
  const tellSending = (): void => sink.sending?.(filesInFlight + filesPacking);
  // Files that go the one-file way are uploaded while the rest are still packed: with files
  // coming as a stream, waiting for its end would hold them (and the pass's room for files).
  const aloneQueue = new Channel<J>();
  /** Files handed to the one-file way and not yet through it (queued or uploading). */
  let singlesUnderWay = 0;
  const alone = {
    push: (...items: J[]): void =>
      items.forEach((j) => {
        singlesUnderWay++;
        aloneQueue.push(j);
      }),
  };
  /** Resolves (and is replaced) whenever a body is answered or a single upload ends. */
  let progress = signalled();
  const progressed = (): void => {
    progress.resolve();
    progress = signalled();
  };
  const singles = forEachLimit(aloneQueue, deps.concurrency, async (job) => {
    try {
      sink.checkStop();
      await sink.single(job);
    } finally {
      singlesUnderWay--;
      progressed();
    }
  });
  // A failure surfaces when `singles` is awaited below; meanwhile it is no unhandled rejection.
  singles.catch(() => {});
  let unsupported = false;
  let fatal: { error: unknown } | undefined;

  /** Sends items whose bytes are `body` (one part each, in item order); halves on a too-large header. */
  const sendPart = async (items: Array<PackedFile<J>>, body: BodyParts): Promise<void> => {
    const entries = items.map((it) => ({
      cursor: { session_id: it.sessionId, offset: 0 },
      length: it.file.size,
      close: true,
    }));
    const headerBytes = items.reduce((n, it) => n + it.headerBytes, APPEND_BATCH_BASE_BYTES);
    /** These files are answered for (before they are stored, so the sink sees them as such). */
    const answered = (): void => {
      filesInFlight -= items.length;
      tellSending();
    };
    let answer;
    try {
      answer = await deps.calls.appendBatch(entries, body, signal, budget.suspect(headerBytes));
    } catch (e) {
      answered();
      if (isFatal(e)) {
        fatal ??= { error: e };
        return;
      }
      deps.logger.warn('Dropbox append_batch failed; uploading its files one by one', {
        files: items.length,
        code: (e as SyncError).code,
      });
      alone.push(...items.map((it) => it.job));
      return;
    }
    if (answer.kind === 'header-too-large') {
      budget.refused(headerBytes);
      // A cut connection is only a guess at the cause: said as one (an integrity trial read
      // "refused" after resets injected mid-body, which had nothing to do with the header).
      deps.logger.warn(
        answer.inferred
          ? 'Dropbox cut off a request with a larger header than any it took, again and again; perhaps the header is too large: sending smaller batches'
          : 'Dropbox refused a request header as too large; sending smaller batches',
        { headerBytes, limit: budget.limit },
      );
      if (items.length === 1) {
        answered();
        alone.push(...items.map((it) => it.job));
        return;
      }
      // The halves are still in flight: each is answered for by its own send.
      const half = Math.ceil(items.length / 2);
      await sendPart(items.slice(0, half), body.slice(0, half));
      await sendPart(items.slice(half), body.slice(half));
      return;
    }
    answered();
    if (answer.kind === 'unsupported') {
      if (!unsupported) {
        deps.logger.warn('Dropbox refused append_batch; small files go one request each', {});
      }
      unsupported = true;
      alone.push(...items.map((it) => it.job));
      return;
    }
    budget.accepted(headerBytes);
    items.forEach((it, i) => {
      const entry = answer.entries[i];
      if (entryStored(entry, it.file.size)) sink.stored(it.job, it.file, it.sessionId);
      else {
        if (unknownSession(entry)) sessions.forgetSpare();
        alone.push(it.job);
      }
    });
  };

  /** The first body's wait for counted files (PACK_HOLD_MS), once it has begun; null after. */
  let hold: PackHold | null = null;
  /** Whether a body has gone: only the first one waits for counted files. */
  let firstGone = false;
  const dispatch = async (pack: Pack<J>): Promise<void> => {
    firstGone = true;
    hold?.drop();
    hold = null;
    while (
      inFlight.size >= deps.bodiesInFlight ||
      (inFlight.size > 0 && bytesInFlight + pack.bytes > maxBytesInFlight)
    )
      await Promise.race(inFlight);
    filesPacking -= pack.items.length;
    if (fatal || unsupported) {
      tellSending();
      alone.push(...pack.items.map((it) => it.job));
      return;
    }
    const bytes = pack.bytes;
    bytesInFlight += bytes;
    filesInFlight += pack.items.length;
    sink.packed?.(pack.items);
    tellSending();
    const sending = sendPart(pack.items, pack.body()).finally(() => {
      inFlight.delete(sending);
      bytesInFlight -= bytes;
      progressed();
    });
    inFlight.add(sending);
  };

  try {
    let pack = new Pack<J>();
    let next: Promise<J[]> | null = null;
    for (;;) {
      if (fatal) break;
      sink.checkStop();
      signal.throwIfAborted();
      if (jobs.buffered === 0 && inFlight.size === 0) {
        // The link would sit idle: send what is packed now (unless the files the scan found are
        // still coming: then held a moment for them), or (nothing else under way) let the caller
        // commit what is stored.
        const waitForCounted = !firstGone && moreExpected() && !hold?.over;
        if (pack.items.length > 0 && waitForCounted) hold ??= new PackHold(deps.clock, signal);
        else if (pack.items.length > 0) {
          await dispatch(pack);
          pack = new Pack<J>();
        } else if (singlesUnderWay === 0) sink.idle?.();
      }
      next ??= jobs.take(1, signal);
      // While anything is under way, wait for the next file or for progress (whichever is first):
      // then the part-filled body may have to go, or the stored files be committed.
      const waits: Array<Promise<J[] | null>> = [next];
      if (jobs.buffered === 0 && (inFlight.size > 0 || singlesUnderWay > 0))
        waits.push(progress.promise.then(() => null));
      if (hold !== null && !hold.over) waits.push(hold.ended);
      const got = waits.length > 1 ? await Promise.race(waits) : await next;
      if (got === null) continue;
      next = null;
      if (got.length === 0) {
        signal.throwIfAborted();
        break;
      }
      const job = got[0] as J;
      taken++;
      if (unsupported) {
        alone.push(job);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readSmall(job, job.size);
      } catch (e) {
        if (isFatal(e)) throw e;
        sink.failed(job, e as SyncError);
        continue;
      }
      if (bytes.length > deps.bodyLimit) {
        alone.push(job); // grew past the small-file limit since it was listed
        continue;
      }
      let sessionId: string;
      try {
        sessionId = await sessions.take(stillToPack());
      } catch (e) {
        if (isFatal(e)) throw e;
        alone.push(job);
        continue;
      }
      const headerBytes = appendEntryBytes(sessionId, bytes.length);
      const full =
        pack.bytes + bytes.length > deps.bodyLimit ||
        pack.items.length >= MAX_APPEND_ENTRIES ||
        pack.headerBytes + headerBytes > budget.limit;
      if (full && pack.items.length > 0) {
        await dispatch(pack);
        pack = new Pack<J>();
      }
      pack.add({ job, file: fileToPlace(job, bytes), sessionId, headerBytes }, bytes);
      filesPacking++;
      tellSending();
    }
    if (pack.items.length > 0 && !fatal) await dispatch(pack);
  } catch (e) {
    fatal ??= { error: e };
  }
  await Promise.all(inFlight);
  // After the last answer: a spare session Dropbox did not know has been forgotten by now.
  sessions.handBack();
  if (fatal) aloneQueue.abandon();
  else aloneQueue.end();
  await singles;
  if (fatal) throw fatal.error;
}
