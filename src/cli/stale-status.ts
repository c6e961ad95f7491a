// `rdl-sync status` reads what the daemon last wrote to status.json. A daemon whose settings folder
// cannot be written (an SD card remounted read-only, a full disk) goes on running, and the file
// then shows a status that stopped moving: "Up to date", a next pass long past. Said plainly, with
// the likely cause, found without writing anything.
import fs from 'node:fs/promises';
import {
  liveLockOwner,
  readStatusFile,
  settingsUnwritableProblem,
  type PublishedStatus,
} from '../engine/index.js';

/** A pass overdue by this much means the daemon has not been able to publish (or is stuck). */
export const STALE_AFTER_MS = 2 * 60_000;
/**
 * A running daemon writes its status at least once a minute (STATUS_KEEP_ALIVE_MS), changed or
 * not: three minutes without a write means it has stopped running (frozen, its event loop
 * blocked), also in the middle of a pass.
 */
export const SILENT_AFTER_MS = 3 * 60_000;
/** Older than this, a status is checked against a settings folder that cannot be written. */
const UNWRITABLE_CHECK_AFTER_MS = 30_000;

export interface PublishedView {
  updatedAtMs: number;
  status: { nextPassMs: number | null; paused: boolean; passRunning?: boolean };
}

/** Why the published status is stale, or null when it is current. */
export async function staleStatusReason(
  configDir: string,
  published: PublishedView,
  nowMs: number,
): Promise<string | null> {
  const { nextPassMs, paused, passRunning } = published.status;
  const age = nowMs - published.updatedAtMs;
  const minutes = Math.floor(age / 60_000);
  const stale = `This status was written ${minutes < 1 ? 'less than a minute' : `${minutes} min`} ago and the daemon has not updated it since`;
  // Waiting for settings (no pass running, none due): nothing needs to change.
  if (nextPassMs === null && passRunning !== true && !paused) return null;
  // Cannot be written: whatever it shows stopped moving then. Before, an idle daemon's "next pass
  // at 13:48" (past) was shown as current for two minutes more, and a paused one's for good.
  if (age > UNWRITABLE_CHECK_AFTER_MS) {
    const cause = await unwritableCause(configDir);
    if (cause) return `${stale}: ${cause}`;
  }
  if (paused) return null;
  const stuck = `${stale}: it may be stuck (a frozen process, or a disk it waits for that stopped answering); its log says more, and \`sudo systemctl restart rdl-sync\` restarts it (nothing is lost)`;
  // In the middle of a pass: written at least once a minute however long the pass.
  if (nextPassMs === null) return age > SILENT_AFTER_MS ? stuck : null;
  return nowMs - Math.max(published.updatedAtMs, nextPassMs) > STALE_AFTER_MS ? stuck : null;
}

async function unwritableCause(configDir: string): Promise<string | null> {
  try {
    await fs.access(configDir, fs.constants.W_OK);
  } catch (e) {
    return settingsUnwritableProblem(configDir, (e as NodeJS.ErrnoException).code)?.message ?? null;
  }
  const space = await fs.statfs(configDir).catch(() => null);
  if (space && space.bavail === 0) return settingsUnwritableProblem(configDir, 'ENOSPC')!.message;
  return null;
}

/**
 * A live owner of the run lock that has published no status of its own: unable to write the
 * settings folder (said, with the fix), or just started and not yet written (waitForOwnStatus).
 */
export async function unpublishedReason(configDir: string, pid: number): Promise<string> {
  const cause = await unwritableCause(configDir);
  return cause
    ? `RDL Sync runs (pid ${pid}) but cannot publish its status, so what follows is read from the disk: ${cause}`
    : `RDL Sync runs (pid ${pid}) but has not published its status yet, so what follows is read from the disk; run \`rdl-sync status\` again in a moment`;
}

/**
 * A process publishes its first status about a second after it took the run lock (writes are
 * coalesced: status/status-file.ts), longer on a loaded Pi. `status` asked in that second read
 * the last process's final status (pid null) and said "Daemon not running" beside a tray app that
 * had just started. It waits this long for the owner's own status before reading the disk.
 */
export const FIRST_STATUS_WAIT_MS = 3_000;
const FIRST_STATUS_POLL_MS = 100;

/** status.json once it is `pid`'s, or null when it is not within `waitMs` (or `pid` ended). */
export async function waitForOwnStatus(
  configDir: string,
  pid: number,
  waitMs = FIRST_STATUS_WAIT_MS,
): Promise<PublishedStatus | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const published = await readStatusFile(configDir);
    if (published?.pid === pid) return published;
    if (Date.now() >= deadline || (await liveLockOwner(configDir))?.pid !== pid) return null;
    await new Promise((r) => setTimeout(r, FIRST_STATUS_POLL_MS));
  }
}
