// Durability helpers: a rename is only durable once the folder holding the new name is synced.
import { constants, fsync } from 'node:fs';
import { inlineCalls, type FileCalls } from './quick-fs.js';

// The open and the close are made inline, the fsync alone on the thread pool. Through
// fs/promises each sync cost a FileHandle and three trips to the thread pool (open, fsync, close):
// about 35 µs of main-thread CPU per file, twice per small file (staging and the archive's link),
// more than the fsync's own system call. Opening a file or folder just linked or renamed, and
// closing a descriptor we only read through, touch inodes already in the cache (quick-fs.ts says
// why such calls may be inline); the fsync is what waits for the disk, so it stays asynchronous.
// On a card the open and close go to the pool too (`calls`): a FUSE card answers a close.

/** fsync an open descriptor on the thread pool. */
function syncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (e) => (e ? reject(e) : resolve()));
  });
}

/**
 * fsync a directory so that entries created, renamed or removed in it survive a power cut.
 * Windows cannot open directories for syncing (EPERM/EISDIR); NTFS journals metadata, so skip there.
 */
export async function fsyncDir(dir: string, calls: FileCalls = inlineCalls): Promise<void> {
  let fd;
  try {
    fd = await calls.open(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32' && isCode(e, 'EPERM', 'EISDIR', 'EACCES')) return;
    throw e;
  }
  try {
    await syncFd(fd);
  } catch (e) {
    // Some file systems (certain FUSE and network mounts) refuse fsync on directories.
    if (!isCode(e, 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EISDIR')) throw e;
  } finally {
    await calls.close(fd);
  }
}

/**
 * fsync a file someone else wrote (a logger), so that its bytes survive a power cut before we act
 * on them: delete another name of it, or tell Dropbox and the card they are the file. ext4 with
 * delayed allocation keeps a fresh file's bytes in memory for up to 30 s, so a power cut leaves it
 * empty, whatever its name says. Opened read-only (we may not write it), without following a link
 * or waiting for a FIFO's writer. Costs little once the bytes are on disk: a journal commit, which
 * the fsync of its folder that follows would make anyway.
 */
export async function fsyncFile(file: string, calls: FileCalls = inlineCalls): Promise<void> {
  const flags =
    process.platform === 'win32'
      ? 'r'
      : constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const fd = await calls.open(file, flags);
  try {
    await syncFd(fd);
  } catch (e) {
    // Windows flushes only a handle opened for writing (EPERM): NTFS's own log keeps it whole.
    if (process.platform === 'win32' && isCode(e, 'EPERM', 'EACCES', 'EBADF')) return;
    if (!isCode(e, 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP')) throw e;
  } finally {
    await calls.close(fd);
  }
}

export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function isCode(e: unknown, ...codes: string[]): boolean {
  const code = errnoCode(e);
  return code !== undefined && codes.includes(code);
}
