// Metadata calls on files the engine has just touched (a file it is moving, linking, checking or
// removing), made synchronously behind the promise shape the callers already use. Through the
// promise API each such call costs about 15 µs of CPU (a request object, a trip to the thread
// pool and back) against about 3 µs done inline, and a small file makes a dozen of them: most of
// the engine's CPU per file. They touch inodes and folders already in the cache, so inline they
// block for microseconds (a few ms on a slow card), like the small-file reads (dropbox/small-read.ts).
// Walks of whole folders (fsutil/walk.ts) stay asynchronous: a cold walk of a large backlog would
// block for seconds. Errors are the same errno errors, delivered as rejections.
//
// Inline is right only on a disk the process cannot do without anyway (the watch folder's and
// transit's). A call that hangs inline hangs the whole process: every timer, every request, the
// status. A card on its own file system can hang (a reader's firmware, a FUSE driver stopped):
// there the same calls go to the thread pool (`pooledCalls`), where a hung one holds a thread the
// card's deadline knows about (archive/card-answers.ts), not the process.
import {
  close,
  closeSync,
  link,
  linkSync,
  lstat,
  lstatSync,
  open,
  openSync,
  readSync,
  rename,
  renameSync,
  stat,
  statSync,
  unlink,
  unlinkSync,
  type Stats,
} from 'node:fs';

/**
 * Files expected to be at most this big are read whole and synchronously (hashing for the card,
 * packing for Dropbox): the promise API's open/read/close round trips cost more CPU than reading a
 * logger's few KiB, and a page-cache read this small blocks for microseconds (a few ms from a
 * slow card).
 */
export const SYNC_READ_MAX = 64 * 1024;

/** One more byte than SYNC_READ_MAX, so a file that outgrew the limit is told by a full buffer. */
const scratch = Buffer.allocUnsafe(SYNC_READ_MAX + 1);

/**
 * A whole small file read synchronously into one shared buffer, for a caller that only looks at
 * the bytes (a hash): unlike readFileSync, no stat for the size and no new buffer per file. Null
 * when the file holds more than SYNC_READ_MAX bytes (it grew): the caller reads it in chunks. The
 * bytes are valid until the next call, so they must be used before the caller's next await.
 */
export function readSmallShared(path: string | Buffer): Buffer | null {
  const fd = openSync(path, 'r');
  try {
    let filled = 0;
    while (filled < scratch.length) {
      const n = readSync(fd, scratch, filled, scratch.length - filled, null);
      if (n === 0) return scratch.subarray(0, filled);
      filled += n;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

export async function quickLstat(path: string | Buffer): Promise<Stats> {
  return lstatSync(path);
}

export async function quickStat(path: string | Buffer): Promise<Stats> {
  return statSync(path);
}

export async function quickLink(existingPath: string | Buffer, newPath: string): Promise<void> {
  linkSync(existingPath, newPath);
}

export async function quickRename(oldPath: string | Buffer, newPath: string): Promise<void> {
  renameSync(oldPath, newPath);
}

export async function quickUnlink(path: string | Buffer): Promise<void> {
  unlinkSync(path);
}

/** The metadata calls a caller makes on the files of one disk, inline or on the thread pool. */
export interface FileCalls {
  lstat(path: string | Buffer): Promise<Stats>;
  stat(path: string | Buffer): Promise<Stats>;
  link(existingPath: string | Buffer, newPath: string): Promise<void>;
  rename(oldPath: string | Buffer, newPath: string): Promise<void>;
  unlink(path: string | Buffer): Promise<void>;
  /** A descriptor to fsync through (fsync.ts), and its close. */
  open(path: string | Buffer, flags: string | number): Promise<number>;
  close(fd: number): Promise<void>;
  /** Whether a small file is read whole inline (readSmallShared) to be hashed. */
  readsInline: boolean;
}

/** Inline: the disk of the watch folder and transit (see the top of the file). */
export const inlineCalls: FileCalls = {
  lstat: quickLstat,
  stat: quickStat,
  link: quickLink,
  rename: quickRename,
  unlink: quickUnlink,
  open: async (path, flags) => openSync(path, flags),
  close: async (fd) => closeSync(fd),
  readsInline: true,
};

/**
 * On the thread pool: a disk that may stop answering while the process must go on (a card). The
 * callback API, not fs/promises: the same one trip to the pool without a FileHandle per open.
 */
export const pooledCalls: FileCalls = {
  lstat: (path) => pooled<Stats>((done) => lstat(path, done)),
  stat: (path) => pooled<Stats>((done) => stat(path, done)),
  link: (existingPath, newPath) => pooled<void>((done) => link(existingPath, newPath, done)),
  rename: (oldPath, newPath) => pooled<void>((done) => rename(oldPath, newPath, done)),
  unlink: (path) => pooled<void>((done) => unlink(path, done)),
  open: (path, flags) => pooled<number>((done) => open(path, flags, done)),
  close: (fd) => pooled<void>((done) => close(fd, done)),
  readsInline: false,
};

function pooled<T>(
  start: (done: (e: NodeJS.ErrnoException | null, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((e, value) => (e ? reject(e) : resolve(value as T)));
  });
}
