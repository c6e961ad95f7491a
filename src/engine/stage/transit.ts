// The transit folder is the queue: whatever complete file sits in it still needs its legs.
import { readdir, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { walkTree } from '../fsutil/walk.js';
import { isCode } from '../fsutil/fsync.js';
import { quickLstat, quickUnlink } from '../fsutil/quick-fs.js';
import { pruneEmptyDirs } from '../fsutil/prune.js';
import { resolveRel } from '../fsutil/rel-path.js';
import { isReservedTransitRel, transitTempDir } from './transit-names.js';

export interface TransitFile {
  /** Path below transit (= below the watch folder), '/'-separated. */
  rel: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export interface ListTransitOptions {
  signal?: AbortSignal;
  /** A part of transit that cannot be read: its files are not listed this time. */
  onError?: (rel: string, error: unknown) => void;
  /**
   * Files the caller already knows (staged in this pass): passed over by name, not looked at.
   * Only file rels belong here: a folder of that name would not be entered either.
   */
  known?: (rel: string) => boolean;
}

/** Stream the files waiting in transit; the reserved temporaries folder and non-files are left out. */
export async function* listTransit(
  transitDir: string,
  options: ListTransitOptions = {},
): AsyncGenerator<TransitFile> {
  const { signal, onError, known } = options;
  try {
    const skip = (_name: string, rel: string): boolean =>
      isReservedTransitRel(rel) || (known?.(rel) ?? false);
    for await (const entry of walkTree(transitDir, { signal, skip })) {
      if (entry.kind === 'error') onError?.(entry.rel, entry.error);
      if (entry.kind !== 'file') continue;
      yield {
        rel: entry.rel,
        absPath: entry.absPath,
        size: entry.stats.size,
        mtimeMs: entry.stats.mtimeMs,
        dev: entry.stats.dev,
        ino: entry.stats.ino,
      };
    }
  } catch (e) {
    if (isCode(e, 'ENOENT')) return; // no transit folder yet: nothing queued
    throw e;
  }
}

/** The transit file's identity now (null when gone): checked just before the copy is removed. */
export async function statTransit(
  transitDir: string,
  rel: string,
): Promise<{ size: number; mtimeMs: number; dev: number; ino: number } | null> {
  try {
    const s = await quickLstat(resolveRel(transitDir, rel));
    if (!s.isFile()) return null;
    return { size: s.size, mtimeMs: s.mtimeMs, dev: s.dev, ino: s.ino };
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return null;
    throw e;
  }
}

/**
 * A file is done: drop its transit copy and any folders that became empty (not transit itself).
 * `keepFolders`: the caller prunes the folders of many removed files at once (pruneTransitFolders).
 */
export async function removeFromTransit(
  transitDir: string,
  rel: string,
  opts: { keepFolders?: boolean } = {},
): Promise<void> {
  const p = resolveRel(transitDir, rel);
  try {
    await quickUnlink(p);
  } catch (e) {
    if (!isCode(e, 'ENOENT')) throw e;
  }
  if (!opts.keepFolders) await pruneEmptyDirs(transitDir, dirname(p));
}

/**
 * The folders of these removed files, and their parents, while empty: each folder tried once for
 * a whole window of files, not once per file (a failed rmdir of a busy folder is not free).
 */
export async function pruneTransitFolders(
  transitDir: string,
  rels: Iterable<string>,
): Promise<void> {
  const dirs = new Set<string>();
  for (const rel of rels) dirs.add(dirname(resolveRel(transitDir, rel)));
  // Deepest first, so a parent is tried after its emptied children went.
  const ordered = [...dirs].sort((a, b) => b.length - a.length);
  for (const dir of ordered) await pruneEmptyDirs(transitDir, dir);
}

/** The temporary name of a cross-disk staging copy as versions before the reserved folder made it. */
const LEGACY_TEMP_NAME = /^\.rdl-stage-[0-9a-f]{16}$/;

/**
 * Upgrade step: versions before the reserved folder left interrupted copies beside the files, as
 * `.rdl-stage-<16 hex>`. They are removed only when the ignore patterns in force would never let
 * a user file of that name into transit (the default ignores every dotfile), so a user's own file
 * is never taken for one; otherwise they stay and sync like any file. Their originals are still
 * in the watch folder. Returns how many were removed.
 */
export async function removeLegacyTransitTemps(
  transitDir: string,
  userFileCouldBeNamed: (name: string) => boolean,
): Promise<number> {
  let removed = 0;
  try {
    const skip = (_name: string, rel: string): boolean => isReservedTransitRel(rel);
    for await (const entry of walkTree(transitDir, { skip })) {
      if (entry.kind !== 'file') continue;
      const name = entry.rel.slice(entry.rel.lastIndexOf('/') + 1);
      if (!LEGACY_TEMP_NAME.test(name) || userFileCouldBeNamed(name)) continue;
      try {
        await unlink(entry.absPath);
        removed++;
      } catch (e) {
        if (!isCode(e, 'ENOENT')) throw e;
      }
    }
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return removed;
    throw e;
  }
  return removed;
}

/**
 * Empty (and remove) the reserved temporaries folder: copies interrupted by a crash or a stop. Their originals
 * are still in the watch folder, so nothing is lost. Nothing outside that folder is touched.
 * Returns how many entries were removed.
 */
export async function cleanupTransitTemps(transitDir: string): Promise<number> {
  const dir = transitTempDir(transitDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return 0;
    throw e;
  }
  for (const name of names) await rm(`${dir}/${name}`, { recursive: true, force: true });
  // Made again on demand; an empty folder left behind would only puzzle people looking at transit.
  await rmdir(dir).catch(() => {});
  return names.length;
}
