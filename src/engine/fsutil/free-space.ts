import { statfs } from 'node:fs/promises';

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use (f_bavail). */
  freeBytes: number;
  totalBytes: number;
  /**
   * Bytes in use (f_blocks - f_bfree). With freeBytes it gives df's "Use%": the blocks reserved
   * for root (5 % on ext4) are neither used nor available.
   */
  usedBytes: number;
  /** Allocation unit (f_bsize: 4 KiB on ext4, the cluster size on FAT/exFAT). */
  blockSize: number;
  /**
   * Files that can still be made (f_ffree); null where the file system does not count them
   * (FAT, exFAT and btrfs report 0 of 0).
   */
  freeFiles: number | null;
}

export async function freeSpace(path: string): Promise<FreeSpace> {
  const s = await statfs(path);
  return {
    freeBytes: s.bavail * s.bsize,
    totalBytes: s.blocks * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    blockSize: s.bsize,
    freeFiles: s.files > 0 ? s.ffree : null,
  };
}

/**
 * freeSpace, or null when it cannot be known: the call failed, or the file system reports a size
 * of 0 blocks. Some FUSE drivers do (fusefat on a FAT32 card reports 0 blocks of 0 free however
 * empty the card is), and reading that as "0 bytes free" would call a usable card full for good.
 * With the size unknown a copy simply goes ahead; a card that really is full answers ENOSPC.
 */
export async function knownFreeSpace(path: string): Promise<FreeSpace | null> {
  const space = await freeSpace(path).catch(() => null);
  return space && usableSpace(space);
}

/** The measured space, or null when the file system reports a size of 0 (see knownFreeSpace). */
export function usableSpace(space: FreeSpace): FreeSpace | null {
  return space.totalBytes > 0 ? space : null;
}
