// The settings folder cannot be written: the kernel remounted its disk read-only after errors,
// or its disk is full, or its owner changed. The daemon goes on moving files where it can, but
// its log, history, journal and status.json are not saved, and `rdl-sync status` reads a status
// that stopped moving. The problem reaches a person through the alert channels (email does not
// need the disk), and clears once a write succeeds again.
import os from 'node:os';
import { writeAccessFix } from '../fsutil/write-access-fix.js';
import type { Problem } from './types.js';

export const SETTINGS_UNWRITABLE_ID = 'settings-unwritable';

/** The errno codes the problem explains (settingsUnwritableProblem); others are no such problem. */
const CODES = new Set(['EROFS', 'ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EIO']);

/** A failed write with this errno may be the settings folder's: the problem would say why. */
export function mayBeSettingsUnwritable(code: string | undefined): boolean {
  return code !== undefined && CODES.has(code);
}

/** The problem for a failed write into `configDir` with errno `code`, or null for other errors. */
export function settingsUnwritableProblem(
  configDir: string,
  code: string | undefined,
): Omit<Problem, 'sinceMs'> | null {
  if (!mayBeSettingsUnwritable(code)) return null;
  const unsaved =
    'files keep moving where they can, but the log, the history and the status other programs read are not saved';
  const back = 'RDL Sync carries on by itself once it can write there again';
  let message: string;
  if (code === 'EROFS') {
    message = `The settings folder ${configDir} cannot be written (EROFS): its disk was made read-only, which Linux does to a disk that shows errors; ${unsaved}. Check the disk (\`sudo dmesg\`), then repair it (fsck) and reboot, or replace it; ${back}`;
  } else if (code === 'ENOSPC' || code === 'EDQUOT') {
    message = `The disk holding the settings folder ${configDir} is full (${code}): ${unsaved}. Free space on it; ${back}`;
  } else if (code === 'EACCES' || code === 'EPERM') {
    const user = os.userInfo().username;
    const fix = writeAccessFix(configDir, user);
    message = `The settings folder ${configDir} cannot be written by user ${user} (${code}): ${unsaved}. ${fix[0]!.toUpperCase()}${fix.slice(1)}; ${back}`;
  } else if (code === 'EIO') {
    message = `The settings folder ${configDir} cannot be written (EIO: the disk reports input/output errors): ${unsaved}. Check the disk (\`sudo dmesg\`) and replace it if it is failing; ${back}`;
  } else {
    return null;
  }
  return {
    id: SETTINGS_UNWRITABLE_ID,
    code: 'settings-unwritable',
    severity: 'error',
    message,
    tab: 'status',
  };
}
