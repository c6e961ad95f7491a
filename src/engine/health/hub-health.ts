// The hub's health beyond moving files, checked after every pass (and by `status` without a
// daemon) with one call from the engine: disks filling up, loggers gone silent, a placeholder site
// name from a cloned SD image, and (opt-in) archive retention. Each condition is a problem in the
// status, raised once and cleared when it heals (by the status reducer: these checks only report).
import { checkDisks } from '../disks/disk-monitor.js';
import { withinDeadline, type AnswerOptions } from '../archive/card-answers.js';
import { monotonicNow, type Clock, type Logger } from '../ports.js';
import {
  retentionLimitsOf,
  retentionShortfall,
  runRetention,
  type NotOnDropbox,
  type RemoteHashLookup,
  type RetentionReport,
} from '../retention/retention.js';
import { archiveMissing, type RetentionNote } from '../archive/problems.js';
import { checkArchiveRoot } from '../archive/root-check.js';
import { SyncError } from '../errors.js';
import type { Settings } from '../settings/schema.js';
import { sitePlaceholderProblem } from '../settings/remote-root.js';
import type { EngineEvent } from '../status/engine-events.js';
import type { HistoryQuery, HistoryRecord, SourceStatus } from '../status/types.js';
import type { HistoryPort } from '../pipeline/deps.js';
import { silenceRulesOf, silentAt, silentSourceProblem, type Arrival } from './silent-sources.js';
import { ForwardSteps } from './clock-steps.js';
import type { ArrivalTimes } from './arrival-times.js';
import { SourceLearner } from './source-learner.js';

/** Retention runs at most this often on its own (deleting is never urgent to the minute). */
const RETENTION_EVERY_MS = 15 * 60_000;
/** History records read to learn the sources' rhythm. */
const LEARN_FROM_RECORDS = 5_000;

/**
 * Files that arrived and wait: in transit (Dropbox unreachable, the card out), with when they
 * arrived (PassMemory.arrivedMs), and finished files kept in the watch folder this pass.
 */
export interface QueuedArrivals {
  transit: ArrivalTimes;
  watch: Arrival[];
}

export interface HubHealthDeps {
  /** Where what the checks found goes (the engine's status reducer). */
  report: (event: EngineEvent) => void;
  history: HistoryPort & {
    query(q: HistoryQuery): HistoryRecord[];
    count(): number;
    recentArrivals(limit: number): Arrival[];
  };
  clock: Clock;
  logger: Logger;
  /** Dropbox lookups for retention, or null when Dropbox is not connected. */
  remoteLookup: (settings: Settings) => Promise<RemoteHashLookup | null>;
  /** How long a call on the archive may take (archive/card-answers.ts); tests shorten it. */
  archiveAnswers?: AnswerOptions;
}

export class HubHealth {
  private lastRetentionMs = -Infinity;
  /** What the last whole retention run (not a dry run) did, or why it could not run. */
  private lastRun: { report: RetentionReport } | { error: string } | null = null;
  /** Archive files found not on Dropbox, not asked about again at every run (retention.ts). */
  private readonly notOnDropbox: NotOnDropbox = new Map();
  /** The limits and folder retention last ran with (retentionKey). */
  private lastRetentionKey: string | null = null;
  /**
   * The sources as last learnt, each learnt again only when its arrivals change (perf, issue 12):
   * reading the history copies up to LEARN_FROM_RECORDS records, and doing that after every pass
   * made the CPU per file grow with the kept history (about 3x once it held 5,000 records); and
   * learning a long outage's queue again after every pass cost tens of ms at 20,000 files.
   */
  private readonly learner = new SourceLearner();
  /** The wall clock's forward steps, which are no silence of the loggers (clock-steps.ts). */
  private readonly steps = new ForwardSteps();

  constructor(private readonly deps: HubHealthDeps) {}

