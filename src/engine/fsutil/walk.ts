// A streaming, non-following walk of a folder tree. One directory handle is open at a time and
// entries are yielded as they are read, so a tree of any size costs memory in proportion to the
// number of folders still to visit, not the number of files.
import { lstat, opendir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCode } from './fsync.js';

export type WalkEntry =
  | { kind: 'file'; rel: string; absPath: string; stats: Stats }
  /** Matched the caller's `skip`: not yielded as a file and, for a folder, not entered. */
  | { kind: 'skipped'; rel: string; absPath: string }
  /** Symbolic links (never followed) and anything that is not a regular file or folder. */
  | { kind: 'other'; rel: string; absPath: string; what: 'symlink' | 'special' }
  /** A folder that could not be listed, or an entry (file or folder) that could not be examined. */
  | { kind: 'error'; rel: string; absPath: string; error: unknown; what: 'folder' | 'entry' };

export interface WalkOptions {
  signal?: AbortSignal;
  /** Return true to leave an entry out (and not descend into it when it is a folder). */
  skip?: (name: string, rel: string) => boolean;
  /** Absolute folders never entered (e.g. a transit folder placed inside the watch folder). */
  excludeDirs?: string[];
}

interface Candidate {
  rel: string;
  absPath: string;
}

/** lstat calls in flight at once: enough to hide disk latency, few enough to bound memory. */
const STAT_BATCH = 64;

async function* classify(
  batch: Candidate[],
  pending: string[],
  excluded: Set<string>,
): AsyncGenerator<WalkEntry> {
  // lstat, not the dirent type: it never follows links and works where d_type is unknown.
  const results = await Promise.allSettled(batch.map((c) => lstat(c.absPath)));
  for (let i = 0; i < batch.length; i++) {
    const { rel, absPath } = batch[i] as Candidate;
    const r = results[i] as PromiseSettledResult<Stats>;
    if (r.status === 'rejected') {
      // Removed while we looked: nothing to report.
      if (!isCode(r.reason, 'ENOENT')) {
        yield { kind: 'error', rel, absPath, error: r.reason, what: 'entry' };
      }
      continue;
    }
    const stats = r.value;
    if (stats.isDirectory()) {
      if (!excluded.has(resolve(absPath))) pending.push(rel);
    } else if (stats.isFile()) {
      yield { kind: 'file', rel, absPath, stats };
    } else {
      const what = stats.isSymbolicLink() ? 'symlink' : 'special';
      yield { kind: 'other', rel, absPath, what };
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
  const pending: string[] = [''];
  let first = true;
  while (pending.length > 0) {
    if (options.signal?.aborted) throw options.signal.reason;
    const dirRel = pending.pop() as string;
    const dirAbs = dirRel === '' ? root : join(root, ...dirRel.split('/'));
    let dir;
    try {
      dir = await opendir(dirAbs, { bufferSize: 128 });
    } catch (error) {
      if (first) throw error;
      if (!isCode(error, 'ENOENT')) {
        yield { kind: 'error', rel: dirRel, absPath: dirAbs, error, what: 'folder' };
      }
      continue;
    }
    first = false;
    try {
      let batch: Candidate[] = [];
      for await (const dirent of dir) {
        if (options.signal?.aborted) throw options.signal.reason;
        const name = dirent.name;
        const rel = dirRel === '' ? name : `${dirRel}/${name}`;
        const absPath = join(dirAbs, name);
        if (options.skip?.(name, rel)) {
          yield { kind: 'skipped', rel, absPath };
          continue;
        }
        batch.push({ rel, absPath });
        if (batch.length === STAT_BATCH) {
          yield* classify(batch, pending, excluded);
          batch = [];
        }
      }
      yield* classify(batch, pending, excluded);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      yield { kind: 'error', rel: dirRel, absPath: dirAbs, error, what: 'folder' };
    }
  }
}
