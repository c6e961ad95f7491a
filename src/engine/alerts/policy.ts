// The one alert policy (tray and daemon alike): it reads the engine's status snapshots and
// decides when a person is told. Pure: the caller passes the time, so tests use a fake clock.
//
// Rules, all per condition (no shared cap: "access revoked" is never held back because other
// conditions used up a budget):
//  - A problem that appears is announced once ('raised'); when it disappears, once ('cleared')
//    — only if its raise was announced.
//  - A condition that flaps (cleared, then back) is never left on a "Resolved": back within
//    `flapMs` of its last raise, it is announced again at once, and then its next 'cleared' waits
//    until it has stayed away `flapMs` (a card that comes and goes makes three messages, not one
//    a minute). Holding the raise instead left a person reading "Resolved" for up to half an
//    hour while the card was missing again. Errors (syncing stopped on a leg) always flap freely.
//    While a "Resolved" is held, the raise a channel never took is held back too (away(): the
//    outbox then drops both, delivery.ts), and the hold is shown (held(): `rdl-sync status`): a
//    late raise of a condition already healed sent a person out for nothing, and a silent hold
//    read as a "Resolved" lost. Another fault under the same id (other words: another folder, a
//    card at another path; not another cause of one outage) is no flap: told as any condition.
//  - A condition still there `reminderMs` after its last announcement is announced again
//    ('reminder'); 0 turns reminders off.
// Offline is an ordinary problem here: the engine raises it only after the offline setting (its
// one offline clock), so the policy adds no timer of its own.
//  - A condition announced whose cause changes (Problem.cause: offline's network, Dropbox's
//    outage, its "too many requests", each with another fix) is announced again, once, in the new
//    words; a cause already told of it is not told again before the reminder time, and figures
//    (minutes, files) never make a new announcement.
//  - One problem of a leg replaced by another (the card full, then pulled; Dropbox out of reach,
//    then "access revoked"; replaced.ts): the first gets no "Resolved" (the leg still does not
//    work), the second is told at once, whatever the repeat guard says, saying which it replaces
//    (Alert.replaces, which the alert log keeps for a restart). Told at once too: the person's
//    last word was of the leg's other problem. A "Resolved" held by the guard when another
//    problem of its leg comes is replaced so. Problems of one leg that stand together (access
//    revoked, then offline) are each resolved as ever: the other one is still told as open.
//  - What an earlier process announced and never cleared (the alert log, carryOver) is not
//    announced again by the next one: a restarted service (a reboot, an upgrade) re-sent every
//    open condition. Still there: its reminder keeps the first announcement's time. Gone: its
//    'cleared' is sent once this process has looked (its first pass has ended; offline only once
//    Dropbox has answered), so a condition healed while the service was down is resolved too.
import { diskProblemFix } from '../disks/disk-check.js';
import { archiveFullFix } from '../archive/problems.js';
import { settingsMistakes } from './settings-sentence.js';
import { transitNoRoomFix, withoutWaiting } from '../pipeline/problems.js';
import type { HeldResolved, Problem, StatusSnapshot } from '../status/types.js';
import { FILES_FAILING_PREFIX } from '../pipeline/problems.js';
import { problemTitle, resolvedSentence } from './resolved.js';
import { compareNames } from '../compare-names.js';
import { withoutFigures } from '../figures.js';
import type { GroupedProblem } from './file-groups.js';
import type { Alert } from './types.js';
import { legOf, replacesSentence } from './replaced.js';
import type { LegId } from '../legs/ids.js';

/** Carried conditions whose absence counts only once Dropbox has answered this process. */
const NEEDS_DROPBOX_ANSWER = new Set([
  'offline',
  'auth-revoked',
  'quota-full',
  'remote-encrypted',
  'proxy-refused',
  'connection-untrusted',
]);

/**
 * A new group of failing files (file-groups.ts) is raised once the pass that found it has ended,
 * or after this long (a long pass, a backlog draining): the status raises the files of one pass
 * one by one, and the raise named only the first of them while the reminders named them all.
 */
const GATHER_MS = 60_000;

export interface AlertPolicyOptions {
  /** Minimum time between two raises of one condition (attention only). */
  flapMs: number;
  /** Remind after this long; 0 = never. */
  reminderMs: number;
}

