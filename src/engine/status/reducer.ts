// The status rules in one place: the pass reports what happened as events (pipeline/events.ts),
// the engine what it learnt outside a pass (status/engine-events.ts: builds, probes, a pass's
// start and end), and this reducer decides what the status model and its problems become. It also
// keeps the one offline clock of the engine: "Dropbox unreachable for too long" is timed here and
// nowhere else.
import { networkDetail } from '../dropbox/classify.js';
import { monotonicNow, type Clock, type Logger } from '../ports.js';
import { formatDuration } from '../format-duration.js';
import type { PassEvent } from '../pipeline/events.js';
import {
  FILE_FAILING_PREFIX,
  FILE_FAILING_THRESHOLD,
  fileFailingProblem,
  legProblem,
  offlineProblem,
} from '../pipeline/problems.js';
import { LEGS, LEG_IDS, type LegId } from '../legs/ids.js';
import { saysNotAnswering } from '../archive/problems.js';
import type { SyncError } from '../errors.js';
import type { CardState } from '../legs/leg.js';
import type { StatusModel } from './model.js';
import type { DiskStatus, NamedFailure, OfflineCause, StageCounts, StatusFacts } from './types.js';
import type { EngineEvent, FailingFileFact } from './engine-events.js';
import type { NewProblem } from '../pipeline/events.js';
import { DISK_PROBLEM_PREFIX, diskProblemId } from '../disks/disk-check.js';
import { SOURCE_PROBLEM_PREFIX } from '../health/silent-sources.js';
import { SETTINGS_UNWRITABLE_ID, mayBeSettingsUnwritable } from './settings-unwritable.js';

const TRANSIENT = new Set(['retry', 'retry-after']);
/** Upload problems only an answer from Dropbox can show healed (a reconnect aside). */
const ANSWERED_BY_DROPBOX = new Set(['auth-revoked', 'quota-full', 'remote-encrypted']);
const PASS_FAILED_ID = 'pass-failed';
/** Dropbox's "access was revoked": the upload leg's problem, also raised by calls outside passes. */
const REVOKED_ID = 'auth-revoked';
/** The problem of settings that cannot be used at all (none yet, or refused): nothing syncs. */
export const SETTINGS_INVALID_ID = 'settings-invalid';
/** A hand edit of the settings file that could not be used, while the settings in force run. */
const SETTINGS_FILE_MISTAKES_ID = 'settings-file-mistakes';
const SITE_PLACEHOLDER_ID = 'site-placeholder';

/** The status counts that show each leg's pending files (IPC contract names). */
const PENDING_COUNT: Record<LegId, keyof StageCounts> = {
  upload: 'uploadPending',
  archive: 'archivePending',
};

export class StatusReducer {
  /** Monotonic time Dropbox went away (durations survive a wall-clock step). */
  private offlineSinceMono: number | null = null;
  /** Files finished since the last counts event: folded in with it (one update per window). */
  private doneSinceCounts = 0;
  private lastDoneMs: number | null = null;
  /** Dropbox answered the upload leg since the last pass ended (its verdicts may be lifted). */
  private heardFromDropbox = false;
  /**
   * The blocked legs' errors as last raised, by problem id: their words count the files waiting
   * behind them, worded again as those files move (recountLegProblems).
   */
  private readonly legErrors = new Map<string, { err: SyncError; waiting: number }>();
  /**
   * The log said Dropbox is unreachable and not yet that it answers again: one line each way, not
   * one a pass (the pass's own line says "offline" once, then every half hour, with no cause).
   */
  private toldUnreachable = false;

  constructor(
    private readonly status: StatusModel,
    private readonly clock: Clock,
    /** How long Dropbox may be unreachable before it is a problem (read per pass: settings change). */
    private readonly offlineAlertMs: () => number,
    /** Where this process logs, named where a problem says "see the log" (read by email). */
    private readonly logFolder: string | null = null,
    private readonly logger?: Logger,
  ) {}

  /** When Dropbox went away, on the monotonic clock; null while it is reachable. */
  get offlineSince(): number | null {
    return this.offlineSinceMono;
  }

