// Turns errors that block a whole leg into the problems a person sees, one sentence each:
// what is wrong, what to do, and that nothing is lost.
import { SyncError } from '../errors.js';
import { formatDuration } from '../format-duration.js';
import type { ArchiveStatus, OfflineCause, Problem } from '../status/types.js';
import { thePlace } from '../archive/archive-place.js';
import { FILE_FAILING_THRESHOLD, FILE_RETRY } from '../retry-policy.js';

type NewProblem = Omit<Problem, 'sinceMs'>;

function waiting(n: number): string {
  if (n <= 0) return '';
  return n === 1 ? '; 1 file is waiting safely' : `; ${n} files are waiting safely`;
}

/**
 * A blocked archive or upload leg as a problem. The error's message already names the fix.
 * `inWatch`: files still in the watch folder (settling, behind a same-named one, transit full);
 * they wait too, and the status sentence counts them with transit's, so the problem does.
 * `inTransit` null: not counted yet (known before any pass looked), so the general words stay.
 */
export function legProblem(error: SyncError, inTransit: number | null, inWatch = 0): NewProblem {
  const severity: Problem['severity'] =
    error.code === 'auth-revoked' ||
    error.code === 'auth-missing' ||
    error.code === 'quota-full' ||
    error.code === 'remote-encrypted' ||
    error.code === 'proxy-refused' ||
    error.code === 'connection-untrusted'
      ? 'error'
      : 'attention';
  const tab: Problem['tab'] =
    error.code === 'auth-missing' || error.code === 'auth-revoked' ? 'settings' : 'status';
  const base = error.message.replace(/[.\s]+$/, '');
  return {
    id: error.code,
    code: error.code,
    severity,
    tab,
    message: `${withWaiting(base, inTransit, inWatch)}.`,
  };
}

/** The card's messages end "files wait safely in transit": say how many there, not twice. */
const WAIT_IN_TRANSIT = /\bfiles wait safely in transit$/;

/**
 * A problem's message (its full stop taken off) without the count withWaiting put in it: the same
 * condition with more or fewer files waiting is no other fix. The alert policy compares words
 * with it; before, a hub rebooted while one more file came announced its open problem again.
 */
export function withoutWaiting(message: string): string {
  return message
    .replace(/; \d+ files? (?:is|are) waiting safely$/, '')
    .replace(
      /\b(?:\d+ files? waits?|new files will wait) safely in (?:transit|the watch folder)(?:, \d+ more in the watch folder)?$/,
      'files wait safely in transit',
    );
}

/**
 * A transit disk without room, reduced to what a person acts on: that disk and its fix. Which file
 * was refused first (files are staged side by side: it changes from pass to pass), the free space,
 * how many more wait and what holds the queue in transit are not another fault. The alert policy
 * compares a condition carried over a restart with this: a hub restarted on a full transit disk
 * emailed it again, as new, because another file was named (hands-on trial). Other messages of
 * the transit folder (a folder it may not write) are returned as they are.
 */
export function transitNoRoomFix(message: string): string {
  const m =
    / does not fit on the disk of the transit folder (.+?) \([^()]*\): it waits in the watch folder; (free space on that disk or move the transit folder to a larger one)/.exec(
      message,
    );
  return m ? `Files do not fit on the disk of the transit folder ${m[1]}: ${m[2]}` : message;
}

function withWaiting(base: string, inTransit: number | null, inWatch: number): string {
  if (inTransit === null) return base;
  if (!WAIT_IN_TRANSIT.test(base)) return `${base}${waiting(inTransit + inWatch)}`;
  const wait = (n: number): string => (n === 1 ? '1 file waits' : `${n} files wait`);
  // None waiting now: the sentence promised files in transit where there were none. What holds is
  // what will happen to the next files, so that is what it says.
  if (inTransit <= 0 && inWatch <= 0)
    return base.replace(WAIT_IN_TRANSIT, 'new files will wait safely in transit');
  if (inTransit <= 0)
    return base.replace(WAIT_IN_TRANSIT, `${wait(inWatch)} safely in the watch folder`);
  const more = inWatch > 0 ? `, ${inWatch} more in the watch folder` : '';
  return base.replace(WAIT_IN_TRANSIT, `${wait(inTransit)} safely in transit${more}`);
}