interface Tracked {
  problem: Problem;
  /** When this process first saw it (GATHER_MS counts from here). */
  firstSeenMs: number;
  /** Announced (raised or reminded) at; null while held back. */
  announcedAtMs: number | null;
  /** The cause (Problem.cause) people were last told of; undefined before any was. */
  toldCause?: string;
  /** Raised again soon after its 'cleared' (flapping): its next 'cleared' waits for `flapMs`. */
  holdClear?: boolean;
  /** While a held 'cleared' waits: since when the condition is away. */
  awaySinceMs?: number;
  /**
   * Carried over: when the process before this one saw it go while it held its "Resolved" (its
   * "Resolved" says until when it came and went; "lasted" until this process looked was wrong).
   */
  wentBeforeMs?: number;
  /** When each cause of this condition was last told, while it lasts. */
  causesToldMs: Map<string, number>;
  /** A group of failing files: every file it has had while it lasts (its "Resolved" names them). */
  files?: Set<string>;
}

/** What the policy reads of a snapshot; the rest only matters for conditions carried over. */
export type PolicyView = { problems: readonly GroupedProblem[] } & Partial<
  Pick<StatusSnapshot, 'lastPassMs' | 'passRunning' | 'dropbox'>
>;

export class AlertPolicy {
  private readonly active = new Map<string, Tracked>();
  /** Last time each condition was announced as raised, also after it cleared (flap guard). */
  private readonly lastRaisedMs = new Map<string, number>();
  /** The words of that raise: a return in other words is another fault, not a flap. */
  private readonly lastRaisedAs = new Map<string, Words>();
  /** Conditions whose last announcement was 'cleared': a return must not stay untold. */
  private readonly toldResolved = new Set<string>();
  /** Announced by an earlier process, not yet seen by this one; since when this one runs. */
  private readonly carried = new Set<string>();
  private carriedAtMs = 0;

  constructor(private options: AlertPolicyOptions) {}

  /**
   * Conditions an earlier process announced (raised or reminded, at `announcedAtMs`) and never
   * cleared, and when conditions were last raised (the flap guard's memory). Call before the
   * first update.
   */
  carryOver(
    open: { problem: Problem; announcedAtMs: number }[],
    lastRaised: { id: string; atMs: number; as?: Words }[],
    nowMs: number,
    /** Conditions whose last announcement was their 'cleared'. */
    resolvedLast: string[] = [],
    /** Conditions whose "Resolved" the process before held (held()), and when each went. */
    went: { id: string; atMs: number }[] = [],
  ): void {
    this.carriedAtMs = nowMs;
    for (const id of resolvedLast) this.toldResolved.add(id);
    for (const { problem, announcedAtMs } of open) {
      if (this.active.has(problem.id)) continue;
      this.active.set(problem.id, {
        problem,
        firstSeenMs: nowMs,
        announcedAtMs,
        causesToldMs: new Map(),
      });
      this.carried.add(problem.id);
    }
    for (const { id, atMs } of went) {
      const tracked = this.active.get(id);
      if (tracked && this.carried.has(id) && atMs <= nowMs && atMs >= tracked.problem.sinceMs)
        tracked.wentBeforeMs = atMs;
    }
    for (const { id, atMs, as } of lastRaised) {
      if (this.lastRaisedMs.has(id)) continue;
      this.lastRaisedMs.set(id, atMs);
      if (as) this.lastRaisedAs.set(id, as);
    }
  }

  setOptions(options: AlertPolicyOptions): void {
    this.options = options;
  }

