// Reads a file chunk by chunk, always one chunk ahead: while a chunk is on the wire the next one
// is already read from disk and hashed, so a large upload is limited by the link, not by the
// disk or the CPU. For the sequential upload (one append in flight): two buffers, allocated once
// and used in turn, so memory is two chunks whatever the file's size and no garbage piles up
// between collections. The concurrent upload reads with `readChunkInto` into buffers of its own
// (session-upload.ts ChunkBuffers), one per append in flight.
import type { FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, ContentHasher } from './content-hash.js';

/** A chunk's bytes and their content hash, computed while the previous chunk was on the wire. */
export interface Chunk {
  bytes: Buffer;
  hash: ContentHasher;
}

export class ChunkReader {
  private readonly slots: Buffer[];
  private ahead: { offset: number; length: number; slot: number; data: Promise<Chunk> } | undefined;
  private lastSlot = -1;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly chunkSize: number,
  ) {
    const slotSize = Math.min(chunkSize, Math.max(1, size));
    // One for the chunk on the wire, one for the chunk read ahead.
    this.slots = [Buffer.allocUnsafe(slotSize), Buffer.allocUnsafe(slotSize)];
  }

  private nextSlot(): number {
    this.lastSlot = (this.lastSlot + 1) % this.slots.length;
    return this.lastSlot;
  }

  /**
   * The chunk at `offset` (`want` bytes, at most chunkSize, or the rest of the file), then
   * starts reading the next one. The returned bytes stay valid until the next read: the caller
   * sends a chunk and waits for its answer before asking for another, so the slot is free again
   * by then.
   */
  async read(offset: number, want = this.chunkSize): Promise<Chunk> {
    const length = Math.min(want, this.chunkSize, this.size - offset);
    const ahead = this.ahead;
    this.ahead = undefined;
    let data: Chunk;
    if (ahead?.offset === offset && ahead.length === length) {
      data = await ahead.data;
    } else {
      // A jump (the server asked for another offset): let any read in flight finish first.
      await ahead?.data.catch(() => {});
      data = await this.readAt(offset, length, this.nextSlot());
    }
    const next = offset + length;
    if (next < this.size) {
      // The next chunk is guessed to be as long as this one; a caller that changes the length
      // costs one read of the guess, which is dropped.
      const nextLength = Math.min(length, this.size - next);
      const nextSlot = this.nextSlot();
      const pending = this.readAt(next, nextLength, nextSlot);
      // Failures surface when that chunk is asked for, not as an unhandled rejection.
      pending.catch(() => {});
      this.ahead = { offset: next, length: nextLength, slot: nextSlot, data: pending };
    }
    return data;
  }

  /** Waits for any read still running, so the handle can be closed safely. */
  async settle(): Promise<void> {
    await this.ahead?.data.catch(() => {});
    this.ahead = undefined;
  }

  private readAt(offset: number, length: number, slot: number): Promise<Chunk> {
    return readChunkInto(this.fh, this.slots[slot] as Buffer, offset, length, this.size);
  }
}

/**
 * Reads `[offset, offset + length)` of the file into the start of `buf` and hashes it, one block
 * (4 MiB) at a time rather than the whole chunk and then all of it: hashing a 16 MiB chunk in one
 * go holds the event loop for tens of milliseconds (far more on a Raspberry Pi), during which the
 * appends in flight cannot hand more bytes to their sockets and the link idles. Between blocks
 * the awaited read lets the sockets be fed. `size` is the file's expected size (for the error).
 */
export async function readChunkInto(
  fh: FileHandle,
  into: Buffer,
  offset: number,
  length: number,
  size: number,
): Promise<Chunk> {
  const buf = into.subarray(0, length);
  const hash = new ContentHasher();
  let filled = 0;
  let hashed = 0;
  while (filled < length) {
    const want = Math.min(length - filled, BLOCK_SIZE - (filled % BLOCK_SIZE));
    const { bytesRead } = await fh.read(buf, filled, want, offset + filled);
    if (bytesRead === 0) {
      throw Object.assign(
        new Error(`file is shorter than expected (${offset + filled} of ${size} bytes)`),
        { code: 'ESHORT' },
      );
    }
    filled += bytesRead;
    if (filled - hashed >= BLOCK_SIZE || filled === length) {
      hash.update(buf.subarray(hashed, filled));
      hashed = filled;
    }
  }
  return { bytes: buf, hash };
}
