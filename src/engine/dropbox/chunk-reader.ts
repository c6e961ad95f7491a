// Reads a file chunk by chunk, always one chunk ahead: while a chunk is on the wire the next one
// is already read from disk and hashed, so a large upload is limited by the link, not by the
// disk or the CPU. For the sequential upload (one append in flight): two buffers, allocated once
// and used in turn, so memory is two chunks whatever the file's size and no garbage piles up
// between collections. The concurrent upload holds no chunk at all: BlockDigests hashes ahead of
// it and RangeBodies streams each append's bytes from the file as the socket takes them.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, ContentHasher } from './content-hash.js';
import type { StreamedBody } from '../net/http-fetch.js';

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
async function readChunkInto(
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
    if (bytesRead === 0) throw shortFile(offset + filled, size);
    filled += bytesRead;
    if (filled - hashed >= BLOCK_SIZE || filled === length) {
      hash.update(buf.subarray(hashed, filled));
      hashed = filled;
    }
  }
  return { bytes: buf, hash };
}

/**
 * Reads and hashes of a concurrent upload go in pieces this large: a chunk is never held whole
 * (a 16 MiB chunk in flight costs two pieces of memory, not 16 MiB), and hashing one piece holds
 * the event loop for about a millisecond, so the sockets of the appends in flight stay fed.
 */
export const PIECE_SIZE = 1024 * 1024;

function shortFile(at: number, size: number): Error {
  return Object.assign(new Error(`file is shorter than expected (${at} of ${size} bytes)`), {
    code: 'ESHORT',
  });
}

/**
 * The SHA-256 digests of a file's 4 MiB blocks (the parts of Dropbox's content hash), computed in
 * order, ahead of the sender by up to `lookahead` bytes: when an append may go out, its chunk's
 * content_hash is already known and it goes at once, instead of after reading and hashing the
 * chunk while the link waits. Only the 32-byte digests are kept, and the chunk's bytes are read
 * again when they are sent, moments later, from the page cache: sending what was hashed is
 * checked by Dropbox, which refuses a body whose content_hash does not match.
 */
export class BlockDigests {
  private readonly ready = new Map<number, Buffer>();
  /** Blocks before this offset are hashed (or handed out). */
  private hashedTo: number;
  private wantedTo = 0;
  private worker: Promise<void> | undefined;
  private failure: unknown;
  private stopped = false;
  private readonly scratch: Buffer;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    from: number,
    private readonly lookahead: number,
    private readonly signal?: AbortSignal,
  ) {
    if (from % BLOCK_SIZE !== 0 && from !== size) throw new Error('block digests start at a block');
    this.hashedTo = from;
    this.scratch = Buffer.allocUnsafe(Math.min(PIECE_SIZE, Math.max(1, size - from)));
  }

  /**
   * The digests of the blocks of `[offset, offset + length)` (offset at a block boundary; the
   * range ends at a block boundary or at the file's end), in order. Each range is asked for once.
   */
  async take(offset: number, length: number): Promise<Buffer[]> {
    const end = offset + length;
    this.wantedTo = Math.max(this.wantedTo, Math.min(this.size, end + this.lookahead));
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.hashedTo >= end) break;
      this.worker ??= this.run().finally(() => (this.worker = undefined));
      await this.worker;
    }
    const out: Buffer[] = [];
    for (let at = offset; at < end; at += BLOCK_SIZE) {
      const d = this.ready.get(at);
      if (d === undefined) throw new Error(`block at ${at} was not hashed`);
      this.ready.delete(at);
      out.push(d);
    }
    // Keep hashing ahead while the chunk is sent.
    this.worker ??= this.run().finally(() => (this.worker = undefined));
    return out;
  }

  /** Stops hashing ahead and waits for a read in progress (before the file is closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.worker;
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped && this.hashedTo < this.wantedTo) {
        this.signal?.throwIfAborted();
        const at = this.hashedTo;
        const end = Math.min(this.size, at + BLOCK_SIZE);
        const block = createHash('sha256');
        for (let pos = at; pos < end;) {
          const want = Math.min(this.scratch.length, end - pos);
          const { bytesRead } = await this.fh.read(this.scratch, 0, want, pos);
          if (bytesRead === 0) throw shortFile(pos, this.size);
          block.update(this.scratch.subarray(0, bytesRead));
          pos += bytesRead;
        }
        this.ready.set(at, block.digest());
        this.hashedTo = end;
      }
    } catch (e) {
      this.failure = e;
    }
  }
}

/**
 * Request bodies read from the file piece by piece as the socket takes them (StreamedBody), with
 * piece buffers reused from a pool: the memory of a chunk in flight is two pieces. Each attempt of
 * an append gets a fresh body that reads its bytes from the file again, so a retried append sends
 * the same bytes whatever the other appends have done meanwhile (there is no shared chunk buffer
 * to overwrite). `close` stops every body still reading, before the file handle is closed.
 */
export class RangeBodies {
  private readonly idle: Buffer[] = [];
  private readonly active = new Set<Promise<void>>();
  private closed = false;
  /** Piece buffers allocated so far (the most ever in use at once: two per body being read). */
  allocated = 0;

  /**
   * `readFailure` turns a failed read into the error the request fails with (the uploader names
   * the file: a local problem, not a network one, so it is not retried as if the link failed).
   */
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly readFailure: (e: unknown) => Error = (e) => e as Error,
    private readonly pieceSize = PIECE_SIZE,
  ) {}

  body(offset: number, length: number): StreamedBody {
    return { streamedLength: length, pieces: () => this.pieces(offset, length) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.active);
  }

  /**
   * Two buffers per body, in turn: while one piece is written to the socket the next is read
   * into the other, so the socket never waits for the disk (or for a thread-pool slot on a busy
   * machine) between pieces. A buffer is read into again only once the socket has its piece.
   */
  private async *pieces(offset: number, length: number): AsyncGenerator<Uint8Array> {
    if (this.closed) throw new Error('the upload has ended');
    const end = offset + length;
    const bufs: [Buffer, Buffer] = [this.take(), this.take()];
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    this.active.add(done);
    const readInto = (buf: Buffer, at: number): Promise<number> =>
      this.fh.read(buf, 0, Math.min(buf.length, end - at), at).then(
        (r) => r.bytesRead,
        (e: unknown) => {
          throw this.readFailure(e);
        },
      );
    let turn: 0 | 1 = 0;
    let ahead: Promise<number> | undefined = offset < end ? readInto(bufs[0], offset) : undefined;
    try {
      for (let pos = offset; pos < end;) {
        if (this.closed) throw new Error('the upload has ended');
        const bytesRead = await (ahead as Promise<number>);
        if (bytesRead === 0) throw this.readFailure(shortFile(pos, this.size));
        const piece = bufs[turn].subarray(0, bytesRead);
        pos += bytesRead;
        turn = turn === 0 ? 1 : 0;
        ahead = pos < end ? readInto(bufs[turn], pos) : undefined;
        ahead?.catch(() => {}); // seen when awaited
        // The consumer writes this piece and asks for the next only once the socket has it.
        yield piece;
      }
    } finally {
      // A read still filling a buffer must end before the buffer serves another body.
      await ahead?.catch(() => {});
      this.idle.push(...bufs);
      this.active.delete(done);
      release();
    }
  }

  private take(): Buffer {
    return this.idle.pop() ?? this.allocate();
  }

  private allocate(): Buffer {
    this.allocated++;
    return Buffer.allocUnsafe(Math.min(this.pieceSize, Math.max(1, this.size)));
  }
}
