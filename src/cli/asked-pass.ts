// `rdl-sync sync` beside a running daemon or tray app waits for the pass it asked for to end, and
// reads the outcome from the status that process publishes (status.json): a person who fixed a
// folder's permissions and typed the command learns there whether the file went through, instead
// of "it begins within a few seconds" and a second command to type, again and again.
import { liveLockOwner, readStatusFile, type StatusSnapshot } from '../engine/index.js';

/** How often the published status is read while waiting: it is written at most once a second. */
const POLL_MS = 500;
/** While the pass runs, a changed status sentence is said at most this often. */
const PROGRESS_EVERY_MS = 30_000;

export type AskedPassOutcome =
  /** The pass that served the ask (or a later one) has ended: `status` is as it left things. */
  | { kind: 'served'; status: StatusSnapshot }
  /** The process asked stopped (or another took its place) before serving the ask. */
  | { kind: 'gone' }
  /** The process asked is of a version that follows no asks (its status has no word for it). */
  | { kind: 'older' }
  /** Not served within the wait: the last status published, if any. */
  | { kind: 'waited'; status: StatusSnapshot | null };

export interface AskedPassWait {
  configDir: string;
  /** The process asked (the run lock's owner when the ask was saved). */
  pid: number;
  /** When the ask was saved: a pass that served it or a later ask ends the wait. */
  askedMs: number;
  /** Wall-clock deadline (ms). */
  untilMs: number;
  /** The status while the pass runs, when its sentence has changed. */
  progress: (status: StatusSnapshot) => void;
}

export async function waitForAskedPass(w: AskedPassWait): Promise<AskedPassOutcome> {
  let lastSaid = '';
  let saidAtMs = Date.now();
  let last: StatusSnapshot | null = null;
  for (;;) {
    const published = await readStatusFile(w.configDir);
    // Its own status only: the file may still hold an earlier process's until this one writes.
    if (published?.pid === w.pid) {
      last = published.status;
      if (!('syncAskServedMs' in last)) return { kind: 'older' };
      if ((last.syncAskServedMs ?? -1) >= w.askedMs) return { kind: 'served', status: last };
      if (last.sentence !== lastSaid && Date.now() - saidAtMs >= PROGRESS_EVERY_MS) {
        lastSaid = last.sentence;
        saidAtMs = Date.now();
        w.progress(last);
      }
    }
    if ((await liveLockOwner(w.configDir))?.pid !== w.pid) return { kind: 'gone' };
    if (Date.now() >= w.untilMs) return { kind: 'waited', status: last };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Whether the pass left everything moved, as `once` counts it: nothing failing, nothing queued in
 * transit, nothing held in the watch folder. Files still being written are not held: the running
 * process takes them once they settle.
 */
export function allMovedBy(s: StatusSnapshot): boolean {
  const c = s.counts;
  return c.failed === 0 && c.transit === 0 && c.waiting - (c.settling ?? 0) === 0;
}
