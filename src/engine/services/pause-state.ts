// Pause state: a pause (for a while, or until resumed) is kept in the settings file's runtime
// state, so it survives a restart and a pause set by `rdl-sync pause` in another process reaches
// the running daemon or tray app. This module turns that saved state into the status and the
// scheduler's paused flag, and ends a timed pause on time. The same state carries `rdl-sync sync`'s
// ask for a pass now, which the running engine follows with the pause (followSyncAsk).
import { monotonicNow, type Clock, type Logger } from '../ports.js';
import { isPausedAt, type RuntimeState } from '../settings/store.js';
import { SyncError } from '../errors.js';
import type { StatusModel } from '../status/model.js';
import type { Problem } from '../status/types.js';
import { formatUtcMinute } from '../format-utc.js';
import type { SettingsService } from './settings-service.js';

/** How often a following engine re-reads the pause another process may have set. */
const STATE_POLL_MS = 2_000;
/** A timed pause is re-checked just after it ends, so it never ends a tick early. */
const RESUME_SLACK_MS = 50;
/**
 * A pause until resumed that has lasted this long is a problem, announced like any other: on a hub
 * nobody watches, a pause forgotten (the tray's Pause over remote desktop, `rdl-sync pause`)
 * stopped the data for good and told nobody; only the digest, if set up, said "Paused".
 */
export const LONG_PAUSE_MS = 24 * 3_600_000;
export const PAUSED_LONG_ID = 'paused-long';
/**
 * The pause's timers wait at most this long at a time, then look again: a wall clock steps, and
 * Node fires a timer set beyond 2^31-1 ms (24.8 days) after 1 ms. A 30-day pause re-armed its
 * 1 ms timer for the whole pause: a spinning daemon and 400 warnings a second in its journal.
 */
const RECHECK_MAX_MS = 3_600_000;

/** What a pause acts on: the running scheduler, when there is one. */
export interface PauseTarget {
  setPaused(paused: boolean): void;
  triggerNow(): void;
  /** A pass is running (a pause ends it). */
  readonly isRunning: boolean;
}

export interface PauseStateDeps {
  settings: SettingsService;
  clock: Clock;
  logger: Logger;
  status: StatusModel;
  target: () => PauseTarget | null;
  /**
   * `rdl-sync sync` asked for a pass now (read with the pause: the same file, the same poll);
   * `askedMs`: when it saved the ask, which the status names once that pass has ended.
   */
  syncAsked: (askedMs: number) => void;
}

export class PauseState {
  private resumeTimer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  /**
   * The timed pause this process saw, and when it ends on the monotonic clock. The end is saved
   * as a wall time (other processes read it), and a wall clock stepped back (NTP on a Pi without
   * a real-time clock) stretched a one-hour pause by the whole step: days of nothing synced.
   */
  private timed: { untilMs: number; endsMono: number } | null = null;
  private longPauseTimer: NodeJS.Timeout | null = null;
  /** A pause saved without its start (by an earlier version): counted from when first seen. */
  private pauseFirstSeenMs: number | null = null;
  /** The clearing of an ended timed pause in the file, while it waits its turn or writes. */
  private clearing: Promise<void> | null = null;
  /** The last `rdl-sync sync` ask seen (undefined: none read yet; one from before is old news). */
  private askSeen: number | null | undefined = undefined;

  constructor(private readonly deps: PauseStateDeps) {}

  get paused(): boolean {
    return this.deps.status.current.paused;
  }

  /** Saved in turn with every other writer of the settings file (settings/edit-lock.ts). */
  async pause(forMs: number | null): Promise<void> {
    let until: number | null = null;
    await this.deps.settings.changeState((before) => {
      const now = this.deps.clock.now();
      const pausedUntilMs = forMs === null ? null : now + Math.max(0, forMs);
      until = pausedUntilMs;
      // A pause changed while paused (another end time) goes on from when it began.
      const pausedAtMs = before.paused ? (before.pausedAtMs ?? now) : now;
      return { paused: true, pausedUntilMs, pausedAtMs };
    });
    this.tookEffect((s) => s.paused && s.pausedUntilMs === until);
    this.apply();
  }