  /** After a pass: every check, and retention when it is on and due. */
  async afterPass(
    settings: Settings,
    signal?: AbortSignal,
    transitBytes: number | null = null,
    queued: QueuedArrivals | null = null,
    heldBy: string | null = null,
    /** When the pass's scan looked at the watch folder (its start). */
    lookedAtMs?: number,
  ): Promise<void> {
    await this.check(settings, signal, transitBytes, queued, heldBy, lookedAtMs);
    const now = this.deps.clock.now();
    // Its limits or folder changed since it last ran: due now. A person who raised the limits
    // because the full archive's problem said so read the old advice for up to 15 minutes.
    const limits = retentionKey(settings);
    // Not after a pass cut short (a pause, a stop): it ran "once a day" from then, so a pause at
    // the wrong moment put retention off for a day and logged "retention: not run".
    if (
      settings.retentionEnabled &&
      !signal?.aborted &&
      (now - this.lastRetentionMs >= RETENTION_EVERY_MS || limits !== this.lastRetentionKey)
    ) {
      this.lastRetentionMs = now;
      this.lastRetentionKey = limits;
      let cardAway = false;
      await this.retention(settings, false, signal).catch((e: unknown) => {
        // The card out is said by the archive's own problem, at every pass; retention runs at
        // the first pass that finds it back (a card put back full waited 15 minutes for it).
        cardAway = e instanceof SyncError && e.code === 'archive-missing';
        if (!signal?.aborted && !cardAway)
          this.deps.logger.warn('retention: not run', { reason: (e as Error).message });
      });
      // Cut short while it ran: due again at the next pass.
      if (signal?.aborted || cardAway) this.lastRetentionMs = -Infinity;
    }
  }

  /** The read-only checks (status without a daemon runs these). */
  async check(
    settings: Settings,
    signal?: AbortSignal,
    transitBytes: number | null = null,
    queued: QueuedArrivals | null = null,
    /** Why the transit queue grows (diskProblem); null: not known. */
    heldBy: string | null = null,
    /** When the watch folder was last looked at; by default now. */
    lookedAtMs?: number,
  ): Promise<void> {
    // Each check alone: none of them may ever fail a pass or hide the others.
    await checkDisks(settings, signal, transitBytes, heldBy, this.deps.archiveAnswers).then(
      ({ disks, problems }) => this.deps.report({ type: 'disks-measured', disks, problems }),
      (e: unknown) => this.deps.logger.warn('disk check failed', { reason: (e as Error).message }),
    );
    for (const [what, run] of [
      ['source check', () => this.checkSources(settings, queued, lookedAtMs)],
      ['site check', () => this.checkSite(settings)],
    ] as const) {
      try {
        run();
      } catch (e) {
        this.deps.logger.warn(`${what} failed`, { reason: (e as Error).message });
      }
    }
  }

  /**
   * Retention as the advice for a full archive needs it: off, or on and why it has not freed
   * enough (the last run's figures and what kept the files, or why it could not run).
   */
  retentionNote(settings: Settings): RetentionNote {
    if (!settings.retentionEnabled) return { on: false };
    const last = this.lastRun;
    if (last === null)
      return {
        on: true,
        shortOf: 'has not run yet (it runs after a pass, at most every 15 minutes)',
      };
    if ('error' in last) return { on: true, shortOf: `could not run (${last.error})` };
    return { on: true, shortOf: retentionShortfall(last.report) };
  }

  /** Retention now: `dryRun` lists what would go without deleting anything. */
  async retention(
    settings: Settings,
    dryRun: boolean,
    signal?: AbortSignal,
  ): Promise<RetentionReport> {
    if (dryRun) return this.runRetention(settings, true, signal);
    try {
      const report = await this.runRetention(settings, false, signal);
      // A run cut short has not looked at everything: it says nothing of what holds the room.
      if (!signal?.aborted) this.lastRun = { report };
      return report;
    } catch (e) {
      if (!signal?.aborted) this.lastRun = { error: (e as Error).message };
      throw e;
    }
  }