  apply(e: PassEvent | EngineEvent): void {
    const { status } = this;
    switch (e.type) {
      case 'waiting':
        status.updateCounts({ waiting: e.count, settling: e.settling });
        this.recountLegProblems();
        return;
      case 'staged':
        // Nothing to fold: the status has no per-file staging fact, and the queue it shows comes
        // from 'waiting' and 'counts' (transit). The event stays for the stream's readers (the
        // pass's event tests assert staged → leg-started → … → file-done).
        return;
      case 'leg-checked':
        if (e.card)
          status.update({
            archive: {
              ...status.current.archive,
              enabled: true,
              ...e.card,
              notAnswering: saysNotAnswering(e.problem),
            },
          });
        // Found there (a card put back while a long upload holds the pass, looked at again at a
        // tick): no longer said missing beside a card that copies, for hours until the pass's end.
        // Full and read-only wait for that end: a check passes while a small file still fits, or
        // while only the card's work folder refuses copies (both found by copies alone: cleared
        // at each look, they came and went at every pass).
        if (e.problem === null && e.leg === 'archive') status.clear('archive-missing');
        return;
      case 'leg-started':
        status.transferStarted(e.rel, e.leg, e.size);
        return;
      case 'leg-progress':
        status.transferProgress(e.rel, e.leg, e.bytesDone);
        return;
      case 'leg-done':
      case 'leg-stopped':
        status.transferEnded(e.rel, e.leg);
        return;
      case 'leg-failed':
        status.transferEnded(e.rel, e.leg);
        // Since its first failure in a row, not this third one: the alert's "Since" and its
        // "Resolved … lasted" are read as when the trouble began.
        if (e.attempts === FILE_FAILING_THRESHOLD)
          status.raise(fileFailingProblem(e.rel, e.attempts, e.error, e.sinceMs));
        return;
      case 'leg-blocked':
        // Shown once the pass ends, with the number of files it holds back; the card's at once
        // too (counted as now): a pass a slow upload holds can last hours, and a card pulled
        // meanwhile went untold (and unalerted) until the upload ended. Dropbox's trouble waits for
        // the pass's end: offline is told only after a while (reflectLegProblems).
        if (!LEGS[e.leg].network && e.error.kind === 'blocked' && !shownBySiteCheck(e.error)) {
          this.raiseLegProblem(
            e.error,
            status.current.counts.transit,
            status.current.counts.waiting,
          );
          // Found by a copy, after the pass's look: the card is shown as that look saw it no
          // more ("present, 9 MB free" beside "SD card not mounted" until the next pass).
          const { archive } = status.current;
          if (e.leg === 'archive' && e.error.code === 'archive-missing')
            status.update({
              archive: {
                ...archive,
                present: false,
                writable: false,
                freeBytes: null,
                totalBytes: null,
                notAnswering: saysNotAnswering(e.error),
              },
            });
          else if (e.leg === 'archive' && e.error.code === 'archive-readonly')
            status.update({ archive: { ...archive, writable: false } });
        }
        return;
      case 'leg-reached':
        if (LEGS[e.leg].network) this.heardFromDropbox = true;
        if (e.leg === 'upload') {
          if (this.toldUnreachable) {
            this.toldUnreachable = false;
            const since = this.offlineSinceMono;
            const inProcess = since === null ? null : monotonicNow(this.clock) - since;
            // Since the last answer any process had (recalled across a restart): an outage the
            // service was restarted in counted only from the restart. Both clocks are real here:
            // an answer needs TLS, and TLS a set clock.
            const lastContact = status.current.dropbox.lastContactMs;
            const sinceContact =
              lastContact === null || e.atMs < lastContact ? null : e.atMs - lastContact;
            const span = Math.max(inProcess ?? -1, sinceContact ?? -1);
            this.logger?.info(
              'Dropbox answers again',
              span < 0 ? {} : { unreachableFor: formatDuration(span) },
            );
          }
          status.update({
            offline: false,
            dropbox: { ...status.current.dropbox, connected: true, lastContactMs: e.atMs },
          });
        }
        return;
      case 'file-done':
        status.clear(`${FILE_FAILING_PREFIX}${e.rel}`);
        this.doneSinceCounts++;
        this.lastDoneMs = e.atMs;
        return;
      case 'counts': {
        const patch: Partial<StageCounts> = {};
        if (e.transit !== undefined) patch.transit = e.transit;
        if (e.failed !== undefined) patch.failed = e.failed;
        // A leg turned off is absent from the pass: nothing is pending on it.
        if (e.pending) for (const id of LEG_IDS) patch[PENDING_COUNT[id]] = e.pending[id] ?? 0;
        const facts: Partial<StatusFacts> = e.failing === undefined ? {} : { failing: e.failing };
        if (this.doneSinceCounts > 0) {
          patch.doneThisRun = status.current.counts.doneThisRun + this.doneSinceCounts;
          facts.lastSuccessMs = this.lastDoneMs;
          this.doneSinceCounts = 0;
        }
        // One update, so the window and the tray hear of it once.
        status.update({ ...facts, counts: { ...status.current.counts, ...patch } });
        this.recountLegProblems();
        return;
      }
      case 'problem':
        status.raise(e.problem);
        return;
      case 'problem-cleared':
        status.clear(e.id);
        return;
      case 'pass-ended':
        this.reflectLegProblems(e.blocked, e.pending, e.aborted);
        this.heardFromDropbox = false;
        return;
      default:
        this.applyEngineEvent(e);
    }
  }

