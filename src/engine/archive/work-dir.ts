// The archive's own temporaries live in one reserved folder at the card's root, never beside the
// user's files: a temporary name in a data folder (the old `.rdl-partial-*`) could be a user's file
// of the same name, which start-up would then delete as "ours". Everything in the reserved folder
// is ours by construction: the archive refuses to store a file below that name, and whatever lists
// the archive as user data (retention, status) skips it.
import { lstat, readdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isCode } from '../fsutil/fsync.js';

/**
 * Name of the reserved folder at the archive root: the same name as transit's reserved folder,
 * which the scanner never lets a user's top-level folder keep, so no rel can ever land in it.
 */
export const ARCHIVE_WORK_DIR = '.rdl-sync-tmp';

/** True when `rel` would land inside the reserved folder (such a file is refused, never stored). */
export function isReservedRel(rel: string): boolean {
  return rel === ARCHIVE_WORK_DIR || rel.startsWith(`${ARCHIVE_WORK_DIR}/`);
}

export function workDirOf(root: string): string {
  return join(root, ARCHIVE_WORK_DIR);
}

/** A fresh temporary path in the reserved folder. */
export function workTempPath(root: string): string {
  return join(workDirOf(root), `partial-${randomBytes(8).toString('hex')}`);
}

export type WorkDirState = 'ready' | 'occupied';

/**
 * Makes the reserved folder (the root already exists: it is checked first and never created).
 * 'occupied' when something that is not a plain folder holds the name (a user's file, a link).
 */
export async function ensureWorkDir(
  root: string,
  mkdirOp: (p: string) => Promise<unknown>,
): Promise<WorkDirState> {
  const dir = workDirOf(root);
  try {
    await mkdirOp(dir);
    return 'ready';
  } catch (e) {
    if (!isCode(e, 'EEXIST')) throw e;
  }
  const s = await lstat(dir);
  return s.isDirectory() ? 'ready' : 'occupied';
}

/**
 * Removes the reserved folder with every leftover temporary in it (it is made again by the next
 * copy that needs it); returns how many leftovers went. Only called while no copy runs.
 */
export async function cleanWorkDir(root: string): Promise<number> {
  const dir = workDirOf(root);
  let s;
  try {
    s = await lstat(dir);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return 0;
    throw e;
  }
  if (!s.isDirectory()) return 0; // not ours: a file of the user's would never be touched
  const leftovers = (await readdir(dir)).length;
  // Left in place when empty: asked at every check, removing it and making it again for the next
  // copy would write the card's top folder at every pass for nothing.
  if (leftovers === 0) return 0;
  await rm(dir, { recursive: true, force: true });
  return leftovers;
}
