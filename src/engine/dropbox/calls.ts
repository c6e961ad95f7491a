// The Dropbox routes the uploader uses, each wrapped once with: the connection's token refresh,
// retry of transient failures and the caller's AbortSignal. The answers
// the uploader must act on (wrong offset, lost session, conflict) come back as data; everything
// else is thrown as a classified SyncError.
import type { DropboxRequestOptions, files, users } from 'dropbox';
import { SyncError } from '../errors.js';
import { monotonicNow, type Clock, type Logger } from '../ports.js';
import { RepeatQuieter } from '../log/repeats.js';
import {
  classifyDropboxError,
  correctOffsetOf,
  errorUnion,
  isDropboxHttpError,
  isTokenEndpointError,
  neverConnected,
  unionTags,
} from './classify.js';
import { contentHashOf } from './content-hash.js';
import type { DropboxConnection } from './connection.js';
import type { BodyParts, StreamedBody } from '../net/http-fetch.js';
import type { RetryPolicy } from '../retry-policy.js';
import type { DropboxWait, DropboxWaitWhy } from '../status/types.js';
import { withRetry } from './retry.js';

export type AppendResult =
  | { kind: 'stored' }
  /** The server holds a different amount: continue from `correctOffset`. */
  | { kind: 'offset'; correctOffset: number }
  /** Unknown or expired session: start over. */
  | { kind: 'gone' }
  | { kind: 'closed' }
  /**
   * Concurrent sessions: bytes are there already at that offset (a chunk sent again whose first
   * answer never came). Dropbox answers a plain-text 400 "Different data already uploaded at
   * offset N"; the commit's content hash tells whether they were ours.
   */
  | { kind: 'occupied' }
  /**
   * A streamed body did not match its content_hash: damaged on the way, or the file changed
   * after it was hashed (the caller tells which; a retry here would only read it again).
   */
  | { kind: 'mismatch' };

export type FinishResult =
  | { kind: 'committed'; metadata: files.FileMetadata }
  | { kind: 'conflict' }
  /** The session cannot be committed (consumed by an earlier commit, expired, not closed). */
  | { kind: 'session-unusable' }
  /**
   * A concurrent session whose chunks do not cover the file (concurrent_session_missing_data):
   * nothing was written, and committing it again can only fail the same way.
   */
  | { kind: 'session-incomplete' };

export type AppendBatchResult =
  | { kind: 'results'; entries: files.UploadSessionAppendBatchResultEntry[] }
  /** The server does not take append_batch (an older server, or a refused argument). */
  | { kind: 'unsupported' }
  /**
   * The server (or a front end before it) refused the request's header as too large; `inferred`:
   * not said, but the connection was cut again and again while the header was larger than any
   * accepted so far (how some front ends refuse).
   */
  | { kind: 'header-too-large'; inferred?: true };

/** How front ends refuse a header block that is too large: 431, 413, or nginx's 400 page. */
export function headerRefusal(e: unknown): boolean {
  if (!isDropboxHttpError(e)) return false;
  if (e.status === 431 || e.status === 413) return true;
  return (
    e.status === 400 &&
    typeof e.error === 'string' &&
    /header.*(too large|too long)|request header/i.test(e.error)
  );
}

/** Dropbox's 400 for an append over bytes a concurrent session holds already. */
function alreadyUploaded(e: unknown): boolean {
  return (
    isDropboxHttpError(e) &&
    e.status === 400 &&
    typeof e.error === 'string' &&
    /already uploaded at offset/i.test(e.error)
  );
}

/** The connection failed without an HTTP answer (reset, closed, timed out). */
function noAnswer(e: unknown): boolean {
  return !isDropboxHttpError(e) && classifyDropboxError(e).code === 'network';
}

/**
 * Network failures of one request whose header might be too large before we call it that: a
 * front end may reset the connection instead of answering, but so may a passing network fault,
 * which a second try gets past.
 */
const RESETS_BEFORE_SUSPECTING_HEADER = 2;

export type RemoteEntry =
  | { kind: 'file'; metadata: files.FileMetadata }
  | { kind: 'absent' }
  /** A folder (or other non-file) at that path. */
  | { kind: 'other' }
  /** A file where one of the path's folders should be: nothing can be placed below it. */
  | { kind: 'not-folder' };

function errorUnionOf(e: unknown): unknown {
  return isDropboxHttpError(e) ? errorUnion(e) : undefined;
}

