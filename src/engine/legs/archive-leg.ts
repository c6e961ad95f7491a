// The archive target (SD card or local folder) as a leg: a few large copies at a time, small files
// many at a time and in groups, each verified by hash (archive/archive-target.ts does the copying).
// A card too full for one file may still take smaller ones; every other block stops the leg for
// this pass.
import { SyncError } from '../errors.js';
import { forEachLimit, Slots } from '../pool.js';
import { asSource, Channel, type Source } from '../channel.js';
import { LEGS } from './ids.js';
import type { ArchiveCheck } from '../archive/archive-target.js';
import { cardCallsAtOnce } from '../archive/card-gate.js';
import type { DestinationLeg, LegHealth, PlaceItem, PlaceOutcome, PlaceSink } from './leg.js';
import { asLegError } from './leg-error.js';
import { GroupSave } from './group-save.js';

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
    replace?: { path: string; contentHash: string; earlierContentHashes?: string[] };
    dev?: number;
    ino?: number;
    syncedAs?: { size: number; mtimeMs: number };
    deferFolderSync?: boolean;
    beforePlace?: BeforePlace;
  }): Promise<{
    path: string;
    contentHash: string;
    alreadyPresent: boolean;
    folder?: string;
    file?: string;
  }>;
  /**
   * fsync these linked files and folders (each once); what `deferFolderSync` stores leave to the
   * caller.
   */
  syncFolders(dirs: Iterable<string>, files?: Iterable<string>): Promise<void>;
}

/** Large copies in flight at once: enough to overlap hashing and fsync, few enough for a slow card. */
export const ARCHIVE_CONCURRENCY = 2;

/**
 * Large copies at once, where the archive lets fewer calls out at once than that and one more
 * (card-gate.ts: a small thread pool): one place at the gate stays for the small files and the
 * card's checks, which otherwise waited for minutes behind two large copies to a slow card.
 */
export function largeCopiesAtOnce(callsAtOnce = cardCallsAtOnce()): number {
  return Math.max(1, Math.min(ARCHIVE_CONCURRENCY, callsAtOnce - 1));
}
/** Up to this size a file is small: a link or a copy of a few KiB, mostly system calls. */
export const SMALL_FILE_BYTES = 1024 * 1024;
/** Small files in flight at once: their cost is round trips to the thread pool, not bytes. */
export const SMALL_CONCURRENCY = 16;
/**
 * Small files stored before their folders are synced once for all of them. None of them counts as
 * stored (no outcome) until that sync is done, so a power cut never loses a copy reported done.
 */
export const SMALL_GROUP = 128;

export class ArchiveLeg implements DestinationLeg {
  readonly id = 'archive' as const;
  readonly label = LEGS.archive.label;

