// Lifecycle and scheduling: who may move files (the run lock), when passes run (the scheduler,
// interval or cron), and a stop that is safe at any instant, also during start-up.
import fs from 'node:fs/promises';
import type { Clock, Logger } from '../ports.js';
import type { PassScheduler, ScheduleSpec } from '../scheduler.js';
import type { Settings } from '../settings/schema.js';
import { defaultSettings } from '../settings/defaults.js';
import { acquireRunLock, type LockRole, type RunLock } from '../run-lock.js';
import { cleanupTransitTemps, removeLegacyTransitTemps } from '../stage/index.js';
import { isIgnored } from '../scan/index.js';
import type { PassReport } from '../pipeline/pass.js';
import type { StatusModel } from '../status/model.js';
import type { PauseState } from './pause-state.js';
import type { PipelineBuilder } from './pipeline-builder.js';
import type { PassRunner } from './pass-runner.js';
import { removeStaleConfigTemps } from './config-temps.js';

export interface LifecycleDeps {
  configDir: string;
  readOnly: boolean;
  /** Follow another process's pause (the daemon beside `rdl-sync pause`, the tray app). */
  followPause: boolean;
  home?: string;
  /** Recorded in the run lock (run-lock.ts LockRole). */
  role?: LockRole;
  clock: Clock;
  logger: Logger;
  status: StatusModel;
  builder: PipelineBuilder;
  passes: PassRunner;
  pause: () => PauseState;
}

export class Lifecycle {
  private scheduler: PassScheduler | null = null;
  private runLock: RunLock | null = null;
  private stopped = false;
  /** start() in progress: stop() waits for it, so a stop during start-up still releases the lock. */
  private starting: Promise<void> | null = null;
  /** Aborted by stop(): ends a pass started by runPassNow() as well as scheduled ones. */
  private readonly lifetime = new AbortController();
  /** Holds the run lock (daemon, or one runPassNow): only then are transit temps ours to clean. */
  private lockDepth = 0;
  /**
   * Settles when the last pass asked for (scheduled or runPassNow) has ended. Two passes at once
   * would scan, stage and commit the same files side by side; each pass waits its turn here.
   */
  private lastPass: Promise<unknown> = Promise.resolve();
  /** A count while paused is in hand: the next due one is skipped, never queued behind it. */
  private countingWhilePaused = false;
  /** The count while paused failed: said once, until one succeeds. */
  private countWhilePausedFailed = false;

  constructor(private readonly deps: LifecycleDeps) {}

  /** This engine holds the run lock now (started, or in a runPassNow pass of its own). */
  get holdsLock(): boolean {
    return this.lockDepth > 0;
  }

  /** The running scheduler, for pause and "sync now"; null before start(). */
  get running(): PassScheduler | null {
    return this.scheduler;
  }

