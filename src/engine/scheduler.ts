// Decides when passes run. Passes never overlap: a tick or "sync now" that arrives while a pass is
// running queues exactly one more pass right after it, and reaches the running pass as one of its
// ticks (pipeline/pass-ticks.ts: a pass one slow leg holds up stages new files for the others).
// Interval mode schedules the next pass a full interval after the previous one ended, so a slow
// pass cannot make passes pile up; while one runs, its ticks come every interval instead.
//
// Time: the interval is a monotonic timer (Node's setTimeout runs on CLOCK_MONOTONIC), never a
// wall-clock date. A Raspberry Pi has no real-time clock: it boots with a saved time that NTP then
// steps, by minutes or days. A pass armed for a wall-clock date waits out every backward step
// (node-schedule re-arms a date that is still in the future when its timer fires). Cron is wall
// time by nature, so a cron schedule is re-armed whenever a periodic check sees the wall clock
// move differently from the monotonic one.
import schedule from 'node-schedule';
import { monotonicNow, systemClock, type Clock, type Logger } from './ports.js';
import { isSetupNeeded } from './settings/setup-needed.js';
import { wasLogged } from './log/logged-failures.js';
import { PassTicks } from './pipeline/pass-ticks.js';

/** How often the wall clock is compared with the monotonic one. */
export const CLOCK_CHECK_MS = 5_000;
/**
 * A difference between wall and monotonic elapsed time above this is a step, not drift: NTP slews
 * at most 0.5 ms/s, so 2 s over one check is far beyond any slew and far below any real step.
 */
export const CLOCK_JUMP_MS = 2_000;

export type ScheduleSpec =
  { mode: 'interval'; intervalSeconds: number } | { mode: 'cron'; cron: string };

export interface SchedulerHooks {
  /** `ticks`: the schedule's moments that come while this pass still runs (pass-ticks.ts). */
  runPass(signal: AbortSignal, ticks: PassTicks): Promise<void>;
  /**
   * A pass falls due while paused: no pass runs, but what waits can still be counted (files kept
   * arriving in the watch folder while status and the fleet said 0 waiting, for days).
   */
  whilePaused?(signal: AbortSignal): void;
  onChange?(state: { running: boolean; nextRunMs: number | null }): void;
  logger: Logger;
  /** Wall time for display and cron, monotonic time for the interval. Defaults to the system's. */
  clock?: Clock;
  /** How often to check the wall clock for steps (tests shorten it). */
  clockCheckMs?: number;
}

export class PassScheduler {
  /** Cron mode: node-schedule's job (wall time). */
  private job: schedule.Job | null = null;
  /** Interval mode: a monotonic timer and the monotonic instant it fires at. */
  private timer: NodeJS.Timeout | null = null;
  private dueMono: number | null = null;
  private clockCheck: NodeJS.Timeout | null = null;
  private lastWall = 0;
  private lastMono = 0;
  private readonly clock: Clock;
  private running: Promise<void> | null = null;
  private queued = false;
  private paused = false;
  private stopped = true;
  private abort = new AbortController();
  /** A pass is about to begin (armed with no delay): "sync now" joins it rather than queue one. */
  private immediate: { requested: boolean } | null = null;
  /** The pass running now: a pause ends it at its next safe point (see setPaused). */
  private passAbort: AbortController | null = null;
  /** The running pass's ticks: each time a pass falls due (or is asked for) while it runs. */
  private passTicks: PassTicks | null = null;

