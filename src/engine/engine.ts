// The engine facade: composes the services under services/ and answers the front ends (tray,
// window, CLI) with plain data. It holds no sync logic itself (the life of a file is in
// pipeline/pass.ts) and no service's logic either; each method below is a line or two.
//
//   settings-service   the settings file and the one validation every writer goes through
//   dropbox-account    saved connection, the one PKCE pair, the account card
//   pause-state        a saved pause (also one set by another process) -> status and scheduler
//   pipeline-builder   settings + credentials -> pass dependencies; one rebuild per change
//   pass-runner        one guarded pass, probe and failing files of a stopped engine
//   lifecycle          run lock, scheduler, start/stop
//   status-publishing  status.json for `rdl-sync status` in another process
//   legacy-import      taking over the old Python syncer
import path from 'node:path';
import type { EngineApi, FieldIssue, LegacyImportReport, SettingsValidation } from './api.js';
import { SyncError } from './errors.js';
import {
  monotonicNow,
  silentLogger,
  systemClock,
  type AccountInfo,
  type Clock,
  type Logger,
} from './ports.js';
import type { Settings } from './settings/schema.js';
import { renderRemoteRoot, remotePathFor } from './settings/remote-root.js';
import { tightenConfigModes } from './settings/private-files.js';
import { loadCronCheck } from './settings/cron-check.js';
import {
  loadSettingsWriter,
  settingsFileNeeds,
  type SettingsFileOpener,
} from './settings/store.js';
import { StatusModel } from './status/model.js';
import { publishedLastPassMs, readStatusFile } from './status/status-file.js';
import type { HistoryQuery, HistoryRecord, StatusSnapshot } from './status/types.js';
import type { PassReport } from './pipeline/pass.js';
import { Journal } from './journal/index.js';
import { History } from './history/index.js';
import { FileCredentialStore, type CredentialStore } from './credentials/index.js';
import { CALL_RETRY, type RetryPolicy } from './retry-policy.js';
import { StatusReducer } from './status/reducer.js';
import { HubHealth } from './health/hub-health.js';
import { dropboxHashLookup } from './retention/dropbox-lookup.js';
import type { RemoteHashLookup, RetentionReport } from './retention/retention.js';
import { openSettingsService, type SettingsService } from './services/settings-service.js';
import { DropboxAccount } from './services/dropbox-account.js';
import { checkLogin } from './services/login-check.js';
import { PauseState } from './services/pause-state.js';
import { PipelineBuilder } from './services/pipeline-builder.js';
import { PassRunner, type FailingFile } from './services/pass-runner.js';
import { Lifecycle } from './services/lifecycle.js';
import type { LockRole } from './run-lock.js';
import {
  WATCH_FAILURES_FILE,
  loadWatchFailures,
  saveWatchFailures,
} from './stage/watch-failures-file.js';
import { TRANSIT_DISK_FILE, TransitDiskRecord } from './stage/transit-disk-record.js';
import { publishStatus, type StatusPublishing } from './services/status-publishing.js';
import { importLegacy, type LegacyImportInput } from './services/legacy-import.js';
import { FleetHook, type Activity, type FleetSnapshot } from './fleet/index.js'; // fleet (issue 10)
import os from 'node:os';
import { AlertService } from './alerts/alert-service.js'; // alerts (issue 10)
import {
  readLastAlertSettings,
  rememberAlertSettings,
  trustAlertSettings,
  type TrustedAlertSettings,
} from './alerts/trusted-settings.js';
import { defaultSettings } from './settings/defaults.js';
import { validateSettings as validateCandidate } from './settings/validate.js';
import { withSmtpMistakes } from './settings/smtp-words.js';
import { fleetFolderTypedIssue } from './settings/fleet-folder-typed.js';
import fs from 'node:fs';
import { appVersion } from './app-version.js';
import { errnoCode, makeFolders } from './fsutil/index.js';
import { cannotWrite } from './run-lock.js';