  /**
   * A change that could not be saved did not reach the file, and another process (the running
   * daemon, for `rdl-sync pause` and `sync`) reads it only there. A hand edit with a wrong value
   * made those commands say "Paused" and "Asked" while nothing followed; the file is left as the
   * person wrote it, and the command now says it was not done.
   */
  private tookEffect(saved: (state: RuntimeState) => boolean): void {
    const why = this.deps.settings.stateNotSaved();
    if (why === null) return;
    // Kept in memory, a change still holds for the engine that runs passes here (the tray app's
    // own pause, while its file cannot be written); another process reads it only from the file.
    if (this.deps.target() && saved(this.deps.settings.getState())) return;
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-invalid',
      message: `Not done: a pause or a sync ask is kept in the settings file, and that file could not be written: ${why}. It is left as it is; fix it first (\`rdl-sync settings check\` names each mistake), then try again`,
    });
  }

  /**
   * `rdl-sync sync` beside a running engine: saved in the same state as a pause, in turn with
   * every other writer, for that engine's followSyncAsk to serve. Resolves with the ask saved,
   * which the status names once the pass that serves it has ended (`syncAskServedMs`). Asks only
   * grow, whatever the wall clock does (a Pi's clock stepped back at boot): an ask served counts
   * for every ask before it, so an earlier ask stamped later must never stand for a new one.
   */
  async askSyncNow(): Promise<number> {
    let askedMs = 0;
    await this.deps.settings.changeState((before) => {
      askedMs = Math.max(this.deps.clock.now(), (before.syncAskedAtMs ?? 0) + 1);
      return { syncAskedAtMs: askedMs };
    });
    this.tookEffect((s) => s.syncAskedAtMs === askedMs);
    return askedMs;
  }

  async resume(): Promise<void> {
    await this.deps.settings.changeState(() => ({ paused: false, pausedUntilMs: null }));
    this.tookEffect((s) => !s.paused);
    this.apply();
    this.deps.target()?.triggerNow();
  }

  /** Resolves once an ended pause being cleared in the file is written (or given up). */
  async settled(): Promise<void> {
    await this.clearing;
  }

  /** Picks up a pause set by another process (`rdl-sync pause` beside the daemon). */
  follow(): void {
    this.poll ??= setInterval(() => this.apply(), STATE_POLL_MS);
    this.poll.unref();
  }

  stop(): void {
    if (this.poll) clearInterval(this.poll);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    if (this.longPauseTimer) clearTimeout(this.longPauseTimer);
    this.longPauseTimer = null;
    this.poll = null;
    this.resumeTimer = null;
  }

  /**
   * At a start: a pause carried over from before (a reboot while paused) is said in the log, or a
   * day with no pass after a restart reads as a fault.
   */
  tellAtStart(): void {
    const { paused, pausedUntilMs } = this.deps.status.current;
    if (paused) this.logChange(true, pausedUntilMs, false);
  }

  private logChange(paused: boolean, untilMs: number | null, passRunning: boolean): void {
    const { logger } = this.deps;
    if (!paused) return logger.info('resumed');
    logger.info('paused', {
      until: untilMs === null ? 'resumed by hand' : new Date(untilMs).toISOString(),
      ...(passRunning ? { passCutShort: true } : {}),
    });
  }

  /** Applies the saved pause (also one set by `rdl-sync pause` from another process). */
  apply(): void {
    const { settings, clock, status } = this.deps;
    const state = settings.getState();
    this.followSyncAsk(state.syncAskedAtMs ?? null);
    const now = clock.now();
    const mono = monotonicNow(clock);
    if (state.paused && state.pausedUntilMs !== null) {
      if (this.timed?.untilMs !== state.pausedUntilMs)
        this.timed = {
          untilMs: state.pausedUntilMs,
          endsMono: mono + Math.max(0, state.pausedUntilMs - now),
        };
    } else this.timed = null;
    const paused = isPausedAt(state, now) && !(this.timed && mono >= this.timed.endsMono);
    if (state.paused && !paused) this.clearEnded(state.pausedUntilMs);
    const pausedUntilMs = paused ? state.pausedUntilMs : null;
    const cur = status.current;
    if (cur.paused !== paused || cur.pausedUntilMs !== pausedUntilMs) {
      status.update({ paused, pausedUntilMs });
      const target = this.deps.target();
      // Only where passes run (daemon, tray app): the log says why nothing moved for a while.
      // A pass is cut short only by a new pause: one already paused runs a pass asked for with
      // "Sync now", which a new end time (the tray's "Pause 1 h") leaves to finish.
      if (target) this.logChange(paused, pausedUntilMs, target.isRunning && !cur.paused);
      target?.setPaused(paused);
      if (!paused) target?.triggerNow();
    }
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    if (paused && pausedUntilMs !== null) {
      const left = Math.min(pausedUntilMs - now, (this.timed?.endsMono ?? Infinity) - mono);
      const wait = left > RECHECK_MAX_MS ? RECHECK_MAX_MS : Math.max(0, left) + RESUME_SLACK_MS;
      this.resumeTimer = setTimeout(() => this.apply(), wait);
      this.resumeTimer.unref();
    }
    this.checkLongPause(paused && pausedUntilMs === null, state.pausedAtMs ?? null, now);
  }

  /**
   * An ask for a pass now saved by `rdl-sync sync` in another process reaches the engine that
   * runs passes (daemon, tray app) here. Only there: a side command's engine never syncs. An ask
   * saved before this engine first read the state was served by whoever ran then (`rdl-sync sync`
   * with no daemon runs its own pass).
   */
  private followSyncAsk(askedMs: number | null): void {
    if (this.askSeen === undefined) {
      this.askSeen = askedMs;
      return;
    }
    // Not yet started (an ask while the daemon starts): served at the first poll after the start.
    if (askedMs === null || askedMs === this.askSeen || !this.deps.target()) return;
    this.askSeen = askedMs;
    this.deps.logger.info('a pass asked for by rdl-sync sync; failing files are tried again', {
      askedAt: new Date(askedMs).toISOString(),
    });
    this.deps.syncAsked(askedMs);
  }

  /**
   * Clears the timed pause that ended at `untilMs` in the file, in turn with every other writer,
   * without holding up this apply (the daemon's loop never waits for the lock). Only that pause: a
   * new one saved meanwhile (`rdl-sync pause` at that moment) was cleared with it before, and the
   * daemon synced on while the person had been told "Paused". Not written now (the lock held too
   * long, the file not writable): said in the log, and the next apply tries again.
   */
  private clearEnded(untilMs: number | null): void {
    if (this.clearing) return;
    this.clearing = this.deps.settings
      .changeState((now) =>
        now.paused && now.pausedUntilMs === untilMs ? { paused: false, pausedUntilMs: null } : null,
      )
      .then(
        () => undefined,
        (e: unknown) =>
          this.deps.logger.warn('The pause that ended is not yet cleared in the settings file', {
            reason: e instanceof Error ? e.message : String(e),
          }),
      )
      .finally(() => {
        this.clearing = null;
      });
  }

  /**
   * A pause until resumed, LONG_PAUSE_MS old: raised (and so announced); cleared when it ends. A
   * timed pause ends by itself and is not. Re-checked by a timer when it comes due.
   */
  private checkLongPause(untilResumed: boolean, pausedAtMs: number | null, now: number): void {
    const { status } = this.deps;
    if (this.longPauseTimer) clearTimeout(this.longPauseTimer);
    this.longPauseTimer = null;
    if (!untilResumed) {
      this.pauseFirstSeenMs = null;
      status.clear(PAUSED_LONG_ID);
      return;
    }
    const since = pausedAtMs ?? (this.pauseFirstSeenMs ??= now);
    const dueMs = since + LONG_PAUSE_MS;
    if (now >= dueMs) {
      status.raise(pausedLongProblem(since));
      return;
    }
    status.clear(PAUSED_LONG_ID);
    const wait = Math.min(dueMs - now, RECHECK_MAX_MS) + RESUME_SLACK_MS;
    this.longPauseTimer = setTimeout(() => this.apply(), wait);
    this.longPauseTimer.unref();
  }
}

function pausedLongProblem(sinceMs: number): Omit<Problem, 'sinceMs'> {
  return {
    id: PAUSED_LONG_ID,
    code: 'paused-long',
    severity: 'attention',
    tab: 'status',
    message: `Syncing has been paused since ${formatUtcMinute(sinceMs)} (more than a day) until someone resumes it: nothing is uploaded or archived, and new files wait in the watch folder. If the pause was not meant to last: rdl-sync resume, or Resume in the tray menu`,
  };
}