  /** Feed every snapshot (and call it now and then with the last one for reminders). */
  update(status: PolicyView, nowMs: number): Alert[] {
    const alerts: Alert[] = [];
    const present = new Map(status.problems.map((p) => [p.id, p]));
    // A leg's problem not told yet: a problem of that leg gone now is replaced by it (see header).
    const arriving = new Map<LegId, string>();
    for (const p of present.values()) {
      const leg = legOf(p.id);
      if (leg && !arriving.has(leg) && !(this.active.get(p.id)?.announcedAtMs != null))
        arriving.set(leg, p.id);
    }
    /** By the arriving problem's id: the problems it replaces. */
    const replaced = new Map<string, Problem[]>();

    for (const [id, tracked] of this.active) {
      if (present.has(id)) {
        delete tracked.awaySinceMs;
        delete tracked.wentBeforeMs;
        continue;
      }
      const leg = legOf(id);
      const by = leg === undefined ? undefined : arriving.get(leg);
      // Not seen yet may be not looked at yet: a carried condition waits for this process's look.
      // Another problem of its leg found is a look at the leg (the card found pulled), except for
      // what only Dropbox's answer shows healed: offline is no answer to "access revoked".
      if (
        this.carried.has(id) &&
        !this.hasLooked(id, status) &&
        (by === undefined || NEEDS_DROPBOX_ANSWER.has(id))
      )
        continue;
      if (by !== undefined && tracked.announcedAtMs !== null) {
        // Replaced: no "Resolved" while the leg still does not work. Its last word is no longer
        // an open problem, so its return is told at once (as after a "Resolved").
        this.carried.delete(id);
        this.active.delete(id);
        this.toldResolved.add(id);
        replaced.set(by, [...(replaced.get(by) ?? []), tracked.problem]);
        continue;
      }
      if (tracked.announcedAtMs !== null && tracked.holdClear && this.options.flapMs > 0) {
        // Flapping: "Resolved" only once it has stayed away the guard's time (a clock stepped
        // back restarts the wait rather than stretching it).
        if (tracked.awaySinceMs === undefined || nowMs < tracked.awaySinceMs)
          tracked.awaySinceMs = nowMs;
        if (nowMs - tracked.awaySinceMs < this.options.flapMs) continue;
      }
      this.carried.delete(id);
      this.active.delete(id);
      if (tracked.announcedAtMs !== null) {
        // A held "Resolved" tells when the condition went, not when the guard let it out: "lasted
        // 8 min" was read of a card read-only for 15 s. So after a restart (wentBeforeMs): "lasted
        // 4 min" was read of an outage of 2 min, held, then resolved by the next process's look.
        const wentMs =
          tracked.holdClear && tracked.awaySinceMs !== undefined
            ? tracked.awaySinceMs
            : tracked.wentBeforeMs;
        alerts.push(
          alertOf('cleared', tracked.problem, nowMs, {
            files: tracked.files,
            ...(wentMs !== undefined ? { wentMs } : {}),
          }),
        );
        this.toldResolved.add(id);
      }
    }

    for (const problem of present.values()) {
      let tracked = this.active.get(problem.id);
      let sinceMs = problem.sinceMs;
      // Carried over, but now with other words: another cause with another fix (the service
      // could not read the tray's keyring; now the tray finds its keyring gone), or an upgrade
      // that words the fix anew. The person was told the old fix, so this is announced as new,
      // flap guard and all set aside; but the condition began when it was first told, not at
      // this restart, so its since-when stays (the resolved tells the whole span). Figures (an
      // offline problem counts its minutes) do not make other words.
      if (this.carried.delete(problem.id) && tracked && !sameWords(tracked.problem, problem)) {
        const began = tracked.problem.sinceMs;
        if (Number.isFinite(began)) sinceMs = Math.min(sinceMs, began);
        this.active.delete(problem.id);
        this.lastRaisedMs.delete(problem.id);
        tracked = undefined;
      }
      if (!tracked) {
        tracked = {
          problem: { ...problem, sinceMs },
          firstSeenMs: nowMs,
          announcedAtMs: null,
          causesToldMs: new Map(),
        };
        this.active.set(problem.id, tracked);
      }
      // The latest sentence (an offline problem counts its minutes), the first since-when.
      const { files, ...own } = problem;
      tracked.problem = { ...own, sinceMs: tracked.problem.sinceMs };
      if (files) for (const rel of files) (tracked.files ??= new Set()).add(rel);
      if (tracked.announcedAtMs === null) {
        const flapping = !this.mayRaise(problem, nowMs);
        const replaces = replaced.get(problem.id);
        // Within the guard, but the last word was "Resolved", or of the problem this one
        // replaces: told at once (see the header).
        if (flapping && !this.toldResolved.has(problem.id) && !replaces) continue;
        if (!replaces && gathering(tracked, status, nowMs)) continue;
        if (flapping) tracked.holdClear = true;
        this.toldResolved.delete(problem.id);
        tracked.announcedAtMs = nowMs;
        this.lastRaisedMs.set(problem.id, nowMs);
        this.lastRaisedAs.set(problem.id, { code: problem.code, message: problem.message });
        told(tracked, nowMs);
        alerts.push(alertOf('raised', tracked.problem, nowMs, {}, replaces));
      } else if (nowMs < tracked.announcedAtMs) {
        // The wall clock stepped back (NTP on a Pi with no real-time clock): the reminder counts
        // from now, not from a time that lies days ahead, which held it back by the whole step.
        tracked.announcedAtMs = nowMs;
      } else if (this.causeToTell(tracked, nowMs)) {
        // The same condition with another cause and another fix: "check the network" became
        // Dropbox's outage, or its "too many requests". Told once, as a raise in the new words,
        // or a person drives to a hub whose network is fine.
        tracked.announcedAtMs = nowMs;
        told(tracked, nowMs);
        alerts.push(alertOf('raised', tracked.problem, nowMs));
      } else if (
        this.options.reminderMs > 0 &&
        nowMs - tracked.announcedAtMs >= this.options.reminderMs
      ) {
        tracked.announcedAtMs = nowMs;
        told(tracked, nowMs);
        alerts.push(alertOf('reminder', tracked.problem, nowMs));
      }
    }
    return alerts;
  }