function rejected(e: unknown): { tags: string[]; union: unknown } | undefined {
  if (!isDropboxHttpError(e) || e.status !== 409) return undefined;
  const union = errorUnion(e);
  return { tags: unionTags(union), union };
}

/**
 * Waits shorter than this are not told: a second or two between tries is part of syncing. A
 * Retry-After of minutes is not: the status read "Syncing 16 files…" for the whole of a 2-minute
 * wait (hands-on trial), with nothing moving and nothing saying why.
 */
export const WAIT_TOLD_MS = 10_000;

export interface DropboxCallsOptions {
  policy: RetryPolicy;
  clock: Clock;
  logger: Logger;
  /**
   * Told of each wait of WAIT_TOLD_MS or more before a call is tried again, and null once a call
   * is answered after one (or gives up: the pass then says what held the uploads).
   */
  onWait?: (wait: DropboxWait | null) => void;
}

function waitWhy(err: SyncError): DropboxWaitWhy {
  if (err.code === 'rate-limited') return 'rate-limit';
  if (err.code === 'write-contention') return 'contention';
  return 'server';
}

export class DropboxCalls {
  // Commits take the namespace's write lock on Dropbox's side; parallel commits only contend
  // (too_many_write_operations). One lane makes them take turns here instead.
  private commitLane: Promise<unknown> = Promise.resolve();
  // While Dropbox cannot be reached every pass meets the same refusal: one line of it, then a
  // reminder every half hour, until a call goes through (log/repeats.ts).
  private readonly retryLines: RepeatQuieter;
  /** Calls now in a wait that was told (onWait): the last one answered clears it. */
  private waitsTold = 0;

  constructor(
    private readonly conn: DropboxConnection,
    private readonly opts: DropboxCallsOptions,
  ) {
    this.retryLines = new RepeatQuieter(() => monotonicNow(opts.clock));
  }

  /** Where placement says what it decided about a file (a cut-short copy replaced). */
  get logger(): Logger {
    return this.opts.logger;
  }

