// `rdl-sync pause` and `resume` beside a running daemon or tray app save the change in the
// settings file, which that process reads every 2 s. They used to return at once with "Paused",
// while the pass under way went on copying: a person pausing to take the card out (the reason a
// hub is paused) had no way to know when nothing was being written any more. They now wait until
// the running process publishes that it has followed (status.json), and say so.
import { liveLockOwner, readStatusFile, type StatusSnapshot } from '../engine/index.js';

/** How often the published status is read: it is written at most once a second. */
const POLL_MS = 250;

/**
 * How long a pause or resume is waited for: the running process's poll (2 s), the pass it ends
 * (an abort reaches a copy or a request at once; the file it was writing is closed and removed)
 * and its next status write (1 s), with room for a slow card or a busy Pi.
 */
export const FOLLOW_WAIT_MS = 20_000;

export type FollowOutcome =
  /** The process shows the change. `cutShort`: a pass was running when the wait began. */
  | { kind: 'followed'; status: StatusSnapshot; cutShort: boolean }
  /** The process stopped (or another took its place) before it showed the change. */
  | { kind: 'gone' }
  /** Not shown within the wait: the last status it published, if any. */
  | { kind: 'waited'; status: StatusSnapshot | null };

export interface FollowWait {
  configDir: string;
  /** The running process (the run lock's owner when the change was saved). */
  pid: number;
  /** Whether its published status shows the change. */
  followed: (status: StatusSnapshot) => boolean;
  waitMs?: number;
}

export async function waitUntilFollowed(w: FollowWait): Promise<FollowOutcome> {
  // Monotonic: a Pi without a real-time clock may step its wall clock by hours (NTP at boot).
  const start = performance.now();
  let last: StatusSnapshot | null = null;
  let cutShort: boolean | null = null;
  for (;;) {
    const published = await readStatusFile(w.configDir);
    // Its own status only: the file may hold an earlier process's until it first writes.
    if (published?.pid === w.pid) {
      last = published.status;
      cutShort ??= last.passRunning === true;
      if (w.followed(last)) return { kind: 'followed', status: last, cutShort };
    }
    if ((await liveLockOwner(w.configDir))?.pid !== w.pid) return { kind: 'gone' };
    if (performance.now() - start >= (w.waitMs ?? FOLLOW_WAIT_MS))
      return { kind: 'waited', status: last };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Whether the process `pid` let go of the run lock (ended) within `waitMs`. */
export async function waitUntilLockFreed(
  configDir: string,
  pid: number,
  waitMs: number,
): Promise<boolean> {
  const start = performance.now();
  for (;;) {
    if ((await liveLockOwner(configDir))?.pid !== pid) return true;
    if (performance.now() - start >= waitMs) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
