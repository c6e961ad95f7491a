import { rmdir } from 'node:fs/promises';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { isCode } from './fsync.js';

/** True when `p` is strictly below `root` (not root itself, not outside). */
export function isStrictlyInside(root: string, p: string): boolean {
  const r = relative(resolve(root), resolve(p));
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

/**
 * Remove `fromDir` and then each parent while it is empty, stopping below `root` (which is
 * never removed). A folder that is not empty, or that someone else already removed, ends the
 * walk quietly: another file may be arriving there right now.
 */
export async function pruneEmptyDirs(root: string, fromDir: string): Promise<void> {
  let dir = resolve(fromDir);
  while (isStrictlyInside(root, dir)) {
    try {
      await rmdir(dir);
    } catch (e) {
      if (isCode(e, 'ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY', 'EPERM', 'EACCES', 'ENOTDIR')) return;
      throw e;
    }
    dir = dirname(dir);
  }
}
