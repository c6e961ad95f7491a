// Read a file once, in fixed-size chunks, hashing what is read; optionally writing it elsewhere in
// the same pass. Memory is one buffer whatever the file size.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { DropboxHasher, dropboxContentHash } from './dropbox-hash.js';
import { isCode } from './fsync.js';
import { SYNC_READ_MAX, readSmallShared } from './quick-fs.js';

const CHUNK_SIZE = 1024 * 1024;

/** Which end of a copy failed: the pipeline blames the file for one and the target for the other. */
export type CopySide = 'source' | 'destination';

/** A copy failed; `cause` is the original errno error, `side` says whose fault it is. */
export class CopyError extends Error {
  readonly side: CopySide;
  readonly code: string | undefined;
  /** True when the destination refused the bytes themselves, after it had been opened. */
  writing = false;

  constructor(side: CopySide, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`${side} ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CopyError';
    this.side = side;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

export interface CopyResult {
  bytes: number;
  contentHash: string;
  /** The source's times, which the copy was given (a caller that renames it may need them again). */
  atimeMs: number;
  mtimeMs: number;
  /** False when the destination refused the times (see CopyOptions.timesOptional). */
  timesKept: boolean;
}

export interface CopyOptions {
  /**
   * A destination that refuses to take the source's times still gets the copy (timesKept false):
   * an exFAT card mounted by root lets another user write files it owns but not set their times
   * (EPERM), and a card without times support answers ENOSYS. The bytes are what is verified.
   */
  timesOptional?: boolean;
}

/** What cards answer to chmod (and, for a user who does not own the files, to utimes). */
const REFUSED_ON_CARDS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'];

async function onSide<T>(side: CopySide, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw new CopyError(side, e);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

async function writeAll(fh: FileHandle, buf: Buffer, length: number): Promise<void> {
  let written = 0;
  while (written < length) {
    const { bytesWritten } = await fh.write(buf, written, length - written);
    written += bytesWritten;
  }
}

/**
 * Copy `src` to `dst` (which must not exist), hashing the bytes as they are read; give `dst` the
 * source's mtime and permission bits, and fsync it.
 * On any failure `dst` is removed and a CopyError (or the abort reason) is thrown. The caller
 * renames `dst` into place and syncs the folder.
 */
export async function copyFileHashed(
  src: string | Buffer,
  dst: string,
  signal?: AbortSignal,
  onProgress?: (bytes: number) => void,
  options: CopyOptions = {},
): Promise<CopyResult> {
  throwIfAborted(signal);
  const input = await onSide('source', () => open(src, 'r'));
  let output: FileHandle | undefined;
  try {
    const sourceStats = await onSide('source', () => input.stat());
    output = await onSide('destination', () => open(dst, 'wx', 0o644));
    const out = output;
    const hasher = new DropboxHasher();
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    let bytes = 0;
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await onSide('source', () => input.read(buf, 0, CHUNK_SIZE, null));
      if (bytesRead === 0) break;
      hasher.update(buf.subarray(0, bytesRead));
      await onSide('destination', () => writeAll(out, buf, bytesRead)).catch((e: unknown) => {
        if (e instanceof CopyError) e.writing = true;
        throw e;
      });
      bytes += bytesRead;
      onProgress?.(bytes);
    }
    // The copy keeps the logger's timestamp, as the move it stands in for would (to about a
    // microsecond: the call takes seconds as a double).
    let timesKept = true;
    await onSide('destination', () =>
      out.utimes(sourceStats.atimeMs / 1000, sourceStats.mtimeMs / 1000).catch((e: unknown) => {
        if (!options.timesOptional || !isCode(e, ...REFUSED_ON_CARDS)) throw e;
        timesKept = false;
      }),
    );
    // And its permission bits (set explicitly: the create mode above went through the umask).
    // FAT and exFAT cards have no Unix permissions and refuse chmod: the copy is still good.
    await onSide('destination', () =>
      out.chmod(sourceStats.mode & 0o777).catch((e: unknown) => {
        if (!isCode(e, ...REFUSED_ON_CARDS)) throw e;
      }),
    );
    await onSide('destination', () => out.sync());
    await onSide('destination', () => out.close());
    output = undefined;
    return {
      bytes,
      contentHash: hasher.digest(),
      atimeMs: sourceStats.atimeMs,
      mtimeMs: sourceStats.mtimeMs,
      timesKept,
    };
  } catch (e) {
    if (output) await output.close().catch(() => {});
    // Only remove dst if we created it: a failed exclusive open means it belongs to someone else.
    if (!(e instanceof CopyError && e.side === 'destination' && e.code === 'EEXIST')) {
      await unlink(dst).catch(() => {});
    }
    throw e;
  } finally {
    await input.close().catch(() => {});
  }
}

/**
 * Dropbox content hash of a file, read in chunks (constant memory). `sizeHint`: the size the
 * caller expects; a small file is read in one go (one that grew past the limit, in chunks).
 */
export async function hashFileDropbox(
  path: string | Buffer,
  signal?: AbortSignal,
  sizeHint?: number,
): Promise<string> {
  throwIfAborted(signal);
  if (sizeHint !== undefined && sizeHint <= SYNC_READ_MAX) {
    // Hashed before anything else can run: the shared buffer is not reused meanwhile.
    const bytes = readSmallShared(path);
    if (bytes) return dropboxContentHash(bytes);
  }
  const fh = await open(path, 'r');
  try {
    const hasher = new DropboxHasher();
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await fh.read(buf, 0, CHUNK_SIZE, null);
      if (bytesRead === 0) break;
      hasher.update(buf.subarray(0, bytesRead));
    }
    return hasher.digest();
  } finally {
    await fh.close();
  }
}
