// Holds back log lines that only repeat what the log already says. A hub whose link is down for
// a long weekend runs a pass every few seconds, and each pass met the same refusal: at the default
// 10 s interval that was about 7 lines a pass, 7 MB a day, so the 5 MB rotation had pushed out
// the moment the link went down (and everything before it) within a day and a half. Now the
// first line of a kind is written, then at most one every REPEAT_REMINDER_MS while the condition
// holds, saying how many were held back; `settled` starts the kind afresh (the link answered).

/** How often a condition that holds is written again: a reminder that it still holds. */
export const REPEAT_REMINDER_MS = 30 * 60_000;

/** Kinds remembered at most (a kind is a condition such as "network", not a file). */
const MAX_KINDS = 64;

export class RepeatQuieter {
  private readonly kinds = new Map<string, { writtenAtMs: number; heldBack: number }>();

  /** `now`: a monotonic clock, so a clock step neither floods the log nor silences it. */
  constructor(
    private readonly now: () => number,
    private readonly reminderMs = REPEAT_REMINDER_MS,
  ) {}

  /**
   * Whether a line of this kind is written now. Null: hold it back (counted). A number: write it,
   * with that many lines of its kind held back since the last one written (0 for a first line).
   */
  admit(kind: string): number | null {
    const now = this.now();
    const seen = this.kinds.get(kind);
    if (seen && now - seen.writtenAtMs < this.reminderMs) {
      seen.heldBack++;
      return null;
    }
    const heldBack = seen?.heldBack ?? 0;
    this.kinds.delete(kind); // re-inserted last: the Map's order is the age of the last write
    this.kinds.set(kind, { writtenAtMs: now, heldBack: 0 });
    if (this.kinds.size > MAX_KINDS) this.kinds.delete(this.kinds.keys().next().value!);
    return heldBack;
  }

  /** The condition is over: the next line of this kind (or of every kind) is written at once. */
  settled(kind?: string): void {
    if (kind === undefined) this.kinds.clear();
    else this.kinds.delete(kind);
  }
}