  /** What the engine learnt outside a pass: builds, probes, a pass's start and end. */
  private applyEngineEvent(e: EngineEvent): void {
    const { status } = this;
    switch (e.type) {
      case 'settings-rejected':
        status.clear(SETTINGS_INVALID_ID);
        status.raise({
          id: SETTINGS_INVALID_ID,
          code: e.setupNeeded ? 'setup-needed' : 'settings-invalid',
          severity: e.setupNeeded ? 'attention' : 'error',
          message: e.message,
          tab: 'settings',
        });
        status.update({
          archive: {
            ...status.current.archive,
            enabled: e.archiveEnabled,
            path: e.archiveDir,
            card: e.archiveIsCard,
            // Another folder: what was said of the last one's answers is not said of it.
            ...(e.archiveDir !== status.current.archive.path ? { notAnswering: false } : {}),
          },
        });
        return;
      case 'settings-file-mistakes':
        status.clear(SETTINGS_FILE_MISTAKES_ID);
        // Settings refused at start are one problem already, with no settings in force to keep.
        if (e.issues && !status.hasProblem(SETTINGS_INVALID_ID))
          status.raise({
            id: SETTINGS_FILE_MISTAKES_ID,
            code: 'settings-invalid',
            // Syncing goes on with the settings in force: nothing is stopped, but the edit a
            // person made (over remote desktop, on a hub nobody watches) has not taken effect.
            severity: 'attention',
            message: settingsFileMistakesMessage(e.issues),
            tab: 'settings',
          });
        return;
      case 'pipeline-built':
        status.clear(SETTINGS_INVALID_ID);
        // Known before any pass: say so at once, so status is right even before the first pass.
        if (e.remoteMissing && !shownBySiteCheck(e.remoteMissing)) {
          // In its general words until a pass counts the files: a count now would reword it
          // with the error the last pass met (another cause, another fix).
          this.legErrors.delete(e.remoteMissing.code);
          status.raise(legProblem(e.remoteMissing, null));
        } else status.clear('auth-missing');
        // A reconnect answers "access was revoked" (kept through an outage: reflectLegProblems).
        if (e.connectionSaved) status.clear('auth-revoked');
        status.update({
          archive: {
            ...status.current.archive,
            enabled: e.archiveEnabled,
            path: e.archiveDir,
            card: e.archiveIsCard,
            // Another folder: what was said of the last one's answers is not said of it.
            ...(e.archiveDir !== status.current.archive.path ? { notAnswering: false } : {}),
          },
          dropbox: { ...status.current.dropbox, connected: e.dropboxConnected },
        });
        return;
      case 'probed':
        // The files the probe counted, as a pass's problem counts them (0 read as "none wait").
        if (e.card) this.showCardChecked(e.card, e.transit, e.watch?.waiting ?? 0);
        status.update({
          counts: {
            ...status.current.counts,
            transit: e.transit,
            ...Object.fromEntries(
              Object.entries(e.pending).map(([leg, n]) => [PENDING_COUNT[leg as LegId], n]),
            ),
            failed: e.failing.length,
            ...(e.watch ? { waiting: e.watch.waiting, settling: e.watch.settling } : {}),
          },
          failing: mostAttempted(e.failing),
        });
        // Without a daemon, the journal is what remembers the failures: show them, not "Up to date".
        // A problem from the threshold on, as a running engine raises it; below it the sentence
        // names the file.
        for (const f of e.failing)
          if (f.attempts >= FILE_FAILING_THRESHOLD)
            status.raise(fileFailingProblem(f.rel, f.attempts, f));
        return;
      case 'paused-look':
        if (e.card)
          this.showCardChecked(
            e.card,
            status.current.counts.transit,
            e.watch?.waiting ?? status.current.counts.waiting,
          );
        if (e.watch)
          status.update({
            counts: {
              ...status.current.counts,
              waiting: e.watch.waiting,
              settling: e.watch.settling,
            },
          });
        return;
      case 'last-daemons-word':
        status.raise(e.problem);
        status.update({ dropbox: { ...status.current.dropbox, connected: false } });
        return;
      case 'login-answered':
        this.showLoginAnswer(e.refused);
        return;
      case 'disks-measured': {
        // The card's free space as its disk was last measured: the pass's look is as old as the
        // pass, and the copies since had used 5 MB of "14 MB free" beside the disk's "9.3 MB".
        const { archive } = status.current;
        const card = archive.present ? e.disks.find((d) => d.roles.includes('archive')) : undefined;
        status.update({
          disks: e.disks,
          ...(card
            ? { archive: { ...archive, freeBytes: card.freeBytes, totalBytes: card.totalBytes } }
            : {}),
        });
        this.showFamily(DISK_PROBLEM_PREFIX, this.uncoveredDiskProblems(e.problems, e.disks));
        return;
      }
      case 'sources-learnt':
        status.update({ sources: e.sources });
        this.showFamily(SOURCE_PROBLEM_PREFIX, e.problems);
        return;
      case 'site-checked':
        if (e.problem) status.raise(e.problem);
        else status.clear(SITE_PLACEHOLDER_ID);
        return;
      case 'pass-begun':
        status.update({ passRunning: true });
        return;
      case 'dropbox-waits':
        status.update({ dropboxWait: e.wait });
        return;
      case 'sync-ask-served':
        status.update({ syncAskServedMs: e.askedMs });
        return;
      case 'pass-finished':
        // A wait is the pass's: none outlives it (its end is told too; this is the backstop).
        if (status.current.dropboxWait) status.update({ dropboxWait: null });
        // The pass isolates every file and every part; if it still fails, say so rather than
        // letting the last good status stand ("Up to date" while nothing moves).
        if (e.failure === null) status.clear(PASS_FAILED_ID);
        else if (e.aborted) {
          // A stop or a pause ended it: no failure.
        } else if (
          // The settings folder cannot be written (its disk full or read-only), which fails the
          // pass's journal save: that problem names the disk and the fix, and files still move.
          // Before, this one was raised beside it: a second error alert for the same full disk,
          // saying "Syncing stopped … See the log" of a hub that uploaded, its log unwritable.
          status.hasProblem(SETTINGS_UNWRITABLE_ID) &&
          mayBeSettingsUnwritable(e.failureCode)
        )
          status.clear(PASS_FAILED_ID);
        else
          status.raise({
            id: PASS_FAILED_ID,
            code: 'pass-failed',
            severity: 'error',
            tab: 'log',
            // Not "syncing stopped": the next pass tries again, and files may still move. And the
            // log named where it is: "See the log" told a person reading it by email nothing.
            message: `A sync pass failed on an unexpected error (${e.failure}); every pass tries again and files wait safely meanwhile. See the log${this.logFolder === null ? '' : ` in ${this.logFolder}`}`,
          });
        // A pass cut short (a pause, a stop) has not looked at everything: "last pass" is the
        // last whole one, which is what the alerts' restart carry-over waits for before it
        // resolves a condition the earlier process announced (policy.ts hasLooked).
        status.update({ passRunning: false, ...(e.aborted ? {} : { lastPassMs: e.atMs }) });
        return;
    }
  }

