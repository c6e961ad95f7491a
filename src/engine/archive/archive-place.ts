// How the archive is named to a person. It is either a removable SD card ("archive must be a
// mounted card": written only while it is mounted) or a folder on one of the hub's own disks
// (every RDL hub since mid-2024 keeps its archive, 4_synced, on the card the system runs from).
// Telling the keeper of a folder to "insert the card" or "swap the card" sends them the wrong way,
// so every sentence about the archive names it as what it is.

/** Where Linux desktops and hubs mount removable cards (udisks, fstab habits, the old syncer). */
const CARD_MOUNT_PLACES = /^\/(media|mnt|run\/media)\/./;

/** Whether `path` lies below a place where cards are mounted (/media, /mnt, /run/media). */
export function isWhereCardsMount(path: string): boolean {
  return CARD_MOUNT_PLACES.test(path);
}

/** The archive as the sentences about it need it: where, and whether it is a removable card. */
export interface ArchivePlace {
  readonly root: string;
  readonly card: boolean;
}

/** The archive's name as a title or a column ("SD card", "Archive"). */
export function archiveTitle(card: boolean): string {
  return card ? 'SD card' : 'Archive';
}

/** The archive with its path, to start a sentence ("SD card at /media/sd", "Archive folder /a"). */
export function placeNamed(place: ArchivePlace): string {
  return place.card ? `SD card at ${place.root}` : `Archive folder ${place.root}`;
}

/** The archive inside a sentence ("copied to the SD card", "copied to the archive folder"). */
export function thePlace(card: boolean): string {
  return card ? 'the SD card' : 'the archive folder';
}