/**
 * What still happens while Dropbox is out of reach: the archive copy, named as what it is (a hub's
 * 4_synced folder is no SD card), and nothing when the archive is turned off or is blocked itself
 * (missing, full, read-only: its own problem says so).
 */
function archiveGoesOn(archive: OfflineArchive): string {
  return archive.enabled && !archive.blocked
    ? `, and the copy to ${thePlace(archive.card ?? true)} continues`
    : '';
}

/** The archive as the offline problem needs it: `blocked` when the last pass found it blocked. */
export type OfflineArchive = Pick<ArchiveStatus, 'enabled' | 'card'> & { blocked?: boolean };

/**
 * Dropbox out of reach for long. A cause other than 'network': it answers, with server errors for
 * every file (an outage on its side) or "too many requests" for every file, and "check the
 * network" would send a person to look for a fault that is not theirs.
 */
export function offlineProblem(
  sinceMs: number,
  nowMs: number,
  pendingFiles: number,
  archive: OfflineArchive,
  cause: OfflineCause = 'network',
  /**
   * For a network cause, what is known of it (a proxy's words, a refusal, no route, silence) in
   * place of "check the network".
   */
  networkDetail?: string,
): NewProblem {
  const dur = formatDuration(nowMs - sinceMs);
  const tail = `${waiting(pendingFiles)}${archiveGoesOn(archive)}`;
  const message = {
    server: `Dropbox has been failing with server errors for ${dur}: this is on Dropbox's side (status.dropbox.com), nothing to fix here; uploads resume by themselves${tail}`,
    'rate-limit': `Dropbox has been asking RDL Sync to slow down (too many requests) for ${dur}: nothing to fix here; uploads resume by themselves once it allows them${tail}`,
    network: `Dropbox has been unreachable for ${dur}: ${networkDetail ?? 'check the network'}${tail}`,
  }[cause];
  return { id: 'offline', code: 'offline', severity: 'attention', tab: 'status', message, cause };
}

export const FILE_FAILING_PREFIX = 'file-failing:';
/** The alerts' one condition for files failing the same way (alerts/file-groups.ts). */
export const FILES_FAILING_PREFIX = 'files-failing:';

/**
 * Whether a failing-file problem (or its alert) names files that a person's ask ("Sync now",
 * `rdl-sync sync`) tries again at once (retryDue): not a file cut short or read as zeros
 * (file-version.ts CUT_SHORT, zeroed.ts ZEROED), which waits for the file itself to be put right.
 */
export function triedAgainWhenAsked(id: string, code: string): boolean {
  const failing = id.startsWith(FILE_FAILING_PREFIX) || id.startsWith(FILES_FAILING_PREFIX);
  return failing && code !== 'file-cut-short' && code !== 'file-zeroed';
}

/**
 * Whether a problem holds files that no count shows: a folder in the watch folder (or transit)
 * nobody can read, whose files are unknown, or a watch folder that cannot be used at all, or a
 * transit folder gone with its disk (the queue in it unseen). A
 * command's "everything moved" must not be said over it (`once` exited 0 beside "Cannot read").
 */
export function holdsUncountedFiles(p: { code: string }): boolean {
  return (
    p.code === 'unreadable-entry' || p.code === 'watch-unavailable' || p.code === 'transit-missing'
  );
}

/** What a person reads beside such a problem: how to have the files tried again now. */
export const TRY_AGAIN_NOW =
  'Once the cause is fixed, `rdl-sync sync` on the hub (or "Sync now" in its tray app) tries again at once; otherwise the next try comes by itself, at most an hour later.';

/**
 * The same where nothing runs on to make that next try: after an `rdl-sync once` (by hand, or
 * from cron) or in `status` with no service. "Comes by itself" promised a try no process would
 * make, and a plain `once` run again at once skips the file until its try is due.
 */
export const TRY_AGAIN_WHEN_NOTHING_RUNS =
  'Once the cause is fixed, `rdl-sync sync` tries again at once (a plain `rdl-sync once` may leave a failing file until its next try is due, at most an hour after the last).';
export { FILE_FAILING_THRESHOLD };