export interface EngineOptions {
  configDir: string;
  credentials?: CredentialStore;
  logger?: Logger;
  clock?: Clock;
  /** Home folder for defaults and '~' (tests pass a temp folder). */
  home?: string;
  hostName?: string;
  /** Follow edits of the settings file by another process (the daemon, while the window edits). */
  watchConfig?: boolean;
  /** Write status.json beside the settings so `rdl-sync status` can read a running daemon. */
  publishStatus?: boolean;
  /**
   * Open only to read (status, history): create nothing, not even the config folder. Engines that
   * do not hold the run lock never touch the watch or transit folders in any case.
   */
  readOnly?: boolean;
  /** What this process is, recorded in the run lock so one refused beside it can name it. */
  role?: LockRole;
  /**
   * How hard one pass retries Dropbox before leaving the rest to the next pass. Kept short by
   * default: the next pass is seconds away, and the SD-card leg should not wait on a dead link.
   */
  retry?: Partial<RetryPolicy>;
  /** fleet (issue 10): heartbeat interval overriding fleetHeartbeatMinutes (tests). */
  fleetHeartbeatMs?: number;
  /** What writes the settings file: the tray app's electron-store; conf when absent. */
  openSettingsFile?: SettingsFileOpener;
  /** How long a call on the archive may hang before it counts as not answering (tests). */
  archiveAnswerMs?: number;
  /**
   * How long nothing may move on a connection to Dropbox before its request is given up (tests;
   * default the fetch's IDLE_TIMEOUT_MS, 2 min).
   */
  dropboxIdleMs?: number;
}

export interface Engine extends EngineApi {
  /** Starts scheduled passes. */
  start(): Promise<void>;
  /**
   * Runs one pass now and resolves with what it did (CLI `once`, tests). `retryWaiting`: a
   * person asked (`rdl-sync sync`), so files waiting out a failure's back-off are tried in it.
   */
  runPassNow(opts?: { retryWaiting?: boolean }): Promise<PassReport>;
  /**
   * Asks the engine that runs passes in another process (daemon, tray app) for a pass now that
   * tries the failing files again (`rdl-sync sync`); it follows the ask within seconds. Resolves
   * with the ask's saved time, which that engine's status names once its pass has ended.
   */
  askSyncNow(): Promise<number>;
  readonly configDir: string;
  readonly settingsPath: string;
  describeCredentials(): { encrypted: boolean; where: string };
  probe(): Promise<void>;
  /** Files in transit whose last attempt failed, from the journal (names for `once`, `status`). */
  listFailures(): Promise<FailingFile[]>;
  /** Files in the watch folder that could not be moved into transit, each with its failure. */
  listWatchFailures(): FailingFile[];
  /** PKCE start whose verifier the caller keeps (the CLI's two-step flow across processes). */
  connectDropboxBegin(): Promise<{ authorizeUrl: string; codeVerifier: string }>;
  connectDropboxWithVerifier(codeVerifier: string, code: string): Promise<AccountInfo>;
  /** Archive retention now (`dryRun`: only list what would go). */
  runRetention(dryRun: boolean): Promise<RetentionReport>;
  /** Alerts (issue 10): the one policy and its channels; see alerts/README.md. */
  readonly alerts: AlertService;
  /** What is wrong with the settings file now (empty when it can be used). */
  settingsIssues(): FieldIssue[];
  /** Where the alerts' channels come from now (alerts/trusted-settings.ts). */
  alertSettingsSource(): TrustedAlertSettings['source'];
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  // Before the settings are read (the constructor validates them). Any engine may be handed a cron
  // schedule to save; `once` only reads the file, so it loads the check only when the file has one,
  // and the writer only when the file holds a pause (one that has ended is cleared).
  const needs =
    opts.role === 'once' ? settingsFileNeeds(opts.configDir) : { cronCheck: true, writer: true };
  await Promise.all([
    needs.cronCheck ? loadCronCheck() : null,
    needs.writer && !opts.openSettingsFile ? loadSettingsWriter() : null,
  ]);
  const engine = new SyncEngine(opts);
  await engine.init();
  return engine;
}

