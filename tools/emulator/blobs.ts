// File bytes live on disk, never in the index: a stored file is an ordered list of part files
// (the chunks it was uploaded in), so committing a session never copies its data.
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { open, rm, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { ContentHasher } from './hash.js';
import type { Link } from './shaping.js';

export interface StoredBytes {
  parts: string[];
  size: number;
  contentHash: string;
  /**
   * Digests of the body's 4 MiB blocks (the last may be partial), when it was hashed on receipt:
   * a concurrent session's chunks are block-aligned, so finishing one combines these instead of
   * reading the whole file again (as Dropbox's block-wise hash is designed to allow).
   */
  blockDigests?: Buffer[];
}

/** Thrown when a body was cut off on purpose (fault injection) or by the client. */
export class BodyAborted extends Error {}

/** Thrown when a body grows beyond the per-request limit while streaming. */
export class BodyTooLarge extends Error {}

export class BlobDir {
  readonly dir: string;
  /**
   * Part names: random per emulator (a reused data folder may hold an earlier run's parts), then
   * counted. A fresh random name per part cost a randomBytes call (about 15 us) per part, two
   * parts per small file.
   */
  private readonly prefix: string;
  private made = 0;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'blobs');
    // (Joined once: path.join per part was another few us each.)
    this.prefix = join(this.dir, randomBytes(12).toString('hex'));
    mkdirSync(this.dir, { recursive: true });
  }

  newPath(): string {
    return `${this.prefix}-${(this.made++).toString(36)}`;
  }

  writeSync(content: Buffer): StoredBytes {
    const path = this.newPath();
    writeFileSync(path, content);
    const hasher = new ContentHasher().update(content);
    return { parts: [path], size: content.length, contentHash: hasher.digest() };
  }

  remove(parts: readonly string[]): void {
    // (Parts are plain files: unlink, not rm's look-then-remove, which cost an lstat each.)
    for (const p of parts) void unlink(p).catch(() => undefined);
  }

  async *read(parts: readonly string[], link?: Link): AsyncGenerator<Buffer> {
    for (const p of parts) {
      for await (const chunk of createReadStream(p, { highWaterMark: 256 * 1024 })) {
        const buf = chunk as Buffer;
        if (link) await link.pass(buf.length);
        yield buf;
      }
    }
  }

  /**
   * Streams a request body into a new part file while hashing it, through the shaped link.
   * `cutAfter` destroys the connection once that many bytes arrived (the reset_mid_body fault);
   * nothing is kept then. A body above `maxBytes` is drained and refused.
   */
  async receive(
    req: IncomingMessage,
    opts: { link: Link; maxBytes: number; cutAfter?: number; alsoHash?: ContentHasher },
  ): Promise<StoredBytes> {
    const path = this.newPath();
    const file = await open(path, 'w');
    const hasher = new ContentHasher();
    let size = 0;
    let tooLarge = false;
    try {
      if (opts.cutAfter === 0) throw this.cut(req);
      for await (const chunk of req) {
        const buf = chunk as Buffer;
        await opts.link.receive(buf.length);
        size += buf.length;
        if (size > opts.maxBytes) tooLarge = true;
        if (tooLarge) continue;
        hasher.update(buf);
        opts.alsoHash?.update(buf);
        await file.write(buf);
        if (opts.cutAfter !== undefined && size >= opts.cutAfter) throw this.cut(req);
      }
      if (!req.complete) throw new BodyAborted('client aborted the body');
    } catch (err) {
      await file.close();
      await rm(path, { force: true });
      throw err instanceof BodyAborted ? err : new BodyAborted(String(err));
    }
    await file.close();
    if (tooLarge) {
      await rm(path, { force: true });
      throw new BodyTooLarge();
    }
    const contentHash = hasher.digest();
    return { parts: [path], size, contentHash, blockDigests: hasher.blockDigests() };
  }

  private cut(req: IncomingMessage): BodyAborted {
    req.socket.destroy();
    return new BodyAborted('connection reset by fault injection');
  }
}
