// The Dropbox store as a leg. The store already batches (finish_batch) and verifies the server's
// content_hash; this adapter only speaks the leg port. Without a usable connection the leg is
// still here, blocked: its check names the cause and the fix.
import { SyncError, withoutRetryWords } from '../errors.js';
import type { Committing, RemoteStore, UploadItem, UploadOutcome } from '../ports.js';
import { LEGS } from './ids.js';
import type { DestinationLeg, LegHealth, PlaceItem, PlaceSink } from './leg.js';
import { asSource, mapSource, type Source } from '../channel.js';
import { asLegError } from './leg-error.js';

/**
 * Server errors (HTTP 5xx after the call's own retries) for this many files in a row, with none
 * placed in the pass, make the leg ask Dropbox one unrelated question (the account) to tell an
 * outage from files Dropbox fails on.
 */
export const SERVER_TROUBLE_FILES = 3;

/**
 * A file's failure that may be Dropbox's own trouble rather than the file's: server errors, and
 * "too many requests" still there after the call's own waits (a storm of 429s answers every call,
 * the account's too).
 */
function serverTrouble(o: UploadOutcome): o is Extract<UploadOutcome, { ok: false }> {
  return !o.ok && (o.error.code === 'server-error' || o.error.code === 'rate-limited');
}

/**
 * Dropbox failing for every file (an outage on its side): a leg-wide wait like a network outage,
 * not each file failing on its own. Before, a few hours of 5xx gave every queued file its own
 * failure count, a "failed 3 times" problem each, and a back-off of up to an hour that held the
 * queue back after Dropbox had recovered.
 */
function dropboxDown(last: SyncError): SyncError {
  // The same for a storm of 429s: each file got a back-off of up to an hour, "failed 3 times"
  // ("Other files are not affected") each, and the queue stayed behind after the storm.
  if (last.code === 'rate-limited')
    return new SyncError({
      kind: 'retry-after',
      code: 'rate-limited',
      message:
        'Dropbox asks RDL Sync to slow down (too many requests) for every file: uploads resume by themselves, files wait safely in transit',
      ...(last.retryAfterMs === undefined ? {} : { retryAfterMs: last.retryAfterMs }),
      cause: last,
    });
  return new SyncError({
    kind: 'retry',
    code: 'server-error',
    message: `Dropbox is failing with server errors for every file (${withoutRetryWords(last.message)}): this is on Dropbox's side; uploads resume by themselves, files wait safely in transit`,
    cause: last,
  });
}

export class DropboxLeg implements DestinationLeg {
  readonly id = 'upload' as const;
  readonly label = LEGS.upload.label;

  /** `missing`: why there is no store (not connected, credentials unreadable here). */
  constructor(
    private readonly remote: RemoteStore | null,
    private readonly missing: SyncError,
  ) {}

  get connected(): boolean {
    return this.remote !== null;
  }

  async check(): Promise<LegHealth> {
    return { problem: this.remote ? null : this.missing };
  }

  /** Upload sessions are opened while the files are staged: the upload starts without waiting. */
  prepare(sizes: readonly number[], more = false, signal?: AbortSignal): void {
    this.remote?.prepare?.(sizes, more, signal);
  }

  async place(
    items: readonly PlaceItem[] | Source<PlaceItem>,
    sink: PlaceSink,
  ): Promise<SyncError | null> {
    if (!this.remote) return this.missing;
    const source = asSource(items);
    if (source.ended) return null;
    let handed = 0;
    // Handed on as they are taken, so the store starts on the first file.
    const uploads = mapSource(source, (i): UploadItem => {
      handed++;
      return {
        rel: i.rel,
        localPath: i.localPath,
        size: i.size,
        mtimeMs: i.mtimeMs,
        ...(i.replace
          ? {
              replace: {
                remotePath: i.replace.path,
                contentHash: i.replace.contentHash,
                ...(i.replace.rev ? { rev: i.replace.rev } : {}),
                ...(i.replace.earlierContentHashes
                  ? { earlierContentHashes: i.replace.earlierContentHashes }
                  : {}),
              },
            }
          : {}),
      };
    });
    const started = new Set<string>();
    let reached = false;
    const reach = (): void => {
      if (reached) return;
      reached = true;
      sink.onReached?.();
    };
    const remote = this.remote;
    // Server errors held back while it is not yet known whether Dropbox is down (see dropboxDown).
    let held: Array<Extract<UploadOutcome, { ok: false }>> = [];
    let settledUp = false; // a file was placed, or the account answered: failures are the files'
    let down: SyncError | null = null;
    let probe: Promise<void> | null = null;
    const stopLeg = new AbortController();
    const signal = sink.signal ? AbortSignal.any([sink.signal, stopLeg.signal]) : stopLeg.signal;
    const release = (): void => {
      settledUp = true;
      const fails = held;
      held = [];
      for (const o of fails) sink.onOutcome(o);
    };
    const askAccount = (): Promise<void> =>
      remote.account(signal).then(
        () => release(),
        (e: unknown) => {
          if (signal.aborted && !down) return;
          // A file went through while the question was open: Dropbox answers, and the failures
          // were already told as the files' own. Held as down, the leg stopped the rest of the
          // pass and said "failing for every file" right after placing one.
          if (settledUp) return;
          down = dropboxDown(held.at(-1)?.error ?? asLegError(e, this.id));
          for (const o of held) sink.onLeft?.(o.rel);
          held = [];
          stopLeg.abort(down);
        },
      );
    try {
      await remote.uploadMany(uploads, {
        signal,
        ...(sink.beforeWrite
          ? {
              onCommitting: (files: readonly Committing[]) =>
                sink.beforeWrite!(
                  files.map((f) => ({
                    rel: f.rel,
                    path: f.remotePath,
                    contentHash: f.contentHash,
                  })),
                ),
            }
          : {}),
        onProgress: (p) => {
          if (!started.has(p.rel)) {
            started.add(p.rel);
            sink.onStarted?.(p.rel, p.size);
          }
          sink.onProgress?.(p.rel, p.bytesSent);
        },
        onOutcome: (o) => {
          started.delete(o.rel);
          if (down) return sink.onLeft?.(o.rel);
          if (!settledUp && serverTrouble(o)) {
            held.push(o);
            if (held.length >= SERVER_TROUBLE_FILES) probe ??= askAccount();
            return;
          }
          // Dropbox answered for this file: it is reachable (told before the outcome).
          if (o.ok) {
            reach();
            if (!settledUp) release();
          }
          sink.onOutcome(
            o.ok
              ? {
                  rel: o.rel,
                  ok: true,
                  path: o.remotePath,
                  contentHash: o.contentHash,
                  rev: o.rev,
                  alreadyPresent: o.alreadyPresent,
                }
              : o,
          );
        },
      });
    } catch (e) {
      await probe;
      if (down) return down;
      // The store throws only what stops the whole batch (auth, quota, offline).
      return asLegError(e, this.id);
    }
    // Fewer than SERVER_TROUBLE_FILES, none placed: a quiet hub sends a file or two a pass, and
    // through a whole 503 outage each failed on its own ("Once the cause is fixed, rdl-sync sync
    // tries again"), the offline clock restarting at every pass (unattended-hub trial). The
    // account is asked here too: only its answer makes them the files' own failures.
    if (held.length > 0 && !settledUp && !signal.aborted) probe ??= askAccount();
    await probe;
    if (down) return down;
    // The account answered (or none held): each is that file's own failure.
    release();
    if (handed > 0) reach();
    return null;
  }
}
