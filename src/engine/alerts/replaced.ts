// One problem of a leg replaced by another: the card full, then pulled out; Dropbox out of reach,
// then answering "access revoked". The leg still does not work, so the first is not told
// "Resolved" (a person read "Resolved: the archive disk full" of a card pulled out, and took the
// archive for working); the second is told in its own words, saying which alert it replaces. The
// leg's real recovery is told "Resolved" once, of the problem it had last (policy.ts).
import { LEGS, LEG_IDS, type LegId } from '../legs/ids.js';

/** The leg a condition stops (one of its problem ids), or undefined for any other condition. */
export function legOf(conditionId: string): LegId | undefined {
  return LEG_IDS.find((leg) => LEGS[leg].problemIds.includes(conditionId));
}

/** What still does not work, by leg. */
const STILL: Record<LegId, string> = {
  upload: 'uploads to Dropbox still do not work',
  archive: 'the archive still does not work',
};

const LEAD = ' It replaces the earlier alert';

/**
 * "It replaces the earlier alert (the archive disk full): the archive still does not work, now
 * for this reason." `titles`: what the replaced problems were (resolved.ts problemTitle).
 */
export function replacesSentence(leg: LegId, titles: readonly string[]): string {
  const which = titles.length === 1 ? `${LEAD}` : `${LEAD}s`;
  return `${which} (${titles.join('; ')}): ${STILL[leg]}, now for this reason.`;
}

/**
 * A raise's sentence without what replacesSentence added: the problem's own words, as a restart
 * compares them with the problem it finds (policy.ts sameWords).
 */
export function withoutReplaces(sentence: string): string {
  const at = sentence.lastIndexOf(LEAD);
  return at < 0 ? sentence : sentence.slice(0, at);
}
