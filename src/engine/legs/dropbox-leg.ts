// The Dropbox store as a leg. The store already batches (finish_batch) and verifies the server's
// content_hash; this adapter only speaks the leg port. Without a usable connection the leg is
// still here, blocked: its check names the cause and the fix.
import type { SyncError } from '../errors.js';
import type { RemoteStore, UploadItem } from '../ports.js';
import { LEGS } from './ids.js';
import type { DestinationLeg, LegHealth, PlaceItem, PlaceSink } from './leg.js';
import { asSource, mapSource, type Source } from '../channel.js';
import { asLegError } from './leg-error.js';

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
        ...(i.replace?.rev ? { replace: { remotePath: i.replace.path, rev: i.replace.rev } } : {}),
      };
    });
    const started = new Set<string>();
    let reached = false;
    const reach = (): void => {
      if (reached) return;
      reached = true;
      sink.onReached?.();
    };
    try {
      await this.remote.uploadMany(uploads, {
        ...(sink.signal ? { signal: sink.signal } : {}),
        onProgress: (p) => {
          if (!started.has(p.rel)) {
            started.add(p.rel);
            sink.onStarted?.(p.rel, p.size);
          }
          sink.onProgress?.(p.rel, p.bytesSent);
        },
        onOutcome: (o) => {
          started.delete(o.rel);
          // Dropbox answered for this file: it is reachable (told before the outcome).
          if (o.ok) reach();
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
      // The store throws only what stops the whole batch (auth, quota, offline).
      return asLegError(e, this.id);
    }
    if (handed > 0) reach();
    return null;
  }
}
