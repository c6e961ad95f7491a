// A streaming, non-following walk of a folder tree. One directory handle is open at a time and
// entries are yielded as they are read, so a tree of any size costs memory in proportion to the
// number of folders still to visit, not the number of files.
//
// Names are read as bytes and turned into text by fsutil/name-map.ts, so a name that is not
// UTF-8 is still seen (in escaped form) instead of being garbled into U+FFFD. `rel` and `absPath`
// use the text names; `rawPath` is the path to give the file system (a Buffer only when some
// name's bytes differ from its text).
import { lstat, opendir } from 'node:fs/promises';
import { lstatSync, type Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { isCode } from './fsync.js';
import { nameFromBytes } from './name-map.js';

interface Where {
  /** Path below the root with '/' separators, in text names. */
  rel: string;
  /** The root joined with the text names (the real path, unless a name is in escaped form). */
  absPath: string;
  /** The real path, usable by fs. */
  rawPath: string | Buffer;
}

export type WalkEntry =
  | ({ kind: 'file'; stats: Stats } & Where)
  /** Matched the caller's `skip`: not yielded as a file and, for a folder, not entered. */
  | ({ kind: 'skipped' } & Where)
  /** Symbolic links (never followed) and anything that is not a regular file or folder. */
  | ({ kind: 'other'; what: 'symlink' | 'special' } & Where)
  /** A folder that could not be listed, or an entry (file or folder) that could not be examined. */
  | ({ kind: 'error'; error: unknown; what: 'folder' | 'entry' } & Where);

export interface WalkOptions {
  signal?: AbortSignal;
  /**
   * Return true to leave an entry out (and not descend into it when it is a folder). `name` is
   * the on-disk name as text (only bytes that are not UTF-8 escaped); `rel` is in mapped names.
   */
  skip?: (name: string, rel: string) => boolean;
  /** Absolute folders never entered (e.g. a transit folder placed inside the watch folder). */
  excludeDirs?: string[];
  /**
   * 'escape' (the watch folder): every name goes through name-map.ts, so names with '\' or
   * '%XX' are escaped too and the top-level `reservedTopNames` are never used as they are.
   * 'verbatim' (default; transit, the card, which hold names we wrote): UTF-8 names as they are,
   * only bytes that are not UTF-8 escaped.
   */
  names?: 'escape' | 'verbatim';
  reservedTopNames?: ReadonlySet<string>;
  /**
   * A batch of entries is examined inline while the disk answers from its cache: the promise
   * API costs about 15 µs of CPU per entry against 3 µs inline, and a walk sees every file of the
   * queue. The first batch that takes longer than this because the disk makes its calls wait (a
   * cold cache, a slow card), or that takes many times longer whatever the cause, turns the rest
   * of the walk asynchronous, so the walk never blocks for long. 0: always asynchronous.
   */
  inlineBatchBudgetMs?: number;
  /**
   * Looks (lstat) out on the thread pool at once, once the walk is asynchronous (default: a whole
   * batch). A card that stops answering holds a thread for each: a batch of 64 held all of
   * Node's 4, and the rest of the process waited for the card.
   */
  looksAtOnce?: number;
  /** The inline lstat; only tests replace it, to model a slow disk or a pause of the thread. */
  inlineLstat?: (path: string | Buffer) => Stats;
  /**
   * Folders found empty by earlier walks and unchanged since are not opened again (the watch
   * folder collects one empty date folder per camera a day; see EmptyFolderMemo).
   */
  emptyFolders?: EmptyFolderMemo;
}

/** Times within this of the moment a folder was read are too close to trust (see below). */
const EMPTY_FOLDER_SETTLE_MS = 5_000;

/**
 * Remembers folders a walk found empty, so later walks skip opening them while they stay so.
 * Loggers leave one emptied date folder behind per camera a day: a year is over a thousand
 * folders, and opening each on every pass made the scan's CPU grow all year.
 *
 * Creating, removing or renaming an entry changes a folder's ctime, and nothing can set ctime
 * back, so the same device, inode and ctime mean the folder still holds nothing. Timestamps are
 * coarse (a kernel tick; 2 s on FAT), so a folder whose ctime was less than a few seconds before
 * it was read might change again within the same tick unseen: it is not remembered until a later
 * walk reads it when its ctime is old. ctime and `Date.now()` are both the system's real-time
 * clock (the engine's Clock port may be simulated, the file system's is not).
 */
export class EmptyFolderMemo {
  private known = new Map<string, number>();
  private seenThisWalk = new Map<string, number>();

  constructor(readonly wallNow: () => number = Date.now) {}

  /** A folder to skip: empty when last read, and its ctime has not moved since. */
  skip(stats: Stats): boolean {
    const key = `${stats.dev}:${stats.ino}`;
    const ctime = this.known.get(key);
    if (ctime === undefined || ctime !== stats.ctimeMs) return false;
    this.seenThisWalk.set(key, ctime);
    return true;
  }

  /** `stats` were taken before the folder was read and it held no entry at all. */
  foundEmpty(stats: Stats, readAtMs: number): void {
    if (stats.ctimeMs > readAtMs - EMPTY_FOLDER_SETTLE_MS) return;
    this.seenThisWalk.set(`${stats.dev}:${stats.ino}`, stats.ctimeMs);
  }

  /** A whole walk finished: folders it did not see as empty (filled, gone) are forgotten. */
  walkCompleted(): void {
    this.known = this.seenThisWalk;
    this.seenThisWalk = new Map();
  }

  /** A walk stopped part-way: keep what is known, drop the partial sightings. */
  walkAbandoned(): void {
    this.seenThisWalk = new Map();
  }

  get size(): number {
    return this.known.size;
  }
}

/** See WalkOptions.inlineBatchBudgetMs: a warm batch of 64 takes well under a millisecond. */
export const INLINE_BATCH_BUDGET_MS = 4;

type Candidate = Where;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The name as text, or null when its bytes are not UTF-8. */
function decodeName(raw: Buffer): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

/**
 * A child's path. Below the root, the parent is already normalized and a listed name is never
 * empty, '.', '..' or holds a separator, so concatenation gives what path.join would, without
 * normalizing the whole path again for every entry; the root itself goes through join once.
 */
function childPath(parent: string, name: string, parentIsRoot: boolean): string {
  return parentIsRoot ? join(parent, name) : `${parent}${sep}${name}`;
}

/** Append a raw name to a raw path; stays a string while every name is UTF-8 text. */
function joinRaw(
  parent: string | Buffer,
  raw: Buffer,
  text: string | null,
  parentIsRoot: boolean,
): string | Buffer {
  if (typeof parent === 'string' && text !== null) return childPath(parent, text, parentIsRoot);
  const base = typeof parent === 'string' ? Buffer.from(parent, 'utf8') : parent;
  return Buffer.concat([base, Buffer.from(sep), raw]);
}

/** lstat calls in flight at once: enough to hide disk latency, few enough to bound memory. */
const STAT_BATCH = 64;

/** A folder still to visit; `stats` from its parent's lstat (none for the root). */
interface Pending extends Where {
  stats?: Stats;
}

/** How this walk examines entries: inline until a batch proves slow (see WalkOptions). */
interface StatMode {
  inline: boolean;
  budgetMs: number;
  lstatSync: (path: string | Buffer) => Stats;
  /** Looks out at once when asynchronous (WalkOptions.looksAtOnce). */
  atOnce: number;
  /** Entries examined inline so far, and how many of those calls waited (see statBatch). */
  calls: number;
  slowCalls: number;
}

/**
 * A slow batch turns the walk asynchronous only when the disk is why: a cold cache or a slow card
 * makes most calls wait, while a pause of the thread (a garbage collection, another process on
 * the core) lands on one call. On a busy machine a single pause used to push a batch past the
 * budget and send the rest of the walk, thousands of entries, through the promise API (1,200 to
 * 2,700 of the 4,000 entries the two walks of 2,000 small files see, at load 4 on two cores).
 * A call waited when it took over this share of the budget.
 */
const SLOW_CALL_SHARE_OF_BUDGET = 1 / 8;
/** Waiting calls that make a slow batch the disk's: at least this many and this share of the calls. */
const MIN_SLOW_CALLS = 4;
const MIN_SLOW_CALL_SHARE = 1 / 16;
/** A batch this many budgets long turns the walk asynchronous whatever the cause. */
const HARD_LIMIT_BUDGETS = 12;

async function statBatch(
  batch: Candidate[],
  mode: StatMode,
): Promise<Array<PromiseSettledResult<Stats>>> {
  if (!mode.inline) {
    if (mode.atOnce >= batch.length) return Promise.allSettled(batch.map((c) => lstat(c.rawPath)));
    const results: Array<PromiseSettledResult<Stats>> = [];
    for (let i = 0; i < batch.length; i += mode.atOnce) {
      const part = batch.slice(i, i + mode.atOnce);
      results.push(...(await Promise.allSettled(part.map((c) => lstat(c.rawPath)))));
    }
    return results;
  }
  const started = performance.now();
  const slowMs = mode.budgetMs * SLOW_CALL_SHARE_OF_BUDGET;
  let last = started;
  const results = batch.map((c): PromiseSettledResult<Stats> => {
    let result: PromiseSettledResult<Stats>;
    try {
      result = { status: 'fulfilled', value: mode.lstatSync(c.rawPath) };
    } catch (reason) {
      result = { status: 'rejected', reason };
    }
    const now = performance.now();
    if (now - last > slowMs) mode.slowCalls++;
    last = now;
    return result;
  });
  mode.calls += batch.length;
  const elapsed = last - started;
  const diskWaits =
    mode.slowCalls >= MIN_SLOW_CALLS && mode.slowCalls >= mode.calls * MIN_SLOW_CALL_SHARE;
  if (elapsed > mode.budgetMs && (diskWaits || elapsed > mode.budgetMs * HARD_LIMIT_BUDGETS))
    mode.inline = false;
  return results;
}

async function* classify(
  batch: Candidate[],
  pending: Pending[],
  excluded: Set<string>,
  mode: StatMode,
  emptyFolders: EmptyFolderMemo | undefined,
): AsyncGenerator<WalkEntry> {
  // lstat, not the dirent type: it never follows links and works where d_type is unknown.
  const results = await statBatch(batch, mode);
  for (let i = 0; i < batch.length; i++) {
    const where = batch[i] as Candidate;
    const r = results[i] as PromiseSettledResult<Stats>;
    if (r.status === 'rejected') {
      // Removed while we looked: nothing to report.
      if (!isCode(r.reason, 'ENOENT')) {
        yield { kind: 'error', ...where, error: r.reason, what: 'entry' };
      }
      continue;
    }
    const stats = r.value;
    if (stats.isDirectory()) {
      // Compared by the real path: a mapped name ('%25') must not hide an excluded folder.
      const real = typeof where.rawPath === 'string' ? resolve(where.rawPath) : null;
      if ((real === null || !excluded.has(real)) && !emptyFolders?.skip(stats))
        pending.push({ ...where, stats });
    } else if (stats.isFile()) {
      yield { kind: 'file', ...where, stats };
    } else {
      const what = stats.isSymbolicLink() ? 'symlink' : 'special';
      yield { kind: 'other', ...where, what };
    }
  }
}

/**
 * Walk `root` depth-first. `rel` uses '/' on every OS. The root itself is opened as given (it
 * may be a symlink the user chose); below it, symbolic links are reported, never followed.
 * Opening the root fails loudly (thrown); a subfolder that cannot be read is yielded as an error.
 */
export async function* walkTree(
  root: string,
  options: WalkOptions = {},
): AsyncGenerator<WalkEntry> {
  const excluded = new Set((options.excludeDirs ?? []).map((d) => resolve(d)));
  const escape = options.names === 'escape';
  const budgetMs = options.inlineBatchBudgetMs ?? INLINE_BATCH_BUDGET_MS;
  const mode: StatMode = {
    inline: budgetMs > 0,
    budgetMs,
    lstatSync: options.inlineLstat ?? lstatSync,
    atOnce: Math.max(1, options.looksAtOnce ?? STAT_BATCH),
    calls: 0,
    slowCalls: 0,
  };
  const emptyFolders = options.emptyFolders;
  const pending: Pending[] = [{ rel: '', absPath: root, rawPath: root }];
  let first = true;
  let completed = false;
  try {
    while (pending.length > 0) {
      if (options.signal?.aborted) throw options.signal.reason;
      const here = pending.pop() as Pending;
      const readAtMs = emptyFolders?.wallNow() ?? 0;
      let dir;
      try {
        // 'buffer' is supported at run time; @types/node 20 only lists text encodings.
        dir = await opendir(here.rawPath, {
          bufferSize: 128,
          encoding: 'buffer' as BufferEncoding,
        });
      } catch (error) {
        if (first) throw error;
        if (!isCode(error, 'ENOENT')) yield { kind: 'error', ...here, error, what: 'folder' };
        continue;
      }
      first = false;
      try {
        let batch: Candidate[] = [];
        let entries = 0;
        for await (const dirent of dir) {
          entries++;
          if (options.signal?.aborted) throw options.signal.reason;
          // With encoding 'buffer' the name is the raw bytes (typed as a string by @types/node 20).
          const raw = dirent.name as unknown as Buffer;
          // Decoded once: the mapped name, the name shown to ignore patterns and the raw path
          // all start from it.
          const text = decodeName(raw);
          const atRoot = here.rel === '';
          // What the user sees on disk: the text, or only the bytes that are not UTF-8 escaped.
          const onDisk = text ?? nameFromBytes(raw);
          const name = escape
            ? nameFromBytes(raw, atRoot ? { reserved: options.reservedTopNames } : {}, text)
            : onDisk;
          const rel = atRoot ? name : `${here.rel}/${name}`;
          const absPath = childPath(here.absPath, name, atRoot);
          const where = {
            rel,
            absPath,
            // The same string when the names are their own text (nearly always).
            rawPath:
              text === name && here.rawPath === here.absPath
                ? absPath
                : joinRaw(here.rawPath, raw, text, atRoot),
          };
          // Ignore patterns are matched against the name as the user sees it on disk.
          if (options.skip?.(onDisk, rel)) {
            yield { kind: 'skipped', ...where };
            continue;
          }
          batch.push(where);
          if (batch.length === STAT_BATCH) {
            yield* classify(batch, pending, excluded, mode, emptyFolders);
            batch = [];
          }
        }
        yield* classify(batch, pending, excluded, mode, emptyFolders);
        if (entries === 0 && here.stats) emptyFolders?.foundEmpty(here.stats, readAtMs);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        yield { kind: 'error', ...here, error, what: 'folder' };
      }
    }
    completed = true;
  } finally {
    // A consumer that stops early (or an abort) leaves a partial picture: not a reason to forget.
    if (completed) emptyFolders?.walkCompleted();
    else emptyFolders?.walkAbandoned();
  }
}
