// The Dropbox leg of the pipeline (RemoteStore port): small files in batches, large files in
// resumable sessions, every result verified by content hash, every upload safe to repeat.
import { setMaxListeners } from 'node:events';
import type { users } from 'dropbox';
import { SyncError } from '../errors.js';
import {
  silentLogger,
  systemClock,
  type AccountInfo,
  type Clock,
  type Logger,
  type RemoteStore,
  type SessionStore,
  type UploadItem,
  type UploadOptions,
  type UploadOutcome,
} from '../ports.js';
import { DropboxCalls } from './calls.js';
import type { DropboxWait } from '../status/types.js';
import type { DropboxConnection } from './connection.js';
import { BLOCK_SIZE } from './content-hash.js';
import { HeaderBudget } from './header-budget.js';
import { firstTargetOf, place, type ConflictPolicy, type FileToPlace } from './placement.js';
import { forEachLimit } from '../pool.js';
import { asSource, Channel, type Source } from '../channel.js';
import { normaliseRemoteRoot, remotePathFor } from './remote-path.js';
import { CALL_RETRY, type RetryPolicy } from '../retry-policy.js';
import { uploadToClosedSession, type SessionUploadDeps } from './session-upload.js';
import { okOutcome, perFile, uploadSmallFiles, type SmallJob } from './small-batch.js';
import { SessionReserve } from './session-reserve.js';

/** Dropbox refuses request bodies above 150 MiB. */
const MAX_CHUNK = 148 * 1024 * 1024;
/** Large files in flight at once: each holds two chunks in memory; more would not fill the link faster. */
const MAX_PARALLEL_LARGE = 2;

export interface DropboxRemoteStoreOptions {
  connection: DropboxConnection;
  /** e.g. '/RDL/site1'; '' = the app's root. */
  remoteRoot: string;
  /** Bytes per upload request, a multiple of 4 MiB; files up to this size go in batches. */
  chunkSize: number;
  concurrency: number;
  conflictPolicy: ConflictPolicy;
  sessions: SessionStore;
  clock?: Clock;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** Told of a long wait Dropbox asked for, and of its end (DropboxCallsOptions.onWait). */
  onWait?: (wait: DropboxWait | null) => void;
}

export class DropboxRemoteStore implements RemoteStore {
  private readonly calls: DropboxCalls;
  private readonly remoteRoot: string;
  private readonly chunkSize: number;
  private readonly concurrency: number;
  private readonly policy: ConflictPolicy;
  private readonly sessions: SessionStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  /** Learned header limit: a refusal in one pass keeps later passes small too. */
  readonly headers = new HeaderBudget();
  /** Upload sessions held for the small files to come (prepare's, and spare ones). */
  private readonly reserve: SessionReserve;
  /** Small files the last prepare() announced, for the next uploadMany. */
  private expectedSmall: number | undefined;

