// `rdl-sync status` reads what the daemon last wrote to status.json. A daemon whose settings folder
// cannot be written (an SD card remounted read-only, a full disk) goes on running, and the file
// then shows a status that stopped moving: "Up to date", a next pass long past. Said plainly, with
// the likely cause, found without writing anything.
import fs from 'node:fs/promises';
import { settingsUnwritableProblem } from '../engine/index.js';

/** A pass overdue by this much means the daemon has not been able to publish (or is stuck). */
export const STALE_AFTER_MS = 2 * 60_000;

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
  if (paused) return null;
  const minutes = Math.round((nowMs - published.updatedAtMs) / 60_000);
  const stale = `This status was written ${minutes} min ago and the daemon has not updated it since`;
  if (nextPassMs === null) {
    // Waiting for settings: no pass is due, and nothing needs to change.
    if (passRunning !== true || nowMs - published.updatedAtMs <= STALE_AFTER_MS) return null;
    // Written in the middle of a pass: the card remounted read-only mid-pass froze "Syncing 1
    // file…, next pass: running now" for good, never called stale. A long upload may write
    // nothing for minutes, so only a settings folder that cannot be written makes it stale here.
    const cause = await unwritableCause(configDir);
    return cause ? `${stale}: ${cause}` : null;
  }
  if (nowMs - Math.max(published.updatedAtMs, nextPassMs) <= STALE_AFTER_MS) return null;
  const cause = await unwritableCause(configDir);
  return cause
    ? `${stale}: ${cause}`
    : `${stale}: it may be stuck; its log says more, and \`sudo systemctl restart rdl-sync\` restarts it (nothing is lost)`;
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
 * A live owner of the run lock that has published no status of its own: just started, or unable
 * to write the settings folder (then said, with the fix; otherwise nothing is said).
 */
export async function unpublishedReason(configDir: string, pid: number): Promise<string | null> {
  const cause = await unwritableCause(configDir);
  return cause
    ? `RDL Sync runs (pid ${pid}) but cannot publish its status, so what follows is read from the disk: ${cause}`
    : null;
}
