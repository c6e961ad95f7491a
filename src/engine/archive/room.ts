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

import type { FreeSpace } from '../fsutil/free-space.js';

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

/** One copy in flight: the bytes it will take on the card, and how many it has written so far. */
export interface RoomHeld {
  readonly bytes: number;
  written: number;
  /** The copy's bytes are all on the card, or it failed and its partial is gone. */
  release(): void;
}

/** What `CopiesInFlight.room` answers: room held for the copy, or the card really is full. */
export type RoomAnswer = { held: RoomHeld; freeBytes?: number; neededBytes: number } | RoomRefused;
export type RoomRefused = { full: true; freeBytes: number; neededBytes: number };

/**
 * The room copies in flight on one card will still take. statfs counts only what a copy has
 * written so far, so two copies that fit alone but not together both started, filled the card
 * between them and usually both failed as "full": on a 12 MiB card two 7 MiB files left neither
 * on the card, and the card was reported full with "13 MB free, 8.4 MB needed". A copy that does
 * not fit beside those in flight waits for one of them to end and measures again; only a card
 * with nothing in flight that still lacks the room is full.
 */
export class CopiesInFlight {
  private readonly copies = new Set<RoomHeld>();
  private ended: (() => void)[] = [];

  constructor(private readonly reserveBytes: number) {}

  /**
   * Room for a copy of `size` bytes, measured by `measure` (null: the card does not say, and the
   * copy goes ahead). Waits while copies in flight hold what it lacks; `signal` ends the wait.
   */
  async room(
    size: number,
    measure: () => Promise<FreeSpace | null>,
    signal?: AbortSignal,
  ): Promise<RoomAnswer> {
    for (;;) {
      // What each had written before statfs looked: that much is in its answer already.
      const seen = new Map([...this.copies].map((c) => [c, c.written]));
      const space = await measure();
      // One ended while statfs looked: what it wrote after the look is counted nowhere; look again.
      if ([...seen.keys()].some((c) => !this.copies.has(c))) continue;
      const blockSize = space?.blockSize ?? 4096;
      const neededBytes = bytesNeededFor(size, blockSize, this.reserveBytes);
      let stillToCome = 0;
      for (const c of this.copies) stillToCome += Math.max(0, c.bytes - (seen.get(c) ?? 0));
      if (!space || space.freeBytes - stillToCome >= neededBytes)
        return {
          held: this.hold(bytesNeededFor(size, blockSize, 0)),
          ...(space ? { freeBytes: space.freeBytes } : {}),
          neededBytes,
        };
      if (this.copies.size === 0) return { full: true, freeBytes: space.freeBytes, neededBytes };
      await this.oneEnds(signal);
    }
  }

  private hold(bytes: number): RoomHeld {
    const held: RoomHeld = {
      bytes,
      written: 0,
      release: () => {
        if (!this.copies.delete(held)) return;
        const waiting = this.ended;
        this.ended = [];
        for (const wake of waiting) wake();
      },
    };
    this.copies.add(held);
    return held;
  }

  private oneEnds(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.ended.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}
