// One function per CLI command. Each opens the engine facade, does one thing, prints plainly.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline/promises';
import {
  closestSettingKey,
  createEngine,
  defaultSettings,
  describeLockOwner,
  FILE_FAILING_PREFIX,
  fileCount,
  FILE_FAILING_THRESHOLD,
  formatBytes,
  liveLockOwner,
  liveWaitingDaemon,
  markWaitingForSettings,
  loadCronCheck,
  loadSettingsWriter,
  lostSettingsIssues,
  openSettingsService,
  printable,
  sentenceAsText,
  formatDuration,
  formatUtcMinute,
  readStatusFile,
  settingsSchema,
  type Engine,
  type LockOwner,
  type LockRole,
  type Problem,
  SETTINGS_INVALID_ID,
  shellWord,
  siteFolderSuggestion,
  type Settings,
  type StatusSnapshot,
  triedAgainWhenAsked,
  TRY_AGAIN_WHEN_NOTHING_RUNS,
  holdsUncountedFiles,
  keptUnderOtherName,
  oldSyncerStillRunning,
  withoutStartAgain,
  dropboxRoute,
  checkArchiveRoot,
  commandLineWords,
  isWhereCardsMount,
  smtpValueMistake,
  decidesFleetFolder,
  fleetFolderTypedIssue,
  settingsFileUnusable,
  beginViewerConnection,
  finishViewerConnection,
  DEFAULT_IGNORE_PATTERNS,
  FileCredentialStore,
} from '../engine/index.js';
import { formatTime, parseDuration } from './duration.js';
import { printPassOutcome, printStatus, whoSyncs } from './print-status.js';
import { allMovedBy, waitForAskedPass } from './asked-pass.js';
import { sayOnInterrupt } from './interrupt-words.js';
import { FOLLOW_WAIT_MS, waitUntilFollowed, waitUntilLockFreed } from './followed.js';
import { staleStatusReason, unpublishedReason, waitForOwnStatus } from './stale-status.js';
import { doctor } from './doctor.js';
import { otherUserDaemonLine, otherUsersDaemons } from './other-user-daemon.js';
import { runFleetCommand } from './fleet.js';
import { alert, report } from './alert-commands.js';
import { LOOK_CARD_ANSWER_MS, type CliContext, type CommandSpec } from './context.js';

export type { CliContext } from './context.js';

/** `once` waits at most stableSeconds + this for files still settling. */
const ONCE_SETTLE_MARGIN_S = 10;
const ONCE_RECHECK_MS = 1_000;
/**
 * How long `rdl-sync sync` waits for the pass it asked a running process for: long enough for a
 * pass over a day's files on a slow link, short enough not to look hung to a person at a terminal.
 */
const SYNC_WAIT_DEFAULT_MS = 10 * 60_000;
/** A daemon whose settings folder cannot be written tries to start again this often. */
const UNWRITABLE_RETRY_MS = 15_000;
/**
 * A service refused beside another RDL Sync looks this often whether the lock holder has ended. A
 * read only (the lock file and /proc): a hub's card is not written while it waits, for months.
 */
const LOCK_RECHECK_MS = 2_000;
/** A daemon waiting for valid settings looks again this often (the watcher polls every second). */
const SETTINGS_RECHECK_MS = 1_000;
/**
 * …and this often whether people are owed a reminder, or the file now holds other mistakes (the
 * alert service reads its log: cheap, and quiet when nothing is owed).
 */
const SETTINGS_ALERT_RECHECK_MS = 60_000;

function say(ctx: CliContext, text: string): void {
  ctx.out.write(`${text}\n`);
}

/**
 * `daemon`: follows settings edits and publishes status. `readOnly`: creates nothing at all.
 * Only an engine that takes the run lock (the daemon, `once`) touches the watch and transit
 * folders, so side commands beside a running daemon never disturb its staging.
 */
async function openEngine(
  ctx: CliContext,
  mode: 'daemon' | 'once' | 'side' | 'readOnly',
  /** A side command that only looks at the card (a retention dry run): its short wait. */
  looksOnly = mode === 'readOnly',
): Promise<Engine> {
  return createEngine({
    configDir: ctx.configDir,
    logger: ctx.logger,
    watchConfig: mode === 'daemon',
    // `once` too: its final snapshot (pid null) is what `status` shows afterwards (auth state).
    publishStatus: mode === 'daemon' || mode === 'once',
    readOnly: mode === 'readOnly',
    // A look says a card does not answer after a few seconds (LOOK_CARD_ANSWER_MS).
    ...(looksOnly ? { archiveAnswerMs: LOOK_CARD_ANSWER_MS } : {}),
    // Recorded in the run lock: a process refused beside this one names what holds it.
    ...(mode === 'daemon' ? { role: startedBySystemd() ? 'service' : 'daemon' } : {}),
    ...(mode === 'once' ? { role: 'once' } : {}),
  });
}

function printIssues(ctx: CliContext, issues: { field: string; message: string }[]): void {
  for (const i of issues) say(ctx, `  - ${i.field ? `${i.field}: ` : ''}${i.message}`);
}

function settingsProblem(engine: Engine) {
  return settingsRefusal(engine.getStatus().problems);
}

/**
 * The settings cannot be used at all (none yet, or refused): no pass runs. By the problem's id: a
 * hand edit with mistakes has the same code, and the settings in force run on meanwhile.
 */
function settingsRefusal(problems: readonly Problem[]): Problem | undefined {
  return problems.find((p) => p.id === SETTINGS_INVALID_ID);
}

/**
 * The daemon and `once` refuse to guess: invalid settings stop them with every problem named.
 * `waiting`: the daemon under systemd, which says so once and waits for the file to be fixed.
 */
function refuseInvalid(ctx: CliContext, engine: Engine, waiting = false): boolean {
  const problem = settingsProblem(engine);
  if (!problem) return false;
  const not = waiting ? 'Not syncing yet' : 'Not starting';
  if (problem.code === 'setup-needed') {
    // Nothing to fix, nothing there yet: often the service runs as another user than the one
    // who imported (the path names whose settings were looked for).
    say(ctx, `${not}: RDL Sync is not set up yet (no settings in ${engine.settingsPath}).`);
    say(ctx, problem.message);
  } else {
    say(ctx, `${not}: the settings in ${engine.settingsPath} need fixing.`);
    say(ctx, problem.message);
    // A file that cannot be read at all is fixed by hand: `settings set` refuses to write over it.
    if (!settingsFileUnusable(problem.message))
      say(
        ctx,
        'Fix them with `rdl-sync settings set KEY VALUE` (see `rdl-sync settings`) or in the window.',
      );
  }
  if (waiting) {
    say(
      ctx,
      'The service waits and starts syncing by itself once the settings file holds valid settings (no restart needed).',
    );
  }
  return true;
}

/**
 * Started by systemd (which sets INVOCATION_ID for every unit it runs): a daemon that exited on
 * invalid settings was restarted every 10 s for ever, three journal lines each time, and needed
 * a restart once fixed. A person at a terminal still gets the refusal and exit code 2 at once.
 */
function startedBySystemd(): boolean {
  return (process.env.INVOCATION_ID ?? '') !== '';
}

function errorCode(e: unknown): unknown {
  return e instanceof Error ? (e as { code?: unknown }).code : undefined;
}

/** Another RDL Sync holds the run lock: a refusal, not a stop (run-lock.ts busy()). */
function refusedBesideAnother(e: unknown): boolean {
  return errorCode(e) === 'already-running';
}

/** Resolves true after `ms`, false at once on a stop. */
function waitOrStop(ms: number, stop: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (stop.aborted) return resolve(false);
    const onStop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      stop.removeEventListener('abort', onStop);
      resolve(true);
    }, ms);
    stop.addEventListener('abort', onStop, { once: true });
  });
}

/**
 * Under systemd, two reasons not to start make the service wait instead of exiting into
 * systemd's restart loop (a journal error every 10 s, and an alert each time):
 *  - a settings folder that cannot be written (its disk made read-only after disk errors, full,
 *    or given to another user) keeps the daemon from taking its lock: a stop a person must fix,
 *    said once and alerted once; tried again until the folder can be written.
 *  - another RDL Sync (the tray app, say) holds the lock and syncs: nobody needs to act, so it is
 *    said in the log but alerted to no one; the service takes over as soon as that process ends,
 *    so a tray app quit later leaves nothing unsynced.
 * A stop ends the wait.
 */
async function startWhenPossible(ctx: CliContext, engine: Engine): Promise<void> {
  let saidUnwritable = false;
  let saidHolder: number | null = null;
  for (;;) {
    try {
      await engine.start();
      if (saidUnwritable) ctx.logger.info('the settings folder can be written again: started');
      if (saidHolder !== null)
        ctx.logger.info('the other RDL Sync has ended: this service syncs now', {
          previousPid: saidHolder,
        });
      return;
    } catch (e) {
      if (ctx.stopSignal.aborted || !(e instanceof Error)) throw e;
      if (refusedBesideAnother(e)) {
        const holder = await liveLockOwner(ctx.configDir);
        // Said again only when another process holds it (the tray app quit, a `once` took it).
        if (holder && holder.pid !== saidHolder) {
          saidHolder = holder.pid;
          say(ctx, `${e.message}. The service waits and starts syncing by itself when it ends.`);
          ctx.logger.warn('daemon waiting: another RDL Sync is syncing', {
            holder: describeLockOwner(holder),
          });
        }
        // Until the holder has gone: only then is a start worth trying.
        while ((await liveLockOwner(ctx.configDir)) !== null) {
          if (!(await waitOrStop(LOCK_RECHECK_MS, ctx.stopSignal))) return;
        }
        continue;
      }
      if (errorCode(e) !== 'settings-unwritable') throw e;
      if (!saidUnwritable) {
        saidUnwritable = true;
        // It starts by itself once the folder can be written: nobody needs to start it again.
        const message = withoutStartAgain(e.message);
        say(ctx, `${message}. The service tries again every ${UNWRITABLE_RETRY_MS / 1000} s.`);
        ctx.logger.error('daemon waiting for its settings folder to be writable', {
          reason: message,
        });
        await engine.alerts.notifyStopped(message, UNWRITABLE_RETRY_MS / 1000);
      }
    }
    if (!(await waitOrStop(UNWRITABLE_RETRY_MS, ctx.stopSignal))) return;
  }
}

