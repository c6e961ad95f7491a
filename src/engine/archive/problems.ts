// The sentences a person sees when the archive leg cannot go on. Each names the card or folder
// and what to do, and reassures: nothing is lost, files wait in transit. A card and a folder on
// the hub's own disk need different advice (archive-place.ts).
import { runningUser } from '../fsutil/running-user.js';
import { SyncError } from '../errors.js';
import { formatBytes } from '../format-bytes.js';
import { formatDuration } from '../format-duration.js';
import { shellWord } from '../shell-word.js';
import { isWhereCardsMount, placeNamed, type ArchivePlace } from './archive-place.js';

const WAITING = 'files wait safely in transit';

export type MissingReason =
  | 'absent'
  | 'not-mounted'
  | 'not-a-folder'
  | 'pulled'
  | 'no-access'
  | 'not-answering'
  | 'stopped-answering';

/**
 * The archive's 'archive-missing' problem, knowing why: a card that is there but does not answer
 * needs other hands than one that is out ("NOT PRESENT" beside a card in its reader that hangs
 * sent a person to insert a card that was inserted).
 */
class ArchiveMissingError extends SyncError {
  constructor(
    readonly reason: MissingReason,
    message: string,
    cause: unknown,
  ) {
    super({ kind: 'blocked', code: 'archive-missing', message, cause });
  }
}

/** Whether a problem says the archive is there but its calls fail or hang (not that it is out). */
export function saysNotAnswering(problem: unknown): boolean {
  return (
    problem instanceof ArchiveMissingError &&
    (problem.reason === 'not-answering' || problem.reason === 'stopped-answering')
  );
}

export function archiveMissing(
  place: ArchivePlace,
  reason: MissingReason,
  cause?: unknown,
  /** What waits meanwhile (retention says it deletes nothing). */
  meanwhile = WAITING,
  /** 'stopped-answering': for how long (ms) a call on it has not returned (card-answers.ts). */
  hungMs = 0,
): SyncError {
  const { root } = place;
  // "for 5 s" from a status's short look, "for 3 days" on a hub nobody visited ("1 min" and
  // "4320 min" before: minutes whatever the span).
  const hangs = `has not answered for ${formatDuration(hungMs)}: a call on it hangs`;
  const leftAlone = 'RDL Sync leaves it alone until it answers, and Dropbox goes on';
  const card = {
    absent: `SD card folder ${root} does not exist: insert the card, or correct the archive folder in settings`,
    'not-mounted': `SD card not mounted at ${root}: insert it${ordinaryFolderHint(root)}`,
    'not-a-folder': `Archive folder ${root} is not a folder: correct it in settings`,
    pulled: `SD card at ${root} went away during a copy: insert it again`,
    // A folder above it lets only its owner in: a desktop session mounts cards in
    // /media/<its user>/, where a service running as another user cannot look ("does not
    // answer: it was pulled out" was said of a card in its reader).
    'no-access': `SD card folder ${root} cannot be looked at by the user RDL Sync runs as (${runningUser()}, ${errnoOf(cause)}): a folder above it lets only its owner in, as /media/<user>/ does for a card a desktop mounted; mount the card where this user may look, or run RDL Sync as that user`,
    // The folder is there but every call on it fails (ENOTCONN, EIO): a card pulled out while
    // mounted, or its driver gone. Inserting it again does not help until the dead mount is gone.
    'not-answering': `SD card at ${root} does not answer (${errnoOf(cause)}): it was pulled out while mounted, or its driver stopped; unmount it (sudo umount ${root}) and insert it again`,
    // No error at all: the call waits in the kernel (a reader's firmware hung, a FUSE driver
    // stopped). A forced unmount is the way out that needs no restart.
    'stopped-answering': `SD card at ${root} ${hangs} (its reader or its driver stopped); ${leftAlone}. If it does not come back: unmount it (sudo umount -l ${root}), take the card out and insert it again`,
  };
  // Never created by RDL Sync, a card's or not: a folder that vanished may be a disk that is not
  // mounted, and making it anew would archive into the wrong disk. So the person is told to mount
  // first, and why; creating it is right only for a plain folder (a hub's 4_synced removed).
  const folder = {
    absent: `Archive folder ${root} does not exist: if its disk is not mounted, mount it (a folder made in its place would take the archive onto the wrong disk); else create it, or correct the archive folder in settings`,
    'not-mounted': card['not-mounted'],
    'not-a-folder': card['not-a-folder'],
    pulled: `Archive folder ${root} went away during a copy: check that it exists and its disk is mounted`,
    'no-access': `Archive folder ${root} cannot be looked at by the user RDL Sync runs as (${runningUser()}, ${errnoOf(cause)}): give that user access to it and to the folders above it, or choose another folder`,
    'not-answering': `Archive folder ${root} does not answer (${errnoOf(cause)}): its disk was disconnected or is failing; check the disk (sudo dmesg), then restart RDL Sync`,
    'stopped-answering': `Archive folder ${root} ${hangs} (its disk or its share stopped answering: sudo dmesg says why); ${leftAlone}`,
  };
  const message = `${(place.card ? card : folder)[reason]}; ${meanwhile}`;
  return new ArchiveMissingError(reason, message, cause);
}

