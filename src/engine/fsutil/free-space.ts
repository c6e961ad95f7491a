import { statfs } from 'node:fs/promises';

export interface FreeSpace {
  /** Bytes an unprivileged writer may still use (f_bavail). */
  freeBytes: number;
  totalBytes: number;
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
    blockSize: s.bsize,
    freeFiles: s.files > 0 ? s.ffree : null,
  };
}
