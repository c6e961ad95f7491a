// The wall clock stepped forward: NTP setting a Pi's clock some time after a boot without a
// real-time clock, a person's `date`. Every logger's last file, dated before the step, then
// looked as old as the step: a 2-hour step raised "No new file from cameras/infrared1 for 2 h"
// for a camera writing each minute, resolved at its next file (found by an unattended-hub trial
// under libfaketime). The steps are told by the monotonic clock, which never steps, and a
// silence is measured without them.

/** The wall clock moved this much further than the monotonic one between two looks: a step. */
const STEP_MS = 2_000;
/** Steps remembered (a hub sees one per boot at most; a few more cost nothing). */
const KEPT = 32;

export class ForwardSteps {
  private lastOffset: number | null = null;
  /** Each step: the wall time it was seen at, and how far the wall clock jumped. */
  private readonly steps: { seenAtMs: number; ms: number }[] = [];

  /** Looks at both clocks now; a forward step since the last look is remembered. */
  note(wallMs: number, monoMs: number): void {
    const offset = wallMs - monoMs;
    if (this.lastOffset !== null && offset - this.lastOffset > STEP_MS) {
      this.steps.push({ seenAtMs: wallMs, ms: offset - this.lastOffset });
      if (this.steps.length > KEPT) this.steps.shift();
    }
    this.lastOffset = offset;
  }

  /**
   * How much of the wall time since `sinceMs` (a time read before any of the steps counted) is
   * steps rather than time that passed. A time read after a step is in the new reckoning, later
   * than the wall time just before the step: that step is not counted against it.
   */
  steppedSince(sinceMs: number): number {
    let ms = 0;
    for (const s of this.steps) if (sinceMs <= s.seenAtMs - s.ms) ms += s.ms;
    return ms;
  }
}