/**
 * A folder outside the usual places for a card, which the settings ask to be one: a lab desktop's
 * ordinary folder, set up with the default archiveMustBeMountPoint, read "insert it" at every pass
 * and nothing named the setting to turn off.
 */
function ordinaryFolderHint(root: string): string {
  return isWhereCardsMount(root)
    ? ''
    : ' (or, if it is an ordinary folder: rdl-sync settings set archiveMustBeMountPoint false, or untick "Archive must be a mounted card" in Settings)';
}

/**
 * Archive retention as the advice for a full archive needs it: off (turning it on is then worth
 * saying), or on, with why it has not freed enough. "Turn on retention" said to a person whose
 * retention is on sends them to a setting that is already set, and hides the real obstacle.
 */
export type RetentionNote = { on: false } | { on: true; shortOf: string };

/**
 * What the full archive lacked: room for a file (its blocks and the margin), only the margin RDL
 * Sync leaves free (the check between files, which copies nothing: "1.0 MB needed" there read as
 * if some file needed it, puzzling most where transit shares the disk and a file needs no room at
 * all), or nothing known (the file system said ENOSPC where no size was asked, a new folder).
 */
export type FullShortOf = { file: number; margin?: number } | { margin: number } | 'unknown';

export function archiveFull(
  place: ArchivePlace,
  freeBytes: number,
  shortOf: FullShortOf,
  cause?: unknown,
  retention: RetentionNote = { on: false },
): SyncError {
  const free = `${formatBytes(freeBytes)} free`;
  const figures =
    shortOf === 'unknown'
      ? // Room left and still ENOSPC: out of inodes, or of directory entries in a FAT root.
        `${free}, yet it refused a new file or folder`
      : 'file' in shortOf
        ? `${free}, ${formatBytes(shortOf.file)} needed${marginPart(shortOf.file, shortOf.margin)}`
        : `${free}; RDL Sync keeps at least ${formatBytes(shortOf.margin)} free on it`;
  const freeSpace = place.card ? 'free space or swap the card' : 'free space on its disk';
  const fix = retention.on
    ? `${freeSpace}; retention is on but ${retention.shortOf}`
    : place.card
      ? freeSpace
      : `${freeSpace}, or turn on retention in settings`;
  return new SyncError({
    kind: 'blocked',
    code: 'archive-full',
    message: `${placeNamed(place)} is full (${figures}): ${fix}; ${WAITING}`,
    cause,
  });
}

/**
 * What the room needed for a file is made of: "1.1 MB free, 1.1 MB needed" was read of a 60 kB
 * file (the margin RDL Sync keeps free is in the need, and rounded the two figures looked equal).
 * No parentheses: archiveFullFix takes the figures out by theirs.
 */
