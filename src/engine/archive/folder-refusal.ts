// One folder in the archive that refuses new files while the rest of the archive takes them: its
// owner or mode wrong (a folder made by hand as root), or marked immutable (chattr +i). Only the
// files bound for that folder can fail there; each fails alone, naming the folder and the fix,
// and every other file goes on. The name of the file is not the trouble, so the sentence never
// talks of names or file systems (card-names.ts says those).
import { access, constants } from 'node:fs/promises';
import { SyncError } from '../errors.js';
import { isCode } from '../fsutil/fsync.js';
import { runningUser } from '../fsutil/running-user.js';
import { shellWord } from '../shell-word.js';
import type { ArchivePlace } from './archive-place.js';

/**
 * Whether `folder` refuses every new entry to this process: access(2) checks the permission bits
 * against our user and answers EPERM for an immutable folder. Asked, not tried, so no probe file
 * is ever left among a person's files. Any other answer (the folder gone, a driver error) is not
 * this trouble, and the caller's other checks classify it.
 */
export async function refusesNewEntries(folder: string): Promise<boolean> {
  try {
    await access(folder, constants.W_OK | constants.X_OK);
    return false;
  } catch (e) {
    return isCode(e, 'EACCES', 'EPERM');
  }
}

/** The failure of one file whose archive folder refuses new entries. */
export function folderRefused(
  place: ArchivePlace,
  folder: string,
  name: string,
  code: string,
  cause: unknown,
): SyncError {
  const quoted = shellWord(folder);
  return new SyncError({
    kind: 'file-failed',
    code: 'folder-unwritable',
    message:
      `${place.card ? 'On the SD card at' : 'In the archive folder'} ${place.root}, the folder ${folder} refuses new files and folders (${code}), so "${name}" cannot be put there; ` +
      `the rest of the archive takes them. Check the folder's owner and permissions (ls -ld ${quoted}; RDL Sync runs as ${runningUser()}) ` +
      `and whether it is marked immutable (lsattr -d ${quoted}; sudo chattr -i ${quoted} clears that). The file waits in transit; nothing is lost`,
    cause,
  });
}
