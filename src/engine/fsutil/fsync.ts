// Durability helpers: a rename is only durable once the folder holding the new name is synced.
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
