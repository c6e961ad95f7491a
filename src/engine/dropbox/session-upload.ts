// Large files: a sequential upload session fed chunk by chunk from disk, hashing each byte in
// the same pass that sends it. After every acknowledged chunk the session id, offset and the
// digests of complete 4 MiB blocks are saved (concurrent sessions: also every chunk sent beyond
// the offset, before it goes), so after a crash the upload continues where the server is instead
// of starting over, and the hash is rebuilt from the digests, not the file.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { SyncError } from '../errors.js';
import {
  monotonicNow,
  type Clock,
  type SentChunk,
  type SessionStore,
  type UploadProgress,
  type UploadSessionState,
} from '../ports.js';
import { OFFSET_REPOSITIONS, UPLOAD_SESSION_RESTARTS } from '../retry-policy.js';
import type { DropboxCalls } from './calls.js';
import type { StreamedBody } from '../net/http-fetch.js';
import { classifyLocalFileError } from './classify.js';
import { BlockDigests, ChunkReader, RangeBodies } from './chunk-reader.js';
import {
  BLOCK_SIZE,
  ContentHasher,
  contentHashOfDigests,
  hashFileRange,
  hasherAt,
} from './content-hash.js';

/**
 * Saved session ids of concurrent sessions carry this prefix, so a resume knows the session's
 * kind (the journal stores the id as an opaque string).
 */
const CONCURRENT = 'concurrent:';
/**
 * Appends on the wire at once in a concurrent session: while one chunk's answer travels back the
 * next chunk is already being sent, so the link never idles for a round trip between chunks.
 */
export const APPENDS_IN_FLIGHT = 2;
/**
 * On a slow link a chunk should spend at most about this long on the wire: a connection reset
 * (a WiFi drop) loses what is in flight, so this bounds the time lost per reset, and a link that
 * resets every few minutes still gets whole chunks through between resets.
 */
export const CHUNK_SECONDS_TARGET = 30;
/**
 * When one chunk takes longer than this on the wire, one append at a time loses under 1 % to the
 * round trip between chunks, while a second one in flight would double what a reset cuts off.
 */
export const PIPELINE_BELOW_SECONDS = 5;

/**
 * Block digests are computed up to this many chunks ahead of the next append: enough that the
 * chunks that go out when an answer arrives (up to APPENDS_IN_FLIGHT) are hashed already, and
 * near enough that their bytes are still in the page cache when they are sent.
 */
export const HASH_AHEAD_CHUNKS = 2;

/**
 * An append's body goes to the connection in slices this large, each counted as it is taken: a
 * read piece (1 MiB) takes many seconds on a slow link, and counting whole pieces left the
 * Transfers bar still that long. Large uploads only: small files never come here.
 */
export const PROGRESS_SLICE = 64 * 1024;
/** A large upload's progress is told at most this often (the window, the status.json writes). */
export const PROGRESS_EVERY_MS = 250;

/** A chunk Dropbox received damaged (its bytes unchanged on disk) is sent again this often. */
const DAMAGED_RESENDS = 3;

/** Sessions live 7 days on Dropbox; one day of margin so a resume can finish. */
export const SESSION_MAX_AGE_MS = 6 * 24 * 3600 * 1000;

export interface SessionUploadDeps {
  calls: DropboxCalls;
  sessions: SessionStore;
  clock: Clock;
  chunkSize: number;
}

export interface ClosedSession {
  sessionId: string;
  size: number;
  mtimeMs: number;
  contentHash: string;
}

export interface LocalFileRef {
  rel: string;
  localPath: string;
}

async function local<T>(rel: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw classifyLocalFileError(e, { rel });
  }
}

function usable(
  saved: UploadSessionState | undefined,
  size: number,
  mtimeMs: number,
  now: number,
): boolean {
  return (
    saved !== undefined &&
    saved.size === size &&
    saved.mtimeMs === mtimeMs &&
    saved.offset >= 0 &&
    saved.offset <= size &&
    now - saved.startedAtMs < SESSION_MAX_AGE_MS
  );
}

