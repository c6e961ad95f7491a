// Whether anything may be written to, or deleted from, the archive's root now. One check for the
// copies (archive-target.ts) and for retention: retention once ran on a card's empty mount point
// and deleted, from the disk holding it, files a card-less period had left there, then reported
// that disk's free space as the card's.
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isCode, isMountPoint } from '../fsutil/index.js';
import { mountHolding } from '../fsutil/mount.js';
import type { MissingReason } from './problems.js';
import { isWhereCardsMount } from './archive-place.js';

export interface RootMissing {
  reason: MissingReason;
  cause?: unknown;
}

/**
 * Why the archive root cannot be used now, or null with its stats. Never creates anything.
 * `card`: it must be a mounted file system (archiveMustBeMountPoint).
 */
export async function checkArchiveRoot(
  root: string,
  card: boolean,
): Promise<{ missing: RootMissing } | { missing: null; stats: Stats }> {
  let s: Stats;
  try {
    s = await stat(root);
  } catch (e) {
    // A folder that is there but fails every call (ENOTCONN, EIO) is a dead mount, not absent;
    // one this user may not look at is neither.
    const reason = isCode(e, 'ENOENT', 'ENOTDIR')
      ? 'absent'
      : isCode(e, 'EACCES', 'EPERM')
        ? 'no-access'
        : 'not-answering';
    return { missing: { reason, cause: e } };
  }
  if (!s.isDirectory()) return { missing: { reason: 'not-a-folder' } };
  if (card && !(await isMountPoint(root)) && !(await onMountedCard(root)))
    return { missing: { reason: 'not-mounted' } };
  return { missing: null, stats: s };
}

/**
 * A folder on a mounted card (`/media/pi/CARD/backup`): "SD card not mounted: insert it" was said
 * at every pass with the card in. Such a folder is on the card only while the card is mounted
 * below /media, /mnt or /run/media; with the card out, the same path resolves to the disk holding
 * the mount point (`/`, or `/run`'s memory), never one below those places, and is refused.
 */
async function onMountedCard(root: string): Promise<boolean> {
  const mount = await mountHolding(root).catch(() => undefined);
  return mount !== undefined && isWhereCardsMount(mount.point);
}