  /** A family of problems (one per disk, per source) is shown whole: raised, the healed cleared. */
  private showFamily(prefix: string, problems: NewProblem[]): void {
    const raised = new Set<string>();
    for (const p of problems) {
      this.status.raise(p);
      raised.add(p.id);
    }
    this.status.clearMatching((id) => id.startsWith(prefix) && !raised.has(id));
  }

  /** After a pass, the problems shown match what the legs met: raised once, cleared when healed. */
  private reflectLegProblems(
    blocked: Partial<Record<LegId, SyncError | null>>,
    pending: number,
    aborted: boolean,
  ): void {
    // One change: a leg's problem cleared here and its next one raised below were heard apart,
    // the first as healed (status/model.ts batch).
    this.status.batch(() => this.reflectLegProblemsNow(blocked, pending, aborted));
  }

  private reflectLegProblemsNow(
    blocked: Partial<Record<LegId, SyncError | null>>,
    pending: number,
    aborted: boolean,
  ): void {
    const { status } = this;
    // What the problems count as waiting is what the status sentence counts: the files in
    // transit and those still in the watch folder (the offline problem said 5 beside "8 files
    // waiting safely" when 3 waited behind same-named ones or were still being written).
    const inWatch = status.current.counts.waiting;
    // Every leg, enabled or not: a leg turned off no longer holds anything back.
    for (const id of LEG_IDS) {
      const err = blocked[id] ?? null;
      const offline =
        LEGS[id].network && err !== null && (TRANSIENT.has(err.kind) || err.code === 'offline');
      // A pass cut short (a pause, a stop) leaves the network leg with the abort as its passing
      // trouble: that says nothing of Dropbox. Read as offline, it made a resumed engine say
      // "Dropbox is unreachable" until its first file was answered, and started the offline clock.
      if (aborted && offline) continue;
      if (LEGS[id].network) {
        if (offline) {
          const mono = monotonicNow(this.clock);
          this.offlineSinceMono ??= mono;
          const cause = offlineCauseOf(err);
          // Which failure it is (refused, no route, no name, silence), with where to look: "Dropbox
          // is unreachable; retrying" alone named no cause, though the error knew it.
          const detail = cause === 'network' ? networkDetail(err) : null;
          status.update({ offline: true, offlineCause: cause, offlineDetail: detail });
          if (!this.toldUnreachable) {
            this.toldUnreachable = true;
            this.logger?.warn(
              'Dropbox is unreachable: uploads wait and are tried again each pass',
              {
                cause,
                ...(detail === null ? { error: err.message } : { detail }),
              },
            );
          }
          if (mono - this.offlineSinceMono >= this.offlineAlertMs())
            status.raise({
              ...offlineProblem(
                this.offlineSinceMono,
                mono,
                pending + inWatch,
                { ...status.current.archive, blocked: Boolean(blocked.archive) },
                cause,
                // What is known of the failure (a proxy's words, a refusal, silence) is the fix.
                detail ?? undefined,
              ),
              // Since the outage began, not since the delay ran out: the alert's "Since" and its
              // "Resolved … lasted" told a 3 h outage as 2 h (the default delay is an hour).
              sinceMs: this.clock.now() - (mono - this.offlineSinceMono),
            });
        } else {
          this.offlineSinceMono = null;
          if (status.current.offline) status.update({ offline: false });
        }
      }
      for (const pid of LEGS[id].problemIds) {
        // Revoked access and a full Dropbox are Dropbox's verdicts: only its answer can lift them.
        // A pass that did not reach it heard none; clearing them there told a person "No longer
        // a problem: Dropbox access was revoked" as the network went down (and raised it anew
        // when it came back), or while the clock was not set, when no pass asks Dropbox at all.
        // A pass with nothing to upload hears nothing either.
        if (ANSWERED_BY_DROPBOX.has(pid) && !this.heardFromDropbox) continue;
        if (pid === 'offline' ? !offline : err?.code !== pid) status.clear(pid);
      }
      // Refused credentials are no connection: the account reached before is not shown as
      // connected beside "access was revoked" (a leg that reaches Dropbox again says connected).
      if (
        LEGS[id].network &&
        (err?.code === 'auth-revoked' || err?.code === 'auth-missing') &&
        status.current.dropbox.connected
      )
        status.update({ dropbox: { ...status.current.dropbox, connected: false } });
      // A network leg's passing trouble is "offline" (above); any other block is its own problem.
      if (
        err &&
        !offline &&
        (err.kind === 'blocked' || !LEGS[id].network) &&
        !shownBySiteCheck(err)
      )
        this.raiseLegProblem(err, pending, inWatch);
    }
  }