/** Sends the whole file into a closed upload session (resuming a saved one when it still fits). */
export async function uploadToClosedSession(
  deps: SessionUploadDeps,
  file: LocalFileRef,
  signal?: AbortSignal,
  onProgress?: (p: UploadProgress) => void,
): Promise<ClosedSession> {
  const { rel, localPath } = file;
  const st = await local(rel, stat(localPath));
  const size = st.size;
  const mtimeMs = st.mtimeMs;
  const fh = await local(rel, open(localPath, 'r'));
  try {
    for (let restarts = 0; ; restarts++) {
      const saved = deps.sessions.get(rel);
      const resume = usable(saved, size, mtimeMs, deps.clock.now()) ? saved : undefined;
      if (saved !== undefined && resume === undefined) deps.sessions.delete(rel);
      const send =
        resume === undefined || resume.sessionId.startsWith(CONCURRENT)
          ? sendConcurrent
          : sendChunks; // a sequential session saved by an earlier version
      const result = await send(
        deps,
        fh,
        { rel, localPath, size, mtimeMs },
        resume,
        signal,
        onProgress,
      );
      if (result !== 'restart') return result;
      deps.sessions.delete(rel);
      if (restarts >= UPLOAD_SESSION_RESTARTS) {
        throw new SyncError({
          kind: 'retry',
          code: 'server-error',
          message: `Dropbox kept losing the upload session of "${rel}"; will retry later`,
        });
      }
    }
  } finally {
    await fh.close();
  }
}

async function sendChunks(
  deps: SessionUploadDeps,
  fh: FileHandle,
  file: LocalFileRef & { size: number; mtimeMs: number },
  resume: UploadSessionState | undefined,
  signal: AbortSignal | undefined,
  onProgress: ((p: UploadProgress) => void) | undefined,
): Promise<ClosedSession | 'restart'> {
  const { rel, localPath, size, mtimeMs } = file;
  let sessionId = resume?.sessionId;
  let offset = resume?.offset ?? 0;
  onProgress?.({ rel, bytesSent: offset, size }); // under way now, not when a chunk has landed
  const startedAtMs = resume?.startedAtMs ?? deps.clock.now();
  let hasher =
    resume === undefined
      ? new ContentHasher()
      : await local(rel, hasherAt(localPath, resume.blockDigests, offset, signal));
  const reader = new ChunkReader(fh, size, deps.chunkSize);
  const save = (): void => {
    if (sessionId === undefined) return;
    deps.sessions.set(rel, {
      sessionId,
      offset,
      blockDigests: hasher.completeBlockDigests(),
      size,
      mtimeMs,
      startedAtMs,
    });
  };
  try {
    let repositions = 0;
    while (offset < size) {
      const { bytes, hash: chunk } = await local(rel, reader.read(offset));
      const closing = offset + bytes.length === size;
      const chunkHash = chunk.digest();
      let stored: boolean;
      if (sessionId === undefined) {
        sessionId = await deps.calls.start(rel, bytes, closing, signal, chunkHash);
        stored = true;
      } else {
        const r = await deps.calls.append(
          rel,
          sessionId,
          offset,
          bytes,
          closing,
          signal,
          chunkHash,
        );
        if (r.kind === 'stored') stored = true;
        else if (r.kind === 'closed') {
          // Only our own closing append can have closed it (its answer was lost).
          if (!closing) return 'restart';
          stored = true;
        } else if (r.kind === 'gone' || r.kind === 'mismatch' || r.kind === 'occupied')
          return 'restart'; // (a buffered body is never 'mismatch': its retries resend it)
        else if (r.correctOffset === offset + bytes.length)
          stored = true; // answer was lost
        else {
          if (r.correctOffset < 0 || r.correctOffset > size || ++repositions > OFFSET_REPOSITIONS)
            return 'restart';
          hasher = await local(
            rel,
            hasherAt(localPath, hasher.completeBlockDigests(), r.correctOffset, signal),
          );
          offset = r.correctOffset;
          save();
          continue;
        }
      }
      if (stored) {
        hasher.absorb(chunk, bytes);
        offset += bytes.length;
        save();
        onProgress?.({ rel, bytesSent: offset, size });
      }
    }
  } finally {
    await reader.settle();
  }
  if (sessionId === undefined) throw new Error('a large upload ended without a session'); // size 0 never comes here
  return { sessionId, size, mtimeMs, contentHash: hasher.digest() };
}

/**
 * The chunks an interrupted run sent from its stored prefix on, if they still describe this file
 * as concurrent sessions require (end to end from the prefix, 4 MiB-aligned, whole blocks but the
 * last); otherwise none, and the resume cuts afresh (a session that then misses data is replaced
 * at the commit: see place()).
 */