  constructor(opts: DropboxRemoteStoreOptions) {
    if (
      !Number.isInteger(opts.chunkSize) ||
      opts.chunkSize <= 0 ||
      opts.chunkSize % BLOCK_SIZE !== 0 ||
      opts.chunkSize > MAX_CHUNK
    ) {
      throw new Error(
        `chunkSize ${opts.chunkSize} must be a multiple of 4 MiB (4194304 bytes) up to 148 MiB`,
      );
    }
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new Error(`concurrency ${opts.concurrency} must be a whole number of at least 1`);
    }
    this.remoteRoot = normaliseRemoteRoot(opts.remoteRoot);
    this.chunkSize = opts.chunkSize;
    this.concurrency = opts.concurrency;
    this.policy = opts.conflictPolicy;
    this.sessions = opts.sessions;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.retry = { ...CALL_RETRY, ...opts.retry };
    this.calls = new DropboxCalls(opts.connection, {
      policy: this.retry,
      clock: this.clock,
      logger: this.logger,
      ...(opts.onWait ? { onWait: opts.onWait } : {}),
    });
    this.reserve = new SessionReserve(
      this.clock,
      (count, signal) => this.calls.startBatch(count, signal),
      this.logger,
    );
  }

  prepare(sizes: readonly number[], more = false, signal?: AbortSignal): void {
    // Only small files are sent in batches; a large file opens its own session when it goes.
    const files = sizes.filter((size) => size <= this.chunkSize).length;
    this.expectedSmall = files;
    this.reserve.prepare(files, more, signal);
  }

  async uploadMany(
    items: readonly UploadItem[] | Source<UploadItem>,
    options: UploadOptions = {},
  ): Promise<UploadOutcome[]> {
    const source = asSource(items);
    // A caller that takes the outcomes as they come gets none back: over a pass's stream of any
    // length only the files still under way are held here.
    const keep = options.onOutcome === undefined;
    const kept: UploadItem[] = [];
    const outcomes = new Map<UploadItem, UploadOutcome>();
    const unanswered = new Set<UploadItem>();
    const report = (item: UploadItem, o: UploadOutcome): void => {
      if (!unanswered.delete(item)) return;
      if (keep) outcomes.set(item, o);
      options.onOutcome?.(o);
    };
    const stopAll = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, stopAll.signal])
      : stopAll.signal;
    // Every request in flight listens to it: `concurrency` listeners is expected, not a leak.
    setMaxListeners(this.concurrency * 4 + 16, signal);
    const stop = (reason: unknown): void => {
      if (!stopAll.signal.aborted) stopAll.abort(reason);
    };

    // Files are sorted as they come: small ones into batches, large ones into sessions of their own.
    type SmallItem = SmallJob & { item: UploadItem };
    const small = new Channel<SmallItem>();
    const large = new Channel<UploadItem>();
    const sort = async (): Promise<void> => {
      try {
        for (;;) {
          const got = await source.take(Number.MAX_SAFE_INTEGER, signal);
          if (got.length === 0) break;
          for (const item of got) {
            unanswered.add(item);
            if (keep) kept.push(item);
            let target: string;
            try {
              target = remotePathFor(this.remoteRoot, item.rel);
            } catch (e) {
              report(item, { rel: item.rel, ok: false, error: e as SyncError });
              continue;
            }
            if (item.size <= this.chunkSize)
              small.push({
                rel: item.rel,
                localPath: item.localPath,
                target,
                size: item.size,
                mtimeMs: item.mtimeMs,
                ...(item.replace ? { replace: item.replace } : {}),
                item,
              });
            else large.push(item);
          }
          // All there is has come (a list): the uploads know their count at once.
          if (source.ended) break;
        }
      } finally {
        small.end();
        large.end();
      }
    };

    const guard = <T>(p: Promise<T>): Promise<T> =>
      p.catch((e: unknown) => {
        stop(e);
        throw e;
      });
    const results = await Promise.allSettled([
      sort(),
      guard(
        uploadSmallFiles(
          {
            calls: this.calls,
            policy: this.policy,
            concurrency: this.concurrency,
            bodyLimit: this.chunkSize,
            retry: this.retry,
            clock: this.clock,
            logger: this.logger,
            headers: this.headers,
            reserve: this.reserve,
            // Read when needed: the pass announces its files while this upload already runs.
            expected: () => this.expectedSmall,
            ...(options.onCommitting ? { committing: options.onCommitting } : {}),
          },
          small,
          (job, o) => report((job as SmallItem).item, o),
          signal,
          options.onProgress,
          stop,
        ),
      ),
      guard(
        forEachLimit(
          large,
          Math.min(this.concurrency, MAX_PARALLEL_LARGE),
          (item) =>
            perFile(
              item.rel,
              (o) => report(item, o),
              async () => report(item, await this.uploadLarge(item, signal, options)),
            ),
          signal,
        ),
      ),
    ]);
    // The announcement was for this upload (it ran while the files were found).
    this.expectedSmall = undefined;
    if (options.signal?.aborted) throw options.signal.reason;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    for (const item of [...unanswered]) {
      report(item, {
        rel: item.rel,
        ok: false,
        error: new SyncError({
          kind: 'retry',
          code: 'unknown',
          message: `"${item.rel}" was not uploaded; will retry`,
        }),
      });
    }
    return kept.map((item) => outcomes.get(item) as UploadOutcome);
  }

  private async uploadLarge(
    item: UploadItem,
    signal: AbortSignal,
    options: UploadOptions,
  ): Promise<UploadOutcome> {
    const deps: SessionUploadDeps = {
      calls: this.calls,
      sessions: this.sessions,
      clock: this.clock,
      chunkSize: this.chunkSize,
    };
    const ref = { rel: item.rel, localPath: item.localPath };
    const first = await uploadToClosedSession(deps, ref, signal, options.onProgress);
    const file: FileToPlace = {
      rel: item.rel,
      target: remotePathFor(this.remoteRoot, item.rel),
      size: first.size,
      contentHash: first.contentHash,
      mtimeMs: item.mtimeMs,
      localPath: item.localPath,
      ...(item.replace ? { replace: item.replace } : {}),
    };
    const fresh = async (): Promise<string> => {
      this.sessions.delete(item.rel);
      const again = await uploadToClosedSession(deps, ref, signal, options.onProgress);
      if (again.contentHash !== file.contentHash) {
        throw new SyncError({
          kind: 'retry',
          code: 'file-unreadable',
          message: `"${item.rel}" changed while it was being uploaded; will upload it again`,
        });
      }
      return again.sessionId;
    };
    const start = firstTargetOf(file);
    const refused = await options
      .onCommitting?.([{ rel: item.rel, remotePath: start.path, contentHash: file.contentHash }])
      .catch((e: unknown) =>
        this.logger.warn('could not note the commit to come', { rel: item.rel, error: String(e) }),
      );
    const held = refused ? refused.get(item.rel) : undefined;
    if (held) {
      this.sessions.delete(item.rel);
      return { rel: item.rel, ok: false, error: held };
    }
    const placed = await place(
      this.calls,
      file,
      this.policy,
      fresh,
      { sessionId: first.sessionId, target: start },
      signal,
    );
    this.sessions.delete(item.rel);
    return okOutcome(item.rel, placed.metadata, file, placed.alreadyPresent);
  }

  async account(signal?: AbortSignal): Promise<AccountInfo> {
    const { account, usage } = await this.calls.account(signal);
    return {
      accountId: account.account_id,
      displayName: account.name.display_name,
      email: account.email,
      usedBytes: usage.used,
      allocatedBytes: allocatedToUser(usage),
    };
  }
}

/**
 * The space this user may fill. For a team member `allocation.allocated` is the whole team's:
 * the member's own limit when the admin set one, else what the team has left on top of the
 * member's own use.
 */
function allocatedToUser(usage: users.SpaceUsage): number {
  const a = usage.allocation;
  if (a['.tag'] === 'individual') return a.allocated;
  if (a['.tag'] === 'team') {
    if (a.user_within_team_space_allocated > 0) return a.user_within_team_space_allocated;
    return usage.used + Math.max(0, a.allocated - a.used);
  }
  return 0;
}
