// Read a file once, in fixed-size chunks, hashing what is read; optionally writing it elsewhere in
// the same pass. Memory is one buffer whatever the file size.
import { constants, open, unlink, type FileHandle } from 'node:fs/promises';
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

/**
 * The file the caller looked at (lstat) before copying it from a folder other users write (the
 * watch folder on a shared hub). Between that look and the copy's open, the name may have been
 * swapped for a symlink (the copy would read its target: a private file uploaded to Dropbox), a
 * FIFO (the open would block the pass forever) or a hard link to another file.
 */
export interface ExpectedSource {
  dev: number;
  ino: number;
}

/** CopyError code: the name no longer holds the file looked at (swapped; see ExpectedSource). */
export const SOURCE_SWAPPED = 'ESOURCESWAPPED';

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
  /** The source must be this very file (staging from a shared watch folder; ExpectedSource). */
  expected?: ExpectedSource;
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
  const { expected } = options;
  // With an expected source: never through a symlink (ELOOP), never waiting on a FIFO's writer
  // (O_NONBLOCK; no effect on a regular file's reads); what was opened is checked below.
  const flags = expected
    ? constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK
    : constants.O_RDONLY;
  const input = await onSide('source', () => open(src, flags));
  let output: FileHandle | undefined;
  try {
    const sourceStats = await onSide('source', () => input.stat());
    if (
      expected &&
      (!sourceStats.isFile() ||
        sourceStats.dev !== expected.dev ||
        sourceStats.ino !== expected.ino)
    ) {
      throw new CopyError(
        'source',
        Object.assign(new Error('the name no longer holds the file that was looked at'), {
          code: SOURCE_SWAPPED,
        }),
      );
    }
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
  /** Told after each chunk read (a card's deadline runs from the last one: card-answers.ts). */
  onRead?: () => void,
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
      onRead?.();
    }
    return hasher.digest();
  } finally {
    await fh.close();
  }
}

/**
 * Dropbox content hash of the first `bytes` bytes of a file (constant memory), or null when the
 * file is shorter than that. Compared with the hash of a copy that is shorter than the file, it
 * tells whether that copy is the file's beginning: an earlier upload of it, cut short.
 */
export async function hashFilePrefix(
  path: string,
  bytes: number,
  signal?: AbortSignal,
): Promise<string | null> {
  throwIfAborted(signal);
  const fh = await open(path, 'r');
  try {
    const hasher = new DropboxHasher();
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    let left = bytes;
    while (left > 0) {
      throwIfAborted(signal);
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_SIZE, left), null);
      if (bytesRead === 0) return null;
      hasher.update(buf.subarray(0, bytesRead));
      left -= bytesRead;
    }
    return hasher.digest();
  } finally {
    await fh.close();
  }
}