function sentChunks(resume: UploadSessionState, size: number): SentChunk[] {
  const chunks = resume.chunks ?? [];
  let at = resume.offset;
  for (const c of chunks) {
    const end = c.offset + c.length;
    const aligned = c.offset % BLOCK_SIZE === 0 && (end === size || c.length % BLOCK_SIZE === 0);
    if (c.offset !== at || c.length <= 0 || end > size || !aligned) return [];
    at = end;
  }
  return chunks.map((c) => ({ ...c }));
}

/**
 * The whole file into a concurrent session, APPENDS_IN_FLIGHT chunks at a time (each a multiple
 * of 4 MiB, as concurrent sessions require; the last one closes the session and is sent once
 * every earlier chunk is stored). What is saved is the stored prefix and, on disk before each
 * chunk goes out, every chunk sent beyond it, so a resume re-sends at most the chunks that were
 * in flight, cut exactly as before: Dropbox refuses an append over bytes it holds already
 * ("Different data already uploaded at offset N"), and chunks cut at other sizes would overlap
 * those that landed unanswered, leaving a session that could never be committed.
 *
 * Memory: no chunk is held whole. The chunks' block digests are computed ahead (BlockDigests),
 * so an append goes out as soon as there is room for it with its content_hash in the header, and
 * its body is read from the file piece by piece as the socket takes it (RangeBodies): two piece
 * buffers per append in flight (one being sent, the next being read), whatever the chunk size.
 * A retried append reads its bytes again; Dropbox checks them against the content_hash computed
 * before the first try.
 */
