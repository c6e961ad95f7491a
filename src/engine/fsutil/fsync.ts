// Durability helpers: a rename is only durable once the folder holding the new name is synced.
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

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

/** Replace `path` with `data` so that a reader sees either the old or the new content, never a mix. */
export async function atomicWriteFile(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dir);
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
