// The schedule's moments that come while a pass is still running (scheduler.ts). A pass held up by
// one slow leg (a large upload on a slow link, a link that swallows requests for minutes) looks at
// the watch folder again at each, so that new files reach the legs that are free (the card) instead
// of waiting in the watch folder until the slow leg is done (pass.ts, restageWhileLegsWork).

export class PassTicks {
  private wake: () => void = () => undefined;
  private due: Promise<void> = this.fresh();

  /** Resolves at the next tick: one promise for every caller until it comes (nothing piles up). */
  next(): Promise<void> {
    return this.due;
  }

  tick(): void {
    const wake = this.wake;
    this.due = this.fresh();
    wake();
  }

  private fresh(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }
}