  constructor(
    private spec: ScheduleSpec,
    private readonly hooks: SchedulerHooks,
  ) {
    this.clock = hooks.clock ?? systemClock;
  }

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.startClockCheck();
    this.arm(0);
  }

  /** Run a pass now (even while paused: a person asked), or right after the one running. */
  triggerNow(): void {
    if (this.stopped) return;
    // The tray's "Sync now" during start-up arrived just before the first pass and queued a
    // second one behind it: two passes back to back for one click.
    if (this.immediate) {
      this.immediate.requested = true;
      return;
    }
    if (this.running) {
      this.queued = true;
      this.passTicks?.tick();
      return;
    }
    void this.execute(true);
  }

  /**
   * Pausing also ends the pass under way, at its next safe point (the same abandon a stop uses,
   * safe at any instant): the window says "Paused" at once, and a person who pauses before
   * pulling the card or to free a slow link expects the bytes to stop now, not after a large
   * upload ends. A pass queued behind it is dropped; "Sync now" while paused still runs one.
   */
  setPaused(paused: boolean): void {
    const pausing = paused && !this.paused;
    this.paused = paused;
    if (pausing) {
      this.queued = false;
      // So is a "Sync now" that joined the first pass at start-up (see triggerNow): asked for
      // before the pause, it would otherwise run that pass in full while paused.
      if (this.immediate) this.immediate.requested = false;
      this.passAbort?.abort(new Error('paused'));
    }
    this.notify();
  }

  reconfigure(spec: ScheduleSpec): void {
    this.spec = spec;
    if (!this.stopped && !this.running) this.arm();
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  /** When the next scheduled pass runs, in wall time (for display). */
  get nextRunMs(): number | null {
    if (this.dueMono !== null)
      return this.clock.now() + Math.max(0, this.dueMono - monotonicNow(this.clock));
    // node-schedule types say Date, but it hands back a CronDate; both have getTime().
    const next = this.job?.nextInvocation() as { getTime(): number } | null | undefined;
    return next ? next.getTime() : null;
  }

  /** Waits for the running pass. `abandon` aborts it at the next safe point instead. */
  async stop(abandon = false): Promise<void> {
    this.stopped = true;
    this.cancelJob();
    if (this.clockCheck) clearInterval(this.clockCheck);
    this.clockCheck = null;
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
        const immediate = { requested: false };
        this.immediate = immediate;
        setImmediate(() => {
          if (this.immediate === immediate) this.immediate = null;
          void this.execute(immediate.requested);
        });
        return;
      }
      this.dueMono = monotonicNow(this.clock) + delay;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.dueMono = null;
        void this.execute(false);
      }, delay);
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueMono = null;
  }

  /**
   * Compares how far the wall clock and the monotonic clock moved since the last check. A step
   * re-arms a cron schedule (node-schedule would otherwise wait out a backward step, or fire late
   * after a forward one) and refreshes the displayed next-pass time in either mode.
   */
  private startClockCheck(): void {
    if (this.clockCheck) clearInterval(this.clockCheck);
    this.lastWall = this.clock.now();
    this.lastMono = monotonicNow(this.clock);
    this.clockCheck = setInterval(
      () => this.checkClock(),
      this.hooks.clockCheckMs ?? CLOCK_CHECK_MS,
    );
    // The pass timer keeps the process alive; this check alone must not.
    this.clockCheck.unref();
  }

  /** Exposed for tests through the periodic check; returns the step seen (ms, + is forward). */
  checkClock(): number {
    const wall = this.clock.now();
    const mono = monotonicNow(this.clock);
    const step = wall - this.lastWall - (mono - this.lastMono);
    this.lastWall = wall;
    this.lastMono = mono;
    if (Math.abs(step) < CLOCK_JUMP_MS || this.stopped) return 0;
    this.hooks.logger.warn('the wall clock stepped; schedule re-armed', {
      stepSeconds: Math.round(step / 1000),
      mode: this.spec.mode,
    });
    if (this.spec.mode === 'cron') {
      // A forward step over the armed time skipped a pass the person expects by now: run it.
      const due = this.nextRunMs;
      this.arm();
      if (step > 0 && due !== null && due <= wall) void this.execute(false);
    } else {
      this.notify();
    }
    return step;
  }

  private async execute(requested: boolean): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.queued = true;
      this.passTicks?.tick();
      return;
    }
    if (this.paused && !requested) {
      this.hooks.whilePaused?.(this.abort.signal);
      if (this.spec.mode === 'interval') this.arm();
      return;
    }
    if (this.spec.mode === 'interval') this.cancelJob();
    const passAbort = new AbortController();
    this.passAbort = passAbort;
    const signal = AbortSignal.any([this.abort.signal, passAbort.signal]);
    const ticks = new PassTicks();
    this.passTicks = ticks;
    // Interval mode arms no timer while a pass runs (the next comes a full interval after it
    // ends): the pass's ticks come every interval from its start instead. Cron's own ticks come.
    const every =
      this.spec.mode === 'interval'
        ? setInterval(() => ticks.tick(), Math.max(1, this.spec.intervalSeconds * 1000))
        : null;
    const run = (async () => {
      try {
        await this.hooks.runPass(signal, ticks);
      } catch (e) {
        // A first run waiting for its setup is not a failure (status says "setup needed").
        if (isSetupNeeded(e)) return this.hooks.logger.debug('pass skipped: setup needed');
        // Cut short by a pause or a stop, where the pass throws the abort's reason: the pass
        // runner has logged that once already.
        if (signal.aborted) return;
        // A pass that failed is logged by the pass runner, with its reason: once is enough.
        if (wasLogged(e)) return;
        const reason = e instanceof Error ? e.message : String(e);
        this.hooks.logger.error('pass failed', { reason });
      }
    })();
    this.running = run;
    this.notify();
    await run;
    if (every) clearInterval(every);
    this.running = null;
    this.passAbort = null;
    this.passTicks = null;
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