  /** Carried over from an earlier process and not yet looked at by this one. */
  awaitsLook(id: string): boolean {
    return this.carried.has(id);
  }

  /** How many conditions carried over wait for this process's look (only ever fewer). */
  awaitingLook(): number {
    return this.carried.size;
  }

  /**
   * Announced, gone, and its "Resolved" held by the flap guard: what a channel still owes of its
   * raise (or a reminder) waits, for the held "Resolved" cancels a raise never told (outbox.ts).
   * Delivered meanwhile, it told of a fault healed minutes before.
   */
  away(id: string): boolean {
    const tracked = this.active.get(id);
    return tracked?.announcedAtMs != null && tracked.awaySinceMs !== undefined;
  }

  /** Each "Resolved" the flap guard holds now: when its condition went, and when it is due. */
  held(): HeldResolved[] {
    const held: HeldResolved[] = [];
    for (const t of this.active.values()) {
      if (t.announcedAtMs === null || t.awaySinceMs === undefined) continue;
      held.push({
        conditionId: t.problem.id,
        title: problemTitle({ code: t.problem.code, conditionId: t.problem.id }),
        wentMs: t.awaySinceMs,
        dueMs: t.awaySinceMs + this.options.flapMs,
      });
    }
    return held.sort((a, b) => a.wentMs - b.wentMs || compareNames(a.conditionId, b.conditionId));
  }

  /** The conditions currently announced (for `alert test` and the digest). */
  announced(): Problem[] {
    return [...this.active.values()]
      .filter((t) => t.announcedAtMs !== null && t.awaySinceMs === undefined)
      .map((t) => t.problem);
  }

  /** Has this process checked what a carried condition is about since it started? */
  private hasLooked(id: string, status: PolicyView): boolean {
    if (status.lastPassMs == null || status.lastPassMs < this.carriedAtMs || status.passRunning)
      return false;
    // Offline is raised only after offlineAlertMinutes of this process's own clock, and revoked
    // access or a full Dropbox only by Dropbox's answer: their absence says nothing until Dropbox
    // has answered this process (a hub rebooted with its link down sent "No longer a problem:
    // Dropbox access was revoked" after its first pass, and raised it again when the link came).
    if (NEEDS_DROPBOX_ANSWER.has(id))
      return (status.dropbox?.lastContactMs ?? 0) >= this.carriedAtMs;
    return true;
  }

  /**
   * Whether an announced condition's cause has changed to one worth telling. Without noise: a
   * cause already told of this condition is told again only after the reminder time (a link
   * that flips between timeouts and "too many requests" every pass is told each cause once);
   * figures never count. A condition announced before its cause was known (carried over from an
   * earlier process) takes the cause it has now as the one told.
   */
  private causeToTell(tracked: Tracked, nowMs: number): boolean {
    const cause = tracked.problem.cause;
    if (cause === undefined || cause === tracked.toldCause) return false;
    if (tracked.toldCause === undefined) {
      tracked.toldCause = cause;
      tracked.causesToldMs.set(cause, tracked.announcedAtMs ?? nowMs);
      return false;
    }
    const last = tracked.causesToldMs.get(cause);
    return (
      last === undefined ||
      nowMs < last ||
      (this.options.reminderMs > 0 && nowMs - last >= this.options.reminderMs)
    );
  }

