// Whether the transit folder can be trusted as the queue this pass. A walk of it that finds
// nothing says "nothing waits" only while it is the folder that held the queue. A transit folder
// on a disk of its own (a USB disk, a second card) that is unmounted leaves nothing (transit below
// the mount point) or its empty mount point (transit is the mount point): both read as an empty
// queue, every journal entry was forgotten without a word, and staging made the folder anew in the
// mount point, where the next files were hidden once the disk came back. The archive's rule holds
// here too (archive/root-check.ts): nothing is written into the mount point of a missing disk.
// Looked at once per pass (a few stats, on Linux one read of mountinfo), never per file.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SyncError } from '../errors.js';
import { isWhereCardsMount } from '../archive/archive-place.js';
import { FOLDER_MODE } from '../fsutil/folder-mode.js';
import { isCode } from '../fsutil/fsync.js';
import { makeFolders } from '../fsutil/make-folders.js';
import { isMountPoint, mountHolding } from '../fsutil/mount.js';
import { shellWord } from '../shell-word.js';

/** What a trusted look found: remembered, so a later look can tell that the disk went away. */
export interface TransitPlace {
  /** The transit folder is a mount point: its own disk, on another device than its parent. */
  ownDisk: boolean;
}

export type TransitLook =
  /** `created`: there was none, and this look made it (a first run). */
  { problem: null; place: TransitPlace; created: boolean } | { problem: SyncError; place: null };

export const TRANSIT_MISSING_CODE = 'transit-missing';

/**
 * Looks at the transit folder. `known`: what the last trusted look found (null: none in this
 * process); `queued`: whether the journal knows files in transit (asked of a missing folder only).
 * A missing folder is made only when neither says it existed, and not where a disk should be
 * mounted and none is.
 */
export async function lookAtTransit(
  transitDir: string,
  known: TransitPlace | null,
  queued: () => boolean,
): Promise<TransitLook> {
  let isDir: boolean;
  try {
    isDir = (await stat(transitDir)).isDirectory();
  } catch (e) {
    if (!isCode(e, 'ENOENT', 'ENOTDIR')) {
      // Unreadable, or a dead mount: the walk of transit names it as unreadable, and nothing is
      // forgotten while a part of transit cannot be read (pass.ts).
      return { problem: null, place: known ?? { ownDisk: false }, created: false };
    }
    if (known || queued()) return { problem: transitMissing(transitDir, 'gone'), place: null };
    if (await underAbsentDisk(dirname(transitDir)))
      return { problem: transitMissing(transitDir, 'not-mounted'), place: null };
    try {
      await makeFolders(transitDir, FOLDER_MODE);
    } catch {
      // Staging names the folder that cannot be made, and why (stage-file.ts transitWriteError).
      return { problem: null, place: { ownDisk: false }, created: false };
    }
    return { problem: null, place: { ownDisk: await isMountPoint(transitDir) }, created: true };
  }
  if (!isDir) return { problem: transitMissing(transitDir, 'not-a-folder'), place: null };
  const ownDisk = await isMountPoint(transitDir);
  if (known?.ownDisk && !ownDisk)
    return { problem: transitMissing(transitDir, 'disk-gone'), place: null };
  if (!ownDisk && (await underAbsentDisk(transitDir)))
    return { problem: transitMissing(transitDir, 'not-mounted'), place: null };
  return { problem: null, place: { ownDisk }, created: false };
}

/**
 * A path below a place where disks are mounted (/media, /mnt, /run/media) that resolves onto no
 * disk mounted there: the disk meant to hold it is out, and the path lies on the disk holding the
 * empty mount point. Undefined mounts (off Linux) are not judged.
 */
async function underAbsentDisk(path: string): Promise<boolean> {
  if (!isWhereCardsMount(path)) return false;
  for (let dir = path; ; dir = dirname(dir)) {
    // The nearest folder that exists tells which disk the path would be made on.
    const mount = await mountHolding(dir).catch(() => undefined);
    if (mount) return !isWhereCardsMount(mount.point);
    if (dirname(dir) === dir) return false;
  }
}

type MissingWhy = 'gone' | 'disk-gone' | 'not-mounted' | 'not-a-folder';

function transitMissing(transitDir: string, why: MissingWhy): SyncError {
  const dir = shellWord(transitDir);
  const waits = 'files wait in the watch folder, and the queue is kept until it is back';
  const message = {
    // Never made anew here: a folder made in its place would take the queue onto the wrong disk.
    gone: `The transit folder ${transitDir} is gone: if its disk is not mounted, mount it (a folder made in its place would put the queue on the wrong disk); if it was removed, create it again (mkdir -p ${dir}) and put back the files it held, or choose another transit folder in settings; ${waits}`,
    'disk-gone': `The disk of the transit folder ${transitDir} is not mounted any more (what is left is its mount point, a folder on the disk below): mount it again; if the queue is to be on the disk below from now on, choose another transit folder in settings (RDL Sync remembers this one as a disk of its own, across restarts too); ${waits}`,
    'not-mounted': `The transit folder ${transitDir} is where a disk is mounted, and no disk is mounted there: mount it (nothing is written into the mount point of a missing disk), or choose a transit folder on the hub's own disk in settings; ${waits}`,
    'not-a-folder': `The transit folder ${transitDir} is not a folder: correct it in settings; ${waits}`,
  }[why];
  return new SyncError({ kind: 'blocked', code: TRANSIT_MISSING_CODE, message });
}