  private async runRetention(
    settings: Settings,
    dryRun: boolean,
    signal?: AbortSignal,
  ): Promise<RetentionReport> {
    if (!settings.archiveEnabled) {
      throw new Error('the archive is off in the settings: there is nothing to keep tidy');
    }
    // On a machine not set up yet it said "the archive is off", of an archive that is on.
    if (settings.archiveDir === '') {
      throw new Error(
        'no archive folder is set (archiveDir is empty: not set up yet?): there is nothing to keep tidy; set it up with rdl-sync import-legacy, or rdl-sync settings set archiveDir DIR',
      );
    }
    // Never on a card's empty mount point: the disk below it is not the card. Nor on one that
    // hangs (archive-missing, as for a card away: run at the first pass that finds it back).
    const place = { root: settings.archiveDir, card: settings.archiveMustBeMountPoint };
    const root = await withinDeadline(
      place,
      () => checkArchiveRoot(settings.archiveDir, settings.archiveMustBeMountPoint),
      this.deps.archiveAnswers,
    );
    if (root.missing) {
      const { reason, cause } = root.missing;
      throw archiveMissing(
        { root: settings.archiveDir, card: settings.archiveMustBeMountPoint },
        reason,
        cause,
        'retention deletes nothing until it is back',
      );
    }
    const lookup = await this.deps.remoteLookup(settings);
    if (!lookup) {
      throw new Error(
        'Dropbox is not connected: retention deletes only files verified on Dropbox, so it waits',
      );
    }
    return runRetention({
      archiveRoot: settings.archiveDir,
      limits: retentionLimitsOf(settings),
      lookup,
      dryRun,
      ...(dryRun ? {} : { history: this.deps.history }),
      logger: this.deps.logger,
      nowMs: () => this.deps.clock.now(),
      ...(signal ? { signal } : {}),
      // A dry run (`retention --dry-run` beside the daemon) asks afresh and teaches nothing.
      ...(dryRun ? {} : { notOnDropbox: this.notOnDropbox }),
      onCard: (step) => withinDeadline(place, step, this.deps.archiveAnswers),
    });
  }

  /**
   * `queued`: files that arrived and wait in transit (Dropbox unreachable, the card out), with
   * the time they were first seen. The history holds only finished files, so without them every
   * logger looked silent during an outage longer than three of its intervals, and the problem
   * sent the person to check loggers that were working (before the offline alert, which waits
   * offlineAlertMinutes).
   */
  private checkSources(
    settings: Settings,
    queued: QueuedArrivals | null,
    lookedAtMs: number | undefined,
  ): void {
    const { history, clock } = this.deps;
    // As of when the pass looked at the watch folder: a file that came since is seen only by the
    // next pass's scan. Judged at the end of a pass that Dropbox held up for two minutes, every
    // logger writing each 30 s looked silent, and was alerted and resolved two minutes later
    // (found by an operator trial).
    const now = Math.min(clock.now(), lookedAtMs ?? Infinity);
    this.steps.note(clock.now(), monotonicNow(clock));
    const learnt = this.learner.learn(
      {
        // The newest record's id and the count change whenever a record is added or trimmed.
        historyKey: `${history.query({ limit: 1 })[0]?.id ?? ''}/${history.count()}`,
        readHistory: () => history.recentArrivals(LEARN_FROM_RECORDS),
        queued: queued?.transit ?? null,
        held: queued?.watch ?? [],
      },
      silenceRulesOf(settings),
      now,
    );
    // Each silence as the time that passed, not the wall clock's forward steps since its file.
    const sinceFile = (s: SourceStatus): number => now - this.steps.steppedSince(s.lastFileMs);
    const sources = learnt.map((s) => silentAt(s, sinceFile(s)));
    const problems = sources
      .filter((s) => s.silent)
      .map((s) => silentSourceProblem(s, sinceFile(s)));
    this.deps.report({ type: 'sources-learnt', sources, problems });
  }

  /**
   * The one place the placeholder site is shown (connected or not): the upload leg's own block
   * for it (settings/remote-root.ts) is not raised as a problem beside this one.
   */
  private checkSite(settings: Settings): void {
    const problem = sitePlaceholderProblem(settings.remoteRootTemplate, settings.site);
    this.deps.report({
      type: 'site-checked',
      problem: problem
        ? {
            id: 'site-placeholder',
            code: 'site-placeholder',
            severity: 'attention',
            tab: 'settings',
            message: problem.message,
          }
        : null,
    });
  }
}

/** What retention's outcome depends on among the settings: a change makes it due at once. */
function retentionKey(settings: Settings): string {
  return JSON.stringify([settings.archiveDir, retentionLimitsOf(settings)]);
}
