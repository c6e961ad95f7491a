// Every writer of config.json reads it, changes one part and writes the whole file back: `rdl-sync
// settings set`, `pause` and `resume`, the window's Save in the tray app, `import-legacy`, and the
// engine itself (a pause saved, a timed pause that ended cleared by the daemon). Two at once both
// read the old file, and the second write dropped the first one's change while both had said it
// was saved. They take turns: each edit (read, change, write) runs under settings.lock in the
// settings folder, taken by the run lock's rules (a lock whose process ended, even at a power cut,
// is taken over: it can never block for good). Async, so a tray app or a daemon waiting its turn
// never stops its event loop.
import fs from 'node:fs/promises';
import { SyncError } from '../errors.js';
import { tryLockFile, type RunLock } from '../run-lock.js';

export const SETTINGS_EDIT_LOCK_FILE = 'settings.lock';
/** An edit holds the lock for milliseconds; this long means the holder is stuck, not busy. */
export const EDIT_LOCK_WAIT_MS = 10_000;
const EDIT_LOCK_POLL_MS = 25;

/**
 * Runs `edit` while no other process (and no other edit in this one) edits the settings in
 * `configDir`. When the lock cannot be written at all (a full or read-only settings disk, a folder
 * of another user) the edit runs unguarded: its own save then says what is wrong, in words. When
 * another holds it for longer than `waitMs`, throws saying so: nothing was changed. Never nest it.
 */
export async function withSettingsEditLock<T>(
  configDir: string,
  edit: () => Promise<T> | T,
  waitMs = EDIT_LOCK_WAIT_MS,
): Promise<T> {
  const lock = await takeEditLock(configDir, waitMs);
  try {
    return await edit();
  } finally {
    await lock?.release().catch(() => {});
  }
}

async function takeEditLock(configDir: string, waitMs: number): Promise<RunLock | null> {
  const deadline = Date.now() + waitMs;
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
    if (Date.now() > deadline) throw settingsBusy(configDir, got.owner.pid, waitMs);
    await new Promise((r) => setTimeout(r, EDIT_LOCK_POLL_MS));
  }
}

function settingsBusy(configDir: string, pid: number, waitMs: number): SyncError {
  const self = pid === process.pid ? ' (this same program)' : '';
  return new SyncError({
    kind: 'blocked',
    code: 'settings-busy',
    message: `Another RDL Sync program (pid ${pid}${self}) has been changing the settings in ${configDir} for ${Math.round(waitMs / 1000)} s: the settings were not changed. Check that program (kill ${pid} if it hangs), then try again`,
  });
}