  /**
   * The SD card as a check outside a pass found it (a probe, a look while paused): shown, and
   * its problem raised with the files waiting, or, as a pass's end does, the card's other
   * problems cleared (a card put back while paused was still said missing).
   */
  private showCardChecked(
    card: { problem: SyncError | null; card?: CardState },
    inTransit: number,
    inWatch: number,
  ): void {
    this.status.batch(() => {
      this.apply({
        type: 'leg-checked',
        leg: 'archive',
        problem: card.problem,
        ...(card.card ? { card: card.card } : {}),
      });
      for (const pid of LEGS.archive.problemIds)
        if (card.problem?.code !== pid) this.status.clear(pid);
      if (card.problem) this.raiseLegProblem(card.problem, inTransit, inWatch);
    });
  }

  /**
   * Dropbox's word on the login from a call outside a pass: its "access revoked" is the upload
   * leg's own problem at once, in the leg's words (a hub receiving a file a day hid it for a day,
   * while its heartbeat logged it); a call it took lifts that verdict, as a pass's answer does.
   */
  private showLoginAnswer(refused: SyncError | null): void {
    const { status } = this;
    const dropbox = status.current.dropbox;
    if (refused) {
      const { transit, waiting } = status.current.counts;
      this.raiseLegProblem(refused, transit, waiting);
      if (dropbox.connected) status.update({ dropbox: { ...dropbox, connected: false } });
    } else if (status.hasProblem(REVOKED_ID)) {
      status.clear(REVOKED_ID);
      status.update({ dropbox: { ...dropbox, connected: true } });
    }
  }

