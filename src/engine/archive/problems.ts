// The sentences a person sees when the SD-card leg cannot go on. Each names the folder and what
// to do, and reassures: nothing is lost, files wait in transit.
import { SyncError } from '../errors.js';
import { formatBytes } from '../format-bytes.js';

const WAITING = 'files wait safely in transit';

export type MissingReason = 'absent' | 'not-mounted' | 'not-a-folder' | 'pulled' | 'not-answering';

export function archiveMissing(root: string, reason: MissingReason, cause?: unknown): SyncError {
  const message = {
    absent: `SD card folder ${root} does not exist: insert the card, or correct the archive folder in settings; ${WAITING}`,
    'not-mounted': `SD card not mounted at ${root}: insert it; ${WAITING}`,
    'not-a-folder': `Archive folder ${root} is not a folder: correct it in settings; ${WAITING}`,
    pulled: `SD card at ${root} went away during a copy: insert it again; ${WAITING}`,
    // The folder is there but every call on it fails (ENOTCONN, EIO): a card pulled out while
    // mounted, or its driver gone. Inserting it again does not help until the dead mount is gone.
    'not-answering': `SD card at ${root} does not answer (${errnoOf(cause)}): it was pulled out while mounted, or its driver stopped; unmount it (sudo umount ${root}) and insert it again; ${WAITING}`,
  }[reason];
  return new SyncError({ kind: 'blocked', code: 'archive-missing', message, cause });
}

export function archiveFull(
  root: string,
  freeBytes: number,
  neededBytes: number,
  cause?: unknown,
): SyncError {
  return new SyncError({
    kind: 'blocked',
    code: 'archive-full',
    message: `SD card at ${root} is full (${formatBytes(freeBytes)} free, ${formatBytes(neededBytes)} needed): free space or swap the card; ${WAITING}`,
    cause,
  });
}

export function archiveReadOnly(root: string, errno: string, cause?: unknown): SyncError {
  const what =
    errno === 'EROFS'
      ? 'is read-only: check the card’s write-protect switch, or remount it read-write'
      : `refuses writes (${errno}, permission denied): give the user running RDL Sync write access`;
  return new SyncError({
    kind: 'blocked',
    code: 'archive-readonly',
    message: `SD card at ${root} ${what}; ${WAITING}`,
    cause,
  });
}

function errnoOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}