async function sendConcurrent(
  deps: SessionUploadDeps,
  fh: FileHandle,
  file: LocalFileRef & { size: number; mtimeMs: number },
  resume: UploadSessionState | undefined,
  signal: AbortSignal | undefined,
  onProgress: ((p: UploadProgress) => void) | undefined,
): Promise<ClosedSession | 'restart'> {
  const { rel, localPath, size, mtimeMs } = file;
  let stored = resume?.offset ?? 0;
  // What the interrupted run sent beyond `stored`: sent again (or, landed, skipped) as it was cut.
  const replay = resume === undefined ? [] : sentChunks(resume, size);
  // Under way now: on a slow link the first chunk alone can take minutes to land.
  onProgress?.({ rel, bytesSent: stored, size });
  // Hashing ahead starts at once, so the first chunk's digests are ready when the session is.
  const digests = new BlockDigests(fh, size, stored, HASH_AHEAD_CHUNKS * deps.chunkSize, signal);
  const bodies = new RangeBodies(fh, size, (e) => classifyLocalFileError(e, { rel }));
  const opened =
    resume === undefined
      ? deps.calls.startConcurrent(rel, signal)
      : Promise.resolve(resume.sessionId.slice(CONCURRENT.length));
  opened.catch(() => {}); // awaited below, after the first digests
  const firstDigests = digests.take(stored, Math.min(size - stored, BLOCK_SIZE));
  firstDigests.catch(() => {});
  type Sent = {
    offset: number;
    length: number;
    closing: boolean;
    contentHash: string;
    result: 'ok' | 'mismatch' | 'restart';
  };
  const inFlight = new Map<number, Promise<Sent>>();
  /** Tells, a little later, bytes taken since the last word when none follow meanwhile. */
  let later: NodeJS.Timeout | undefined;
  let ended = false;
  try {
    const sessionId = await opened;
    const startedAtMs = resume?.startedAtMs ?? deps.clock.now();
    const hasher =
      resume === undefined
        ? new ContentHasher()
        : await local(rel, hasherAt(localPath, resume.blockDigests, stored, signal));
    const pace = new LinkPace(deps.chunkSize, () => monotonicNow(deps.clock));
    // Every chunk sent from `stored` on, by offset (the journal's `chunks`).
    const sent = new Map<number, SentChunk>(replay.map((c) => [c.offset, { ...c }]));
    const save = (): void => {
      deps.sessions.set(rel, {
        sessionId: CONCURRENT + sessionId,
        offset: stored,
        blockDigests: hasher.completeBlockDigests().slice(0, Math.floor(stored / BLOCK_SIZE)),
        size,
        mtimeMs,
        startedAtMs,
        chunks: [...sent.values()].sort((a, b) => a.offset - b.offset),
      });
    };
    save();
    const landed = new Map<number, number>();
    // What the status shows between chunks: the bytes stored, and those of each append in flight
    // that its connection has taken so far; never less than shown before (a resent append counts
    // from its start again). A chunk takes CHUNK_SECONDS_TARGET on a slow link, the first one
    // longer: without this a transfer sat at 0 B for its first minutes.
    const taken = new Map<number, number>();
    let shown = stored;
    let shownAtMs = -Infinity;
    /**
     * Told at most every PROGRESS_EVERY_MS (a fast link lands several chunks a second), the last
     * bytes a little later when nothing follows; `now`: the whole file is stored (told at once).
     */
    const show = (now = false): void => {
      if (ended) return;
      const atMs = monotonicNow(deps.clock);
      const wait = PROGRESS_EVERY_MS - (atMs - shownAtMs);
      if (!now && wait > 0) {
        later ??= setTimeout(() => {
          later = undefined;
          show();
        }, wait).unref();
        return;
      }
      clearTimeout(later);
      later = undefined;
      let bytes = stored;
      for (const length of landed.values()) bytes += length;
      for (const count of taken.values()) bytes += count;
      if (bytes <= shown) return;
      shown = bytes;
      shownAtMs = atMs;
      onProgress?.({ rel, bytesSent: bytes, size });
    };
    const counted = (offset: number, length: number): StreamedBody => {
      const body = bodies.body(offset, length);
      return {
        streamedLength: length,
        async *pieces() {
          taken.set(offset, 0);
          for await (const piece of body.pieces()) {
            // The piece's buffer is read into again only once every slice of it was taken.
            for (let at = 0; at < piece.byteLength; at += PROGRESS_SLICE) {
              const slice = piece.subarray(at, at + PROGRESS_SLICE);
              yield slice;
              // The next slice is asked for once the connection has taken this one.
              taken.set(offset, (taken.get(offset) ?? 0) + slice.byteLength);
              show();
            }
          }
        },
      };
    };
    let next = stored;
    let damaged = 0;
    /** A chunk is stored on Dropbox: the prefix grows over every landed chunk it reaches. */
    const stores = (offset: number, length: number): void => {
      landed.set(offset, length);
      const chunk = sent.get(offset);
      if (chunk) chunk.landed = true;
      for (let len = landed.get(stored); len !== undefined; len = landed.get(stored)) {
        landed.delete(stored);
        sent.delete(stored);
        stored += len;
      }
      if (stored < size) save();
      show(stored === size);
    };
    const launch = (offset: number, length: number, closing: boolean, contentHash: string) => {
      const sending = deps.calls
        .append(rel, sessionId, offset, () => counted(offset, length), closing, signal, contentHash)
        .then((r): Sent => ({
          offset,
          length,
          closing,
          contentHash,
          // A chunk sent again whose first answer never came (a retry, or a resume after the
          // process was stopped): a closing one finds the session `closed`, another one finds
          // its bytes there (`occupied`; `incorrect_offset` at its end, as a sequential session
          // would say). Whether those bytes are ours the commit's content hash checks.
          result:
            r.kind === 'stored' ||
            r.kind === 'occupied' ||
            (closing && r.kind === 'closed') ||
            (r.kind === 'offset' && r.correctOffset === offset + length)
              ? 'ok'
              : r.kind === 'mismatch'
                ? 'mismatch'
                : 'restart',
        }));
      sending.catch(() => {});
      inFlight.set(offset, sending);
    };
    let early: Buffer[] | undefined = await local(rel, firstDigests);
    while (stored < size) {
      while (inFlight.size < pace.appendsInFlight() && next < size) {
        const offset = next;
        const again = replay[0]?.offset === offset ? replay[0] : undefined;
        // What is left for one full chunk goes whole (halving it would only add a request).
        const rest = size - offset;
        const length =
          again?.length ?? (rest <= pace.chunkBytes(1) ? rest : pace.chunkBytes(inFlight.size));
        const closing = offset + length === size;
        if (closing && inFlight.size > 0 && !again?.landed) break;
        replay.shift();
        const head = early ?? [];
        early = undefined;
        const fromHead = Math.min(length, head.length * BLOCK_SIZE);
        const blocks = [
          ...head,
          ...(fromHead < length
            ? await local(rel, digests.take(offset + fromHead, length - fromHead))
            : []),
        ];
        hasher.addBlockDigests(blocks);
        next += length;
        if (again?.landed) {
          stores(offset, length); // its answer came before the interruption
          continue;
        }
        sent.set(offset, { offset, length, landed: false });
        save();
        // On disk before it goes: a resume must know where this chunk was cut. (A journal that
        // cannot be written now, a full disk, costs at worst the safety net of place().)
        await deps.sessions.persist?.().catch(() => {});
        launch(offset, length, closing, contentHashOfDigests(blocks));
        pace.sent();
      }
      if (inFlight.size === 0) continue; // only chunks that had landed before the interruption
      const done = await Promise.race(inFlight.values());
      inFlight.delete(done.offset);
      taken.delete(done.offset);
      if (done.result === 'mismatch') {
        // What Dropbox got is not what was hashed: the file changed since, or the bytes were
        // damaged on the way (then the same bytes go again, a few times at most).
        if (await local(rel, rangeChanged(localPath, done, signal))) throw changedWhileSent(rel);
        if (++damaged > DAMAGED_RESENDS) throw damagedOnTheWay(rel);
        launch(done.offset, done.length, done.closing, done.contentHash);
        continue;
      }
      if (done.result === 'restart') return 'restart';
      pace.stored(done.length);
      stores(done.offset, done.length);
    }
    return { sessionId, size, mtimeMs, contentHash: hasher.digest() };
  } finally {
    ended = true;
    clearTimeout(later);
    await Promise.allSettled(inFlight.values());
    await bodies.close();
    await digests.stop();
  }
}