function marginPart(needed: number, margin = 0): string {
  if (margin <= 0) return '';
  return `: ${formatBytes(Math.max(0, needed - margin))} for the file and the ${formatBytes(margin)} RDL Sync keeps free`;
}

/**
 * The archive root's owner as it bears on a refused write: whether it is the user RDL Sync runs
 * as, and whether its mode lets its owner write. Unknown (undefined) when it could not be looked at.
 */
export interface RootOwner {
  isRunningUser: boolean;
  ownerMayWrite: boolean;
}

export function archiveReadOnly(
  place: ArchivePlace,
  errno: string,
  cause?: unknown,
  owner?: RootOwner,
): SyncError {
  const readOnly = place.card
    ? // The switch is read only when the card goes in: a card that turns read-only while in use
      // is the kernel's doing after errors on it (ext4 errors=remount-ro, the usual SD failure),
      // and remounting it read-write without a repair would only meet the same errors again.
      'is read-only: check the card’s write-protect switch, or remount it read-write; if it was writable until now, the system made it read-only after errors on it: check it (sudo dmesg), repair it (fsck) or replace it'
    : // Linux remounts a disk read-only when it finds errors on it: the usual cause on a hub.
      'is on a disk that is read-only: the system makes a disk read-only when it finds errors on it; check the disk (sudo dmesg), then remount it read-write or restart the hub';
  // Owned by RDL Sync's user already, without the owner's write bit (mode 555): chown to that
  // user, the advice for a folder of another owner, changes nothing (user trial).
  const ownWithoutWrite = owner?.isRunningUser === true && !owner.ownerMayWrite;
  const what =
    errno === 'EROFS'
      ? readOnly
      : ownWithoutWrite
        ? `refuses writes (${errno}, permission denied): it belongs to the user RDL Sync runs as (${runningUser()}), whose write permission on it is off; give the owner write permission (${writeBitFix(place)})`
        : `refuses writes (${errno}, permission denied): give the user RDL Sync runs as (${runningUser()}) write access (${ownerFix(place)})`;
  return new SyncError({
    kind: 'blocked',
    code: 'archive-readonly',
    message: `${placeNamed(place)} ${what}; ${WAITING}`,
    cause,
  });
}

/**
 * How to give RDL Sync's user the archive: the owner is seen with `ls -ld`; an ext4 card or folder
 * changes it with chown, while a FAT or exFAT card has no owners: it takes one from its mount.
 * No parentheses inside: the message puts this in its own.
 */
function ownerFix(place: ArchivePlace): string {
  const user = runningUser();
  const root = shellWord(place.root);
  const chown = `ls -ld ${root} shows its owner; sudo chown -R ${shellWord(user)} ${root} gives it`;
  return place.card
    ? `${chown} on an ext4 card; a FAT or exFAT card takes its owner from its mount: mount it with uid=${user}`
    : chown;
}

/**
 * How the owner gets its write permission back: chmod on the folder, or on an ext4 card; a FAT or
 * exFAT card has no permission bits of its own, its mount's umask gives them. No parentheses
 * inside: the message puts this in its own.
 */
function writeBitFix(place: ArchivePlace): string {
  const chmod = `chmod u+w ${shellWord(place.root)}`;
  return place.card
    ? `${chmod} on an ext4 card; a FAT or exFAT card takes its permissions from its mount: mount it with umask=022`
    : chmod;
}

function errnoOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}

/**
 * A full archive's message without its parenthesis of figures, which the alert policy compares
 * across a restart: the same full card read "(… free, … needed)" at a file and "(… free; RDL Sync
 * keeps at least … free on it)" at the check between files, the same fix in other words.
 */
export function archiveFullFix(message: string): string {
  return message.replace(/ is full \([^)]*\):/, ' is full:');
}