/**
 * Tells people that the daemon waits for its settings file to be fixed: nothing syncs, and a hub
 * nobody watches was silent about it for weeks. Not a first run ("setup needed": nothing to fix,
 * a machine being set up). The channels: what can be trusted of the file, else those of the last
 * valid settings (alerts/trusted-settings.ts). `first`: said on stdout too.
 */
async function tellSettingsInvalid(ctx: CliContext, engine: Engine, first: boolean): Promise<void> {
  const problem = settingsProblem(engine);
  if (!problem || problem.code === 'setup-needed') return;
  const issues = engine.settingsIssues();
  if (issues.length === 0) return; // fixed meanwhile
  const source = engine.alertSettingsSource();
  if (source === 'none') {
    // No channel can be trusted: none is made up, and nothing is recorded as told (its "No
    // longer a problem" would reach people who never heard of it). Looked at again meanwhile.
    if (first) {
      ctx.logger.warn('no alert channel can be trusted while the settings file cannot be used');
      say(
        ctx,
        "No alert could be sent about this: neither the file's alert settings nor earlier valid settings of this hub can be used, so no alert channel is known.",
      );
    }
    return;
  }
  const notice = await engine.alerts.notifySettingsInvalid(engine.settingsPath, issues);
  if (notice.outcome === 'sent' || notice.outcome === 'reminded' || first)
    ctx.logger.info('settings problem and its fix told through the alert channels', {
      outcome: notice.outcome,
      channelsFrom: source,
      channels: notice.results.map((r) => `${r.channel}:${r.ok ? 'ok' : 'failed'}`).join(' '),
    });
  if (first && source === 'last-valid' && notice.outcome !== 'another-syncs') {
    say(
      ctx,
      "The file's alert settings cannot be used either: people are told through the alert channels of the last valid settings.",
    );
  }
}

/**
 * Resolves true once the settings are valid (the engine follows the file), false on a stop.
 * `whileWaiting` runs now and then (never two at once) until then.
 */
function settingsFixed(
  engine: Engine,
  stop: AbortSignal,
  whileWaiting: () => Promise<void> = async () => undefined,
): Promise<boolean> {
  return new Promise((resolve) => {
    let looking: Promise<void> | null = null;
    const look = (): void => {
      looking ??= whileWaiting()
        .catch(() => undefined)
        .finally(() => (looking = null));
    };
    const done = (fixed: boolean): void => {
      unsubscribe();
      clearInterval(alive);
      clearInterval(lookAgain);
      stop.removeEventListener('abort', onStop);
      // A notice being sent ends first (bounded by the alert service): a stop must not cut it.
      void (looking ?? Promise.resolve()).then(() => resolve(fixed));
    };
    const lookAgain = setInterval(look, SETTINGS_ALERT_RECHECK_MS);
    const onStop = (): void => done(false);
    const unsubscribe = engine.onStatus(() => {
      if (!settingsProblem(engine)) done(true);
    });
    // The settings watcher and the status file's timer do not hold the process open: this does.
    const alive = setInterval(() => {
      if (!settingsProblem(engine)) done(true);
    }, SETTINGS_RECHECK_MS);
    stop.addEventListener('abort', onStop, { once: true });
    if (stop.aborted) done(false);
    else if (!settingsProblem(engine)) done(true);
  });
}

