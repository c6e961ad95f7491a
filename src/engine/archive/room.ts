// How much free space a copy of one file needs on the card. The check must not refuse a file that
// fits (23.9 MiB free used to refuse a 20 MB file because a flat 8 MiB was added to every file),
// nor let a copy run the card to its last block. What a copy costs beyond its bytes:
//  - its last block: file systems allocate whole blocks (ext4 4 KiB; FAT/exFAT clusters up to
//    128 KiB on large cards), so the size is rounded up to the block size statfs reports;
//  - the blocks that index its data: ext2/3 indirect blocks take one block per 1,024 data blocks
//    (0.1 %); ext4 extents and the FAT/exFAT allocation tables take far less. size/256 (0.4 %)
//    covers every one of them with room to spare and stays proportionate for large files;
//  - a fixed reserve for what the file brings with it: its new folders (one cluster each, up to
//    128 KiB on exFAT, so 1 MiB is eight of them) and directory entries. It also keeps the card
//    from being filled to its very last block, which other writers of the card would then meet.

export const MiB = 1024 * 1024;

/** Fixed room left beyond each file's own blocks (new folders, directory entries). */
export const DEFAULT_RESERVE_BYTES = MiB;

/** One byte of indexing per this many bytes of data (see above). */
const INDEX_OVERHEAD_DIVISOR = 256;

/** Bytes that must be free on the card before a copy of `size` bytes is started. */
export function bytesNeededFor(size: number, blockSize: number, reserveBytes: number): number {
  const block = blockSize > 0 ? blockSize : 4096;
  const allocated = Math.ceil(size / block) * block;
  const indexing = Math.ceil(size / INDEX_OVERHEAD_DIVISOR);
  return allocated + indexing + reserveBytes;
}
