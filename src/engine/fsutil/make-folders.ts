// Node 20's promise-based recursive mkdir reports ENOENT when making one of the levels fails for
// another reason: on a disk whose inodes are used up (ENOSPC) a new dated folder in transit read
// "(ENOENT): check that it exists and is writable", about a folder whose parent was there. Node 22
// and the synchronous call report the level's own error. Here, on ENOENT, the missing levels are
// made again one at a time, so the caller hears the real cause and words it.
import { lstat, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
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

/** A level below the root that is a symbolic link: a folder made "through" it would be elsewhere. */
export class LinkedLevel extends Error {
  constructor(readonly level: string) {
    super(`${level} is a symbolic link, not a folder`);
  }
}

/**
 * `mkdir -p dir` for a `dir` below `root`, one level at a time, following no link below the root
 * (the root itself may be one: a person's choice). A recursive mkdir takes an existing link to a
 * folder as the folder, and a file moved "into" it lands wherever the link points: a transit
 * folder another user can write let them steer a root daemon's moves into /etc. A level that is
 * a link throws LinkedLevel; one that is a file, ENOTDIR.
 */
export async function makeFoldersInside(
  root: string,
  dir: string,
  mode?: number,
  /**
   * False: the root is never made (a missing one fails with ENOENT). Transit's root is made only
   * after a look at its disk (stage/transit-place.ts): made here, it went into the empty mount
   * point of an unmounted disk.
   */
  makeRoot = true,
): Promise<void> {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${dir} is not inside ${root}`);
  if (makeRoot) await makeFolders(root, mode);
  let level = root;
  for (const part of rel === '' ? [] : rel.split(sep)) {
    level = join(level, part);
    try {
      await mkdir(level, { mode });
      continue;
    } catch (e) {
      if (!isCode(e, 'EEXIST')) throw e;
    }
    const st = await lstat(level);
    if (st.isDirectory()) continue;
    if (st.isSymbolicLink()) throw new LinkedLevel(level);
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), {
      code: 'ENOTDIR',
      path: level,
    });
  }
}
