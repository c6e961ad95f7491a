// `rdl-sync sync` beside a running daemon or tray app waits for the pass it asked for to end, and
// reads the outcome from the status that process publishes (status.json): a person who fixed a
// folder's permissions and typed the command learns there whether the file went through, instead
// of "it begins within a few seconds" and a second command to type, again and again.
import {
  holdsUncountedFiles,
  liveLockOwner,
  readStatusFile,
  type StatusSnapshot,
} from '../engine/index.js';

/** How often the published status is read while waiting: it is written at most once a second. */
const POLL_MS = 500;
/** While the pass runs, a changed status sentence is said at most this often. */
const PROGRESS_EVERY_MS = 30_000;

export type AskedPassOutcome =
  /** The pass that served the ask (or a later one) has ended: `status` is as it left things. */
  | { kind: 'served'; status: StatusSnapshot }
  /** The process asked stopped (or another took its place) before serving the ask. */
  | { kind: 'gone' }
  /**
   * The process asked is of an earlier version: its status does not say when an ask's pass ends
   * (and the earliest follow no asks at all).
   */
  | { kind: 'older' }
  /** Paused before the pass ended (or began): the ask waits for a resume. */
  | { kind: 'paused'; status: StatusSnapshot }
  /** Not served within the wait: the last status published, if any. */
  | { kind: 'waited'; status: StatusSnapshot | null };

export interface AskedPassWait {
  configDir: string;
  /** The process asked (the run lock's owner when the ask was saved). */
  pid: number;
  /** The ask saved (asks only grow: a later ask served serves this one too). */
  askedMs: number;
  /** How long to wait at most. */
  waitMs: number;
  /** The status while the pass runs, when its sentence has changed. */
  progress: (status: StatusSnapshot) => void;
}

/**
 * Paused with no pass running, and the ask not served, for this long: the pause cut the asked pass
 * short (or came before it began), and nothing runs it until a resume. Longer than the running
 * engine takes to see an ask (its 2 s poll) and to publish (1 s): an ask made while paused is
 * served by a pass of its own, which shows as running well within it.
 */
const PAUSED_UNSERVED_MS = 6_000;

export async function waitForAskedPass(w: AskedPassWait): Promise<AskedPassOutcome> {
  // Monotonic: a Pi without a real-time clock may step its wall clock by hours (NTP at boot).
  const start = performance.now();
  let saidAt = start;
  let lastSaid = '';
  let pausedSince: number | null = null;
  let last: StatusSnapshot | null = null;
  for (;;) {
    const now = performance.now();
    const published = await readStatusFile(w.configDir);
    // Served: also in the final status of a process that stopped right after (its pid then null).
    if (published && (published.status.syncAskServedMs ?? -1) >= w.askedMs)
      return { kind: 'served', status: published.status };
    // Otherwise its own status only: the file may hold an earlier process's until it writes.
    if (published?.pid === w.pid) {
      last = published.status;
      if (!('syncAskServedMs' in last)) return { kind: 'older' };
      pausedSince = last.paused && !last.passRunning ? (pausedSince ?? now) : null;
      if (pausedSince !== null && now - pausedSince >= PAUSED_UNSERVED_MS)
        return { kind: 'paused', status: last };
      if (last.sentence !== lastSaid && now - saidAt >= PROGRESS_EVERY_MS) {
        lastSaid = last.sentence;
        saidAt = now;
        w.progress(last);
      }
    }
    if ((await liveLockOwner(w.configDir))?.pid !== w.pid) return { kind: 'gone' };
    if (now - start >= w.waitMs) return { kind: 'waited', status: last };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Whether the pass left everything moved, as `once` counts it: nothing failing, nothing queued in
 * transit, nothing held in the watch folder, and nothing stopped (an error a person must act on, a
 * pass that failed, Dropbox out of reach). Files still being written are not held: the running
 * process takes them once they settle (`once`, which ends, waits for them a while instead).
 * Settings that stop every pass are the caller's to tell apart first (exit 2, as `once`).
 */
export function allMovedBy(s: StatusSnapshot): boolean {
  const c = s.counts;
  const stopped = s.state === 'error' || s.state === 'offline';
  return (
    !stopped &&
    c.failed === 0 &&
    c.transit === 0 &&
    c.waiting - (c.settling ?? 0) === 0 &&
    !s.problems.some(holdsUncountedFiles)
  );
}
