// `rdl-sync settings set`, `pause` and `resume` each read config.json, change one part and write
// the whole file back. Two of them at once (a set-up script run with `&`, two people on one hub,
// a `pause` from cron) both read the old file, and the second write dropped the first one's
// change, while both commands had said it was saved. They now take turns: the edit (read, change,
// write) runs under settings.lock in the settings folder, taken by the run lock's rules (a lock
// whose process ended, even at a power cut, is taken over: it can never block for good).
import fs from 'node:fs/promises';
import { tryLockFile, type RunLock } from '../engine/index.js';

export const SETTINGS_EDIT_LOCK_FILE = 'settings.lock';
/** An edit holds the lock for milliseconds; this long means the holder is stuck, not busy. */
const EDIT_LOCK_WAIT_MS = 10_000;
const EDIT_LOCK_POLL_MS = 25;

/**
 * Runs `edit` while no other command edits the settings in `configDir`. When the lock cannot be
 * written at all (a full or read-only settings disk, a folder of another user) the edit runs
 * unguarded: its own save then says what is wrong, in words, as it did before.
 */
export async function withSettingsEditLock<T>(
  configDir: string,
  edit: () => Promise<T> | T,
): Promise<T> {
  const lock = await takeEditLock(configDir);
  try {
    return await edit();
  } finally {
    await lock?.release().catch(() => {});
  }
}

async function takeEditLock(configDir: string): Promise<RunLock | null> {
  const deadline = Date.now() + EDIT_LOCK_WAIT_MS;
  for (;;) {
    let got: Awaited<ReturnType<typeof tryLockFile>>;
    try {
      // The settings store makes the folder the same way on its first save (private to the user).
      await fs.mkdir(configDir, { recursive: true, mode: 0o700 });
      got = await tryLockFile(configDir, SETTINGS_EDIT_LOCK_FILE);
    } catch {
      return null;
    }
    if ('lock' in got) return got.lock;
    if (Date.now() > deadline) {
      throw new Error(
        `another rdl-sync command (pid ${got.owner.pid}) has been changing the settings in ${configDir} for ${EDIT_LOCK_WAIT_MS / 1000} s: nothing was changed; check that command (kill ${got.owner.pid} if it hangs), then run this one again`,
      );
    }
    await new Promise((r) => setTimeout(r, EDIT_LOCK_POLL_MS));
  }
}
