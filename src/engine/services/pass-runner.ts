// One pass as the engine runs it: picks up a connection saved meanwhile, runs the pipeline's pass
// (pipeline/pass.ts), then the hub's health checks and the account card; an unexpected failure
// becomes a visible problem instead of a stale "Up to date". Also what a stopped engine can say
// without moving anything (probe, the failing files).
import { compareNames } from '../compare-names.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../ports.js';
import { RepeatQuieter } from '../log/repeats.js';
import { markLogged } from '../log/logged-failures.js';
import { isSetupNeeded } from '../settings/setup-needed.js';
import { runPass, newPassMemory, type PassReport } from '../pipeline/pass.js';
import type { PassTicks } from '../pipeline/pass-ticks.js';
import {
  entryProblemsOf,
  goneFromWatch,
  watchProblemOf,
  type StageFailure,
} from '../pipeline/stage-step.js';
import {
  FILE_FAILING_PREFIX,
  FILE_FAILING_THRESHOLD,
  fileFailingProblem,
} from '../pipeline/problems.js';
import { worstFailure } from '../pipeline/leg-state.js';
import { ArrivalTimes } from '../health/arrival-times.js';
import type { StatusReducer } from '../status/reducer.js';
import type { FailingFileFact } from '../status/engine-events.js';
import type { LegId } from '../legs/ids.js';
import type { Journal } from '../journal/index.js';
import type { HubHealth } from '../health/hub-health.js';
import type { DropboxAccount } from './dropbox-account.js';
import type { PipelineBuilder } from './pipeline-builder.js';
import { thePlace } from '../archive/archive-place.js';
import { errnoCode } from '../fsutil/fsync.js';
import { mayBeSettingsUnwritable } from '../status/settings-unwritable.js';

export type FailingFile = FailingFileFact;

export interface PassRunnerDeps {
  builder: PipelineBuilder;
  account: DropboxAccount;
  journal: Journal;
  health: HubHealth;
  /** Every status write goes through it: the status rules live in status/reducer.ts. */
  reducer: StatusReducer;
  logger: Logger;
  now: () => number;
  /** Monotonic ms: how long a blocked leg's passes have gone unlogged. */
  monotonic: () => number;
  /**
   * Writes the status file now, which raises (or clears) the settings-unwritable problem: asked
   * when a pass failed with an errno that problem explains, so it stands before the failure is
   * shown and the failure is not announced a second time (status/reducer.ts). Absent in an
   * engine that publishes no status.
   */
  checkSettingsFolder?: () => Promise<void>;
  /**
   * The files that could not leave the watch folder, as the last process left them, and where to
   * save them when they change (absent in an engine that runs no passes of its own: `status`).
   */
  watchFailures?: {
    saved: Map<string, StageFailure>;
    save?: (failures: ReadonlyMap<string, StageFailure>) => Promise<void>;
  };
}

export class PassRunner {
  private readonly memory = newPassMemory();
  /** The account card has been made due after a pass that sent files (once a process). */
  private usageAskedAfterUpload = false;
  /** Passes that moved nothing because a leg stayed blocked the same way: see logPass. */
  private readonly blockedPasses: RepeatQuieter;
  private lastBlocked = '';
  /** Passes failing the same way, pass after pass: see logFailure. */
  private readonly failedPasses: RepeatQuieter;
  /**
   * The latest `rdl-sync sync` ask (its saved time) that no pass has served yet: the next pass to
   * begin serves it, and says so in the status when it ends, which is what that command waits for.
   */
  private askToServe: number | null = null;

  constructor(private readonly deps: PassRunnerDeps) {
    this.blockedPasses = new RepeatQuieter(deps.monotonic);
    this.failedPasses = new RepeatQuieter(deps.monotonic);
    this.recallWatchFailures();
  }

  /**
   * The watch folder's failing files go on where the last process left them: their count, their
   * back-off, and the problem of those that failed often enough, standing from the start (a
   * restart must not read as the trouble resolved, nor announce it anew).
   */
  private recallWatchFailures(): void {
    const saved = this.deps.watchFailures?.saved;
    if (!saved) return;
    this.memory.stageFailures = new Map(saved);
    for (const [rel, f] of saved) {
      if (f.attempts >= FILE_FAILING_THRESHOLD)
        this.deps.reducer.apply({
          type: 'problem',
          problem: fileFailingProblem(
            rel,
            f.attempts,
            f.error,
            f.lastError.sinceMs ?? f.lastError.atMs,
          ),
        });
    }
  }

