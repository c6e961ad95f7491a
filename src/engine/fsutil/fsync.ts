// Durability helpers: a rename is only durable once the folder holding the new name is synced.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * fsync a directory so that entries created, renamed or removed in it survive a power cut.
 * Windows cannot open directories for syncing (EPERM/EISDIR); NTFS journals metadata, so skip there.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32' && isCode(e, 'EPERM', 'EISDIR', 'EACCES')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    // Some file systems (certain FUSE and network mounts) refuse fsync on directories.
    if (!isCode(e, 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EISDIR')) throw e;
  } finally {
    await fh.close();
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
export async function fsyncFile(file: string): Promise<void> {
  const flags =
    process.platform === 'win32'
      ? 'r'
      : constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const fh = await open(file, flags);
  try {
    await fh.sync();
  } catch (e) {
    // Windows flushes only a handle opened for writing (EPERM): NTFS's own log keeps it whole.
    if (process.platform === 'win32' && isCode(e, 'EPERM', 'EACCES', 'EBADF')) return;
    if (!isCode(e, 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP')) throw e;
  } finally {
    await fh.close();
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