/**
 * When a run of failures began, for the failure recorded now: the run's start kept from the
 * failure before it, or now for the first (attempts counted before this one: 0).
 */
export function failingSince(
  before: { attempts: number; lastError?: { atMs: number; sinceMs?: number } },
  nowMs: number,
): number {
  if (before.attempts <= 0 || !before.lastError) return nowMs;
  return Math.min(before.lastError.sinceMs ?? before.lastError.atMs, nowMs);
}

/**
 * A file failing `attempts` times in a row. `sinceMs`: when the run of failures began, the
 * problem's since-when; by default the recorded failure's own (its `sinceMs`, else its `atMs`).
 */
export function fileFailingProblem(
  rel: string,
  attempts: number,
  error: { code: string; message: string; atMs?: number; sinceMs?: number },
  sinceMs: number | undefined = error.sinceMs ?? error.atMs,
): NewProblem & { sinceMs?: number } {
  const id = `${FILE_FAILING_PREFIX}${rel}`;
  return {
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    id,
    code: error.code as Problem['code'],
    cause: failureCause(error.message),
    ...(triedAgainWhenAsked(id, error.code) ? { triedOnAsk: true } : {}),
    severity: 'attention',
    tab: 'transfers',
    // A cut-short or zeroed file did not fail: it waits for a person, and its message says why.
    message:
      error.code === 'file-cut-short' || error.code === 'file-zeroed'
        ? `${error.message.replace(/[.\s]+$/, '')}. Other files are not affected`
        : `${rel} failed ${attempts} times: ${error.message.replace(/[.\s]+$/, '')}. Other files are not affected`,
  };
}

/**
 * What a file's failure is, apart from its details: its sentence up to the first reason in
 * brackets or colon, paths and figures left out. One code has several causes with other fixes ("Cannot read
 * …" needs read permission on the file, "Cannot move … out of the watch folder" write access to its
 * folder): the alert policy tells a change of cause once (policy.ts), where the code alone kept
 * the first fix in the people's inbox while the status said the next.
 */
function failureCause(message: string): string {
  // Words with a figure or a slash (paths, temporary names, ids) left out too: a copy's random
  // temporary name, or the oldest file of a group, made every try read as another cause.
  return (message.split(/[(:]/)[0] ?? message).replace(/\S*[\d/]\S*/g, '#').trim();
}

/** Per-file retry delay: doubling from FILE_RETRY.firstMs up to FILE_RETRY.capMs. */
export function fileRetryDelayMs(attempts: number): number {
  return Math.min(FILE_RETRY.capMs, FILE_RETRY.firstMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Whether a file's retry is due. `nextTryMs` is wall time (it lives in the journal, across
 * restarts, where no monotonic reading survives), so a backward clock step would stretch the
 * wait by the step: a wait longer than any the pass sets for this file (its back-off delay, or
 * `settleMs` for a file that changed in transit) can only come from such a step, and counts as due.
 *
 * `askedMs`: when a person last asked for a pass ("Sync now"), most likely having fixed what a
 * file failed on (a permission, a name, a folder). A failure from before the ask is due then, not
 * at the end of its back-off (up to an hour later); once it has settled (`settleMs` after it: a
 * file that changed under a leg still waits for its writer). A failure after the ask backs off
 * as usual, so an ask tries each waiting file once more, not every pass.
 */
export function retryDue(
  entry: { attempts: number; nextTryMs: number; lastError?: { atMs: number } },
  nowMs: number,
  settleMs = 0,
  askedMs = -Infinity,
): boolean {
  const failedMs = entry.lastError?.atMs;
  if (entry.attempts > 0 && failedMs !== undefined && failedMs <= askedMs)
    return failedMs + settleMs <= nowMs || entry.nextTryMs <= nowMs;
  const longest = Math.max(fileRetryDelayMs(Math.max(1, entry.attempts)), settleMs);
  return entry.nextTryMs <= nowMs || entry.nextTryMs - nowMs > longest;
}

/** The upload leg without credentials: what to do, in the window and headless. */
export function notConnected(): SyncError {
  return new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message:
      'Dropbox is not connected: connect RDL Sync to Dropbox in Settings (headless: rdl-sync auth)',
  });
}
