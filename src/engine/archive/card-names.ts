// What a FAT or exFAT card may refuse in a name, said so a person can rename the file. Linux file
// systems take any byte but '/' and NUL; FAT and exFAT refuse " * : < > ? \ | and control
// characters, and names over 255 UTF-16 units (a JS string's length). How a refusal shows
// differs by driver: the kernel's vfat and exfat answer EINVAL (ENAMETOOLONG for length), the FUSE
// exfat driver ENOENT, fusefat EPERM (and it refuses every letter outside ASCII too).

import { placeNamed, type ArchivePlace } from './archive-place.js';

/** Characters FAT and exFAT never allow in a name. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const REFUSED = /[\x00-\x1f"*:<>?\\|]/g;

/** FAT and exFAT names are at most this many UTF-16 units long. */
export const CARD_NAME_MAX = 255;

function shown(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20
    ? `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`
    : c;
}

/** What in a name a card may refuse: `certain` when every FAT and exFAT card refuses it. */
export interface NameTrouble {
  words: string;
  certain: boolean;
}

/** What in `name` a FAT or exFAT card may refuse, as words; null when nothing looks wrong. */
export function cardNameTrouble(name: string): NameTrouble | null {
  const parts: string[] = [];
  const refused = [...new Set(name.match(REFUSED) ?? [])];
  if (refused.length > 0) parts.push(`it contains ${refused.map(shown).join(' ')}`);
  if (name.length > CARD_NAME_MAX) {
    parts.push(`it is ${name.length} characters long (at most ${CARD_NAME_MAX})`);
  }
  const certain = parts.length > 0;
  if (/[^\u0020-\u007e]/.test(name.replace(REFUSED, '')))
    parts.push('it has letters outside ASCII, which some FAT drivers refuse');
  return parts.length > 0 ? { words: parts.join('; '), certain } : null;
}

/** The sentence for a name the card refused: what, why, and what to do. */
export function refusedNameMessage(
  place: ArchivePlace,
  path: string,
  name: string,
  code: string,
  trouble: NameTrouble | null,
): string {
  const where = place.card ? 'the card' : 'its file system';
  const why =
    trouble?.words ??
    `${where} refuses it although it accepts other files (check the permissions of that folder ${place.card ? 'on the card' : 'there'})`;
  const other = place.card
    ? 'use a card formatted as ext4'
    : 'move the archive to a disk formatted as ext4';
  return `${placeNamed(place)} does not accept the name "${name}" (${path}, ${code}): ${why}. FAT and exFAT file systems refuse " * : < > ? \\ | and control characters, and names over ${CARD_NAME_MAX} characters: rename the file where the logger writes it, or ${other}. The file waits in transit; nothing is lost`;
}
