// Decides when passes run. Passes never overlap: a tick or "sync now" that arrives while a pass is
// running queues exactly one more pass right after it. Interval mode schedules the next pass a
// full interval after the previous one ended, so a slow pass cannot make passes pile up.
import schedule from 'node-schedule';
import type { Logger } from './ports.js';

export type ScheduleSpec =
  { mode: 'interval'; intervalSeconds: number } | { mode: 'cron'; cron: string };

export interface SchedulerHooks {
  runPass(signal: AbortSignal): Promise<void>;
  onChange?(state: { running: boolean; nextRunMs: number | null }): void;
  logger: Logger;
}

/** Returns null when node-schedule accepts the cron expression, else why it does not. */
export function cronProblem(expr: string): string | null {
  const job = schedule.scheduleJob(expr, () => {});
  if (!job)
    return `"${expr}" is not a valid cron expression (five or six fields, e.g. */5 * * * *)`;
  job.cancel();
  return null;
}

export class PassScheduler {
  private job: schedule.Job | null = null;
  private running: Promise<void> | null = null;
  private queued = false;
  private paused = false;
  private stopped = true;
  private abort = new AbortController();

  constructor(
    private spec: ScheduleSpec,
    private readonly hooks: SchedulerHooks,
  ) {}

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.arm(0);
  }

  /** Run a pass now (even while paused: a person asked), or right after the one running. */
  triggerNow(): void {
    if (this.stopped) return;
    if (this.running) {
      this.queued = true;
      return;
    }
    void this.execute(true);
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.notify();
  }

  reconfigure(spec: ScheduleSpec): void {
    this.spec = spec;
    if (!this.stopped && !this.running) this.arm();
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  get nextRunMs(): number | null {
    // node-schedule types say Date, but it hands back a CronDate; both have getTime().
    const next = this.job?.nextInvocation() as { getTime(): number } | null | undefined;
    return next ? next.getTime() : null;
  }

  /** Waits for the running pass. `abandon` aborts it at the next safe point instead. */
  async stop(abandon = false): Promise<void> {
    this.stopped = true;
    this.cancelJob();
    if (abandon) this.abort.abort(new Error('stopping'));
    await this.running;
    this.notify();
  }

  /** Resolves when the pass now running (if any) and any queued one have finished. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private arm(delayMs?: number): void {
    this.cancelJob();
    if (this.stopped) return;
    if (this.spec.mode === 'interval') {
      const delay = delayMs ?? this.spec.intervalSeconds * 1000;
      if (delay <= 0) {
        // node-schedule drops dates that are already past by the time it looks; run directly.
        setImmediate(() => void this.execute(false));
        return;
      }
      this.job = schedule.scheduleJob(new Date(Date.now() + delay), () => void this.execute(false));
    } else {
      this.job = schedule.scheduleJob(this.spec.cron, () => void this.execute(false));
      if (!this.job)
        this.hooks.logger.error('invalid cron expression; no passes scheduled', {
          cron: this.spec.cron,
        });
    }
    this.notify();
  }

  private cancelJob(): void {
    this.job?.cancel();
    this.job = null;
  }

  private async execute(requested: boolean): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.queued = true;
      return;
    }
    if (this.paused && !requested) {
      if (this.spec.mode === 'interval') this.arm();
      return;
    }
    if (this.spec.mode === 'interval') this.cancelJob();
    const run = (async () => {
      try {
        await this.hooks.runPass(this.abort.signal);
      } catch (e) {
        this.hooks.logger.error('pass failed', {
          reason: e instanceof Error ? e.message : String(e),
        });
      }
    })();
    this.running = run;
    this.notify();
    await run;
    this.running = null;
    if (this.stopped) return;
    if (this.queued) {
      this.queued = false;
      void this.execute(true);
      return;
    }
    if (this.spec.mode === 'interval') this.arm();
    else this.notify();
  }

  private notify(): void {
    this.hooks.onChange?.({ running: this.running !== null, nextRunMs: this.nextRunMs });
  }
}
