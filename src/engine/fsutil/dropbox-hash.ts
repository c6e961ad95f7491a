// Dropbox content hash (dropbox-api-facts.md §5): SHA-256 of every 4 MiB block, then SHA-256 of
// the concatenated raw block digests, as lowercase hex. Streaming, so memory stays constant in
// file size. Kept local to the fs legs until the lead merges it with src/engine/dropbox's hasher.
import { createHash, type Hash } from 'node:crypto';

export const DROPBOX_BLOCK_SIZE = 4 * 1024 * 1024;

export class DropboxHasher {
  private readonly overall: Hash = createHash('sha256');
  private block: Hash = createHash('sha256');
  private blockFill = 0;
  private finished = false;

  update(data: Uint8Array): this {
    if (this.finished) throw new Error('DropboxHasher.update() called after digest()');
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(DROPBOX_BLOCK_SIZE - this.blockFill, data.length - offset);
      this.block.update(data.subarray(offset, offset + take));
      this.blockFill += take;
      offset += take;
      if (this.blockFill === DROPBOX_BLOCK_SIZE) this.closeBlock();
    }
    return this;
  }

  digest(): string {
    if (this.finished) throw new Error('DropboxHasher.digest() called twice');
    if (this.blockFill > 0) this.closeBlock();
    this.finished = true;
    return this.overall.digest('hex');
  }

  private closeBlock(): void {
    this.overall.update(this.block.digest());
    this.block = createHash('sha256');
    this.blockFill = 0;
  }
}

/** Content hash of bytes already in memory (small files, tests). */
export function dropboxContentHash(data: Uint8Array): string {
  return new DropboxHasher().update(data).digest();
}
