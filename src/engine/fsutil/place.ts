// Give a finished file its final name without ever replacing a file already there. rename()
// silently replaces, so where the file system has hard links we link (which fails with EEXIST)
// and then drop the old name; FAT/exFAT cards and some network shares have no hard links, and
// there we check and rename. We are the only writer of those folders, but not a single one: the
// copies of a group are placed together, and two names the card takes for one (status.txt and
// STATUS.txt on FAT/exFAT, which ignore case) both saw the name free, so the second rename
// replaced the first copy. Our own checks-and-renames therefore take turns (one process writes a
// card: the run lock).
import { lstatSync } from 'node:fs';
import { isCode } from './fsync.js';
import { quickLink, quickLstat, quickRename, quickUnlink } from './quick-fs.js';
import { CopyError } from './copy-hashed.js';

export type PlaceResult = 'placed' | 'exists';

/** The calls placing needs, replaceable so tests can simulate EXDEV or a FAT card. */
export interface PlaceOps {
  // Methods, not function properties: a source may be a Buffer path (a name that is not UTF-8,
  // see name-map.ts), and replacements written for string paths stay assignable.
  link(existingPath: string | Buffer, newPath: string): Promise<void>;
  rename(oldPath: string | Buffer, newPath: string): Promise<void>;
  unlink(path: string | Buffer): Promise<void>;
  /** The look whether the name is free, where there are no hard links. */
  lstat(path: string): Promise<unknown>;
}

export const realPlaceOps: PlaceOps = {
  link: quickLink,
  rename: quickRename,
  unlink: quickUnlink,
  lstat: quickLstat,
};

/** errno codes meaning "this file system (or this file) cannot be hard-linked": copy instead. */
export const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EINVAL'];

/**
 * Move `from` to `to` unless `to` exists. Returns 'exists' (and leaves `from` alone) when it
 * does. Errors such as EXDEV or ENOENT are thrown for the caller to classify; when only the
 * removal of `from` fails, the new name is taken back and a CopyError with side 'source' is thrown.
 * If the process dies between link and unlink both names hold the same bytes: nothing is lost,
 * and the caller's idempotent legs treat the leftover as already done.
 *
 * `makeDurable`: called once the new name exists and, with hard links, before the old name is
 * removed (the caller syncs the new folder there); if it fails, the new name is taken back.
 */
export async function placeWithoutReplacing(
  from: string | Buffer,
  to: string,
  ops: PlaceOps = realPlaceOps,
  makeDurable?: () => Promise<void>,
  /**
   * The file `from` named when it was linked. The old name is removed only while it still names
   * that file: a writer that saved a new version under it meanwhile (a new file renamed over the
   * name, the usual way to replace a file whole) had that version deleted unread, while the
   * link and its syncs ran (milliseconds, far more on an SD card).
   */
  linked?: { dev: number; ino: number },
): Promise<PlaceResult> {
  try {
    await ops.link(from, to);
  } catch (e) {
    if (isCode(e, 'EEXIST')) return 'exists';
    if (!isCode(e, ...NO_HARD_LINKS)) throw e;
    const placed = await inTurn(async () => {
      if (await exists(to, ops)) return 'exists' as const;
      await ops.rename(from, to);
      return 'placed' as const;
    });
    // Outside the turn: a sync (10-30 ms on an SD card) need not hold up the other placements.
    if (placed === 'placed') await makeDurable?.();
    return placed;
  }
  if (makeDurable) {
    try {
      await makeDurable();
    } catch (e) {
      await ops.unlink(to).catch(() => {});
      throw e;
    }
  }
  try {
    // The look and the removal with nothing between them (both inline): the name cannot change
    // hands in between but by another process in those microseconds. Another file now: it stays
    // where its writer put it, for a later pass, and the linked one goes on under its new name.
    if (linked && !stillNames(from, linked)) return 'placed';
    await ops.unlink(from);
  } catch (e) {
    // Someone else removed the old name: the bytes live on under the new one.
    if (isCode(e, 'ENOENT')) return 'placed';
    // The old name cannot go (e.g. no write access to its folder). Keep a single name, the
    // original, so the file is not handled twice; the caller reports why it stayed.
    await ops.unlink(to).catch(() => {});
    throw new CopyError('source', e);
  }
  return 'placed';
}

/** Whether `path` still names the file (device and inode); false when it names none. */
export function stillNames(path: string | Buffer, file: { dev: number; ino: number }): boolean {
  try {
    const now = lstatSync(path);
    return now.dev === file.dev && now.ino === file.ino;
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return false;
    throw e;
  }
}

/** The check-and-rename placements of this process, one at a time (see the top of the file). */
let lastTurn: Promise<unknown> = Promise.resolve();

function inTurn<T>(step: () => Promise<T>): Promise<T> {
  const turn = lastTurn.then(step, step);
  lastTurn = turn.catch(() => undefined);
  return turn;
}

async function exists(p: string, ops: PlaceOps): Promise<boolean> {
  try {
    await ops.lstat(p);
    return true;
  } catch (e) {
    if (isCode(e, 'ENOENT')) return false;
    throw e;
  }
}