  private raiseLegProblem(err: SyncError, inTransit: number, inWatch: number): void {
    this.legErrors.set(err.code, { err, waiting: inTransit + inWatch });
    this.status.batch(() => {
      this.status.raise(legProblem(err, inTransit, inWatch));
      // The archive has one problem at a time: a card pulled is no longer known full, nor one
      // found full still missing. A copy finding the card gone in a pass left "full" shown beside
      // it until the pass's end, and then cleared it alone: "Resolved: the archive disk full" of a
      // card pulled out. Replaced in one change, the alerts read it as the replacement it is.
      if (ARCHIVE_PROBLEM_IDS.includes(err.code))
        for (const id of ARCHIVE_PROBLEM_IDS) if (id !== err.code) this.status.clear(id);
      if (err.code === ARCHIVE_FULL)
        for (const id of cardOnlyDiskIds(this.status.current.disks ?? [])) this.status.clear(id);
    });
  }

  /**
   * A disk holding the archive alone (a card), full: said once, by the archive's own problem,
   * whose fix is the card's. It was said twice, "archive full" and "disk nearly full" raised and
   * resolved together, two alerts for one card (unattended-hub trial). A disk shared with the
   * watch or transit folder keeps its own problem: what it says of the loggers still holds.
   */
  private uncoveredDiskProblems(problems: NewProblem[], disks: DiskStatus[]): NewProblem[] {
    if (!this.status.hasProblem(ARCHIVE_FULL)) return problems;
    const covered = new Set(cardOnlyDiskIds(disks));
    return problems.filter((p) => !covered.has(p.id));
  }