  async start(): Promise<void> {
    if (this.scheduler || this.stopped) return;
    this.starting ??= this.startUnderLock().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startUnderLock(): Promise<void> {
    const { deps } = this;
    if (deps.readOnly) throw new Error('a read-only engine cannot start syncing');
    const lock = await acquireRunLock(deps.configDir, deps.role);
    // A stop that arrived while we waited for the lock wins: hand it straight back.
    if (this.stopped) {
      await lock.release();
      return;
    }
    this.runLock = lock;
    this.lockDepth++;
    await this.prepareFolders();
    // Loaded here, not with the engine: the scheduler brings node-schedule, cron-parser and luxon
    // (about 310 KB), which `once` and the side commands, which never schedule, need not compile.
    const { PassScheduler } = await import('../scheduler.js');
    if (this.stopped) return; // stop() is waiting for us and releases the lock
    this.scheduler = new PassScheduler(this.scheduleSpec(), {
      // Its turn may come only after stop() (it waited behind a runPassNow pass): none begins then.
      runPass: (signal, ticks) =>
        this.inTurn(async () => {
          if (!this.lifetime.signal.aborted) await deps.passes.run(signal, ticks);
        }),
      whilePaused: (signal) => this.countWhilePaused(signal),
      onChange: ({ running, nextRunMs }) =>
        deps.status.update({ passRunning: running, nextPassMs: nextRunMs }),
      logger: deps.logger,
      clock: deps.clock,
    });
    this.scheduler.setPaused(deps.status.current.paused);
    deps.pause().tellAtStart();
    this.scheduler.start();
    // Started under a pause (a reboot, or an upgrade restarting the service, while paused): no
    // pass runs until someone resumes, and nothing else counts the queue, so status said
    // "In transit: 0" over the files waiting there and named no missing card. Count them once
    // as `rdl-sync status` does with no daemon (moving nothing), in turn with the passes. A stop
    // ends the count: with 100,000 files in transit it would otherwise hold the stop for seconds.
    if (deps.status.current.paused) {
      const { signal } = this.lifetime;
      void this.inTurn(() => deps.passes.probe(signal)).catch((e: unknown) => {
        if (signal.aborted) return;
        deps.logger.warn('could not count the files waiting while paused', {
          reason: e instanceof Error ? e.message : String(e),
        });
      });
    }
    if (deps.followPause) deps.pause().follow();
  }

  /** One pass now, after the pass running (if any); a scheduled pass due meanwhile waits for it. */
  runPassNow(): Promise<PassReport> {
    return this.inTurn(async () => {
      const { deps } = this;
      this.lifetime.signal.throwIfAborted();
      if (this.runLock) return deps.passes.run(this.lifetime.signal);
      if (deps.readOnly) throw new Error('a read-only engine cannot run a pass');
      // Not started (CLI `once`, tests): hold the lock for this pass only.
      const lock = await acquireRunLock(deps.configDir, deps.role);
      this.lockDepth++;
      try {
        await this.prepareFolders();
        return await deps.passes.run(this.lifetime.signal);
      } finally {
        this.lockDepth--;
        await lock.release();
      }
    });
  }

  syncNow(): void {
    if (this.scheduler) this.scheduler.triggerNow();
    // Asked for while starting (the tray's menu is up before the lock is taken): the scheduler's
    // pass, once there is one. A pass of its own would contend with start() for the lock.
    else if (this.starting)
      void this.starting.then(
        () => this.scheduler?.triggerNow(),
        () => {},
      );
    else {
      void this.runPassNow().catch((e: unknown) =>
        this.deps.logger.warn('"Sync now" did not run a pass', {
          reason: e instanceof Error ? e.message : String(e),
        }),
      );
    }
  }

  /** After the pipeline was rebuilt: new folders while running, the new schedule. */
  async afterRebuild(): Promise<void> {
    // Temps are only cleaned at start, never under a running pass.
    if (this.lockDepth > 0) await this.prepareFolders(false);
    this.scheduler?.reconfigure(this.scheduleSpec());
  }

  /**
   * A pass fell due while paused: the card is checked and the watch folder counted, in the
   * passes' turn, moving nothing. Transit needs no count: nothing moves it while paused.
   */
  private countWhilePaused(schedulerSignal: AbortSignal): void {
    if (this.countingWhilePaused) return;
    this.countingWhilePaused = true;
    const signal = AbortSignal.any([schedulerSignal, this.lifetime.signal]);
    const { deps } = this;
    void this.inTurn(() => deps.passes.countWhilePaused(signal))
      .then(() => (this.countWhilePausedFailed = false))
      .catch((e: unknown) => {
        if (signal.aborted || this.countWhilePausedFailed) return;
        this.countWhilePausedFailed = true;
        deps.logger.warn('could not count the files waiting while paused', {
          reason: e instanceof Error ? e.message : String(e),
        });
      })
      .finally(() => (this.countingWhilePaused = false));
  }

  /** Runs `pass` once every pass asked for before it has ended: passes never overlap. */
  private inTurn<T>(pass: () => Promise<T>): Promise<T> {
    const turn = this.lastPass.then(pass);
    this.lastPass = turn.catch(() => undefined);
    return turn;
  }

  /** Stops passes and gives the run lock back; the caller closes the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.lifetime.abort(new Error('stopping'));
    this.deps.pause().stop();
    // A start-up in progress finishes first (it sees `stopped` and starts no passes), so the lock
    // it may have taken is released below rather than after we return.
    await this.starting?.catch(() => undefined);
    // Abandoning is safe at any instant (that is the crash-safety invariant); it is also quick.
    await this.scheduler?.stop(true);
    // A runPassNow pass too (aborted above): the caller closes the journal next.
    await this.lastPass;
    await this.runLock?.release();
    this.runLock = null;
  }

  private scheduleSpec(): ScheduleSpec {
    const s: Settings = this.deps.builder.built.settings;
    return s.scheduleMode === 'cron' && s.cron
      ? { mode: 'cron', cron: s.cron }
      : { mode: 'interval', intervalSeconds: s.intervalSeconds };
  }

  /**
   * Only while holding the run lock: the transit folder's leftover temps (ours only when no other
   * engine is staging). The watch folder is created only when it is the default one; any other missing watch folder is most likely a typo or an
   * unplugged stick, and the scan reports it instead of an empty tree appearing.
   */
  private async prepareFolders(cleanTemps = true): Promise<void> {
    const { builder, logger, home } = this.deps;
    if (cleanTemps) await removeStaleConfigTemps(this.deps.configDir, logger);
    const s = builder.built.settings;
    if (!builder.built.deps) return;
    if (s.watchDir === defaultSettings(home).watchDir) {
      await fs.mkdir(s.watchDir, { recursive: true }).catch(() => undefined);
    }
    try {
      // Not made here: the pass makes it on a first run, after a look at its disk, and never in
      // the empty mount point of a disk that is out (stage/transit-place.ts).
      if (cleanTemps) {
        await cleanupTransitTemps(s.transitDir);
        const legacy = await removeLegacyTransitTemps(
          s.transitDir,
          (name) => !isIgnored(name, s.ignorePatterns),
        );
        if (legacy > 0)
          logger.info('removed staging copies left by an earlier version', { removed: legacy });
      }
    } catch (e) {
      // The pass reports an unusable transit folder on its own; start-up must go on.
      logger.warn('transit folder not ready', { reason: (e as Error).message });
    }
  }
}