  /** Saves the watch folder's failures when a pass changed them; a failure to save is logged. */
  private async saveWatchFailures(): Promise<void> {
    const save = this.deps.watchFailures?.save;
    if (!save || !this.memory.stageFailuresChanged) return;
    this.memory.stageFailuresChanged = false;
    await save(this.memory.stageFailures).catch((e: unknown) => {
      // Tried again after the next pass that changes them; meanwhile only counts are at stake.
      this.memory.stageFailuresChanged = true;
      this.deps.logger.warn('could not save the watch folder failures', {
        reason: e instanceof Error ? e.message : String(e),
      });
    });
  }

  /**
   * A failed pass's line: the first of a kind at once, then one every half hour while passes go
   * on failing the same way, with how many were not logged (settings refused in a tray app, or a
   * full settings disk, failed every pass: at the 10 s interval 8,640 error lines a day, which
   * pushed everything else out of the rotated log). Marked as logged either way: the scheduler
   * that ran the pass does not log it again.
   */
  private logFailure(e: unknown, reason: string): void {
    const heldBack = this.failedPasses.admit(reason);
    if (heldBack !== null)
      this.deps.logger.error(
        'pass failed',
        heldBack > 0 ? { reason, passesNotLogged: heldBack } : { reason },
      );
    markLogged(e);
  }

  /** `ticks`: a scheduled pass's (pass-ticks.ts); a pass run once has none. */
  async run(signal: AbortSignal, ticks?: PassTicks): Promise<PassReport> {
    // Only a pass that begins after the ask serves it: one under way may have scanned already.
    const serving = this.askToServe;
    this.askToServe = null;
    try {
      return await this.runServing(signal, ticks);
    } finally {
      if (serving !== null) this.askServed(serving, signal.aborted);
    }
  }

  /**
   * A pass cut short (a pause, a stop) has not tried everything: the ask waits for the next one.
   * Any other end serves it, a failed pass too: its problem is what the person asking must read.
   */
  private askServed(askedMs: number, aborted: boolean): void {
    if (aborted) this.askToServe = Math.max(this.askToServe ?? 0, askedMs);
    else this.deps.reducer.apply({ type: 'sync-ask-served', askedMs });
  }

  private async runServing(signal: AbortSignal, ticks?: PassTicks): Promise<PassReport> {
    const { builder, reducer, logger } = this.deps;
    await this.pickUpSavedConnection();
    const { deps, blocked } = builder.built;
    if (!deps) {
      const refused =
        blocked ??
        new SyncError({
          kind: 'blocked',
          code: 'settings-invalid',
          message: 'Settings need fixing',
        });
      // A first run waiting for its setup is no failure (the scheduler says so at debug level).
      if (!isSetupNeeded(refused)) this.logFailure(refused, refused.message);
      throw refused;
    }
    reducer.apply({ type: 'pass-begun' });
    let failure: string | null = null;
    let failureCode: string | undefined;
    // The account card (at most every few minutes) is asked for beside the pass, not after it:
    // two small requests that would otherwise hold up the end of a pass by a round trip.
    const { remote } = builder.built;
    const accountChecked = remote ? this.deps.account.refresh(remote, false, signal) : null;
    const lookedAtMs = this.deps.now();
    try {
      const report = await runPass(deps, this.memory, signal, ticks);
      // Dropbox said it is full: the card's quota figures are asked for again at the next pass.
      // So they are after this process's first upload: the card, asked as that pass began, said
      // "0 B used" for 10 minutes beside a first sync's files (trial). One ask a process.
      const sent = report.uploaded - (report.alreadyThere.upload ?? 0);
      if (
        report.uploadBlocked?.code === 'quota-full' ||
        (sent > 0 && !this.usageAskedAfterUpload)
      ) {
        this.usageAskedAfterUpload ||= sent > 0;
        this.deps.account.dueNow();
      }
      this.deps.account.noteSent(report.uploadedBytes);
      // Disks, silent loggers, placeholder site, retention: see health/hub-health.ts.
      // Files waiting in transit arrived too (see checkSources), when PassMemory.arrivedMs says.
      // So do finished files a full transit (or a failure) keeps in the watch folder.
      const queued = { transit: this.memory.arrivedMs, watch: report.heldInWatch };
      const held = heldBy(report, builder.built.settings.archiveMustBeMountPoint);
      // A pass cut short has not seen its legs through: what it found says nothing.
      if (!report.aborted) this.memory.queueHeldBy = held;
      await this.deps.health.afterPass(
        builder.built.settings,
        signal,
        report.transitBytes,
        queued,
        held,
        lookedAtMs,
      );
      this.logPass(report);
      // A failure after this one is news again, however like the last it reads.
      this.failedPasses.settled();
      return report;
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
      // A pause or a stop ends the pass wherever it is (the scan, a copy into transit), and that
      // throws its reason: not a failure ("error pass failed: paused" was logged, twice).
      if (signal.aborted) logger.debug('pass cut short', { reason: failure });
      else {
        this.logFailure(e, failure);
        failureCode = errnoCode(e);
        if (mayBeSettingsUnwritable(failureCode))
          await this.deps.checkSettingsFolder?.().catch(() => undefined);
      }
      throw e;
    } finally {
      await this.saveWatchFailures();
      // (It never throws: a failed check is logged and the card keeps its last figures.)
      await accountChecked;
      // An unexpected failure becomes the "pass-failed" problem there (unless it was a stop).
      reducer.apply({
        type: 'pass-finished',
        atMs: this.deps.now(),
        failure,
        ...(failureCode === undefined ? {} : { failureCode }),
        aborted: signal.aborted,
      });
    }
  }