  private mayRaise(problem: Problem, nowMs: number): boolean {
    if (problem.severity === 'error') return true;
    const last = this.lastRaisedMs.get(problem.id);
    // Back in other words: another fault under this id (a card at another path after a folder
    // deleted), told as any. Another cause of one fault (offline's) is its own rule (causeToTell).
    const as = this.lastRaisedAs.get(problem.id);
    if (as && problem.cause === undefined && !sameWords(as, problem)) return true;
    // A last raise "in the future" is a clock stepped back: the guard would hold the condition
    // back for the whole step (days), so it is announced, as after any guard.
    return last === undefined || nowMs < last || nowMs - last >= this.options.flapMs;
  }
}

/** What makes a condition's words (sameWords): its code and its sentence. */
export type Words = Pick<Problem, 'code' | 'message'>;

/** A new group of failing files whose pass may still find more of them (GATHER_MS). */
function gathering(tracked: Tracked, status: PolicyView, nowMs: number): boolean {
  return (
    tracked.problem.id.startsWith(FILES_FAILING_PREFIX) &&
    status.passRunning === true &&
    nowMs >= tracked.firstSeenMs &&
    nowMs - tracked.firstSeenMs < GATHER_MS
  );
}

/** People were told of this condition now, with its present cause. */
function told(tracked: Tracked, nowMs: number): void {
  const cause = tracked.problem.cause;
  if (cause === undefined) return;
  tracked.toldCause = cause;
  tracked.causesToldMs.set(cause, nowMs);
}

/**
 * What a "Resolved" says beyond the problem: every file of a group, and for a condition that
 * came and went (its "Resolved" held by the flap guard) when it went for the last time.
 */
interface ClearFacts {
  files?: ReadonlySet<string>;
  wentMs?: number;
}

function alertOf(
  kind: Alert['kind'],
  p: Problem,
  nowMs: number,
  clear: ClearFacts = {},
  /** The problems of its leg this raise replaces (replaced.ts). */
  replaces: readonly Problem[] = [],
): Alert {
  const leg = legOf(p.id);
  const replacing = leg !== undefined && replaces.length > 0;
  return {
    kind,
    conditionId: p.id,
    code: p.code,
    severity: p.severity,
    // A clear names what was wrong and quotes its last words as past: quoted as they stood, the
    // counts and the fix in them read as current in a message saying all is well.
    sentence:
      kind === 'cleared'
        ? resolvedSentence({ ...p, conditionId: p.id }, p.message, nowMs, {
            files: [...(clear.files ?? [])].sort(compareNames),
            ...(clear.wentMs !== undefined ? { wentMs: clear.wentMs } : {}),
          })
        : `${sentence(p.message)}${
            replacing
              ? replacesSentence(
                  leg,
                  replaces.map((r) => problemTitle({ code: r.code, conditionId: r.id })),
                )
              : ''
          }`,
    sinceMs: p.sinceMs,
    atMs: nowMs,
    tab: p.tab,
    ...(replacing ? { replaces: replaces.map((r) => r.id) } : {}),
  };
}

function stripStop(s: string): string {
  return s.replace(/[.\s]+$/, '');
}

function sentence(s: string): string {
  return `${stripStop(s)}.`;
}

/**
 * The same sentence but for its figures (a number with its unit, in any unit: "68 s" and "2 min"
 * are one figure, figures.ts; digits in a name are the name's), and for how many files wait ("1 file is waiting", "2 files
 * are"; none: no such words). A carried problem's words are the alert log's sentence, which ends
 * with a full stop the problem's own message mostly lacks: that stop is no other word.
 */
function sameWords(a: Words, b: Words): boolean {
  const words = (p: Words): string => {
    const message = stripStop(p.message);
    const fix =
      p.code === 'disk-nearly-full'
        ? diskProblemFix(message)
        : p.code === 'archive-full'
          ? archiveFullFix(withoutWaiting(message))
          : p.code === 'settings-invalid'
            ? (settingsMistakes(message) ?? withoutWaiting(message))
            : p.code === 'transit-unwritable'
              ? transitNoRoomFix(withoutWaiting(message))
              : withoutWaiting(message);
    return withoutFigures(fix);
  };
  return words(a) === words(b);
}
