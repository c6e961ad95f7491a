// The fix for a folder this process may not write (EACCES, EPERM), in a command a person can run.
// "Give it back to that user (sudo chown -R …)" was the only advice, also for a folder that user
// owns already with its write permission off (mode 555): chown then changes nothing (a trial).
import { statSync } from 'node:fs';
import { shellWord } from '../shell-word.js';

/**
 * `user`: the name this process runs as (runningUser). The folder is looked at once, synchronously
 * (a settings folder, on the hub's own disk): unknown, the chown advice stands.
 */
export function writeAccessFix(dir: string, user: string): string {
  let ownWithoutWrite = false;
  try {
    const s = statSync(dir);
    ownWithoutWrite = s.uid === process.getuid?.() && (s.mode & 0o200) === 0;
  } catch {
    // (not looked at: the usual advice)
  }
  return ownWithoutWrite
    ? `it is ${user}'s already, with its owner's write permission off: give it back (chmod -R u+w ${shellWord(dir)})`
    : `give it back to that user (sudo chown -R ${user} ${shellWord(dir)})`;
}
