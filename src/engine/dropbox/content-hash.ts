// Dropbox content hash: SHA-256 over the concatenated SHA-256 digests of 4 MiB blocks.
// Our own streaming implementation, because the SDK's hasher is broken in its CommonJS build
// and is not exported anyway. Its resumable state is just the digests of the complete blocks,
// which is what an upload session saves so a restart does not re-read the whole file.
import { createHash, hash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const BLOCK_SIZE = 4 * 1024 * 1024;

export class ContentHasher {
  private readonly digests: Buffer[];
  private block: Hash = createHash('sha256');
  private blockFill = 0;

  /** Starts empty, or continues after `blockDigests.length` complete blocks (hex digests). */
  constructor(blockDigests: readonly string[] = []) {
    this.digests = blockDigests.map((hex) => {
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a SHA-256 hex digest: ${hex}`);
      return Buffer.from(hex, 'hex');
    });
  }

  /** Bytes hashed so far, including those represented by the starting digests. */
  get bytesHashed(): number {
    return this.digests.length * BLOCK_SIZE + this.blockFill;
  }

  update(data: Uint8Array): this {
    let pos = 0;
    while (pos < data.length) {
      const take = Math.min(BLOCK_SIZE - this.blockFill, data.length - pos);
      this.block.update(data.subarray(pos, pos + take));
      this.blockFill += take;
      pos += take;
      if (this.blockFill === BLOCK_SIZE) this.closeBlock();
    }
    return this;
  }

  /** Hex digests of the complete blocks so far: the state to save for a resume. */
  completeBlockDigests(): string[] {
    return this.digests.map((d) => d.toString('hex'));
  }

  /** The content hash of everything hashed so far. Does not disturb the running state. */
  digest(): string {
    const all = this.blockFill > 0 ? [...this.digests, this.block.copy().digest()] : this.digests;
    return contentHashOfDigests(all);
  }

  /**
   * Continues with bytes that `chunk` (a hasher that saw only them) already hashed. When this
   * hasher stands at a block boundary, the chunk's block digests are taken over as they are, so
   * a chunk's bytes are hashed once for both the request's content_hash and the file's.
   */
  absorb(chunk: ContentHasher, bytes: Uint8Array): this {
    if (this.blockFill !== 0 || chunk.bytesHashed !== bytes.length) return this.update(bytes);
    this.digests.push(...chunk.digests);
    this.block = chunk.block.copy();
    this.blockFill = chunk.blockFill;
    return this;
  }

  /**
   * Continues with the digests of whole blocks hashed elsewhere (the last may be a partial
   * block: the file's end). Only at a block boundary, where a block digest means the same here.
   */
  addBlockDigests(digests: readonly Buffer[]): this {
    if (this.blockFill !== 0) throw new Error('block digests can only follow a block boundary');
    this.digests.push(...digests);
    return this;
  }

  private closeBlock(): void {
    this.digests.push(this.block.digest());
    this.block = createHash('sha256');
    this.blockFill = 0;
  }
}

/** The content hash of bytes whose block digests (in order) these are. */
export function contentHashOfDigests(digests: readonly Buffer[]): string {
  return createHash('sha256').update(Buffer.concat(digests)).digest('hex');
}

export function contentHashOf(data: Uint8Array): string {
  // One block or less (every small file): the hash of the block's digest, without the running
  // hasher's copy and concatenation, and with the one-shot hash (no Hash objects): this runs
  // once per small file and leg, thousands per pass.
  if (data.length > 0 && data.length <= BLOCK_SIZE) {
    return hash('sha256', hash('sha256', data, 'buffer'), 'hex');
  }
  return new ContentHasher().update(data).digest();
}

const READ_SIZE = BLOCK_SIZE;

/**
 * Reads `[from, to)` of a file into the hasher, in block-sized reads with one reused buffer,
 * so memory does not depend on the range. Fails if the file is shorter than `to`.
 */
export async function hashFileRange(
  path: string,
  hasher: ContentHasher,
  from: number,
  to: number,
  signal?: AbortSignal,
): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(1, to - from)));
    let pos = from;
    while (pos < to) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, to - pos), pos);
      if (bytesRead === 0) throw new Error(`file ended at ${pos} bytes, expected ${to}`);
      hasher.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Content hash of a whole file, streamed: memory stays at one block whatever the size. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const hasher = new ContentHasher();
    const buf = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hasher.update(buf.subarray(0, bytesRead));
    }
    return hasher.digest();
  } finally {
    await fh.close();
  }
}

/**
 * Hash state at byte `offset` of a file, reusing saved block digests where they reach and
 * re-reading only the rest (at most one partial block when the digests are current).
 */
export async function hasherAt(
  path: string,
  savedDigests: readonly string[],
  offset: number,
  signal?: AbortSignal,
): Promise<ContentHasher> {
  const usable = Math.min(savedDigests.length, Math.floor(offset / BLOCK_SIZE));
  const hasher = new ContentHasher(savedDigests.slice(0, usable));
  await hashFileRange(path, hasher, usable * BLOCK_SIZE, offset, signal);
  return hasher;
}
