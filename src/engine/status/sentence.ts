// The one sentence a person reads first (status line, tray tooltip, `rdl-sync status`).
import { formatUtcMinute } from '../format-utc.js';
import { FILE_FAILING_PREFIX, FILES_FAILING_PREFIX } from '../pipeline/problems.js';
import type { DropboxWaitWhy, EngineState, Problem, StatusFacts, StatusSnapshot } from './types.js';

/** "1 file", "3 files": how every sentence about files counts them (the CLI's too). */
export function fileCount(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

// Local 24-hour HH:MM, built by hand: toLocaleTimeString would load ICU's locale data into the
// daemon (about 7.5 MB resident, measured on `rdl-sync once`) just for this one sentence.
function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Why Dropbox made the uploads wait, as the status sentence says it. */
const WAIT_WORDS: Record<DropboxWaitWhy, string> = {
  'rate-limit': 'Dropbox asked RDL Sync to slow down (too many requests)',
  contention: 'Dropbox is busy with other changes in this folder',
  server: 'Dropbox has a server problem and asked RDL Sync to wait',
};

/** Local "YYYY-MM-DD", or null when `ms` falls on the same local day as `nowMs`. */
function otherDay(ms: number, nowMs: number): string | null {
  const d = new Date(ms);
  const now = new Date(nowMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  const sameDay =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  return sameDay ? null : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** HH:MM today; "YYYY-MM-DD at HH:MM" on another day (the last file may be from before a restart). */
function dayAndClock(ms: number, nowMs: number): string {
  const day = otherDay(ms, nowMs);
  return day === null ? `at ${clock(ms)}` : `on ${day} at ${clock(ms)}`;
}

function failedSentence(f: StatusFacts): string {
  const n = f.counts.failed;
  if (!f.failing) return `${fileCount(n)} could not be synced yet and will be retried.`;
  const reason = f.failing.message.replace(/[.\s]+$/, '');
  return n === 1
    ? `${f.failing.rel} could not be synced yet and will be retried: ${reason}.`
    : `${fileCount(n)} could not be synced yet and will be retried; ${f.failing.rel}: ${reason}.`;
}

/**
 * Problems that warn of what may come, or of something beside the syncing: the sentence leads
 * with one that holds files back now, if any, though it be newer. A card read-only since a
 * minute was headed by its "95.9 % full … before it fills" of an hour before.
 */
const FORESIGHT: ReadonlySet<string> = new Set([
  'disk-nearly-full',
  'source-silent',
  'alert-channel-failing',
]);

/**
 * Which problem heads the sentence: one that holds every file back now (the card read-only, the
 * access revoked), then one file's failure, then a warning of what may come. A card made
 * read-only was the last of three problems behind an older "a:b.csv failed 3 times" that named
 * a card already swapped.
 */
function leadRank(p: Problem): number {
  if (FORESIGHT.has(p.code)) return 2;
  return p.id.startsWith(FILE_FAILING_PREFIX) || p.id.startsWith(FILES_FAILING_PREFIX) ? 1 : 0;
}

/**
 * Files waiting between passes. Those still being written or settling are moved only once
 * unchanged for the stable time: "the next pass will move them" was read over several passes
 * while they settled (90 s by default, longer for a camera that keeps its file open).
 */
function waitingSentence(pending: number, settling: number): string {
  const still = Math.min(settling, pending);
  if (still === 0)
    return `${fileCount(pending)} waiting safely; the next pass will move ${pending === 1 ? 'it' : 'them'}.`;
  const moved = 'moved once unchanged for the stable time';
  if (still === pending)
    return `${fileCount(pending)} still being written or settling; ${pending === 1 ? 'it is' : 'they are'} ${moved}.`;
  return `${fileCount(pending)} waiting safely, ${still} of them still being written or settling (${moved}); the next pass moves the others.`;
}

/** " (+2 more problems)": problems, not files ("(+4 more)" after one file's trouble read as files). */
function moreProblems(others: number): string {
  return others > 0 ? ` (+${others} more problem${others === 1 ? '' : 's'})` : '';
}

export function describeState(
  state: EngineState,
  f: StatusFacts,
  problems: Problem[],
  nowMs: number = Date.now(),
): string {
  const pending = f.counts.transit + f.counts.waiting;
  const waitingSafely = pending > 0 ? ` ${fileCount(pending)} waiting safely.` : '';
  switch (state) {
    case 'paused':
      return pausedSentence(f.pausedUntilMs, pending, 'beside-resume', nowMs);
    case 'error':
    case 'attention': {
      // Oldest first within each rank (sort is stable).
      const ofState = problems
        .filter((p) => p.severity === state)
        .sort((a, b) => leadRank(a) - leadRank(b));
      const first = ofState[0] ?? problems[0];
      return `${first?.message ?? 'Something needs attention.'}${moreProblems(problems.length - 1)}`;
    }
    case 'offline': {
      // Offline outranks attention in the state word: the card missing or full beside it (which
      // a person must see to) is counted, as the other states count theirs, not left unsaid.
      const more = moreProblems(problems.filter((p) => p.id !== 'offline').length);
      if (f.offlineCause === 'server')
        return `Dropbox is failing with server errors (on its side); retrying.${waitingSafely}${more}`;
      if (f.offlineCause === 'rate-limit')
        return `Dropbox asks RDL Sync to slow down (too many requests); retrying.${waitingSafely}${more}`;
      return f.offlineDetail
        ? `Dropbox is unreachable: ${f.offlineDetail}.${waitingSafely}${more}`
        : `Dropbox is unreachable; retrying.${waitingSafely}${more}`;
    }
    case 'syncing': {
      // A long wait Dropbox asked for: "Syncing…" alone read as work under way for minutes in
      // which nothing moved (a Retry-After of 2 min, hands-on trial).
      const wait = f.dropboxWait;
      if (wait && wait.untilMs > nowMs)
        return `Syncing ${fileCount(pending)}; ${WAIT_WORDS[wait.why]}: uploads wait until ${clock(wait.untilMs)}, then go on.`;
      return `Syncing ${fileCount(pending)}…`;
    }
    case 'idle':
      // "Up to date" is a promise: only when nothing waits and nothing fails.
      // Below the failing threshold a file is in neither the problems nor the history yet: the
      // sentence itself says which and why (the log has every attempt).
      if (f.counts.failed > 0) return `${failedSentence(f)}${waitingSafely}`;
      if (pending > 0) return waitingSentence(pending, f.counts.settling ?? 0);
      return f.lastSuccessMs
        ? `Up to date. Last file synced ${dayAndClock(f.lastSuccessMs, nowMs)}.`
        : 'Up to date.';
  }
}

/**
 * Where the sentence is read: beside a Resume button or menu item (the window, the tray), or as
 * text far from one (`rdl-sync status` over ssh on a headless hub, the digest by email, another
 * hub's fleet view), where "until you resume" named no way to do it.
 */
type PauseSurface = 'beside-resume' | 'text';

const HOW_TO_RESUME = 'rdl-sync resume, or Resume in the tray menu';

function pausedSentence(
  pausedUntilMs: number | null,
  pending: number,
  surface: PauseSurface,
  nowMs: number,
): string {
  const waitingSafely = pending > 0 ? ` ${fileCount(pending)} waiting safely.` : '';
  return `${pausedWords(pausedUntilMs, surface, nowMs)}.${waitingSafely}`;
}

/**
 * When a timed pause ends. Beside the Resume button, the hub's own clock, its date too when not
 * today: `pause --for 2d` read "Paused until 14:00", two days early. As text it goes by email to
 * people in other time zones (the digest, the fleet view), as the alerts about the same pause
 * do: in UTC with its date, the alerts' form.
 */
function pausedWords(pausedUntilMs: number | null, surface: PauseSurface, nowMs: number): string {
  if (surface === 'beside-resume') {
    if (!pausedUntilMs) return 'Paused until you resume';
    const day = otherDay(pausedUntilMs, nowMs);
    return `Paused until ${day === null ? '' : `${day} `}${clock(pausedUntilMs)}`;
  }
  return pausedUntilMs
    ? `Paused until ${formatUtcMinute(pausedUntilMs)}, when it resumes by itself (sooner: ${HOW_TO_RESUME})`
    : `Paused until someone resumes it (${HOW_TO_RESUME})`;
}

/**
 * The snapshot's sentence as text read away from the tray (`rdl-sync status`, the digest, the
 * fleet heartbeat): a pause names how to resume, as the long-pause alert does. The snapshot's own
 * sentence stays short: the window and the tray show it beside their Resume button.
 */
export function sentenceAsText(s: StatusSnapshot): string {
  if (s.state !== 'paused') return s.sentence;
  return pausedSentence(s.pausedUntilMs, s.counts.transit + s.counts.waiting, 'text', Date.now());
}
