// The words of the unsettled guard (unsettled.ts): the note added to the one message that says a
// subject keeps changing, the note of the message saying where it settled, and the "Resolved" of
// a subject that settled working. A note is only ever added at the end of an alert's own
// sentence, after a fixed lead, so that a restart can take it off again (withoutUnsettledNote):
// the next process compares a carried problem's words with the problem it finds, and a note would
// read as other words (policy.ts sameWords), announcing the problem anew.
import { formatDuration } from '../format-duration.js';
import { formatUtcMinute } from '../format-utc.js';
import type { LegId } from '../legs/ids.js';
import { problemTitle } from './resolved.js';
import type { Alert } from './types.js';

/** What a guarded subject is: a leg ("the archive") or one condition (its title). */
export type Subject = { leg: LegId } | { condition: Pick<Alert, 'code' | 'conditionId'> };

/** Each leg's name in a sentence (a Record: a new leg without words is a type error). */
const LEG_NAMES: Record<LegId, string> = { upload: 'uploads to Dropbox', archive: 'the archive' };

/** The subject's name in a sentence: "the archive", "uploads to Dropbox", "a logger gone silent". */
export function subjectName(subject: Subject): string {
  return 'leg' in subject ? LEG_NAMES[subject.leg] : problemTitle(subject.condition);
}

/** Its state with none of its problems: a leg works; a condition is gone. */
export function fineWord(subject: Subject): string {
  return 'leg' in subject ? 'working' : 'gone';
}

const KEEPS_CHANGING = ' This keeps changing:';
const STAYED = ' It has stayed so since';

/** What the episode went through, for a sentence. */
export interface EpisodeFacts {
  /** When its first change within the guard's window was. */
  startMs: number;
  /** How many times it changed (problems came, went, or one replaced another). */
  changes: number;
  /** The states it was in, in the order first seen ("the archive out of reach", "working"). */
  states: readonly string[];
}

function times(n: number): string {
  return n === 1 ? '1 change' : `${n} changes`;
}

/**
 * Added to the message that starts a hold: "This keeps changing: 4 changes since 09:05 UTC (the
 * archive out of reach, the archive disk read-only); further changes are not sent until it has
 * been steady for 30 min."
 */
export function keepsChangingNote(facts: EpisodeFacts, settleMs: number): string {
  return `${KEEPS_CHANGING} ${times(facts.changes)} since ${formatUtcMinute(facts.startMs)} (${facts.states.join(', ')}); further changes are not sent until it has been steady for ${formatDuration(settleMs)}.`;
}

/** Added to the message that ends a hold with a problem still there. */
export function stayedNote(facts: EpisodeFacts, steadySinceMs: number): string {
  return `${STAYED} ${formatUtcMinute(steadySinceMs)}, after ${times(facts.changes)} since ${formatUtcMinute(facts.startMs)} (${facts.states.join(', ')}).`;
}

/**
 * The "Resolved" of a subject that settled with none of its problems: "Resolved: the archive,
 * which kept changing from 09:05 UTC until 09:45 UTC (11 changes: the archive out of reach, the
 * archive disk read-only), and has been working since then. It last read: “…”."
 */
export function settledResolvedSentence(
  subject: Subject,
  facts: EpisodeFacts,
  steadySinceMs: number,
  lastWords: string | undefined,
): string {
  const name = subjectName(subject);
  const quote = lastWords
    ? ` It last read: “${withoutUnsettledNote(lastWords).replace(/[.\s]+$/, '')}”.`
    : '';
  const fine = 'leg' in subject ? 'has been working' : 'has stayed away';
  return `Resolved: ${name}, which kept changing from ${formatUtcMinute(facts.startMs)} until ${formatUtcMinute(steadySinceMs)} (${times(facts.changes)}: ${facts.states.join(', ')}), and ${fine} since then.${quote}`;
}

/** An alert's sentence without a note of this guard (a restart compares the words before it). */
export function withoutUnsettledNote(sentence: string): string {
  const at = [KEEPS_CHANGING, STAYED]
    .map((lead) => sentence.indexOf(lead))
    .filter((i) => i >= 0)
    .sort((a, b) => a - b)[0];
  return at === undefined ? sentence : sentence.slice(0, at);
}
