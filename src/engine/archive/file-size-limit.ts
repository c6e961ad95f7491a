// FAT (FAT12/16/32) stores a file's size in 32 bits: no file on such a card can reach 4 GiB. A
// larger file written there fails with EFBIG only after 4 GiB has been written (minutes on a
// card, again at every retry), and a room check would first call the card "full" when no free
// space could ever help. So the archive asks the card's file system type once per check and
// refuses such a file at once, as this file's own failure. exFAT has no such limit.
import { fileSystemTypeOf } from '../fsutil/mount.js';

/** The largest file a FAT card holds: 4 GiB minus one byte. */
export const FAT_MAX_FILE_BYTES = 2 ** 32 - 1;

/** Mount types that are FAT: the kernel's drivers and the FUSE one. */
const FAT_TYPES = new Set(['vfat', 'msdos', 'fat', 'umsdos', 'fuse.fusefat']);

/** The largest file the file system holding `root` can hold, or null when it sets no limit we know. */
export async function fileSizeLimitOf(root: string): Promise<number | null> {
  const type = await fileSystemTypeOf(root).catch(() => undefined);
  return type !== undefined && FAT_TYPES.has(type) ? FAT_MAX_FILE_BYTES : null;
}
