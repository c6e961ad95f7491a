// Dropbox content hash: SHA-256 over the concatenated SHA-256 digests of 4 MiB blocks.
// Streaming, so a multi-GiB body never has to sit in memory to be hashed.
import { createHash, type Hash } from 'node:crypto';

export const BLOCK_SIZE = 4 * 1024 * 1024;

export class ContentHasher {
  // Made when first fed: every upload session starts with a hasher, and most are copied once
  // before their only bytes arrive (a thousand sessions per start_batch), so an empty hasher
  // costs nothing to make or copy.
  private overall: Hash | undefined;
  private block: Hash | undefined;
  private blockFill = 0;
  /** Digests of the blocks closed so far, in order (a concurrent session's finish combines them). */
  private blocks: Buffer[] = [];

  /** An independent hasher in the same state (to hash a body that may still be refused). */
  copy(): ContentHasher {
    const twin = new ContentHasher();
    twin.overall = this.overall?.copy();
    twin.block = this.block?.copy();
    twin.blockFill = this.blockFill;
    twin.blocks = [...this.blocks];
    return twin;
  }

  update(data: Uint8Array): this {
    let pos = 0;
    while (pos < data.length) {
      const take = Math.min(BLOCK_SIZE - this.blockFill, data.length - pos);
      this.block ??= createHash('sha256');
      this.block.update(data.subarray(pos, pos + take));
      this.blockFill += take;
      pos += take;
      if (this.blockFill === BLOCK_SIZE) this.closeBlock();
    }
    return this;
  }

  /** Lowercase hex. The hasher cannot be used afterwards. */
  digest(): string {
    if (this.blockFill > 0) this.closeBlock();
    return (this.overall ?? createHash('sha256')).digest('hex');
  }

  /** The digests of every block, the last partial one included; call after digest(). */
  blockDigests(): Buffer[] {
    return this.blocks;
  }

  private closeBlock(): void {
    const digest = (this.block ?? createHash('sha256')).digest();
    this.blocks.push(digest);
    this.overall ??= createHash('sha256');
    this.overall.update(digest);
    this.block = undefined;
    this.blockFill = 0;
  }
}

export function dropboxContentHash(buf: Uint8Array): string {
  return new ContentHasher().update(buf).digest();
}