  /**
   * The pass's line in the log: every pass that moved or failed a file; a pass that moved nothing
   * because a leg is blocked only when the block is new or changed, then once every half hour
   * with the number of such passes not logged (log/repeats.ts: a link down for days at a 10 s
   * interval filled the 5 MB log in a day and a half). Idle passes are not logged.
   */
  private logPass(report: PassReport): void {
    const blocked = `${report.uploadBlocked?.code ?? ''}/${report.archiveBlocked?.code ?? ''}`;
    if (blocked !== this.lastBlocked) this.blockedPasses.settled();
    this.lastBlocked = blocked;
    const moved =
      report.staged || report.done || report.fileFailures || report.uploaded || report.archived;
    if (!moved && blocked === '/') return;
    const heldBack = moved ? 0 : this.blockedPasses.admit(blocked);
    const fields = {
      staged: report.staged,
      uploaded: report.uploaded,
      archived: report.archived,
      done: report.done,
      failed: report.fileFailures,
      queued: report.remainingInTransit,
      uploadBlocked: report.uploadBlocked?.code ?? null,
      archiveBlocked: report.archiveBlocked?.code ?? null,
      // A stop or a pause cuts the pass short: what it was doing then reads as blocked ("unknown").
      ...(report.aborted ? { stopped: true } : {}),
    };
    if (heldBack === null) this.deps.logger.debug('pass', fields);
    else
      this.deps.logger.info(
        'pass',
        heldBack > 0 ? { ...fields, passesNotLogged: heldBack } : fields,
      );
  }

  /**
   * A person asked for a pass ("Sync now"): files waiting out the back-off of a failure from
   * before now are tried in the next pass, not up to an hour later (pipeline/problems.ts retryDue).
   */
  retryWaitingNow(): void {
    this.memory.retryAskedMs = this.deps.now();
  }

  /** `rdl-sync sync` (saved at `askedMs`) asked for a pass: the next one serves it. */
  serveAsk(askedMs: number): void {
    this.askToServe = Math.max(this.askToServe ?? 0, askedMs);
  }

