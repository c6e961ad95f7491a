// The archive target (SD card or local folder) as a leg: a few copies at a time, each verified
// by hash (archive/archive-target.ts does the copying). A card too full for one file may still
// take smaller ones; every other block stops the leg for this pass.
import { SyncError } from '../errors.js';
import { mapLimit } from '../pool.js';
import { LEGS } from './ids.js';
import type { ArchiveCheck } from '../archive/archive-target.js';
import type { DestinationLeg, LegHealth, PlaceItem, PlaceSink } from './leg.js';
import { asLegError } from './leg-error.js';

/** What the archive leg needs of the target (ArchiveTarget, wrapped by assemble.ts). */
export interface ArchivePort {
  readonly root: string;
  check(): Promise<ArchiveCheck>;
  store(opts: {
    rel: string;
    srcPath: string;
    size: number;
    signal?: AbortSignal;
    onProgress?: (bytes: number) => void;
    replace?: { path: string; contentHash: string };
  }): Promise<{ path: string; contentHash: string; alreadyPresent: boolean }>;
}

/** Copies in flight at once: enough to overlap hashing and fsync, few enough for a slow card. */
export const ARCHIVE_CONCURRENCY = 2;

export class ArchiveLeg implements DestinationLeg {
  readonly id = 'archive' as const;
  readonly label = LEGS.archive.label;

  constructor(
    private readonly target: ArchivePort,
    private readonly concurrency = ARCHIVE_CONCURRENCY,
  ) {}

  get root(): string {
    return this.target.root;
  }

  async check(): Promise<LegHealth> {
    try {
      const { problem, ...card } = await this.target.check();
      return { problem, card };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      return {
        problem: new SyncError({
          kind: 'blocked',
          code: 'archive-missing',
          message: `The archive folder ${this.target.root} cannot be checked (${reason}): check the card or folder`,
          cause: e,
        }),
        card: { present: false, writable: false, freeBytes: null, totalBytes: null },
      };
    }
  }

  async place(items: PlaceItem[], sink: PlaceSink): Promise<SyncError | null> {
    let blocked: SyncError | null = null;
    const { signal } = sink;
    await mapLimit(items, this.concurrency, async (item) => {
      if ((blocked && blocked.code !== 'archive-full') || signal?.aborted) return;
      sink.onStarted?.(item.rel, item.size);
      try {
        const r = await this.target.store({
          rel: item.rel,
          srcPath: item.localPath,
          size: item.size,
          ...(signal ? { signal } : {}),
          ...(item.replace
            ? { replace: { path: item.replace.path, contentHash: item.replace.contentHash } }
            : {}),
          onProgress: (bytes) => sink.onProgress?.(item.rel, bytes),
        });
        sink.onOutcome({
          rel: item.rel,
          ok: true,
          path: r.path,
          contentHash: r.contentHash,
          alreadyPresent: r.alreadyPresent,
        });
      } catch (e) {
        const err = asLegError(e, this.id);
        if (err.kind === 'blocked') blocked ??= err;
        else if (!signal?.aborted) sink.onOutcome({ rel: item.rel, ok: false, error: err });
      }
    });
    return blocked;
  }
}
