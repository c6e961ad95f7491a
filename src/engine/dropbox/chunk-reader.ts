// Reads a file chunk by chunk, always one chunk ahead: while a chunk is on the wire the next one
// is already being read from disk, so a large upload is limited by the link, not by the disk.
// At most two chunks are held, whatever the file's size.
import type { FileHandle } from 'node:fs/promises';

export class ChunkReader {
  private ahead: { offset: number; length: number; data: Promise<Buffer> } | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    private readonly chunkSize: number,
  ) {}

  /** The chunk at `offset` (chunkSize bytes, or the rest of the file), then starts the next read. */
  async read(offset: number): Promise<Buffer> {
    const length = Math.min(this.chunkSize, this.size - offset);
    const hit =
      this.ahead?.offset === offset && this.ahead.length === length ? this.ahead : undefined;
    this.ahead = undefined;
    const data = await (hit?.data ?? this.readAt(offset, length));
    const next = offset + length;
    if (next < this.size) {
      const nextLength = Math.min(this.chunkSize, this.size - next);
      const pending = this.readAt(next, nextLength);
      // Failures surface when that chunk is asked for, not as an unhandled rejection.
      pending.catch(() => {});
      this.ahead = { offset: next, length: nextLength, data: pending };
    }
    return data;
  }

  /** Waits for any read still running, so the handle can be closed safely. */
  async settle(): Promise<void> {
    await this.ahead?.data.catch(() => {});
    this.ahead = undefined;
  }

  private async readAt(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.fh.read(buf, filled, length - filled, offset + filled);
      if (bytesRead === 0) {
        throw Object.assign(
          new Error(`file is shorter than expected (${offset + filled} of ${this.size} bytes)`),
          {
            code: 'ESHORT',
          },
        );
      }
      filled += bytesRead;
    }
    return buf;
  }
}