  /**
   * Checks the SD card and counts the queue without moving anything (status of a stopped engine).
   * `signal`: a daemon started under a pause counts in its passes' turn, and its stop waits for
   * that turn; aborted, the count ends between files (nothing half-counted is published).
   */
  async probe(signal?: AbortSignal): Promise<void> {
    const { builder } = this.deps;
    const { deps } = builder.built;
    if (!deps) return;
    const archive = deps.legs.find((leg) => leg.id === 'archive');
    const card = archive ? await archive.check() : null;
    signal?.throwIfAborted();
    // Each leg's pending files, as a running engine counts them: without them a file waiting in
    // transit for Dropbox read "upload pending 0". One walk of transit serves the failures too
    // (a second one doubled `rdl-sync status`'s time with a large queue and no daemon).
    let transit = 0;
    const inTransit = new Set<string>();
    const pending: Partial<Record<LegId, number>> = {};
    for (const leg of deps.legs) pending[leg.id] = 0;
    // The files waiting arrived too, when their logger wrote them (as a pass counts the files it
    // meets in transit): after a `once` that moved a new file into transit (the card away),
    // `status` called its logger silent, from the history alone.
    const now = this.deps.now();
    const arrived = new ArrivalTimes();
    for await (const f of deps.listTransit()) {
      signal?.throwIfAborted();
      transit++;
      inTransit.add(f.rel);
      arrived.set(f.rel, Math.min(f.mtimeMs, now));
      const entry = this.deps.journal.entry(f.rel);
      for (const leg of deps.legs)
        if (entry?.finishedAtMs === undefined && entry?.[leg.id] === undefined)
          pending[leg.id]! += 1;
    }
    // What waits in the watch folder: with no daemon nothing stages it, and `status` said
    // "Waiting in watch folder: 0" over a folder full of files, when a person most needs the truth.
    // A scan moves nothing (this engine never stages); a folder that cannot be read counts none.
    const scan = await deps.scanner.scan(signal).catch(() => null);
    signal?.throwIfAborted();
    const failing = this.failuresAmong(inTransit);
    // The files failing in the watch folder count as failing too, as a pass counts them; one gone
    // from it now is over, its saved problem too (a pass would forget it the same way). When the
    // folder could not be scanned, every one is still as last known.
    const watchFailures = this.listWatchFailures();
    const rels = watchFailures.map((f) => f.rel);
    const gone = new Set(scan && rels.length > 0 ? goneFromWatch(rels, scan) : []);
    for (const f of watchFailures) {
      if (!gone.has(f.rel)) failing.push(f);
      else
        this.deps.reducer.apply({ type: 'problem-cleared', id: `${FILE_FAILING_PREFIX}${f.rel}` });
    }
    const watch =
      scan && !scan.watchProblem
        ? { waiting: scan.stable.length + scan.pending, settling: scan.pending }
        : null;
    // The card's problem and the remembered failures: see 'probed' in status/reducer.ts.
    this.deps.reducer.apply({ type: 'probed', card, transit, pending, watch, failing });
    // What the scan could not read, as a pass would raise it: without it `status` read "Up to
    // date" over a folder of files nobody could enter, right after `once` had said so.
    const unread = scan?.watchProblem
      ? [watchProblemOf(scan.watchProblem)]
      : entryProblemsOf(scan?.errors ?? []);
    for (const problem of unread) {
      this.deps.reducer.apply({ type: 'problem', problem });
      // Known to the passes, so the first one clears it when healed (a probe while paused).
      if (problem.code === 'unreadable-entry') this.memory.entryProblemIds.add(problem.id);
    }
    await this.deps.account.recallLastDaemonsWord(builder.built.remote !== null);
    // Finished or still settling: either came from its logger.
    const held = [...(scan?.stable ?? []), ...(scan?.pendingFiles ?? [])].map((f) => ({
      rel: f.rel,
      atMs: Math.min(f.mtimeMs, now),
    }));
    await this.deps.health.check(builder.built.settings, signal, null, {
      transit: arrived,
      watch: held,
    });
  }

  /**
   * While paused (a daemon's pass fell due): the SD card checked and the watch folder counted,
   * nothing moved. A pause forgotten for days otherwise showed "0 waiting" here and in the fleet
   * over every file the loggers wrote since; a card pulled meanwhile went unsaid.
   */
  async countWhilePaused(signal: AbortSignal): Promise<void> {
    const { deps } = this.deps.builder.built;
    if (!deps) return;
    const archive = deps.legs.find((leg) => leg.id === 'archive');
    const card = archive ? await archive.check() : null;
    signal.throwIfAborted();
    const scan = await deps.scanner.scan(signal);
    signal.throwIfAborted();
    const watch = scan.watchProblem
      ? null
      : { waiting: scan.stable.length + scan.pending, settling: scan.pending };
    this.deps.reducer.apply({ type: 'paused-look', card, watch });
  }