  /**
   * A blocked leg's problem counts the files waiting behind it, and where: raised at the end of a
   * pass, it said "12 files wait safely in the watch folder" through the whole next pass, above
   * "Waiting in watch folder: 0, In transit: 12", once they had moved to transit. Worded again as
   * files move or come (only while such a problem stands; the same words raise nothing), not as
   * they go: files leaving the queue are the block lifting, and its "Resolved" quoted "new files
   * will wait" from the pass that copied them all.
   */
  private recountLegProblems(): void {
    if (this.legErrors.size === 0) return;
    const { transit, waiting } = this.status.current.counts;
    for (const [id, told] of this.legErrors) {
      if (!this.status.hasProblem(id)) this.legErrors.delete(id);
      else if (transit + waiting >= told.waiting) this.raiseLegProblem(told.err, transit, waiting);
    }
  }
}

/**
 * Uploads held for a placeholder site name: the site check shows that problem in its own words
 * (health/hub-health.ts checkSite), connected or not; raised here too, the two would replace each
 * other's words at every pass.
 */
function shownBySiteCheck(err: SyncError): boolean {
  return err.code === SITE_PLACEHOLDER_ID;
}

/** Why the network leg cannot place files: no answer, Dropbox's outage, or its rate limit. */
function offlineCauseOf(err: SyncError): OfflineCause {
  if (err.code === 'server-error') return 'server';
  return err.code === 'rate-limited' ? 'rate-limit' : 'network';
}

/** The failing file to name: the one with the most attempts (the first of equals). */
function mostAttempted(failing: readonly FailingFileFact[]): NamedFailure | null {
  let worst: FailingFileFact | null = null;
  for (const f of failing) if (!worst || f.attempts > worst.attempts) worst = f;
  return worst && { rel: worst.rel, message: worst.message };
}

/** One sentence for a hand edit that could not be used: what is wrong, what runs, the fix. */
function settingsFileMistakesMessage(issues: { field: string; message: string }[]): string {
  // A file that cannot be read at all (not JSON, emptied) is a mistake of no one setting. Then
  // `rdl-sync settings set` refuses to save (it cannot know the other settings), and the file's
  // own advice, to delete it, would start every setting from its default: only the window, which
  // holds the settings in force whole, can save over it.
  const unreadable = issues.every((i) => i.field === '');
  const wrong = issues
    .map((i) =>
      i.field
        ? `${i.field}: ${i.message}`
        : i.message.replace(/(: fix |; set the settings ).*$/, ''),
    )
    .join('; ');
  return unreadable
    ? `The settings file was changed and cannot be read (${wrong}); the settings in force are kept ` +
        'until it is fixed: correct config.json by hand (`rdl-sync settings check` says where), or ' +
        'save the settings from the window (the file is set aside). Do not delete it: every ' +
        'setting would start from its default. Nothing is lost.'
    : `The settings file was changed but has mistakes (${wrong}); the settings in force are kept ` +
        'until it is fixed: correct config.json (`rdl-sync settings check` names each mistake), or ' +
        'save the settings from the window or with `rdl-sync settings set`. Nothing is lost.';
}

/** The archive leg's problem for a full archive (its code is its id: pipeline/problems.ts). */
const ARCHIVE_FULL = 'archive-full';
/** The archive leg's problems, one at a time (raiseLegProblem). */
const ARCHIVE_PROBLEM_IDS: readonly string[] = LEGS.archive.problemIds;

function cardOnlyDiskIds(disks: readonly DiskStatus[]): string[] {
  return disks.filter((d) => d.roles.length === 1 && d.roles[0] === 'archive').map(diskProblemId);
}
