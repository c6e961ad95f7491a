// The unsettled guard: one trouble that keeps changing is told as one trouble. It sits after the
// policy (policy.ts), per subject: a leg (the archive, uploads: its problems replace one another,
// replaced.ts) or any other condition on its own.
//
// Why: a loose card reader flips the archive between "not mounted" and "read-only", or between
// missing and working, many times a day. The policy tells each flip (a leg's new problem is told
// at once, saying which it replaces; a condition back after its repeat guard is raised again), so
// a field hub sent one message per flip on every channel, dozens a day for one card in trouble.
//
// Rules:
//  - The guard follows what the status shows of each subject (the set of its problems, none
//    being "working"), not the policy's alerts: the policy holds and lets out alerts on its own
//    clock, and "steady" is about the card, not about the messages.
//  - A subject that comes back to a state it was already in within UNSETTLED_WINDOW_MS, for the
//    second time, is unsettled: comebacks, not changes, because a card full, then pulled, then
//    back read-only is three problems worth three messages, while missing, read-only, missing,
//    read-only is one trouble. The first comeback is still told as ever (a card put back still
//    full, leg-problem-replaced.test.ts).
//  - The message of the change that unsettles it is sent with a note: it keeps changing, how many
//    times since when, through which states, and that further changes wait until it has been
//    steady. With no message of its own (the policy held it), the note goes on a reminder of what
//    people were last told, when that problem is there now. Every later alert of the subject is
//    held.
//  - Once the subject has not changed for the settle time (alertFlapMinutes: the repeat guard's
//    "stayed away this long") and the policy agrees with the status on which of its problems are
//    open, one message says where it settled: a "Resolved" naming what it went through, or the
//    problem it stayed in (a reminder when people were told of it, else a raise replacing what
//    they were told). A hold promised such a message, so one is sent even when nothing was held.
//  - The guard's memory of comebacks outlives a hold: a subject that settled and starts again
//    within the window is unsettled at its next comeback, one message each time.
//  - alertFlapMinutes 0 turns the repeat guards off: no subject is unsettled then (a hold under
//    way ends at the next update).
// What is sent is what the alert log records, so a restart carries over what people were told.
// The hold itself is not kept across a restart: the next process tells changes again until the
// subject comes back twice (left as is: a restart during a hold is rare, and tells too much
// rather than too little).
import { LEG_IDS } from '../legs/ids.js';
import type { Problem } from '../status/types.js';
import { legOf, replacesSentence, withoutReplaces } from './replaced.js';
import { problemTitle } from './resolved.js';
import type { Alert } from './types.js';
import {
  fineWord,
  keepsChangingNote,
  settledResolvedSentence,
  stayedNote,
  withoutUnsettledNote,
  type EpisodeFacts,
  type Subject,
} from './unsettled-words.js';

/**
 * How far back comebacks count. A loose reader may come and go every hour or two: still one
 * trouble within a working day, while one comeback a day is a card handled by a person.
 */
export const UNSETTLED_WINDOW_MS = 6 * 3_600_000;

/** Comebacks within the window that make a subject unsettled (the first is still told). */
const COMEBACKS = 2;

interface StateSeen {
  /** Its problems' ids, sorted, joined; '' for none. */
  key: string;
  atMs: number;
  /** Their titles ("the archive out of reach"), or the subject's fine word for none. */
  titles: string[];
}

interface Episode extends EpisodeFacts {
  states: string[];
  /** When it last changed (steady since). */
  lastChangeMs: number;
}

interface Tracked {
  subject: Subject;
  /** Its states since the window began, oldest first; the first is the one in force then. */
  seen: StateSeen[];
  /** What the policy announced open, by condition (its last raise). */
  open: Map<string, Alert>;
  /** What people were told is open, by condition. */
  told: Map<string, Alert>;
  /** The policy's last alert of it (words for a "Resolved" when nothing was told open). */
  last?: Alert;
  /** While its alerts are held. */
  episode?: Episode;
}

export class UnsettledGuard {
  private readonly subjects = new Map<string, Tracked>();