  private inCommitLane<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.commitLane.then(work, work);
    this.commitLane = turn.catch(() => {});
    return turn;
  }

  private run<T>(
    what: string,
    rel: string | undefined,
    signal: AbortSignal | undefined,
    op: (req: DropboxRequestOptions) => Promise<T>,
  ): Promise<T> {
    // No per-request timeout here: the connection's fetch gives up on a connection that goes
    // idle, which does not cut off a slow transfer that is still moving.
    const req: DropboxRequestOptions = signal ? { signal } : {};
    let told = false;
    const waitEnded = (): void => {
      if (!told) return;
      told = false;
      this.waitsTold--;
      if (this.waitsTold === 0) this.opts.onWait?.(null);
    };
    const answered = withRetry(() => this.conn.call(() => op(req)), {
      policy: this.opts.policy,
      clock: this.opts.clock,
      ...(signal ? { signal } : {}),
      context: rel === undefined ? {} : { rel },
      onRetry: (err, delayMs, attempt) => {
        if (delayMs >= WAIT_TOLD_MS && this.opts.onWait) {
          if (!told) this.waitsTold++;
          told = true;
          this.opts.onWait({ why: waitWhy(err), untilMs: this.opts.clock.now() + delayMs });
        }
        const fields = { rel, code: err.code, delayMs, attempt: attempt + 1 };
        const heldBack = this.retryLines.admit(err.code);
        if (heldBack === null) this.opts.logger.debug(`Dropbox ${what} failed, retrying`, fields);
        else
          this.opts.logger.warn(
            `Dropbox ${what} failed, retrying`,
            heldBack > 0 ? { ...fields, heldBack } : fields,
          );
      },
    });
    return answered.then(
      (value) => {
        waitEnded();
        this.retryLines.settled();
        return value;
      },
      (e: unknown) => {
        waitEnded();
        throw e;
      },
    );
  }

  /** Opens a sequential session with its first bytes; returns the session id. */
  async start(
    rel: string,
    bytes: Buffer,
    close: boolean,
    signal?: AbortSignal,
    contentHash = contentHashOf(bytes),
  ): Promise<string> {
    const arg: files.UploadSessionStartArg = {
      close,
      content_hash: contentHash,
      contents: bytes,
    };
    const res = await this.run('upload_session/start', rel, signal, (req) =>
      this.conn.client.filesUploadSessionStart(arg, req),
    );
    return res.result.session_id;
  }

  /** Opens an empty concurrent session: appends at 4 MiB-aligned offsets may overlap in time. */
  async startConcurrent(rel: string, signal?: AbortSignal): Promise<string> {
    const arg: files.UploadSessionStartArg = {
      session_type: { '.tag': 'concurrent' },
      contents: Buffer.alloc(0),
    };
    const res = await this.run('upload_session/start', rel, signal, (req) =>
      this.conn.client.filesUploadSessionStart(arg, req),
    );
    return res.result.session_id;
  }

  /**
   * Appends `bytes` at `offset`: a Buffer, or a function giving a fresh streamed body for each
   * attempt (a retry reads the bytes again); then `contentHash` is required, computed from the
   * bytes beforehand, and Dropbox refuses a body that does not match it.
   */
  async append(
    rel: string,
    sessionId: string,
    offset: number,
    bytes: Buffer | (() => StreamedBody),
    close: boolean,
    signal?: AbortSignal,
    contentHash = typeof bytes === 'function' ? undefined : contentHashOf(bytes),
  ): Promise<AppendResult> {
    if (contentHash === undefined) throw new Error('a streamed append needs its content hash');
    const arg = (): files.UploadSessionAppendArg => ({
      cursor: { session_id: sessionId, offset },
      close,
      content_hash: contentHash,
      contents: typeof bytes === 'function' ? bytes() : bytes,
    });
    return this.run('upload_session/append_v2', rel, signal, async (req) => {
      try {
        await this.conn.client.filesUploadSessionAppendV2(arg(), req);
        return { kind: 'stored' } as const;
      } catch (e) {
        const r = rejected(e);
        if (r?.tags.includes('incorrect_offset')) {
          const correctOffset = correctOffsetOf(r.union);
          if (correctOffset !== undefined) return { kind: 'offset', correctOffset } as const;
        }
        if (r?.tags.includes('not_found')) return { kind: 'gone' } as const;
        if (r?.tags.includes('closed')) return { kind: 'closed' } as const;
        if (r?.tags.includes('content_hash_mismatch') && typeof bytes === 'function')
          return { kind: 'mismatch' } as const;
        if (alreadyUploaded(e)) return { kind: 'occupied' } as const;
        throw e;
      }
    });
  }

  /** Commits a closed session holding `size` bytes. */
  async finish(
    rel: string,
    sessionId: string,
    size: number,
    commit: files.CommitInfo,
    signal?: AbortSignal,
  ): Promise<FinishResult> {
    const arg: files.UploadSessionFinishArg = {
      cursor: { session_id: sessionId, offset: size },
      commit,
      contents: Buffer.alloc(0),
    };
    return this.inCommitLane(() =>
      this.run('upload_session/finish', rel, signal, async (req) => {
        try {
          const res = await this.conn.client.filesUploadSessionFinish(arg, req);
          return { kind: 'committed', metadata: res.result } as const;
        } catch (e) {
          const r = rejected(e);
          if (r?.tags[0] === 'lookup_failed') return { kind: 'session-unusable' } as const;
          if (r?.tags[0] === 'concurrent_session_missing_data')
            return { kind: 'session-incomplete' } as const;
          if (r?.tags[0] === 'path' && r.tags.includes('conflict'))
            return { kind: 'conflict' } as const;
          throw e;
        }
      }),
    );
  }

  /** Opens `count` (1..1000) empty sequential sessions in one call; returns their ids. */
  async startBatch(count: number, signal?: AbortSignal): Promise<string[]> {
    const res = await this.run('upload_session/start_batch', undefined, signal, (req) =>
      this.conn.client.filesUploadSessionStartBatch({ num_sessions: count }, req),
    );
    return res.result.session_ids;
  }

  /**
   * Appends one body split among many sessions (entries in body order). Per-entry results come
   * back as data; 'header-too-large' when the header was refused for its size (or, when
   * `headerSuspect`, the connection kept being reset); 'unsupported' when the server refuses
   * the route itself with another 400.
   */
  async appendBatch(
    entries: files.UploadSessionAppendBatchArgEntry[],
    body: BodyParts,
    signal?: AbortSignal,
    headerSuspect = false,
  ): Promise<AppendBatchResult> {
    // No content_hash of the whole body: each file's own hash, taken in the read that filled the
    // very buffer sent here, is what its commit is verified against (a file that lands different
    // is replaced, never taken as uploaded), and over TLS a body altered on the way fails the
    // record's check first. A second SHA-256 of every byte, only to fail earlier, cost about 5 us
    // per 8 KiB file here (several times that on a Raspberry Pi 4, whose cores have no SHA
    // instructions).
    const arg: files.UploadSessionAppendBatchArg = {
      entries,
      contents: body,
    };
    let resets = 0;
    return this.run('upload_session/append_batch', undefined, signal, async (req) => {
      try {
        const res = await this.conn.client.filesUploadSessionAppendBatch(arg, req);
        return { kind: 'results', entries: res.result.entries } as const;
      } catch (e) {
        if (headerRefusal(e)) return { kind: 'header-too-large' } as const;
        // (A 400 from the token endpoint, refreshing inside this call, is access refused.)
        if (isDropboxHttpError(e) && e.status === 400 && !isTokenEndpointError(e))
          return { kind: 'unsupported' } as const;
        // A connection never made sent no header, so none was refused: counting outages here
        // halved the header budget for the daemon's lifetime after every one.
        if (
          headerSuspect &&
          noAnswer(e) &&
          !neverConnected(e) &&
          ++resets >= RESETS_BEFORE_SUSPECTING_HEADER
        )
          return { kind: 'header-too-large', inferred: true } as const;
        throw e;
      }
    });
  }

  async finishBatch(
    entries: files.UploadSessionFinishArg[],
    signal?: AbortSignal,
  ): Promise<files.UploadSessionFinishBatchResultEntry[]> {
    const res = await this.inCommitLane(() =>
      this.run('upload_session/finish_batch_v2', undefined, signal, (req) =>
        this.conn.client.filesUploadSessionFinishBatchV2({ entries }, req),
      ),
    );
    return res.result.entries;
  }

  async lookup(rel: string, path: string, signal?: AbortSignal): Promise<RemoteEntry> {
    return this.run('get_metadata', rel, signal, async (req) => {
      try {
        const res = await this.conn.client.filesGetMetadata({ path }, req);
        const m = res.result;
        return m['.tag'] === 'file'
          ? ({ kind: 'file', metadata: m } as const)
          : ({ kind: 'other' } as const);
      } catch (e) {
        const r = rejected(e);
        if (r?.tags.includes('not_found')) return { kind: 'absent' } as const;
        if (r?.tags.includes('not_folder')) return { kind: 'not-folder' } as const;
        throw e;
      }
    });
  }

  /**
   * The files directly in a folder by lower-cased name, or undefined when it holds more than
   * `maxEntries` entries (then a listing costs more than it saves). A missing folder is empty.
   */
  async listFiles(
    folder: string,
    maxEntries: number,
    signal?: AbortSignal,
  ): Promise<Map<string, files.FileMetadata> | undefined> {
    const out = new Map<string, files.FileMetadata>();
    let seen = 0;
    let page: files.ListFolderResult;
    try {
      page = await this.run(
        'list_folder',
        undefined,
        signal,
        async (req) =>
          (await this.conn.client.filesListFolder({ path: folder, limit: 2000 }, req)).result,
      );
    } catch (e) {
      const tags = e instanceof SyncError ? unionTags(errorUnionOf(e.cause)) : [];
      if (tags.includes('not_found')) return out;
      throw e;
    }
    for (;;) {
      for (const entry of page.entries) {
        if (entry['.tag'] === 'file') out.set(entry.name.toLowerCase(), entry);
      }
      seen += page.entries.length;
      if (!page.has_more) return out;
      if (seen >= maxEntries) return undefined;
      const cursor = page.cursor;
      page = await this.run(
        'list_folder/continue',
        undefined,
        signal,
        async (req) => (await this.conn.client.filesListFolderContinue({ cursor }, req)).result,
      );
    }
  }

  async account(
    signal?: AbortSignal,
  ): Promise<{ account: users.FullAccount; usage: users.SpaceUsage }> {
    const [account, usage] = await Promise.all([
      this.run('users/get_current_account', undefined, signal, (req) =>
        this.conn.client.usersGetCurrentAccount(req),
      ),
      this.run('users/get_space_usage', undefined, signal, (req) =>
        this.conn.client.usersGetSpaceUsage(req),
      ),
    ]);
    return { account: account.result, usage: usage.result };
  }
}