/** Whether the file's bytes in a sent range differ now from the hash they were sent with. */
async function rangeChanged(
  localPath: string,
  sent: { offset: number; length: number; contentHash: string },
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const now = new ContentHasher();
  await hashFileRange(localPath, now, sent.offset, sent.offset + sent.length, signal);
  return now.digest() !== sent.contentHash;
}

function changedWhileSent(rel: string): SyncError {
  return new SyncError({
    kind: 'file-failed',
    code: 'hash-mismatch',
    message: `"${rel}" changed while it was being uploaded; it will be sent again on a later pass`,
  });
}

function damagedOnTheWay(rel: string): SyncError {
  return new SyncError({
    kind: 'retry',
    code: 'network',
    message: `Parts of "${rel}" kept arriving damaged at Dropbox; will retry later`,
  });
}

/**
 * The link's pace as this upload sees it, and the chunk size and appends in flight that suit it.
 * Until one chunk has landed the pace is unknown, so the first chunk is the smallest a concurrent
 * session allows and goes alone: on a slow link that resets often a full-size first chunk might
 * never get through. Then chunks grow to what the link carries in CHUNK_SECONDS_TARGET, up to
 * the configured size (a fast link reaches it at once), and a second append is sent alongside
 * only while a chunk takes less than PIPELINE_BELOW_SECONDS.
 */
export class LinkPace {
  private startMs: number | undefined;
  private bytes = 0;

  constructor(
    private readonly maxChunk: number,
    private readonly now: () => number,
  ) {}

  /** An append was sent (the clock starts with the first one). */
  sent(): void {
    this.startMs ??= this.now();
  }

  stored(bytes: number): void {
    this.bytes += bytes;
  }

  /** Bytes per second since the first append, or undefined before any chunk landed. */
  private rate(): number | undefined {
    if (this.bytes === 0 || this.startMs === undefined) return undefined;
    return (this.bytes / Math.max(1, this.now() - this.startMs)) * 1000;
  }

  /**
   * The next chunk's size, given how many appends are already in flight. When a pipeline of two
   * starts from nothing, its first chunk is half the size: two appends sharing one link move at
   * the same speed, so two equal chunks sent together also end together, and each time the link
   * would idle while both next chunks are read and their requests cross the round trip. Half a
   * chunk apart, one append always still has half a chunk to send while the other one's
   * successor starts, and sharing the link keeps them apart from then on.
   */
  chunkBytes(inFlight = 0): number {
    const full = this.fullChunk();
    if (inFlight > 0 || this.appendsInFlight() < 2) return full;
    return Math.max(1, Math.floor(full / 2 / BLOCK_SIZE)) * BLOCK_SIZE;
  }

  /** What the link carries in CHUNK_SECONDS_TARGET, in whole blocks, up to the configured size. */
  private fullChunk(): number {
    const rate = this.rate();
    if (rate === undefined) return Math.min(BLOCK_SIZE, this.maxChunk);
    const blocks = Math.floor((rate * CHUNK_SECONDS_TARGET) / BLOCK_SIZE);
    return Math.min(this.maxChunk, Math.max(1, blocks) * BLOCK_SIZE);
  }

  appendsInFlight(): number {
    const rate = this.rate();
    if (rate === undefined) return 1;
    return this.fullChunk() / rate > PIPELINE_BELOW_SECONDS ? 1 : APPENDS_IN_FLIGHT;
  }
}