const run: CommandSpec = {
  async run(ctx) {
    const { stopSignal } = ctx;
    const stopRequested = new Promise<void>((resolve) => {
      if (stopSignal.aborted) return resolve();
      stopSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    void stopRequested.then(() =>
      ctx.logger.info(`received ${String(stopSignal.reason)}: stopping`),
    );
    if (stopSignal.aborted) return 0;
    const engine = await openEngine(ctx, 'daemon');
    // Refused beside another RDL Sync: it never ran, so no "daemon stopped" before its refusal.
    let refused = false;
    try {
      const waiting = startedBySystemd();
      if (refuseInvalid(ctx, engine, waiting)) {
        if (!waiting) return 2;
        const problem = settingsProblem(engine);
        ctx.logger.warn('daemon waiting for valid settings', {
          settings: engine.settingsPath,
          problem: problem?.message,
        });
        await tellSettingsInvalid(ctx, engine, true).catch((e: unknown) =>
          ctx.logger.warn('could not tell that the settings need fixing', { reason: String(e) }),
        );
        const remind = (): Promise<void> => tellSettingsInvalid(ctx, engine, false);
        // Seen by `rdl-sync status`: waiting, this process holds no lock (nothing syncs).
        const unmark = await markWaitingForSettings(ctx.configDir, 'service').catch(() => null);
        let fixed: boolean;
        try {
          fixed = await settingsFixed(engine, stopSignal, remind);
        } finally {
          await unmark?.().catch(() => undefined);
        }
        if (!fixed) return 0;
        ctx.logger.info('settings are valid now: starting');
      }
      if (stopSignal.aborted) return 0;
      // "started" only once the run lock is ours: a second daemon refused beside a running one
      // logged "daemon started" and then its refusal.
      ctx.logger.info('daemon starting', {
        configDir: ctx.configDir,
        pid: process.pid,
        dropbox: dropboxRoute(engine.getSettings().dropboxEndpoint).words,
      });
      const oldSyncer = await oldSyncerStillRunning(engine.getSettings().watchDir).catch(
        () => null,
      );
      if (oldSyncer) ctx.logger.warn(oldSyncer);
      const started = waiting ? startWhenPossible(ctx, engine) : engine.start();
      started.then(
        () => {
          if (stopSignal.aborted) return;
          ctx.logger.info('daemon started', { pid: process.pid });
          void engine.alerts
            .notifyRunningAgain()
            .catch((e: unknown) =>
              ctx.logger.warn('could not tell that the daemon runs again', { reason: String(e) }),
            );
        },
        () => undefined, // awaited below; a stop may come first
      );
      try {
        await Promise.race([started, stopRequested]);
      } catch (e) {
        // Refused beside another RDL Sync, which syncs on: not a stop, nobody is alerted (every
        // channel used to hear "RDL Sync stopped on an error … nothing syncs until it runs
        // again"). The refusal, naming the other process, is this process's error and exit 1.
        if (refusedBesideAnother(e)) {
          refused = true;
          throw e;
        }
        // The daemon stopped on an error: one alert through the channels before it exits.
        await engine.alerts.notifyStopped(e instanceof Error ? e.message : String(e));
        throw e;
      }
      await stopRequested;
      return 0;
    } finally {
      // Also during start-up: stop() waits for it, aborts the pass in hand, releases the lock.
      await engine.stop();
      if (!refused) ctx.logger.info('daemon stopped');
    }
  },
};

/** Files in the watch folder still being written or changing (an older status: all waiting). */
function settlingNow(engine: { getStatus(): { counts: { waiting: number; settling?: number } } }) {
  const { waiting, settling } = engine.getStatus().counts;
  return settling ?? waiting;
}

const once: CommandSpec = { run: (ctx) => runOnce(ctx, false) };

/**
 * Failing files as `once` lists them: each name with its code and why, printable. One this
 * command did not try (still waiting out its back-off) says when it failed: its old error in the
 * present tense read as the fix just made having failed.
 */
function failureList(
  failures: ReadonlyArray<{ rel: string; code: string; message: string; atMs?: number }>,
  startedMs: number,
): string {
  // A folder of thousands of failing files made a line of megabytes in cron's mail.
  const shown = failures.slice(0, LISTED_FAILURES_MAX);
  const more = failures.length - shown.length;
  const list = shown
    .map((f) =>
      printable(
        f.atMs !== undefined && f.atMs < startedMs
          ? `${f.rel} (${f.code}, not tried this time; it failed at ${formatTime(f.atMs)}: ${f.message})`
          : `${f.rel} (${f.code}: ${f.message})`,
      ),
    )
    .join('; ');
  return more > 0 ? `${list}; and ${more} more (the log names each)` : list;
}

/** Names as `once` lists files left or waited for: the first few, then how many more. */
function nameList(rels: readonly string[], count: number): string {
  const shown = rels.slice(0, LISTED_FAILURES_MAX);
  const more = Math.max(count, rels.length) - shown.length;
  return printable(shown.join(', ')) + (more > 0 ? `, and ${more} more` : '');
}

/** How many failing files `once` names one by one; the rest are counted. */
const LISTED_FAILURES_MAX = 20;

/**
 * One pass here, with a bounded wait for files still settling; 0 only when everything moved.
 * `retryWaiting` (`rdl-sync sync`): files waiting out a failure's back-off are tried too.
 */
async function runOnce(ctx: CliContext, retryWaiting: boolean): Promise<number> {
  const engine = await openEngine(ctx, 'once');
  try {
    if (refuseInvalid(ctx, engine)) return 2;
    // Files still settling (written to moments ago, or held open by the logger) get a bounded
    // wait: the stable time plus a margin. Whatever is still settling then is named, not hidden.
    const settleMs = (engine.getSettings().stableSeconds + ONCE_SETTLE_MARGIN_S) * 1000;
    const startedMs = Date.now();
    const oldSyncer = await oldSyncerStillRunning(engine.getSettings().watchDir).catch(() => null);
    if (oldSyncer) say(ctx, `Warning: ${oldSyncer}`);
    const deadline = startedMs + settleMs;
    const total = {
      staged: 0,
      uploaded: 0,
      archived: 0,
      done: 0,
      there: { upload: 0, archive: 0 },
    };
    let r = await engine.runPassNow({ retryWaiting });
    let saidWaiting = false;
    for (;;) {
      total.staged += r.staged;
      total.uploaded += r.uploaded;
      total.archived += r.archived;
      total.done += r.done;
      total.there.upload += r.alreadyThere.upload;
      total.there.archive += r.alreadyThere.archive;
      // Only files still being written are worth waiting for: one that cannot be staged (a name
      // too long, no room in transit) made every run wait out the stable time (100 s) for it.
      const settling = settlingNow(engine);
      if (settling === 0 || r.uploadBlocked || r.archiveBlocked || Date.now() >= deadline) break;
      // Said once, with the names: up to stableSeconds + 10 s (100 s by default) of silence read
      // as a hang, and a person pressed Ctrl-C on the first run the README suggests.
      if (!saidWaiting) {
        saidWaiting = true;
        say(
          ctx,
          `Waiting up to ${Math.round((deadline - Date.now()) / 1000)} s for ${fileCount(settling)} still being written or settling (unchanged for stableSeconds, ${engine.getSettings().stableSeconds} s, before moving): ${nameList(r.settlingInWatch, settling)}. Ctrl-C ends the wait; nothing is lost.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, ONCE_RECHECK_MS));
      r = await engine.runPassNow();
    }
    say(
      ctx,
      `Staged ${total.staged}, uploaded ${total.uploaded}${alreadyThere(total.there.upload)}, archived ${total.archived}${alreadyThere(total.there.archive)}, done ${total.done}; ${r.remainingInTransit} still queued in transit.`,
    );
    const settling = settlingNow(engine);
    if (settling > 0) {
      say(
        ctx,
        `Left ${settling} file${settling === 1 ? '' : 's'} in the watch folder: still being written (or changed) after waiting ${Math.round(settleMs / 1000)} s; the next run takes ${settling === 1 ? 'it' : 'them'}: ${nameList(r.settlingInWatch, settling)}.`,
      );
    }
    const { waiting } = engine.getStatus().counts;
    const problems = engine.getStatus().problems;
    // Each file that failed to leave the watch folder with its own reason: the status sentence
    // (given before for all of them) names one file, or another problem altogether.
    const watchFailures = engine.listWatchFailures();
    if (watchFailures.length > 0) {
      say(
        ctx,
        `Not moved to transit: ${fileCount(watchFailures.length)} failing in the watch folder: ${failureList(watchFailures, startedMs)}`,
      );
    }
    // (A failing file that is unsettled again counts in both: never below 0.)
    const held = Math.max(0, waiting - settling - watchFailures.length);
    if (held > 0) {
      // Held by a problem (transit full or unwritable), printed below; else the sentence says why.
      const why = problems.length > 0 ? 'the problems below say why' : engine.getStatus().sentence;
      say(
        ctx,
        `Left ${fileCount(held)} in the watch folder that could not be moved to transit: ${printable(why)}`,
      );
    }
    const failures = await engine.listFailures();
    if (failures.length > 0) {
      // Moved into transit, where they wait safely; what failed is a copy to Dropbox or the archive.
      say(
        ctx,
        `Not done: ${fileCount(failures.length)} failing in transit, kept there safely: ${failureList(failures, startedMs)}`,
      );
    }
    for (const p of problems) say(ctx, `! ${printable(p.message)}`);
    // A failing file waits out its back-off, also for the next `once`: say what does not.
    const fixable =
      problems.some((p) => triedAgainWhenAsked(p.id, p.code)) ||
      failures.some((f) => triedAgainWhenAsked(`${FILE_FAILING_PREFIX}${f.rel}`, f.code));
    // Nothing runs on after this command to make the try "that comes by itself".
    if (fixable) say(ctx, `  ${TRY_AGAIN_WHEN_NOTHING_RUNS}`);
    // What stopped a leg this pass, when no problem says it yet: Dropbox unreachable is a
    // problem only after offlineAlertMinutes (a daemon rides out short outages quietly), so a
    // technician's `once` while offline ended on "1 still queued in transit" and nothing else.
    for (const blocked of [r.uploadBlocked, r.archiveBlocked]) {
      if (blocked && !problems.some((p) => p.id === blocked.code))
        say(ctx, `! ${printable(blocked.message)}`);
    }
    // 0 only when everything found has moved: nothing failing, queued or left settling.
    const allMoved =
      r.fileFailures === 0 &&
      failures.length === 0 &&
      !r.uploadBlocked &&
      !r.archiveBlocked &&
      r.remainingInTransit === 0 &&
      waiting === 0 &&
      !problems.some(holdsUncountedFiles);
    return allMoved ? 0 : 1;
  } finally {
    await engine.stop();
  }
}

/**
 * "Sync now" from a terminal: a person who fixed what files failed on (a permission, a name)
 * should not wait out their back-off, up to an hour. Beside a running daemon or tray app (which
 * `once` must not run beside) it asks that one and waits for the pass to end; with none, it runs
 * the pass here.
 */
const sync: CommandSpec = {
  async run(ctx) {
    let waitMs = SYNC_WAIT_DEFAULT_MS;
    if (typeof ctx.values.wait === 'string') {
      try {
        waitMs = parseDuration(ctx.values.wait);
      } catch (e) {
        say(ctx, `--wait: ${(e as Error).message} (0 asks and returns at once).`);
        return 2;
      }
    }
    const owner = await liveLockOwner(ctx.configDir);
    if (owner === null) {
      say(
        ctx,
        'No RDL Sync is running here (no daemon, no tray app): the pass runs in this command.',
      );
      return runOnce(ctx, true);
    }
    // A `once` (or another `sync` running its pass) follows no asks: saved, this one would wait
    // unserved until some daemon started.
    if (owner.role === 'once') {
      say(
        ctx,
        `An rdl-sync once or sync (pid ${owner.pid}) is syncing now and takes no asks: run rdl-sync sync again when it has ended.`,
      );
      return 1;
    }
    const before = await readStatusFile(ctx.configDir);
    const doneBefore = before?.pid === owner.pid ? before.status.counts.doneThisRun : null;
    const engine = await openEngine(ctx, 'side');
    let askedMs: number;
    try {
      askedMs = await engine.askSyncNow();
    } finally {
      await engine.stop();
    }
    const asked = `Asked the running RDL Sync (${describeLockOwner(owner)}) for a pass now, the failing files tried again`;
    if (waitMs === 0) {
      say(
        ctx,
        `${asked}: it begins within a few seconds (after the pass under way, if any). rdl-sync status shows how it goes.`,
      );
      return 0;
    }
    say(
      ctx,
      // The wait as the person gave it: "--wait 90s" read back as "at most 2 min".
      `${asked}; waiting for it to end (at most ${typeof ctx.values.wait === 'string' ? ctx.values.wait.trim() : formatDuration(waitMs)}; Ctrl-C ends the wait, not the pass).`,
    );
    // A pass asked for runs while paused, as the window's and tray's do not: said, so a person who
    // paused to swap the card is not caught out.
    if (before?.pid === owner.pid && before.status.paused)
      say(ctx, 'It is paused: this one pass runs anyway, and it stays paused after.');
    sayOnInterrupt(
      `stopped waiting. The pass asked for goes on in the running RDL Sync (pid ${owner.pid}); rdl-sync status shows how it goes.`,
    );
    const outcome = await waitForAskedPass({
      configDir: ctx.configDir,
      pid: owner.pid,
      askedMs,
      waitMs,
      progress: (status) => say(ctx, printable(`  … ${sentenceAsText(status)}`)),
    });
    switch (outcome.kind) {
      case 'older':
        say(
          ctx,
          `The running RDL Sync (pid ${owner.pid}) is an earlier version: it does not say when the pass asked for ends (and the earliest follow no asks at all). rdl-sync status shows whether the files moved; to have rdl-sync sync wait for its pass, ${restartAdvice(owner)}.`,
        );
        return 1;
      case 'paused':
        say(
          ctx,
          printable(
            `RDL Sync was paused before the pass asked for ended: ${sentenceAsText(outcome.status)} The pass after the resume tries the failing files again.`,
          ),
        );
        return 1;
      case 'gone':
        say(
          ctx,
          `The running RDL Sync (pid ${owner.pid}) stopped before its pass ended. rdl-sync status shows what is running now; rdl-sync sync asks again.`,
        );
        return 1;
      case 'waited':
        say(
          ctx,
          `The pass had not ended after ${formatDuration(waitMs)}; it goes on. rdl-sync status shows how it goes${outcome.status ? printable(`: ${sentenceAsText(outcome.status)}`) : '.'}`,
        );
        return 1;
      case 'served': {
        // Settings the running process refuses: it ran no pass, and says why in its problems.
        const refused = settingsRefusal(outcome.status.problems);
        if (refused) {
          const setup = refused.code === 'setup-needed';
          say(
            ctx,
            `No pass could run: the running RDL Sync ${setup ? 'waits to be set up' : 'waits for its settings to be fixed'}.`,
          );
          printPassOutcome(outcome.status, (l) => say(ctx, l));
          return 2;
        }
        const done = outcome.status.counts.doneThisRun - (doneBefore ?? 0);
        say(
          ctx,
          `The pass has ended${doneBefore === null ? '' : `; ${done} file${done === 1 ? '' : 's'} done since the ask`}.`,
        );
        printPassOutcome(outcome.status, (l) => say(ctx, l));
        return allMovedBy(outcome.status) ? 0 : 1;
      }
    }
  },
};

/** How a person restarts the process that holds the lock, by what it is. */
function restartAdvice(owner: { pid: number; role?: LockRole }): string {
  switch (owner.role) {
    case 'service':
      return 'restart it: sudo systemctl restart rdl-sync';
    case 'tray-app':
      return 'quit the tray app and start it again';
    case 'daemon':
      return `stop it (kill ${owner.pid}: it stops safely) and start rdl-sync run again`;
    default:
      return 'restart it';
  }
}

const status: CommandSpec = {
  async run(ctx) {
    let published = await readStatusFile(ctx.configDir);
    // The lock, not the bare pid in status.json: after a reboot that pid may be anything.
    const owner = await liveLockOwner(ctx.configDir);
    // Just started: its own status comes within a second or two.
    if (owner && published?.pid !== owner.pid)
      published = (await waitForOwnStatus(ctx.configDir, owner.pid)) ?? published;
    const running = published?.pid != null && owner?.pid === published.pid;
    let snapshot = published?.status ?? null;
    if (!running) {
      // No daemon: build the engine without starting it, to report settings and problems.
      const engine = await openEngine(ctx, 'readOnly');
      await engine.probe();
      // A fresh engine has passed never: the last pass is the one the daemon or `once` published.
      const lastPassMs = published?.status?.lastPassMs ?? null;
      snapshot = { ...engine.getStatus(), ...(lastPassMs === null ? {} : { lastPassMs }) };
      await engine.stop();
    }
    const stale = running
      ? await staleStatusReason(ctx.configDir, published!, Date.now())
      : owner
        ? await unpublishedReason(ctx.configDir, owner.pid)
        : null;
    if (ctx.values.json) {
      say(
        ctx,
        JSON.stringify(
          {
            daemonRunning: running,
            // Running, but waiting for valid settings: it holds no lock and syncs nothing.
            daemonWaitingForSettings: !running && (await liveWaitingDaemon(ctx.configDir)) !== null,
            updatedAtMs: published?.updatedAtMs ?? null,
            stale,
            status: snapshot,
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const waiter = running ? null : await liveWaitingDaemon(ctx.configDir);
    say(
      ctx,
      owner
        ? whoSyncs(owner)
        : waiter
          ? `Daemon running (${describeLockOwner(waiter)}) but not syncing: it waits for the settings to be ${snapshot?.problems.some((p) => p.code === 'setup-needed') ? 'set up' : 'fixed'}, and starts syncing by itself once they are (no restart needed).`
          : 'Daemon not running.',
    );
    if (!owner) {
      for (const other of await otherUsersDaemons())
        say(ctx, `! ${printable(otherUserDaemonLine(other, ctx.configDir))}`);
    }
    if (stale) say(ctx, `! ${stale}`);
    if (snapshot)
      printStatus(snapshot, (l) => say(ctx, l), {
        ...(running || owner ? {} : { offline: { lastContactMs: snapshot.dropbox.lastContactMs } }),
        // A `once` ends after its pass: no later try comes by itself. A daemon that holds the
        // lock but has not published yet (just started) runs on.
        runsOn: (running || owner !== null) && owner?.role !== 'once',
      });
    return 0;
  },
};

/** Where the connection went, so nobody wonders which front end can use it. */
function sayConnected(
  ctx: CliContext,
  engine: Engine,
  account: { displayName: string; email: string },
): void {
  say(ctx, `Connected to Dropbox as ${account.displayName} <${account.email}>.`);
  say(
    ctx,
    `Saved in ${engine.describeCredentials().where} (readable only by this user): the background service, the command line and the tray app all use it.`,
  );
}

const auth: CommandSpec = {
  async run(ctx) {
    const engine = await openEngine(ctx, 'side');
    const verifierFile = path.join(ctx.configDir, 'pkce-pending.json');
    try {
      const given = ctx.values.code as string | undefined;
      const viewerKey = ctx.values['app-key'] as string | undefined;
      if (given) {
        // Second half of the two-step flow: reuse the verifier saved by the first call (and the
        // viewer's app key, when the first call was given one).
        const saved = JSON.parse(await fs.readFile(verifierFile, 'utf8').catch(() => '{}')) as {
          verifier?: string;
          appKey?: string;
        };
        if (!saved.verifier) {
          say(
            ctx,
            'No connection was started here: run `rdl-sync auth` first, open the address, then pass --code.',
          );
          return 2;
        }
        if (saved.appKey) {
          const viewer = await finishViewerConnection(
            ctx.configDir,
            saved.appKey,
            saved.verifier,
            given,
          );
          await fs.rm(verifierFile, { force: true });
          sayViewerConnected(ctx, viewer);
          return 0;
        }
        const account = await engine.connectDropboxWithVerifier(saved.verifier, given);
        await fs.rm(verifierFile, { force: true });
        sayConnected(ctx, engine, account);
        return 0;
      }
      if (viewerKey !== undefined) {
        // A hub's key is a setting, so its daemon, tray app and command line agree on it.
        if (!settingsProblem(engine)) {
          say(
            ctx,
            'This machine is set up to sync, so its app key is a setting: rdl-sync settings set dropboxAppKey KEY, then rdl-sync auth (--app-key is for a machine that only views the fleet).',
          );
          return 2;
        }
        if (viewerKey.trim() === '') {
          say(ctx, "--app-key needs the app key from the Dropbox App Console (the hubs' key).");
          return 2;
        }
        return await connectViewer(ctx, viewerKey, verifierFile);
      }
      // A new install has no settings yet, and the app key alone cannot be saved (settings are
      // saved whole): "settings set dropboxAppKey KEY", the advice the connection gave, was refused.
      if (settingsProblem(engine)?.code === 'setup-needed') {
        say(
          ctx,
          'RDL Sync is not set up yet: save the site, the archive folder and the Dropbox app key together first, e.g. rdl-sync settings set site Site3_Lakeshore archiveDir /media/pi/CARD dropboxAppKey KEY (rdl-sync settings lists every setting; an old syncer is imported with rdl-sync import-legacy). Then run rdl-sync auth again. Only to view the fleet from this machine: rdl-sync auth --app-key KEY.',
        );
        return 2;
      }
      const { authorizeUrl, codeVerifier } = await engine.connectDropboxBegin();
      const code = await askForCode(ctx, authorizeUrl, codeVerifier, verifierFile);
      if (code === null) return 0;
      const account = await engine.connectDropboxWithVerifier(codeVerifier, code);
      sayConnected(ctx, engine, account);
      return 0;
    } finally {
      await engine.stop();
    }
  },
};

/**
 * Shows the address, then asks for the code on a terminal. Without one, keeps the verifier (and
 * a viewer's app key) for `auth --code` and returns null.
 */
async function askForCode(
  ctx: CliContext,
  authorizeUrl: string,
  codeVerifier: string,
  verifierFile: string,
  viewerKey?: string,
): Promise<string | null> {
  say(ctx, '1. Open this address in a browser and allow access:');
  say(ctx, `   ${authorizeUrl}`);
  if (!process.stdin.isTTY) {
    const pending = { verifier: codeVerifier, ...(viewerKey ? { appKey: viewerKey } : {}) };
    await fs.writeFile(verifierFile, JSON.stringify(pending), { mode: 0o600 });
    say(ctx, '2. Then run: rdl-sync auth --code <the code Dropbox shows>');
    return null;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  // Ctrl-C at the prompt: readline takes it, and the command ended with exit 1 and no word.
  rl.on('SIGINT', () => {
    rl.close();
    process.stdout.write(
      '\nInterrupted: not connected to Dropbox (nothing was saved); rdl-sync auth starts again.\n',
    );
    process.exit(130);
  });
  const code = await rl.question('2. Paste the code Dropbox shows: ');
  rl.close();
  return code;
}

/** `auth --app-key KEY` on a machine that syncs nothing: the connection alone, for `fleet`. */
async function connectViewer(
  ctx: CliContext,
  appKey: string,
  verifierFile: string,
): Promise<number> {
  const { authorizeUrl, codeVerifier } = await beginViewerConnection(ctx.configDir, appKey);
  const code = await askForCode(ctx, authorizeUrl, codeVerifier, verifierFile, appKey.trim());
  if (code === null) return 0;
  sayViewerConnected(ctx, await finishViewerConnection(ctx.configDir, appKey, codeVerifier, code));
  return 0;
}

function sayViewerConnected(
  ctx: CliContext,
  viewer: { where: string; account: { displayName: string; email: string } | null },
): void {
  const who = viewer.account ? ` as ${viewer.account.displayName} <${viewer.account.email}>` : '';
  say(ctx, `Connected to Dropbox${who}, to view the fleet (this machine syncs nothing).`);
  say(
    ctx,
    `Saved with its app key in ${viewer.where} (readable only by this user). rdl-sync fleet shows every hub's heartbeat.`,
  );
}

const importLegacy: CommandSpec = {
  async run(ctx) {
    const configJsonPath = ctx.values.config as string | undefined;
    const root = ctx.values.root as string | undefined;
    if (!configJsonPath && !root) {
      say(
        ctx,
        'Give --root DIR (the old syncer’s folder, e.g. /home/pi/SHELF3: its config.json and logging-folder are found there) or --config PATH (the old config.json).',
      );
      return 2;
    }
    const dryRun = ctx.values['dry-run'] === true;
    // A dry run opens the engine only to read, as `status` does: it makes no settings folder.
    const engine = await openEngine(ctx, dryRun ? 'readOnly' : 'side');
    try {
      const uploader = ctx.values['uploader-config'] as string | undefined;
      const remoteRoot = ctx.values['remote-root'] as string | undefined;
      const report = await engine.importLegacy({
        ...(configJsonPath ? { configJsonPath: path.resolve(configJsonPath) } : {}),
        ...(root ? { root: path.resolve(root) } : {}),
        ...(uploader ? { uploaderConfigPath: path.resolve(uploader) } : {}),
        ...(remoteRoot ? { remoteRootTemplate: remoteRoot } : {}),
        ...(ctx.values.replace === true ? { replace: true } : {}),
        ...(dryRun ? { dryRun: true } : {}),
      });
      // Names only, no values: an audit trail of the take-over that cannot leak a secret.
      if (!dryRun)
        ctx.logger.info('imported the old script’s settings', {
          changed: report.changes.map((c) => c.field),
          kept: (report.kept ?? []).map((k) => k.field),
          credentialsImported: report.credentialsImported,
        });
      for (const n of report.notes ?? []) say(ctx, `- ${n}`);
      say(
        ctx,
        dryRun
          ? `Would change in ${engine.settingsPath} (--dry-run: nothing saved):`
          : `Imported into ${engine.settingsPath}:`,
      );
      for (const c of report.changes)
        say(ctx, `  ${c.field}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`);
      if (report.changes.length === 0)
        say(ctx, '  (nothing changed: the settings already matched)');
      if (report.kept && report.kept.length > 0) {
        say(
          ctx,
          'Kept, as changed since the last import (--replace takes the old setup’s values instead):',
        );
        for (const k of report.kept)
          say(
            ctx,
            `  ${k.field}: ${JSON.stringify(k.value)} (the old setup gives ${JSON.stringify(k.imported)})`,
          );
      }
      // A second import (a site corrected, run again) said "run rdl-sync auth" over a working
      // connection saved by the first.
      const connected =
        !report.credentialsImported &&
        (await new FileCredentialStore(ctx.configDir).load().then(
          (c) => c !== null,
          () => false,
        ));
      say(
        ctx,
        report.credentialsImported
          ? dryRun
            ? 'Dropbox app key and refresh token would be imported (not shown).'
            : 'Dropbox app key and refresh token imported (not shown).'
          : connected
            ? 'No Dropbox credentials imported; the Dropbox connection already saved here is kept.'
            : 'No Dropbox credentials imported: run `rdl-sync auth` to connect.',
      );
      for (const w of report.warnings) say(ctx, `! ${w}`);
      return 0;
    } finally {
      await engine.stop();
    }
  },
};

/** Why a history query found nothing, so an empty answer is not read as "nothing failed". */
function nothingRecorded(values: CliContext['values']): string {
  const search = typeof values.search === 'string' ? ` matching "${values.search}"` : '';
  if (values.failures)
    return (
      `No failures recorded${search}. A file failing in transit is listed here once it has failed ` +
      `${FILE_FAILING_THRESHOLD} times. \`rdl-sync status\` counts every file failing now and names those that failed ${FILE_FAILING_THRESHOLD} times; the log names each failure as it happens.`
    );
  return search ? `No transfers recorded${search}.` : 'No transfers recorded yet.';
}

const history: CommandSpec = {
  async run(ctx) {
    const limit = ctx.values.limit === undefined ? 50 : Number(ctx.values.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      say(ctx, `--limit must be a whole number above 0, not "${String(ctx.values.limit)}"`);
      return 2;
    }
    const engine = await openEngine(ctx, 'readOnly');
    try {
      const records = engine.queryHistory({
        limit,
        onlyFailures: Boolean(ctx.values.failures),
        ...(typeof ctx.values.search === 'string' ? { search: ctx.values.search } : {}),
      });
      // A failure since put right reads as one still open unless it says so: a technician saw
      // "FAILED locked.csv" after the file had long been synced. One walk of the history finds
      // each file's newest "done" (a query per record took seconds over a long history).
      const newestDone = new Map<string, number>();
      if (records.some((r) => r.outcome === 'failed')) {
        for (const x of engine.queryHistory({ limit: Number.MAX_SAFE_INTEGER }))
          if (x.outcome === 'done' && !newestDone.has(x.rel)) newestDone.set(x.rel, x.finishedAtMs);
      }
      const doneSince = (r: (typeof records)[number]): number | null => {
        const done = r.outcome === 'failed' ? newestDone.get(r.rel) : undefined;
        return done !== undefined && done > r.finishedAtMs ? done : null;
      };
      if (ctx.values.json) {
        say(
          ctx,
          JSON.stringify(
            records.map((r) => (r.outcome === 'failed' ? { ...r, doneSinceMs: doneSince(r) } : r)),
            null,
            2,
          ),
        );
        return 0;
      }
      if (records.length === 0) say(ctx, nothingRecorded(ctx.values));
      for (const r of records) {
        const since = doneSince(r);
        // Placed beside a different file of the same name: said, with the name it has there.
        const as = (l: { path: string }): string => {
          const other = keptUnderOtherName(r.rel, l.path);
          return other === null ? '' : ` as "${printable(other)}"`;
        };
        const leg = (l: (typeof r)['upload']): string =>
          l.status === 'done'
            ? `${l.alreadyPresent ? 'already there' : 'ok'}${as(l)}`
            : l.status === 'skipped'
              ? r.outcome === 'archive-removed' && l === r.archive
                ? 'removed by retention'
                : 'off'
              : `FAILED (${printable(l.message)})`;
        say(
          ctx,
          `${formatTime(r.finishedAtMs)}  ${r.outcome === 'done' ? 'done  ' : r.outcome === 'archive-removed' ? 'REMOVED' : 'FAILED'}  ${printable(r.rel)}  ${formatBytes(r.size)}  dropbox: ${leg(r.upload)}  archive: ${leg(r.archive)}${since === null ? '' : `  (done since, at ${formatTime(since)})`}`,
        );
      }
      return 0;
    } finally {
      await engine.stop();
    }
  },
};

/** Kept files listed by name before the rest are counted. */
const KEPT_LISTED = 20;

const retention: CommandSpec = {
  async run(ctx) {
    const dryRun = Boolean(ctx.values['dry-run']);
    // A dry run deletes nothing and writes nothing: not even the settings folder (readOnly).
    const engine = await openEngine(ctx, dryRun ? 'readOnly' : 'side');
    try {
      const r = await engine.runRetention(dryRun);
      if (ctx.values.json) {
        say(ctx, JSON.stringify(r, null, 2));
        return 0;
      }
      say(
        ctx,
        `Archive: ${formatBytes(r.archiveBytes)} in files; its disk has ${formatBytes(r.freeBytes)} free of ${formatBytes(r.totalBytes)}.`,
      );
      if (r.bytesToFree === 0) {
        say(ctx, 'Within the limits: nothing to delete.');
        return 0;
      }
      say(ctx, `To free: ${formatBytes(r.bytesToFree)}.`);
      for (const f of r.removed)
        say(
          ctx,
          `${dryRun ? 'would delete' : 'deleted'}  ${printable(f.rel)}  ${formatBytes(f.size)}  ${formatTime(f.mtimeMs)}`,
        );
      // Thousands of old files Dropbox never had buried the outcome: the first ones, and a count.
      for (const k of r.kept.slice(0, KEPT_LISTED))
        say(ctx, printable(`kept  ${k.rel}: ${k.reason}`));
      if (r.kept.length > KEPT_LISTED)
        say(ctx, `… and ${r.kept.length - KEPT_LISTED} more kept (--json lists every one).`);
      say(
        ctx,
        `${dryRun ? 'Would free' : 'Freed'} ${formatBytes(r.freedBytes)} (${r.removed.length} files, each verified on Dropbox).`,
      );
      if (r.stoppedAtChecks !== undefined)
        say(
          ctx,
          `Stopped after asking Dropbox about ${r.stoppedAtChecks} files, the most one run asks. The running service does not ask again for a day about a file found not on Dropbox, so its later runs reach newer files.`,
        );
      return 0;
    } finally {
      await engine.stop();
    }
  },
};

/**
 * " (2 already there)": files found at their place, the same, so nothing was sent or copied. On
 * a hub switched from the old syncer, whose queue it had mostly uploaded, "uploaded 12" read as
 * twelve uploads (and twelve copies on Dropbox).
 */
function alreadyThere(n: number): string {
  return n > 0 ? ` (${n} already there)` : '';
}

/** The longest timed pause: a year, and a day for a leap year. */
const PAUSE_FOR_MAX_MS = 366 * 86_400_000;

const pause: CommandSpec = {
  async run(ctx) {
    let forMs: number | null = null;
    if (typeof ctx.values.for === 'string') {
      try {
        forMs = parseDuration(ctx.values.for);
      } catch (e) {
        say(ctx, `--for ${(e as Error).message}`);
        return 2;
      }
      // "Paused until now (for 0 s)" paused nothing; a pause of centuries is one until resumed.
      if (forMs <= 0 || forMs > PAUSE_FOR_MAX_MS) {
        say(
          ctx,
          forMs <= 0
            ? '--for must be longer than 0: for example 30m, 1h or 2d.'
            : `--for is at most ${formatDuration(PAUSE_FOR_MAX_MS)}: for longer, leave out --for (paused until rdl-sync resume).`,
        );
        return 2;
      }
    }
    sayOnInterrupt('interrupted: rdl-sync status says whether RDL Sync is paused.');
    const engine = await openEngine(ctx, 'side');
    let untilMs: number | null;
    try {
      await engine.pause(forMs);
      untilMs = engine.getStatus().pausedUntilMs;
    } finally {
      await engine.stop();
    }
    say(
      ctx,
      untilMs === null
        ? 'Paused until you run `rdl-sync resume`.'
        : // In UTC, as status, the digest and the alerts say when it ends: a time with no zone
          // (the hub's) read beside those as another moment.
          `Paused until ${formatUtcMinute(untilMs)} (for ${formatDuration(forMs ?? 0)}), when it resumes by itself (sooner: rdl-sync resume).`,
    );
    return waitForRunningToFollow(ctx, {
      change: 'pause',
      followed: (s) => s.paused && s.pausedUntilMs === untilMs && !s.passRunning,
      done: (owner, cutShort) =>
        cutShort
          ? `The running RDL Sync (${describeLockOwner(owner)}) has ended the pass under way: nothing is being copied now.`
          : `The running RDL Sync (${describeLockOwner(owner)}) follows it: no pass runs now.`,
      stillRunning: (s) =>
        s.paused && s.passRunning
          ? 'is paused, but its pass still runs (a pass asked for with rdl-sync sync or Sync now ends by itself while paused; a copy to a slow disk stops at its next write)'
          : null,
    });
  },
};

const resume: CommandSpec = {
  async run(ctx) {
    sayOnInterrupt('interrupted: rdl-sync status says whether RDL Sync is paused.');
    const engine = await openEngine(ctx, 'side');
    try {
      // "a pass begins now" was said over a daemon that was not paused, and began none.
      if (!engine.getStatus().paused) {
        say(ctx, 'RDL Sync is not paused: nothing to resume (rdl-sync sync asks for a pass now).');
        return 0;
      }
      await engine.resume();
    } finally {
      await engine.stop();
    }
    say(ctx, 'Resumed.');
    return waitForRunningToFollow(ctx, {
      change: 'resume',
      followed: (s) => !s.paused,
      done: (owner) =>
        `The running RDL Sync (${describeLockOwner(owner)}) follows it: a pass begins now.`,
      stillRunning: () => null,
    });
  },
};

/**
 * After a pause or resume is saved: waits (bounded) for the running daemon or tray app to show it
 * has followed (cli/followed.ts), and says so. Exit 1 when it has not shown it within the wait: a
 * script that pauses before unmounting a card must not go on on a guess.
 */
async function waitForRunningToFollow(
  ctx: CliContext,
  w: {
    change: 'pause' | 'resume';
    followed: (s: StatusSnapshot) => boolean;
    done: (owner: LockOwner, cutShort: boolean) => string;
    /** Why the last status published does not show it yet, where that is known. */
    stillRunning: (s: StatusSnapshot) => string | null;
  },
): Promise<number> {
  const owner = await liveLockOwner(ctx.configDir);
  if (owner === null) {
    say(
      ctx,
      w.change === 'pause'
        ? 'No RDL Sync is running here now: the next one to start stays paused.'
        : 'No RDL Sync is running here now: the next one to start syncs.',
    );
    return 0;
  }
  if (owner.role === 'once') {
    // It follows no pause, and `pause && umount` must not go on while it copies: its pass is
    // waited out (within the same bound), and said.
    if (w.change === 'resume') {
      say(ctx, `An rdl-sync once or sync (pid ${owner.pid}) is syncing now; it follows no pause.`);
      return 0;
    }
    say(
      ctx,
      `An rdl-sync once or sync (pid ${owner.pid}) is syncing now and follows no pause: waiting for its pass to end (at most ${formatDuration(FOLLOW_WAIT_MS)}).`,
    );
    const ended = await waitUntilLockFreed(ctx.configDir, owner.pid, FOLLOW_WAIT_MS);
    say(
      ctx,
      ended
        ? 'It has ended: nothing is being copied now.'
        : `It was still syncing after ${formatDuration(FOLLOW_WAIT_MS)}: rdl-sync status shows when it has ended. The pause holds for what runs next.`,
    );
    return ended ? 0 : 1;
  }
  sayOnInterrupt(
    `stopped waiting. The ${w.change} is saved, and the running RDL Sync (pid ${owner.pid}) follows it within seconds; rdl-sync status shows it.`,
  );
  const outcome = await waitUntilFollowed({
    configDir: ctx.configDir,
    pid: owner.pid,
    followed: w.followed,
  });
  switch (outcome.kind) {
    case 'followed':
      say(ctx, w.done(owner, outcome.cutShort));
      return 0;
    case 'gone':
      say(
        ctx,
        `The running RDL Sync (pid ${owner.pid}) stopped meanwhile: the ${w.change} holds for the next one to start.`,
      );
      return 0;
    case 'waited': {
      const why = outcome.status ? w.stillRunning(outcome.status) : null;
      say(
        ctx,
        why
          ? `After ${formatDuration(FOLLOW_WAIT_MS)} the running RDL Sync (pid ${owner.pid}) ${why}: rdl-sync status shows when it has ended.`
          : `After ${formatDuration(FOLLOW_WAIT_MS)} the running RDL Sync (pid ${owner.pid}) did not yet show the ${w.change} (it reads the settings file every 2 s): rdl-sync status shows whether it has.`,
      );
      return 1;
    }
  }
}

const settings: CommandSpec = {
  async run(ctx) {
    const [action = 'show', key, ...valueParts] = ctx.positionals;
    // The engine's settings service: the same validation the window's saves go through.
    await Promise.all([loadCronCheck(), loadSettingsWriter()]);
    const store = openSettingsService({ configDir: ctx.configDir });
    try {
      if (action === 'path') {
        say(ctx, store.path);
        return 0;
      }
      const loaded = action === 'check' ? store.check() : store.load();
      if (action === 'check') {
        if (loaded.ok) say(ctx, `Settings in ${store.path} are valid.`);
        else {
          say(
            ctx,
            notSetUpYet(store.path)
              ? `RDL Sync is not set up yet: ${store.path} does not exist. To set it up, these are needed:`
              : `Settings in ${store.path} need fixing:`,
          );
          printIssues(ctx, loaded.issues);
        }
        return loaded.ok ? 0 : 2;
      }
      if (action === 'show') {
        const shape = settingsSchema.shape;
        // `settings show site smtpPort`: those settings alone. The names were ignored, and every
        // setting printed, the asked-for one somewhere among sixty.
        const named = [key, ...valueParts].filter((k): k is string => k !== undefined);
        for (const k of named) {
          if (!Object.hasOwn(shape, k)) {
            say(ctx, unknownSettingWords(k));
            return 2;
          }
        }
        const shown =
          named.length > 0
            ? ([...new Set(named)] as (keyof Settings)[])
            : (Object.keys(shape) as (keyof Settings)[]);
        const current: Record<string, unknown> = loaded.ok
          ? loaded.settings
          : readForEditing(store, ctx);
        if (!loaded.ok) {
          say(
            ctx,
            notSetUpYet(store.path)
              ? 'RDL Sync is not set up yet (no settings file): the defaults below, and what is still needed:'
              : 'The settings file needs fixing:',
          );
          printIssues(ctx, loaded.issues);
        }
        for (const k of shown) {
          say(ctx, `${k} = ${JSON.stringify(current[k] ?? null)}`);
          say(ctx, `    ${shape[k].description ?? ''}`);
        }
        return loaded.ok ? 0 : 2;
      }
      if (action === 'set') {
        // Pairs are applied together, so a fresh install can fill every required field at once.
        const pairs = [key, ...valueParts];
        if (pairs[0] === undefined) {
          say(
            ctx,
            'rdl-sync settings set needs a setting and its value: rdl-sync settings set KEY VALUE [KEY VALUE ...] (rdl-sync settings lists them)',
          );
          return 2;
        }
        const shape = settingsSchema.shape as Record<string, unknown>;
        const defaults = defaultSettings();
        for (let i = 0; i < pairs.length; i += 2) {
          const k = pairs[i]!;
          // Own keys only: `__proto__`, `constructor` are not settings, whatever `in` says.
          if (!Object.hasOwn(shape, k)) {
            // `site My Lake`: the value's second word stands where a setting's name should.
            const split =
              i === pairs.length - 1 && i >= 2
                ? ` If it is part of ${pairs[i - 2]}'s value, put the whole value in quotes: rdl-sync settings set ${pairs[i - 2]} ${shellWord(`${pairs[i - 1]} ${k}`)}`
                : '';
            say(ctx, `${unknownSettingWords(k)}${split}`);
            return 2;
          }
        }
        // `settings set site` printed the usage alone, naming no problem.
        if (pairs.length % 2 !== 0) {
          const last = pairs[pairs.length - 1]!;
          const before = pairs
            .slice(0, -1)
            .map((p) => shellWord(p ?? ''))
            .join(' ');
          say(
            ctx,
            `${last} needs a value: rdl-sync settings set ${before ? `${before} ` : ''}${last} VALUE`,
          );
          return 2;
        }
        // `smtpPort 25 smtpPort 2525` saved the last and printed it twice: which one was meant is
        // not for this command to guess.
        const twice = twiceGiven(pairs);
        if (twice.length > 0) {
          say(
            ctx,
            [
              'Not saved:',
              ...twice.map(
                ({ key: k, values }) =>
                  `  - ${k} is given ${values.length === 2 ? 'twice' : `${values.length} times`} in this command (${values.map((v) => JSON.stringify(v)).join(', then ')}): give it once, with the value you mean`,
              ),
            ].join('\n'),
          );
          return 2;
        }
        const mistakes = [];
        for (let i = 0; i < pairs.length; i += 2) {
          const why = smtpValueMistake(pairs[i]!, pairs[i + 1]!);
          if (why) mistakes.push(`  - ${pairs[i]}: ${why} (got ${JSON.stringify(pairs[i + 1])})`);
        }
        if (mistakes.length > 0) {
          say(ctx, ['Not saved:', ...mistakes].join('\n'));
          return 2;
        }
        const typedKeys = new Set(
          pairs.filter((k, i): k is string => i % 2 === 0 && k !== undefined),
        );
        // Read, change and write in one turn: another command's change made meanwhile is kept.
        const saved = await store.edit(() => {
          const { values: candidate, unreadable, readErrorCode, lost } = store.readForEditing();
          // A file that is not JSON holds settings nobody can read: saving over it started every
          // other setting from its default, and a hub switched to ~/rdl/tosync, a "card" archive
          // and another Dropbox folder while its loggers went on writing to 2_tosync.
          if (unreadable) return { unreadable: readErrorCode ?? 'not JSON' } as const;
          // The same for a line lost in a hand edit: saved, its default became the setting.
          // (The candidate holds the default of each setting the file lacks.)
          const untyped = lost.filter((k) => !typedKeys.has(k));
          if (untyped.length > 0)
            return {
              ok: false as const,
              issues: lostSettingsIssues(store.path, untyped, candidate),
            };
          // Read as the setting's type (its default's), not as the value in the file: that one
          // may be the mistake being fixed ("ten"), and "30" then stayed text and was refused.
          for (let i = 0; i < pairs.length; i += 2) {
            const k = pairs[i]!;
            candidate[k] = coerce(defaults[k as keyof Settings], pairs[i + 1]!);
          }
          if (decidesFleetFolder(typedKeys)) {
            const checked = store.validate(candidate);
            if (!checked.ok) return checked;
            const fleet = fleetFolderTypedIssue(checked.settings, typedKeys);
            if (fleet) return { ok: false as const, issues: [fleet] };
          }
          return store.save(candidate);
        });
        if ('unreadable' in saved) {
          const notKnown =
            'so the settings in it are not known, and saving now would set every other setting back to its default (the watch, transit and archive folders, the Dropbox folder, the site).';
          say(
            ctx,
            saved.unreadable === 'not JSON'
              ? `Not saved: ${store.path} cannot be read as JSON, ${notKnown} Correct the mistake in the file by hand (\`rdl-sync settings check\` says where it is), or move the file aside to start over from the defaults.`
              : saved.unreadable === 'EACCES' || saved.unreadable === 'EPERM'
                ? `Not saved: this user may not read ${store.path} (${saved.unreadable}), ${notKnown} Run the command as the file's owner (ls -l ${shellWord(store.path)}), or, if it should be this user's file, give it back: sudo chown ${os.userInfo().username}: ${shellWord(store.path)}`
                : `Not saved: ${store.path} could not be read (${saved.unreadable}), ${notKnown} Nothing was changed.`,
          );
          return 2;
        }
        if (!saved.ok) {
          say(ctx, 'Not saved:');
          printIssues(ctx, saved.issues);
          for (const hint of addressHints(pairs, saved.issues)) say(ctx, hint);
          const others = otherFieldsHint(pairs, saved.issues);
          if (others) say(ctx, others);
          return 2;
        }
        for (let i = 0; i < pairs.length; i += 2) {
          const k = pairs[i] as keyof Settings;
          say(ctx, `${k} = ${JSON.stringify(saved.settings[k])}`);
        }
        for (const note of [
          await watchFolderNote(saved.settings, typedKeys),
          await archiveFolderNote(saved.settings, typedKeys),
          await alertCommandNote(saved.settings, typedKeys),
          sharedRemoteFolderNote(saved.settings, typedKeys),
          droppedIgnoreDefaultsNote(saved.settings, typedKeys),
        ])
          if (note) say(ctx, note);
        return 0;
      }
      say(ctx, `Unknown action "${action}": use show, path, check or set.`);
      return 2;
    } finally {
      store.close();
    }
  },
};

/**
 * Saved, but the archive folder just set is not there now: a card not inserted (or mounted
 * elsewhere), a typo in the path. The settings are valid either way (a card comes and goes), so
 * the save stands; without a word the technician learnt it only from a later status.
 */
async function archiveFolderNote(
  settings: Settings,
  changed: ReadonlySet<string | undefined>,
): Promise<string | null> {
  if (!settings.archiveEnabled || settings.archiveDir === '') return null;
  if (!['archiveDir', 'archiveEnabled', 'archiveMustBeMountPoint'].some((k) => changed.has(k)))
    return null;
  const looked = await fs.stat(settings.archiveDir).then(
    (st) => (st.isDirectory() ? 'folder' : 'other'),
    (e: NodeJS.ErrnoException) => e.code ?? 'error',
  );
  const dir = shellWord(settings.archiveDir);
  const user = os.userInfo().username;
  // A folder this user may not look into (below /root, or a desktop's /media/<user>/) was said
  // not to exist, with a `mkdir -p` that this user cannot run there.
  if (looked === 'EACCES' || looked === 'EPERM')
    return `Note: the archive folder ${settings.archiveDir} cannot be looked at by this user (${user}, ${looked}): a folder above it lets only its owner in. Files wait safely in transit until this user may reach it: give ${user} access to it and to the folders above it, or choose another folder.`;
  if (looked === 'folder') {
    // A folder that is no mount point, with a card asked for (the default): nothing is archived
    // into it. A lab desktop's plain folder read "SD card not mounted: insert it" at every pass,
    // and nothing named the setting to turn off.
    if (!settings.archiveMustBeMountPoint)
      return (
        (await cardCheckOffNote(settings.archiveDir)) ?? archiveWritableNote(settings.archiveDir)
      );
    // A folder on a mounted card counts as the card (archive/root-check.ts).
    const checked = await checkArchiveRoot(settings.archiveDir, true);
    if (!checked.missing) return archiveWritableNote(settings.archiveDir);
    if (checked.missing.reason !== 'not-mounted') return null;
    return `Note: ${settings.archiveDir} is not where a card or disk is mounted now, and archiveMustBeMountPoint is true (the default: an SD card, written only while mounted): files wait in transit until a card is mounted there. For an ordinary folder, as on a lab desktop: rdl-sync settings set archiveMustBeMountPoint false`;
  }
  return settings.archiveMustBeMountPoint
    ? `Note: ${settings.archiveDir} does not exist now (no SD card is mounted there). Files wait safely in transit until the card is mounted there; lsblk -o NAME,MOUNTPOINT shows where it is.`
    : `Note: the archive folder ${settings.archiveDir} does not exist now. Files wait safely in transit until it does: create it (mkdir -p ${dir}) or correct the path.`;
}

/**
 * An archive folder that is there but that this user may not write into (made by root, a card
 * mounted read-only or for another user): saved without a word, and every file then waited in
 * transit. Said with the fix, as status says it.
 */
async function archiveWritableNote(dir: string): Promise<string | null> {
  const refused = await fs.access(dir, fs.constants.W_OK | fs.constants.X_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => e.code ?? 'error',
  );
  if (refused === null) return null;
  const user = os.userInfo().username;
  return refused === 'EROFS'
    ? `Note: the archive folder ${dir} is on a disk mounted read-only (EROFS): files wait safely in transit until it is mounted writable, or choose another folder.`
    : `Note: the archive folder ${dir} refuses writes by this user (${user}, ${refused}): files wait safely in transit until it takes them. ls -ld ${shellWord(dir)} shows its owner; sudo chown -R ${user} ${shellWord(dir)} gives it to ${user}.`;
}

/**
 * A watch folder this user may not read (its own folder shut, or one above it) was saved without
 * a word, while a missing one is refused: nothing in it was ever synced, and only a later status
 * said so. Saved (the rights may be given next), with the fix.
 */
async function watchFolderNote(
  settings: Settings,
  changed: ReadonlySet<string | undefined>,
): Promise<string | null> {
  if (!changed.has('watchDir')) return null;
  const refused = await fs.access(settings.watchDir, fs.constants.R_OK | fs.constants.X_OK).then(
    () => null,
    (e: NodeJS.ErrnoException) => e.code ?? 'error',
  );
  if (refused !== 'EACCES' && refused !== 'EPERM') return null;
  const user = os.userInfo().username;
  return `Note: the watch folder ${settings.watchDir} cannot be read by this user (${user}, ${refused}): nothing in it is synced until it can. Give ${user} read access to it and to the folders above it (ls -ld shows their owners), or choose another folder.`;
}

/**
 * An alert command that cannot be run now (a typo, not installed yet): saved (it may be installed
 * next), but said, or only `alert test` or the first real alert found out.
 */
async function alertCommandNote(
  settings: Settings,
  changed: ReadonlySet<string | undefined>,
): Promise<string | null> {
  const cmd = settings.alertCommand;
  if (!changed.has('alertCommand') || cmd === '') return null;
  const why = await fs.stat(cmd).then(
    (st) =>
      !st.isFile()
        ? 'is not a file'
        : fs.access(cmd, fs.constants.X_OK).then(
            () => null,
            () => 'is not executable by this user',
          ),
    () => 'does not exist',
  );
  if (why === null) return null;
  const words = why === 'does not exist' ? await commandLineWords(cmd) : null;
  if (words) return `Note: ${words}; rdl-sync alert test tries it.`;
  return `Note: the alert command ${cmd} ${why} now: alerts by command fail until it ${why === 'does not exist' ? 'is installed there' : 'can be run (chmod +x)'}; rdl-sync alert test tries it.`;
}

/**
 * The mount-point check off for a folder that is a card (mounted there now, or below /media, /mnt
 * or /run/media): with the card out, files are archived into the bare folder on the disk below,
 * counted done, and hidden under the card once it is back; the card never gets them.
 */
async function cardCheckOffNote(dir: string): Promise<string | null> {
  const checked = await checkArchiveRoot(dir, true);
  if (checked.missing && !isWhereCardsMount(dir)) return null;
  return `Note: ${dir} ${checked.missing ? 'is where cards are mounted' : 'is on a mounted card or disk now'}, and archiveMustBeMountPoint is false: whenever it is not mounted, files are archived into the bare folder on the disk below instead, counted as done, and hidden under the card once it is back (the card never gets them). For a card: rdl-sync settings set archiveMustBeMountPoint true`;
}

/** A Dropbox folder just set that names neither the site nor the host (siteFolderSuggestion). */
function sharedRemoteFolderNote(
  settings: Settings,
  changed: ReadonlySet<string | undefined>,
): string | null {
  if (!changed.has('remoteRootTemplate')) return null;
  const siteFolder = siteFolderSuggestion(settings.remoteRootTemplate);
  if (siteFolder === null) return null;
  return `Note: the Dropbox folder ${settings.remoteRootTemplate.trim()} names no {site} (nor {host}): every hub with this setting uploads into that same folder, and their data would be mixed as one site's. For more than one hub, include {site}, e.g. ${siteFolder}.`;
}

/**
 * `settings set ignorePatterns '*.bak'` replaces the list, defaults and all: the loggers' partial
 * and temporary files (*.part, *.tmp, dotfiles) would sync from then on, and nothing said so.
 * Valid (a site may want one of them), so said, with the command that keeps them.
 */
function droppedIgnoreDefaultsNote(
  settings: Settings,
  changed: ReadonlySet<string | undefined>,
): string | null {
  if (!changed.has('ignorePatterns')) return null;
  const kept = new Set(settings.ignorePatterns);
  // Not "icon\r" (macOS's folder icon file): a value typed here is trimmed, so it cannot be given
  // back this way; such a file, synced, fails alone on Dropbox's refusal of its name.
  const dropped = DEFAULT_IGNORE_PATTERNS.filter((p) => p === p.trim() && !kept.has(p));
  if (dropped.length === 0) return null;
  const typed = shellWord([...settings.ignorePatterns, ...dropped].join(','));
  return `Note: ignorePatterns replaces the default list, and these defaults are no longer in it: ${dropped.map((p) => JSON.stringify(p)).join(', ')}. Files matching them (loggers' temporary and partial files among them) are synced from now on. To keep them too: rdl-sync settings set ignorePatterns ${typed}`;
}

/** `Unknown setting "stie": did you mean "site"?`, for `settings set` and `settings show`. */
function unknownSettingWords(k: string): string {
  const near = closestSettingKey(k);
  return `Unknown setting "${k}"${near ? `: did you mean "${near}"?` : '.'} Run \`rdl-sync settings\` to list them.`;
}

/** The settings named more than once among `settings set`'s KEY VALUE pairs, with their values. */
function twiceGiven(pairs: readonly (string | undefined)[]): { key: string; values: string[] }[] {
  const byKey = new Map<string, string[]>();
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!;
    byKey.set(k, [...(byKey.get(k) ?? []), pairs[i + 1] ?? '']);
  }
  return [...byKey]
    .filter(([, values]) => values.length > 1)
    .map(([key, values]) => ({ key, values }));
}

/** "Ops Team <ops@example.org>", as a mail program shows an address: the address in the < >. */
const NAMED_ADDRESS = /^[^<>]*<\s*([^<>\s]+)\s*>$/;
/** One word that could be an e-mail address (the schema decides whether it is one). */
const ADDRESS_LIKE = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/;

/**
 * The addresses of a refused address setting, typed as a mail program takes them:
 * - "Ops Team <ops@example.org>": the bare address is asked for. Refused rather than taken: the
 *   name only labels the address in the recipient's own mail program, a name may hold a comma
 *   (the CLI's list separator) or quotes, and one schema checks these fields for the window, the
 *   file and the CLI alike. Splitting it on spaces made "Ops,Team,<ops@example.org>", which the
 *   hint then told people to type, and which was refused again.
 * - `a@x.org; b@y.org` or `a@x.org b@y.org`: refused as one value that is no email address, and
 *   nothing said that the CLI separates values with commas (the window takes one per line). Only
 *   when each word looks like an address: other words are not a separator mistake.
 */
function addressHints(
  pairs: readonly (string | undefined)[],
  issues: readonly { field: string; message: string }[],
): string[] {
  const hints: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i] ?? '';
    const value = pairs[i + 1] ?? '';
    // A list's refused values are reported by index: alertEmailTo.0.
    const isList = issues.some((issue) => issue.field.startsWith(`${key}.`));
    const refused = isList || issues.some((issue) => issue.field === key);
    if (!refused) continue;
    const items = (isList ? value.split(',') : [value]).map((v) => v.trim()).filter((v) => v);
    if (items.some((v) => NAMED_ADDRESS.test(v))) {
      const bare = items.map((v) => NAMED_ADDRESS.exec(v)?.[1] ?? v);
      const plural = bare.length > 1 ? 'addresses' : 'address';
      hints.push(
        bare.every((v) => ADDRESS_LIKE.test(v))
          ? `${key} takes the bare ${plural}, without a name and < >: give the bare ${plural}: rdl-sync settings set ${key} ${shellWord(bare.join(','))}`
          : `${key} takes the bare ${plural}, without a name and < >: give the bare ${plural}, e.g. ops@example.org`,
      );
      continue;
    }
    const parts = value.split(/[;\s]+/).filter((p) => p !== '');
    if (!isList || parts.length < 2 || value.includes(',')) continue;
    if (!parts.every((p) => ADDRESS_LIKE.test(p))) continue;
    hints.push(
      `Several values are separated by commas: rdl-sync settings set ${key} '${parts.join(',')}'`,
    );
  }
  return hints;
}

/**
 * Refused for settings this command did not touch (a fresh install lacks the archive folder and
 * the site): a person who set one key alone met "Not saved" again and again, and `auth` sent them
 * back to the same command. Settings are saved together, so they are given together.
 */
function otherFieldsHint(
  pairs: readonly (string | undefined)[],
  issues: readonly { field: string; message: string }[],
): string | null {
  const set = new Set(pairs.filter((_, i) => i % 2 === 0));
  const others = [
    ...new Set(issues.map((i) => i.field.split('.')[0] ?? '').filter((f) => f && !set.has(f))),
  ];
  if (others.length === 0) return null;
  // A value refused itself is not repeated: the command, pasted, was refused again for it.
  const refused = (key: string): boolean =>
    issues.some((i) => i.field === key || i.field.startsWith(`${key}.`));
  const given = pairs
    .map((p, i) => (i % 2 === 1 && refused(pairs[i - 1] ?? '') ? '<value>' : shellWord(p ?? '')))
    .join(' ');
  return `Settings are saved together: give ${others.join(' and ')} in the same command, e.g. rdl-sync settings set ${given} ${others.map((f) => `${f} <value>`).join(' ')}`;
}

/** No settings file at all: a new install, "not set up yet", not a file that "needs fixing". */
function notSetUpYet(settingsPath: string): boolean {
  return !existsSync(settingsPath);
}

/** The settings as written in the file (even when invalid) over the defaults, for editing. */
function readForEditing(
  store: ReturnType<typeof openSettingsService>,
  ctx: CliContext,
): Record<string, unknown> {
  const { values, unreadable, readErrorCode } = store.readForEditing();
  if (unreadable) {
    // Not "starting from the defaults (kept aside on save)": `settings set` refuses to save over a
    // file it cannot read, and the values below are the defaults, not the hub's.
    const why =
      readErrorCode === 'EACCES' || readErrorCode === 'EPERM'
        ? `this user may not read it (${readErrorCode})`
        : readErrorCode
          ? `it could not be read (${readErrorCode})`
          : 'it is not JSON';
    say(
      ctx,
      `Note: ${store.path} cannot be used: ${why}. Below are the defaults, not the settings in it; \`rdl-sync settings check\` says what is wrong, and nothing can be saved with settings set until it is fixed.`,
    );
  }
  return values;
}

/** Turns the text typed on the command line into the type of `like` (the setting's default). */
function coerce(like: unknown, text: string): unknown {
  if (typeof like === 'number') {
    // Text that is not a number stays text, so the refusal quotes what was typed.
    const n = Number(text);
    return text.trim() === '' || Number.isNaN(n) ? text : n;
  }
  if (typeof like === 'boolean') {
    if (/^(true|yes|on|1)$/i.test(text)) return true;
    if (/^(false|no|off|0)$/i.test(text)) return false;
    return text;
  }
  if (Array.isArray(like))
    return text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return text;
}

export const commands: Record<string, CommandSpec> = {
  run,
  once,
  sync,
  status,
  auth,
  'import-legacy': importLegacy,
  history,
  retention,
  pause,
  resume,
  settings,
  doctor,
  fleet: { run: runFleetCommand },
  alert,
  report,
};
