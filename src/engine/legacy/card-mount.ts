// With SD_CARD_NAME set the archive is the card the desktop mounts at /media/orangepi/<name>.
// The import says when no card is mounted there now, and where a card of that name is mounted
// instead (Raspberry Pi OS mounts at /media/<user>/<label>), so a technician learns it at the
// import, not days later from an alert.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isMountPoint, parseMountInfo } from '../fsutil/index.js';

export interface CardMountState {
  mounted: boolean;
  /** Other mount points whose last part is the card's name. */
  mountedElsewhere: string[];
}

export async function cardMountState(expected: string, cardName: string): Promise<CardMountState> {
  if (await isMountPoint(expected)) return { mounted: true, mountedElsewhere: [] };
  let info = '';
  try {
    info = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    // not Linux: nothing more to say than "not mounted"
  }
  const elsewhere = [...parseMountInfo(info)]
    .filter((p) => p !== expected && basename(p) === cardName)
    .sort();
  return { mounted: false, mountedElsewhere: elsewhere };
}
