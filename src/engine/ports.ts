// The engine talks to the outside world only through these small interfaces (ports).
// src/main and src/cli plug in real implementations; tests plug in the same real ones
// pointed at temp folders and the Dropbox emulator.
import type { Source } from './channel.js';
import type { SyncError } from './errors.js';

/** One file handed to the remote store. `rel` always uses '/' separators, whatever the OS. */
export interface UploadItem {
  rel: string;
  /** Absolute path of the bytes to send (the file's transit copy). */
  localPath: string;
  size: number;
  mtimeMs: number;
  /**
   * RDL Sync's own earlier upload of this staged file (a version that has since changed in
   * transit): replace it (update mode) instead of making a `name (n)` copy.
   */
  replace?: OwnUpload;
}

/**
 * Our own upload of an earlier version: the revision we know we wrote, and/or the content of a
 * commit that may have landed without its answer being saved (a kill right after it). Whichever
 * is there now (that revision, or a file with that content) is replaced.
 */
export interface OwnUpload {
  remotePath: string;
  rev?: string;
  contentHash?: string;
  /** Contents our earlier commits left there, should the one of `contentHash` not have landed. */
  earlierContentHashes?: string[];
}

/** Files the caller holds back from a write, each with its reason (by rel). */
export type Refusals = ReadonlyMap<string, SyncError>;

/** A commit about to be sent: where, with which content. */
export interface Committing {
  rel: string;
  remotePath: string;
  contentHash: string;
}

export type UploadOutcome =
  | {
      rel: string;
      ok: true;
      /** Where the bytes ended up (path_display). Differs from the target when kept-both renamed it. */
      remotePath: string;
      contentHash: string;
      rev: string;
      size: number;
      /** Identical content was already there: nothing new was written. */
      alreadyPresent: boolean;
    }
  | { rel: string; ok: false; error: SyncError };

export interface UploadProgress {
  rel: string;
  /**
   * Bytes on their way so far: stored by Dropbox, or taken by a connection for a chunk still in
   * flight (for the status; what a resume may skip is the saved session's offset). Never lower
   * than an earlier report within one upload session; lower when Dropbox lost the session and
   * the file is sent again from its start (the status then measures its rate afresh).
   */
  bytesSent: number;
  size: number;
}

export interface UploadOptions {
  signal?: AbortSignal;
  onProgress?: (p: UploadProgress) => void;
  /**
   * Each item's outcome as soon as it is known (once per item; not for items a block stopped).
   * Given, uploadMany keeps no outcomes and returns [].
   */
  onOutcome?: (o: UploadOutcome) => void;
  /**
   * These files are about to be committed (once per file and commit group, before the first
   * try). Awaited: the caller saves it durably, so that after a kill right after the commit its
   * copy is still known as ours (a later version replaces it instead of landing beside it).
   * Its failure does not stop the commit. Files it answers with an error are held back: not
   * committed, reported as failed with that error.
   */
  onCommitting?: (files: readonly Committing[]) => Promise<Refusals | void>;
}

export interface AccountInfo {
  accountId: string;
  displayName: string;
  email: string;
  usedBytes: number;
  allocatedBytes: number;
}

/**
 * The Dropbox leg. Implementations must be idempotent per item: uploading the same bytes to
 * the same rel twice (after a crash, a lost response) never makes a second copy.
 * Errors of kind 'blocked' (auth revoked, quota full, offline) are thrown; per-file errors come
 * back as `ok: false` outcomes so one bad file never fails the batch.
 */
export interface RemoteStore {
  /**
   * Items may come as a source while the caller still finds them. Outcomes come back in arrival
   * order, or (with `onOutcome`) only through it: then none are kept and [] is returned.
   */
  uploadMany(
    items: readonly UploadItem[] | Source<UploadItem>,
    options?: UploadOptions,
  ): Promise<UploadOutcome[]>;
  /** `signal`: a stop gives up its retries (a check beside a pass must not hold up the stop). */
  account(signal?: AbortSignal): Promise<AccountInfo>;
  /**
   * Files of these sizes may come soon: open what they need meanwhile (Dropbox: upload sessions
   * for the small ones), so the upload does not start with a round trip. A hint only; never fails.
   * `more`: the scan goes on, so these are only the first of them. `signal`: a stop gives it up.
   */
  prepare?(sizes: readonly number[], more?: boolean, signal?: AbortSignal): void;
}

/** Saved state of a chunked upload, so a restart resumes instead of re-sending. */
export interface UploadSessionState {
  sessionId: string;
  /** Bytes the server has acknowledged. Always a multiple of the chunk size until the last chunk. */
  offset: number;
  /** SHA-256 (hex) of each complete 4 MiB block read so far: the content hash's resumable state. */
  blockDigests: string[];
  /** Identity of the local file the session belongs to; a changed file invalidates it. */
  size: number;
  mtimeMs: number;
  startedAtMs: number;
  /**
   * Concurrent sessions: every chunk sent from `offset` on, in order and end to end, and whether
   * its answer came. Saved before a chunk is sent, so a resume re-sends the unanswered ones at
   * the very same offsets and lengths and cuts new chunks only after the last one: chunks cut at
   * other sizes would overlap bytes that landed, which Dropbox refuses.
   */
  chunks?: SentChunk[];
}

export interface SentChunk {
  offset: number;
  length: number;
  /** Dropbox acknowledged it (beyond `offset`: an earlier chunk's answer is still missing). */
  landed: boolean;
}

/** Journal port used by the uploader. Losing it only costs re-sending bytes. */
export interface SessionStore {
  get(rel: string): UploadSessionState | undefined;
  set(rel: string, state: UploadSessionState): void;
  delete(rel: string): void;
  /** Resolves once what was set is on disk (a journal saves changes a moment later). */
  persist?(): Promise<void>;
}

export interface Clock {
  /** Wall time (epoch ms): for display, records and cron only. It can step back or forward. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Monotonic ms since an arbitrary origin: for every duration (intervals, stability, back-off,
   * "offline for N minutes"). It never steps, whatever NTP or a person does to the wall clock.
   * Optional so a test clock that never steps may leave it out (see monotonicNow).
   */
  monotonic?(): number;
}

/** The clock's monotonic reading; a clock without one is taken as never stepping. */
export function monotonicNow(clock: Clock): number {
  return clock.monotonic ? clock.monotonic() : clock.now();
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // CLOCK_MONOTONIC underneath, like Node's own timers: a wall-clock step moves neither.
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