  /**
   * What to send of the policy's `alerts` for a status whose problems are `present`, given the
   * settle time (alertFlapMinutes in ms; 0: the guard is off).
   */
  update(
    present: readonly Problem[],
    alerts: readonly Alert[],
    nowMs: number,
    settleMs: number,
  ): Alert[] {
    const started = this.observe(present, nowMs, settleMs);
    const out: Alert[] = [];
    const noted = new Set<string>();
    for (const alert of alerts) {
      const key = subjectKey(alert.conditionId);
      const tracked = this.tracked(key, alert, nowMs);
      applyTo(tracked.open, alert);
      if (alert.kind !== 'reminder') tracked.last = alert;
      if (tracked.episode && !started.has(key)) continue; // held
      let sent = alert;
      if (started.has(key) && !noted.has(key) && alert.kind !== 'reminder') {
        sent = {
          ...alert,
          sentence: `${alert.sentence}${keepsChangingNote(tracked.episode!, settleMs)}`,
        };
        noted.add(key);
      } else if (started.has(key)) continue; // one message starts a hold
      applyTo(tracked.told, sent);
      out.push(sent);
    }
    // Unsettled by a change the policy said nothing of (it holds it): back to a problem people
    // were told of and never told "Resolved", the note goes on a reminder of it (they learn it
    // keeps coming and going). Back to working, with its "Resolved" held: nothing now (a reminder
    // of a problem gone misleads); the settle message tells.
    for (const key of started) {
      if (noted.has(key)) continue;
      const tracked = this.subjects.get(key)!;
      const told = newest(tracked.told);
      if (told === undefined || !present.some((p) => p.id === told.conditionId)) continue;
      out.push({
        ...withoutReplaced(told),
        kind: 'reminder',
        atMs: nowMs,
        sentence: `${bare(told.sentence)}${keepsChangingNote(tracked.episode!, settleMs)}`,
      });
    }
    out.push(...this.settle(present, nowMs, settleMs));
    return out;
  }

  /** Each subject's state from the status; returns the subjects unsettled by this change. */
  private observe(present: readonly Problem[], nowMs: number, settleMs: number): Set<string> {
    const bySubject = new Map<string, Problem[]>();
    for (const p of present) {
      const key = subjectKey(p.id);
      bySubject.set(key, [...(bySubject.get(key) ?? []), p]);
    }
    const started = new Set<string>();
    for (const key of new Set([...this.subjects.keys(), ...bySubject.keys()])) {
      const problems = bySubject.get(key) ?? [];
      const tracked = this.tracked(key, problems[0], nowMs);
      const state = stateOf(tracked.subject, problems, nowMs);
      prune(tracked.seen, nowMs);
      if (tracked.seen.at(-1)!.key === state.key) continue;
      tracked.seen.push(state);
      if (tracked.episode) {
        tracked.episode.changes++;
        tracked.episode.lastChangeMs = nowMs;
        for (const t of state.titles) addOnce(tracked.episode.states, t);
      } else if (settleMs > 0 && comebacks(tracked.seen) >= COMEBACKS && isComeback(tracked.seen)) {
        tracked.episode = episodeOf(tracked.seen, nowMs);
        started.add(key);
      }
    }
    return started;
  }

  /** The messages of subjects that have been steady the settle time. */
  private settle(present: readonly Problem[], nowMs: number, settleMs: number): Alert[] {
    const out: Alert[] = [];
    for (const [key, tracked] of this.subjects) {
      const episode = tracked.episode;
      if (!episode) {
        // Nothing held and nothing to remember: forgotten (bounded memory over months).
        if (tracked.seen.length === 1 && tracked.seen[0]!.key === '' && tracked.open.size === 0)
          this.subjects.delete(key);
        continue;
      }
      // A clock stepped back: steady from now (a step must not end a hold, nor stretch it by days).
      if (nowMs < episode.lastChangeMs) episode.lastChangeMs = nowMs;
      if (nowMs - episode.lastChangeMs < settleMs) continue;
      // The policy may still hold an alert of it (its own repeat guard): the message waits for
      // the policy to say what the status shows, or it would tell of a problem already gone.
      const ids = present.filter((p) => subjectKey(p.id) === key).map((p) => p.id);
      if (!sameIds(ids, [...tracked.open.keys()])) continue;
      out.push(...settledAlerts(tracked, episode, nowMs));
      tracked.told = new Map(tracked.open);
      delete tracked.episode;
    }
    return out;
  }

  private tracked(
    key: string,
    about: Pick<Alert, 'code' | 'conditionId'> | Problem | undefined,
    nowMs: number,
  ): Tracked {
    let tracked = this.subjects.get(key);
    if (!tracked) {
      const leg = LEG_IDS.find((l) => l === key);
      const condition =
        about === undefined
          ? { code: key as Alert['code'], conditionId: key }
          : 'conditionId' in about
            ? { code: about.code, conditionId: about.conditionId }
            : { code: about.code, conditionId: about.id };
      tracked = {
        subject: leg ? { leg } : { condition },
        // Not seen before: it was fine (none of its problems) until now.
        seen: [{ key: '', atMs: nowMs, titles: [] }],
        open: new Map(),
        told: new Map(),
      };
      this.subjects.set(key, tracked);
    }
    return tracked;
  }
}

/** A leg's problems are one subject; any other condition is its own. */
function subjectKey(conditionId: string): string {
  return legOf(conditionId) ?? conditionId;
}

