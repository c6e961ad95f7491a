// Node 20's promise-based recursive mkdir reports ENOENT when making one of the levels fails for
// another reason: on a disk whose inodes are used up (ENOSPC) a new dated folder in transit read
// "(ENOENT): check that it exists and is writable", about a folder whose parent was there. Node 22
// and the synchronous call report the level's own error. Here, on ENOENT, the missing levels are
// made again one at a time, so the caller hears the real cause and words it.
import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isCode } from './fsync.js';

/** `mkdir -p dir`, with the error of the level that could not be made. */
export async function makeFolders(dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
    return;
  } catch (e) {
    if (!isCode(e, 'ENOENT')) throw e;
    const missing = await missingLevels(dir);
    if (missing === null) throw e;
    for (const level of missing) {
      try {
        await mkdir(level, { mode });
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
      }
    }
  }
}

/** The levels of `dir` not there yet, outermost first; null when none of its ancestors is there. */
async function missingLevels(dir: string): Promise<string[] | null> {
  const missing: string[] = [];
  for (let d = dir; ;) {
    try {
      await lstat(d);
      return missing.reverse();
    } catch (e) {
      if (!isCode(e, 'ENOENT')) throw e;
    }
    missing.push(d);
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}