class SyncEngine implements Engine {
  readonly configDir: string;
  readonly settingsPath: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly settings: SettingsService;
  private readonly account: DropboxAccount;
  private readonly status: StatusModel;
  readonly alerts: AlertService;
  /** Folds the pass's events into the status (status/reducer.ts): the status rules live there. */
  private readonly reducer: StatusReducer;
  private readonly pauseState: PauseState;
  private journal!: Journal;
  private history!: History;
  private builder!: PipelineBuilder;
  private lifecycle!: Lifecycle;
  private passes!: PassRunner;
  private health!: HubHealth;
  private fleet!: FleetHook; // fleet (issue 10)
  private publishing: StatusPublishing | null = null;
  /** The rebuild a settings change started (saveSettings waits for it). */
  private applying: Promise<void> = Promise.resolve();
  /** The alert settings trusted while the file cannot be used, for the file as it was then. */
  private trusted: { fileStamp: string; value: TrustedAlertSettings } | null = null;
  private unsubscribers: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly opts: EngineOptions) {
    this.configDir = opts.configDir;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.settings = openSettingsService({
      configDir: opts.configDir,
      watch: opts.watchConfig ?? false,
      logger: this.logger,
      ...(opts.home ? { home: opts.home } : {}),
      ...(opts.hostName ? { host: opts.hostName } : {}),
      ...(opts.openSettingsFile ? { openFile: opts.openSettingsFile } : {}),
    });
    this.settingsPath = this.settings.path;
    this.status = new StatusModel(() => this.clock.now());
    this.status.logProblemsTo(this.logger);
    // Alerts (issue 10): follows this engine's status while it syncs (start/stop below).
    this.alerts = new AlertService({
      configDir: opts.configDir,
      status: this.status,
      // Not getSettings(): while the file cannot be used, the channels that can still be trusted.
      settings: () => this.alertSettings().settings,
      history: (q) => this.queryHistory(q),
      clock: this.clock,
      logger: this.logger,
      host: opts.hostName ?? os.hostname(),
    });
    this.reducer = new StatusReducer(
      this.status,
      this.clock,
      () => this.builder.built.settings.offlineAlertMinutes * 60_000,
      path.join(this.configDir, 'logs'),
      this.logger,
    );
    this.account = new DropboxAccount({
      configDir: opts.configDir,
      credentials: opts.credentials ?? new FileCredentialStore(opts.configDir),
      clock: this.clock,
      logger: this.logger,
      status: this.status,
      report: (event) => this.reducer.apply(event),
    });
    this.pauseState = new PauseState({
      settings: this.settings,
      clock: this.clock,
      logger: this.logger,
      status: this.status,
      target: () => this.lifecycle?.running ?? null,
      syncAsked: (askedMs) => {
        this.passes.serveAsk(askedMs);
        this.syncNow();
      },
    });
  }

  async init(): Promise<void> {
    const { opts, configDir, logger, clock, status } = this;
    if (!opts.readOnly) {
      await makeFolders(configDir, 0o700);
      await tightenConfigModes(configDir, logger);
    }
    this.journal = await Journal.open(path.join(configDir, 'journal.json'), logger);
    const loaded = this.settings.load();
    const limit = loaded.ok ? loaded.settings.historyLimit : 5_000;
    this.history = await History.open(path.join(configDir, 'history.jsonl'), limit, logger);
    // "Last file synced" survives a restart (a reboot, the service restarted, `once` after `once`):
    // before, a fresh engine said "never" until its own first file, whatever the history held.
    const lastDone = this.history.newestDoneMs();
    if (lastDone !== null) status.update({ lastSuccessMs: lastDone });
    // "Last reached" too, from the status the last process published, before this one publishes.
    const published = await readStatusFile(configDir);
    this.account.recallLastContact(published);
    // And "Last pass": it said "never" after every restart, beside "Last file synced just now".
    const lastPassMs = publishedLastPassMs(published, clock.now());
    if (lastPassMs !== null) status.update({ lastPassMs });
    const archiveAnswers = opts.archiveAnswerMs ? { deadlineMs: opts.archiveAnswerMs } : undefined;
    this.health = new HubHealth({
      ...(archiveAnswers ? { archiveAnswers } : {}),
      report: (event) => this.reducer.apply(event),
      history: this.history,
      clock,
      logger,
      remoteLookup: (s) => this.remoteHashLookup(s),
    });
    this.builder = new PipelineBuilder({
      ...(archiveAnswers ? { archiveAnswers } : {}),
      settings: this.settings,
      account: this.account,
      journal: this.journal,
      history: this.history,
      clock,
      logger,
      ...(opts.home ? { home: opts.home } : {}),
      ...(opts.hostName ? { host: opts.hostName } : {}),
      retry: { ...CALL_RETRY, ...opts.retry },
      ...(opts.dropboxIdleMs ? { dropboxIdleMs: opts.dropboxIdleMs } : {}),
      emit: (event) => this.reducer.apply(event),
      report: (event) => this.reducer.apply(event),
      afterBuild: () => this.lifecycle.afterRebuild(),
      retentionNote: (s) => this.health.retentionNote(s),
      transitDisk: new TransitDiskRecord(
        path.join(configDir, TRANSIT_DISK_FILE),
        logger,
        !opts.readOnly,
      ),
    });
    // The watch folder's failing files, as the last process left them (watch-failures-file.ts).
    const watchFailuresFile = path.join(configDir, WATCH_FAILURES_FILE);
    const savedWatchFailures = await loadWatchFailures(watchFailuresFile, logger);
    this.passes = new PassRunner({
      watchFailures: {
        saved: savedWatchFailures,
        ...(opts.readOnly
          ? {}
          : { save: (failures) => saveWatchFailures(watchFailuresFile, failures) }),
      },
      builder: this.builder,
      account: this.account,
      journal: this.journal,
      health: this.health,
      reducer: this.reducer,
      logger,
      now: () => clock.now(),
      monotonic: () => monotonicNow(clock),
      checkSettingsFolder: () => this.publishing?.check() ?? Promise.resolve(),
    });
    this.lifecycle = new Lifecycle({
      configDir,
      readOnly: opts.readOnly ?? false,
      followPause: opts.watchConfig ?? false,
      ...(opts.home ? { home: opts.home } : {}),
      ...(opts.role ? { role: opts.role } : {}),
      clock,
      logger,
      status,
      builder: this.builder,
      passes: this.passes,
      pause: () => this.pauseState,
    });
    // fleet (issue 10): heartbeat while started; fleet reads and chart data for every front end.
    this.fleet = new FleetHook({
      configDir,
      settings: () => this.builder.built.settings,
      credentials: () => this.account.load(),
      status: () => status.snapshot(),
      onStatus: (l) => status.onChange(l),
      history: () => this.history,
      clock,
      logger,
      readOnly: opts.readOnly ?? false,
      setUp: () => this.settings.hasSettings(),
      problems: { raise: (p) => status.raise(p), clear: (id) => status.clear(id) },
      loginAnswered: (refused) => this.reducer.apply({ type: 'login-answered', refused }),
      ...(opts.hostName ? { host: opts.hostName } : {}),
      ...(opts.fleetHeartbeatMs ? { intervalMs: opts.fleetHeartbeatMs } : {}),
    });
    await this.builder.rebuild('start');
    this.pauseState.apply();
    // The one place a settings change is applied: a save here and an edit by another process
    // (the watcher) both arrive as one change event, so each change is one rebuild.
    this.unsubscribers.push(
      this.settings.onChange(() => {
        this.applying = this.builder
          .rebuild('settings changed')
          .then(() => this.passForNewSettings())
          .then(() => this.fleet.settingsChanged())
          .then(() => this.rememberAlertSettings())
          .then(() => this.alerts.settingsChanged())
          .catch((e: unknown) =>
            this.logger.error('new settings could not be applied', { reason: String(e) }),
          );
      }),
    );
    // A hand edit that cannot be used is shown, not only logged: nobody reads a hub's log.
    this.unsubscribers.push(
      this.settings.onFileMistakes((issues) =>
        this.reducer.apply({ type: 'settings-file-mistakes', issues }),
      ),
    );
    if (opts.publishStatus)
      this.publishing = publishStatus(
        configDir,
        status,
        clock,
        logger,
        () => this.lifecycle?.holdsLock ?? false,
      );
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    // Read now: an upgrade under this long-running process replaces package.json, and its
    // heartbeats and digests must name the version that runs, not the one installed since.
    appVersion();
    await this.lifecycle.start();
    if (!this.stopped) await this.fleet.start(); // fleet (issue 10)
    if (!this.stopped) await this.alerts.start(); // alerts (issue 10)
    if (!this.stopped) await this.rememberAlertSettings();
  }

  /**
   * The alert part of the valid settings this process syncs with, kept for a later start on a
   * file that cannot be used (alerts/trusted-settings.ts). Only the run lock's holder writes it.
   */
  private async rememberAlertSettings(): Promise<void> {
    if (!this.builder.settingsInForce || !this.lifecycle.holdsLock || this.stopped) return;
    await rememberAlertSettings(this.configDir, this.builder.built.settings).catch((e: unknown) =>
      this.logger.warn('the alert settings could not be recorded', {
        reason: e instanceof Error ? e.message : String(e),
      }),
    );
  }

  /** The settings the alerts use: those in force, else what can be trusted of the file. */
  private alertSettings(): TrustedAlertSettings {
    if (this.builder.settingsInForce)
      return { settings: this.builder.built.settings, source: 'in-force' };
    // Read again only when the file changed: the alert service asks at every status change.
    const stamp = fileStamp(this.settingsPath);
    if (this.trusted?.fileStamp !== stamp) {
      let fileValues: Record<string, unknown> | null;
      let fileKeys: string[] | undefined;
      try {
        const read = this.settings.readForEditing();
        fileValues = read.unreadable ? null : read.values;
        fileKeys = read.keys;
      } catch {
        fileValues = null; // not a regular file (a FIFO, a folder)
      }
      this.trusted = {
        fileStamp: stamp,
        value: trustAlertSettings({
          fileValues,
          ...(fileKeys ? { fileKeys } : {}),
          fileIssues: fileValues ? this.settingsIssues() : [],
          record: readLastAlertSettings(this.configDir),
          defaults: defaultSettings(this.opts.home),
          // Without the folder checks (the settings service's validate has them): a watch folder
          // not there yet says nothing about the alert settings.
          validate: (candidate) =>
            validateCandidate(candidate, {
              configDir: this.configDir,
              ...(this.opts.home ? { home: this.opts.home } : {}),
              ...(this.opts.hostName ? { host: this.opts.hostName } : {}),
            }),
        }),
      };
    }
    return this.trusted.value;
  }

  alertSettingsSource(): TrustedAlertSettings['source'] {
    return this.alertSettings().source;
  }

  settingsIssues(): FieldIssue[] {
    const loaded = this.settings.load();
    return loaded.ok ? [] : loaded.issues;
  }

  probe(): Promise<void> {
    return this.passes.probe();
  }

  runRetention(dryRun: boolean): Promise<RetentionReport> {
    return this.health.retention(this.builder.built.settings, dryRun);
  }

  listWatchFailures(): FailingFile[] {
    return this.passes.listWatchFailures();
  }

  listFailures(): Promise<FailingFile[]> {
    return this.passes.listFailures();
  }

  runPassNow(opts: { retryWaiting?: boolean } = {}): Promise<PassReport> {
    if (opts.retryWaiting) this.passes.retryWaitingNow();
    return this.lifecycle.runPassNow();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.lifecycle.stop();
    // A timed pause that ended is cleared in the file in turn with other writers: not cut short.
    await this.pauseState.settled();
    await this.fleet.stop(); // fleet (issue 10)
    await this.alerts.stop(); // alerts (issue 10)
    for (const u of this.unsubscribers) u();
    await this.applying.catch(() => undefined);
    await this.saveAtStop(
      'journal.json',
      'the work it saves (hashes, legs done) is done again at the next start; no file is lost',
      () => this.journal.close(),
    );
    await this.saveAtStop(
      'history.jsonl',
      'its newest records are missing; files still in transit get theirs when they are done',
      () => this.history.close(),
    );
    this.settings.close();
    await this.publishing?.stop();
    this.status.dispose();
  }

  /**
   * One of the last saves. On a full (or read-only) settings disk it fails; it must neither skip
   * the saves after it nor fail the stop: the daemon exited 1 with a bare "ENOSPC: no space left
   * on device, write" (crash torture, one card full), which systemd counts as a failed stop and
   * which named neither the file nor the fix. Said in the log instead (on the console when the
   * log file cannot be written either).
   */
  private async saveAtStop(file: string, cost: string, save: () => Promise<void>): Promise<void> {
    try {
      await save();
    } catch (e) {
      const why = cannotWrite(this.configDir, errnoCode(e));
      this.logger.error(`could not save ${file} before stopping: ${cost}`, {
        file: path.join(this.configDir, file),
        reason: why ?? (e instanceof Error ? e.message : String(e)),
      });
    }
  }

  // ---- status, pause, history ------------------------------------------------------------

  getStatus(): StatusSnapshot {
    return this.status.snapshot();
  }

  onStatus(listener: (status: StatusSnapshot) => void): () => void {
    return this.status.onChange(listener);
  }

  syncNow(): void {
    // A person who asks has most likely just fixed what the failing files failed on.
    this.passes.retryWaitingNow();
    this.lifecycle.syncNow();
  }

  async pause(forMs: number | null): Promise<void> {
    await this.pauseState.pause(forMs);
  }

  async resume(): Promise<void> {
    await this.pauseState.resume();
  }

  async askSyncNow(): Promise<number> {
    return this.pauseState.askSyncNow();
  }

  queryHistory(query: HistoryQuery): HistoryRecord[] {
    return this.history.query(query);
  }

  // fleet (issue 10)
  getActivity(): Activity {
    return this.fleet.activity();
  }

  // fleet (issue 10)
  readFleet(): Promise<FleetSnapshot> {
    return this.fleet.read();
  }

  // ---- settings --------------------------------------------------------------------------

  getSettings(): Settings {
    return this.builder.built.settings;
  }

  /**
   * The one validation every writer goes through (settings/validate.ts), folders included, and
   * the values a save from the window refuses (settings/smtp-words.ts, fleet-folder-typed.ts).
   */
  validateSettings(candidate: unknown): SettingsValidation {
    const fields =
      typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate)
        ? (candidate as Record<string, unknown>)
        : {};
    const checked = withSmtpMistakes(this.settings.validate(candidate), fields);
    if (!checked.ok) return checked;
    // The live check sees the whole form: a fleet folder inside the data is shown before a save.
    const keys = new Set(Object.keys(fields));
    const fleet = fleetFolderTypedIssue(checked.settings, keys, 'form', this.opts.hostName);
    return fleet ? { ok: false, issues: [fleet] } : checked;
  }

  async saveSettings(
    candidate: unknown,
    loadedWith?: Record<string, unknown>,
  ): Promise<SettingsValidation> {
    const before = this.applying;
    const saved = await this.settings.saveEdited(candidate, loadedWith);
    if (!saved.ok) return saved;
    // A real change started its one rebuild (onChange above); wait for it, start none here.
    if (this.applying !== before) await this.applying;
    else this.passForNewSettings();
    return saved;
  }

  /**
   * New settings are tried at once (a folder fixed, a card named), but not while paused: a pause
   * holds every byte until resumed (a save in the window ran a full pass). "Sync now" is the
   * person's own way past a pause.
   */
  private passForNewSettings(): void {
    if (!this.pauseState.paused) this.lifecycle.running?.triggerNow();
  }

  previewRemotePath(
    candidate: Partial<Settings>,
    sampleRel: string,
  ): { ok: true; path: string } | { ok: false; message: string } {
    const s = { ...this.builder.built.settings, ...candidate };
    try {
      const root = renderRemoteRoot(s.remoteRootTemplate, { site: s.site, ...this.hostField() });
      return { ok: true, path: remotePathFor(root, sampleRel.replaceAll('\\', '/')) };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  // ---- Dropbox connection ----------------------------------------------------------------

  connectDropboxStart(): Promise<{ authorizeUrl: string }> {
    return this.account.beginHere(this.builder.built.settings);
  }

  async connectDropboxFinish(code: string): Promise<AccountInfo> {
    const account = await this.connectDropboxWithVerifier(this.account.keptVerifier(), code);
    this.account.forgetVerifier();
    return account;
  }

  connectDropboxBegin(): Promise<{ authorizeUrl: string; codeVerifier: string }> {
    return this.account.begin(this.builder.built.settings);
  }

  async connectDropboxWithVerifier(codeVerifier: string, code: string): Promise<AccountInfo> {
    await this.account.finish(this.builder.built.settings, codeVerifier, code);
    await this.builder.rebuild('Dropbox connected');
    const account = await this.account.refresh(this.builder.built.remote, true);
    this.lifecycle.running?.triggerNow();
    if (!account) {
      throw new SyncError({
        kind: 'retry',
        code: 'network',
        message: 'Connected, but Dropbox did not answer the account check; RDL Sync will try again',
      });
    }
    return account;
  }

  async disconnectDropbox(): Promise<void> {
    await this.account.clear();
    await this.builder.rebuild('Dropbox disconnected');
  }

  describeCredentials(): { encrypted: boolean; where: string } {
    return this.account.describe();
  }

  // ---- legacy import ---------------------------------------------------------------------

  async importLegacy(input: LegacyImportInput): Promise<LegacyImportReport> {
    // A settings file with a mistake (a hand edit) is not the settings in force here: the import
    // weighed itself against the defaults, took them for "changed since the last import" and
    // refused with "archive folder is empty; site name is empty", naming nothing in the file.
    // Only a file a settings save wrote (configVersion): a pause on a machine never set up writes
    // the defaults, not valid settings yet, and an import is how to set it up; a file that is
    // not JSON holds nothing to keep, and the import replaces it (a copy is set aside).
    const onFile = this.settings.load();
    const read = onFile.ok ? null : this.settings.readForEditing();
    if (!onFile.ok && read?.whole === true && !read.unreadable) {
      throw new SyncError({
        kind: 'blocked',
        code: 'settings-invalid',
        message: `The settings file ${this.settings.path} has mistakes (${onFile.issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')}): fix them first (rdl-sync settings check names each), then import again; nothing was changed`,
      });
    }
    const current = this.builder.built.settings;
    const report = await importLegacy(input, {
      current,
      configDir: this.configDir,
      nowMs: () => this.clock.now(),
      settings: this.settings,
      account: this.account,
      saveAndApply: async (settings) => {
        const before = this.applying;
        // Only what the import changes, over the file as it is now (a change made meanwhile stays).
        const saved = await this.saveSettings(settings, current);
        if (!saved.ok) {
          throw new SyncError({
            kind: 'blocked',
            code: 'settings-invalid',
            message: `The imported settings are not valid: ${saved.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
          });
        }
        return this.applying !== before;
      },
      apply: (reason) => this.builder.rebuild(reason),
    });
    if (report.credentialsImported && !report.dryRun) await this.tellImportedLogin(report);
    return report;
  }

  /** Asks Dropbox once whether the imported login works, and says so in the report. */
  private async tellImportedLogin(report: LegacyImportReport): Promise<void> {
    const creds = await this.account.load();
    if (!creds) return;
    const check = await checkLogin(this.builder.built.settings, creds, {
      clock: this.clock,
      logger: this.logger,
      ...(this.opts.retry ? { retry: this.opts.retry } : {}),
    });
    report.login = check.outcome;
    if (check.outcome === 'accepted') {
      (report.notes ??= []).push(`Dropbox accepted the imported login: ${check.who}`);
    } else if (check.outcome === 'refused') {
      // An archive card named in the old config but not mounted keeps files in transit: not "they
      // go to the archive" beside the import's warning that they wait.
      const cardAway = report.cardAway === true;
      report.warnings.unshift(
        `Dropbox refused the imported login (${check.message}): connect again with \`rdl-sync auth\` (or Connect in Settings); until then files ${cardAway ? 'wait safely in transit' : 'go to the archive and wait in transit'}`,
      );
    } else {
      report.warnings.push(
        `The imported Dropbox login could not be checked now (${check.message}); the first sync checks it again`,
      );
    }
  }

  // ---- internals -------------------------------------------------------------------------

  private hostField(): { host?: string } {
    return this.opts.hostName ? { host: this.opts.hostName } : {};
  }

  private async remoteHashLookup(settings: Settings): Promise<RemoteHashLookup | null> {
    const creds = await this.account.load();
    if (!creds) return null;
    return dropboxHashLookup(settings, creds, {
      clock: this.clock,
      logger: this.logger,
      retry: { ...CALL_RETRY, ...this.opts.retry },
      ...this.hostField(),
    });
  }
}

/** Changes whenever the file does (or appears, or goes). */
function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (e) {
    return String(errnoCode(e));
  }
}