  constructor(
    private readonly target: ArchivePort,
    private readonly concurrency = largeCopiesAtOnce(),
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

  async place(
    items: readonly PlaceItem[] | Source<PlaceItem>,
    sink: PlaceSink,
  ): Promise<SyncError | null> {
    const halt = new AbortController();
    const run: PlaceRun = {
      sink,
      blocked: null,
      halt,
      taking: sink.signal ? AbortSignal.any([halt.signal, sink.signal]) : halt.signal,
    };
    const source = asSource(items);
    const small = new Channel<PlaceItem>();
    const large = new Channel<PlaceItem>();
    const sort = async (): Promise<void> => {
      try {
        for (;;) {
          const got = await source.take(SMALL_GROUP, run.taking);
          if (got.length === 0) break;
          for (const item of got) (item.size <= SMALL_FILE_BYTES ? small : large).push(item);
        }
      } finally {
        small.end();
        large.end();
      }
    };
    await Promise.all([
      sort(),
      this.placeSmall(small, run),
      forEachLimit(
        large,
        this.concurrency,
        async (item) => {
          const r = stopped(run) ? null : await this.storeOne(item, run, false);
          if (r) sink.onOutcome(r);
          else sink.onLeft?.(item.rel);
        },
        run.taking,
      ),
    ]);
    return run.blocked;
  }

  /**
   * Small files in groups: stored many at a time, their copies saved as ours once per group and
   * their folders synced once per group. A group is what has come while the previous one was
   * stored (up to SMALL_GROUP), so a burst makes large groups and a trickle is not held back.
   */
  private async placeSmall(items: Source<PlaceItem>, run: PlaceRun): Promise<void> {
    while (!stopped(run)) {
      const group = await items.take(SMALL_GROUP, run.taking);
      if (group.length === 0) break;
      const outcomes = await this.storeGroup(group, run);
      const folders = outcomes.flatMap((o) => (o?.ok && o.folder ? [o.folder] : []));
      const files = outcomes.flatMap((o) => (o?.ok && o.file ? [o.file] : []));
      try {
        await this.target.syncFolders(folders, files);
      } catch (e) {
        // Stored but not known durable: nothing counts as done; the next try finds them there.
        const err = asLegError(e, this.id);
        if (err.kind === 'blocked') block(run, err);
        group.forEach((item, i) => {
          const o = outcomes[i];
          if (o?.ok && err.kind !== 'blocked' && !run.sink.signal?.aborted)
            run.sink.onOutcome({ rel: o.rel, ok: false, error: err });
          else if (o && !o.ok) run.sink.onOutcome(o);
          else run.sink.onLeft?.(item.rel);
        });
        continue;
      }
      group.forEach((item, i) => {
        const o = outcomes[i];
        if (o) run.sink.onOutcome(stripFolder(o));
        else run.sink.onLeft?.(item.rel);
      });
    }
  }

  /**
   * A group of small files, SMALL_CONCURRENCY at a time, their copies saved as ours in one save
   * before any of them takes its final name (group-save.ts). A copy waiting for that save gives
   * its turn to the next file of the group. Outcomes in the group's order (null: none).
   */
  private async storeGroup(
    group: readonly PlaceItem[],
    run: PlaceRun,
  ): Promise<(StoreOutcome | null)[]> {
    const slots = new Slots(SMALL_CONCURRENCY);
    const { sink } = run;
    const saves = sink.beforeWrite && new GroupSave(group.length, (c) => sink.beforeWrite!(c));
    return Promise.all(
      group.map(async (item) => {
        try {
          await slots.acquire();
          try {
            if (stopped(run)) return null;
            return await this.storeOne(
              item,
              run,
              true,
              saves &&
                ((path, contentHash) =>
                  slots.without(() => saves.before({ rel: item.rel, path, contentHash }))),
            );
          } finally {
            slots.release();
          }
        } finally {
          saves?.done();
        }
      }),
    );
  }

  /**
   * One file; its outcome (null: stopped, or blocked the leg). Never throws. `beforePlace`: how a
   * copy is saved before it takes its final name (default: a save of its own).
   */
  private async storeOne(
    item: PlaceItem,
    run: PlaceRun,
    deferFolderSync: boolean,
    beforePlace = ownSave(item, run.sink),
  ): Promise<StoreOutcome | null> {
    const { sink } = run;
    const { signal } = sink;
    sink.onStarted?.(item.rel, item.size);
    try {
      const r = await this.target.store({
        rel: item.rel,
        srcPath: item.localPath,
        size: item.size,
        ...(signal ? { signal } : {}),
        ...(item.replace
          ? {
              replace: {
                path: item.replace.path,
                contentHash: item.replace.contentHash,
                ...(item.replace.earlierContentHashes
                  ? { earlierContentHashes: item.replace.earlierContentHashes }
                  : {}),
              },
            }
          : {}),
        ...(item.dev !== undefined && item.ino !== undefined
          ? { dev: item.dev, ino: item.ino }
          : {}),
        ...(item.bytesSynced ? { syncedAs: { size: item.size, mtimeMs: item.mtimeMs } } : {}),
        ...(deferFolderSync ? { deferFolderSync } : {}),
        ...(beforePlace ? { beforePlace } : {}),
        onProgress: (bytes) => sink.onProgress?.(item.rel, bytes),
      });
      return {
        rel: item.rel,
        ok: true,
        path: r.path,
        contentHash: r.contentHash,
        alreadyPresent: r.alreadyPresent,
        ...(r.folder ? { folder: r.folder } : {}),
        ...(r.file ? { file: r.file } : {}),
      };
    } catch (e) {
      const err = asLegError(e, this.id);
      if (err.kind === 'blocked') block(run, err);
      else if (!signal?.aborted) return { rel: item.rel, ok: false, error: err };
      return null;
    }
  }
}

interface PlaceRun {
  sink: PlaceSink;
  blocked: SyncError | null;
  /** Aborted when the leg stops taking files (see stopped()). */
  halt: AbortController;
  /** Ends waits for files: the leg stopped, or the pass was stopped. */
  taking: AbortSignal;
}

/** What blocks the leg; once it is stopped, no more files are taken. */
function block(run: PlaceRun, err: SyncError): void {
  run.blocked ??= err;
  if (stopped(run)) run.halt.abort();
}

type StoreOutcome = PlaceOutcome & { folder?: string; file?: string };

type BeforePlace = (path: string, contentHash: string) => Promise<SyncError | undefined>;

/** A copy saved as ours on its own, before it takes its final name (a large file's). */
function ownSave(item: PlaceItem, sink: PlaceSink): BeforePlace | undefined {
  if (!sink.beforeWrite) return undefined;
  return async (path, contentHash) =>
    (await sink.beforeWrite!([{ rel: item.rel, path, contentHash }]))?.get(item.rel);
}

/** A full card may still take smaller files; any other block, or an abort, stops the leg. */
function stopped(run: PlaceRun): boolean {
  return (
    (run.blocked !== null && run.blocked.code !== 'archive-full') ||
    Boolean(run.sink.signal?.aborted)
  );
}

function stripFolder(o: StoreOutcome): PlaceOutcome {
  if (!o.ok) return o;
  const { folder: _f, file: _l, ...rest } = o;
  return rest;
}