  /** Files in transit whose last attempt failed, from the journal. */
  async listFailures(): Promise<FailingFile[]> {
    const { deps } = this.deps.builder.built;
    if (!deps) return [];
    const inTransit = new Set<string>();
    for await (const f of deps.listTransit()) inTransit.add(f.rel);
    return this.failuresAmong(inTransit);
  }

  /**
   * Files the last pass could not move into transit, each with its own failure, by name (what
   * the status sentence names is one file, or another problem: `once` gave that as the reason
   * every file left behind was left).
   */
  listWatchFailures(): FailingFile[] {
    return [...this.memory.stageFailures]
      .map(([rel, f]) => ({
        rel,
        code: f.error.code,
        message: f.error.message,
        attempts: f.attempts,
        atMs: f.lastError.atMs,
        ...(f.lastError.sinceMs !== undefined ? { sinceMs: f.lastError.sinceMs } : {}),
      }))
      .sort((a, b) => compareNames(a.rel, b.rel));
  }

  /** The journal's failing files among `inTransit` (rel paths), by name. */
  private failuresAmong(inTransit: Set<string>): FailingFile[] {
    const out: FailingFile[] = [];
    const { journal } = this.deps;
    for (const rel of journal.rels()) {
      const e = journal.entry(rel);
      // Per leg since back-off is per leg: the file's worst trouble, on whichever leg.
      const failure = e && worstFailure(e);
      if (!failure || !inTransit.has(rel)) continue;
      const { code, message, attempts, atMs, sinceMs } = failure;
      out.push({
        rel,
        code,
        message,
        attempts,
        atMs,
        ...(sinceMs !== undefined ? { sinceMs } : {}),
      });
    }
    return out.sort((a, b) => compareNames(a.rel, b.rel));
  }

  /**
   * Before each pass the engine looks again for a connection saved meanwhile: `rdl-sync auth`
   * (another process) or the tray app may have saved one, and the problem's message told the
   * user to do exactly that, so it must take effect without a restart. That holds for a
   * connected engine too: after Dropbox revoked its token it still held the old one, and a
   * reconnect was ignored until the daemon restarted.
   */
  private async pickUpSavedConnection(): Promise<void> {
    const { builder, account, logger } = this.deps;
    if (!builder.built.deps) return;
    const moved = builder.remoteRootMoved();
    if (moved) {
      logger.info('the Dropbox folder follows the date: new uploads go to the new folder', {
        from: moved.from,
        to: moved.to,
      });
      await builder.rebuild('the date in the remote folder changed');
      return;
    }
    if (builder.built.remote) {
      if ((await account.savedStamp()) === builder.savedStampAtBuild) return;
      logger.info('Dropbox connection saved again: reconnecting');
      await builder.rebuild('saved connection changed');
      return;
    }
    const before = account.problem?.message ?? null;
    const creds = await account.load();
    if (creds || (account.problem?.message ?? null) !== before) {
      if (creds) logger.info('Dropbox connection found: connecting');
      await builder.rebuild('saved connection found');
    }
  }
}

/**
 * What held the queue back in this pass, for the disk warning's "grow while …": the legs that
 * were blocked, each as a person knows it. Null when none was (files only in flight).
 */
function heldBy(report: PassReport, archiveIsCard: boolean): string | null {
  const up = report.uploadBlocked?.code;
  const upload =
    up === undefined
      ? null
      : up === 'offline' || up === 'network'
        ? 'Dropbox is unreachable'
        : up === 'clock-not-set'
          ? 'the clock is not set'
          : up === 'site-placeholder'
            ? 'the site name is a placeholder'
            : up === 'proxy-refused'
              ? 'the proxy does not let them through'
              : up === 'connection-untrusted'
                ? 'the connection to Dropbox is not trusted'
                : 'Dropbox does not take them';
  const parts = [
    ...(upload === null ? [] : [upload]),
    ...(report.archiveBlocked === null ? [] : [`${thePlace(archiveIsCard)} does not take them`]),
  ];
  return parts.length > 0 ? parts.join(' and ') : null;
}