function stateOf(subject: Subject, problems: readonly Problem[], nowMs: number): StateSeen {
  const sorted = [...problems].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    key: sorted.map((p) => p.id).join(','),
    atMs: nowMs,
    titles:
      sorted.length === 0
        ? [fineWord(subject)]
        : sorted.map((p) => problemTitle({ code: p.code, conditionId: p.id })),
  };
}

/** Drops states older than the window, keeping the one in force when it began. */
function prune(seen: StateSeen[], nowMs: number): void {
  while (seen.length > 1 && nowMs - seen[1]!.atMs > UNSETTLED_WINDOW_MS) seen.shift();
}

/** How many of the states seen are a state seen before them. */
function comebacks(seen: readonly StateSeen[]): number {
  return seen.filter((s, i) => seen.slice(0, i).some((e) => e.key === s.key)).length;
}

function isComeback(seen: readonly StateSeen[]): boolean {
  const last = seen.at(-1)!;
  return seen.slice(0, -1).some((s) => s.key === last.key);
}

function episodeOf(seen: readonly StateSeen[], nowMs: number): Episode {
  const states: string[] = [];
  // The state in force when the window began is no change; its problems are part of the trouble.
  for (const s of seen)
    if (s.key !== '' || s !== seen[0]) for (const t of s.titles) addOnce(states, t);
  return { startMs: seen[1]!.atMs, changes: seen.length - 1, states, lastChangeMs: nowMs };
}

function addOnce(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

/** Open conditions as an alert leaves them (a raise replaces its leg's others, replaced.ts). */
function applyTo(open: Map<string, Alert>, alert: Alert): void {
  if (alert.kind === 'cleared') {
    open.delete(alert.conditionId);
    return;
  }
  if (alert.kind === 'raised') for (const id of alert.replaces ?? []) open.delete(id);
  if (alert.kind === 'raised' || !open.has(alert.conditionId)) open.set(alert.conditionId, alert);
}

function newest(alerts: Map<string, Alert>): Alert | undefined {
  return [...alerts.values()].sort((a, b) => b.atMs - a.atMs)[0];
}

/** An alert's own words, without what replaced.ts or this guard added. */
function bare(sentence: string): string {
  return withoutReplaces(withoutUnsettledNote(sentence)).replace(/\s+$/, '');
}

/** An alert without the conditions its raise replaced (a later message replaces nothing by it). */
function withoutReplaced(alert: Alert): Alert {
  const { replaces: _replaced, ...rest } = alert;
  return rest;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Where a subject settled, told once (see the header). */
function settledAlerts(tracked: Tracked, episode: Episode, nowMs: number): Alert[] {
  const steadySince = episode.lastChangeMs;
  if (tracked.open.size === 0) {
    // Settled working: a "Resolved" of what people were told, or of its last problem.
    const about = [...tracked.told.values()];
    if (about.length === 0 && tracked.last) about.push(tracked.last);
    const lastWords = newest(tracked.open) ?? newest(tracked.told) ?? tracked.last;
    return about.map((a) => ({
      ...withoutReplaced(a),
      kind: 'cleared' as const,
      atMs: nowMs,
      sinceMs: Math.min(a.sinceMs, episode.startMs),
      sentence: settledResolvedSentence(
        tracked.subject,
        episode,
        steadySince,
        lastWords && bare(lastWords.sentence),
      ),
    }));
  }
  const leg = 'leg' in tracked.subject ? tracked.subject.leg : undefined;
  const out: Alert[] = [];
  const notOpen = [...tracked.told.values()].filter((a) => !tracked.open.has(a.conditionId));
  for (const a of tracked.open.values()) {
    const known = tracked.told.has(a.conditionId);
    const replaces = !known && leg !== undefined ? notOpen : [];
    const tail =
      leg !== undefined && replaces.length > 0
        ? replacesSentence(
            leg,
            replaces.map((r) => problemTitle(r)),
          )
        : '';
    out.push({
      ...withoutReplaced(a),
      kind: known ? 'reminder' : 'raised',
      atMs: nowMs,
      sentence: `${bare(a.sentence)}${tail}${stayedNote(episode, steadySince)}`,
      ...(replaces.length > 0 ? { replaces: replaces.map((r) => r.conditionId) } : {}),
    });
  }
  // A condition people were told open that is not (and no raise replaced it): resolved.
  if (leg === undefined || out.every((a) => a.kind !== 'raised'))
    for (const a of notOpen)
      out.push({
        ...withoutReplaced(a),
        kind: 'cleared',
        atMs: nowMs,
        sentence: settledResolvedSentence(tracked.subject, episode, steadySince, bare(a.sentence)),
      });
  return out;
}
