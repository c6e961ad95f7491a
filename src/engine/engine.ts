// The engine facade: builds the pipeline from settings and credentials, runs it on the schedule,
// and answers the front ends (tray, window, CLI) with plain data. It holds no sync logic itself;
// the life of a file is in pipeline/pass.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EngineApi, LegacyImportReport, SettingsValidation } from './api.js';
import { SyncError, isSyncError } from './errors.js';
import {
  monotonicNow,
  silentLogger,
  systemClock,
  type AccountInfo,
  type Clock,
  type Logger,
  type RemoteStore,
} from './ports.js';
import type { Settings } from './settings/schema.js';
import { openSettingsStore, isPausedAt, type SettingsStore } from './settings/store.js';
import { validateSettings } from './settings/validate.js';
import { defaultSettings } from './settings/defaults.js';
import { renderRemoteRoot, remotePathFor } from './settings/remote-root.js';
import { StatusModel } from './status/model.js';
import type { HistoryQuery, HistoryRecord, StatusSnapshot } from './status/types.js';
import { PassScheduler, type ScheduleSpec } from './scheduler.js';
import { runPass, newPassMemory, type PassReport } from './pipeline/pass.js';
import { StatusReducer } from './status/reducer.js';
import { worstFailure } from './pipeline/leg-state.js';
import { fileFailingProblem, legProblem, notConnected } from './pipeline/problems.js';
import type { PassDeps } from './pipeline/deps.js';
import { cleanupTransitTemps, removeLegacyTransitTemps } from './stage/index.js';
import { isIgnored } from './scan/index.js';
import { buildPassDeps, buildRemote } from './assemble.js';
import { StatusFilePublisher, readStatusFile } from './status/status-file.js';
import { acquireRunLock, type RunLock } from './run-lock.js';
import { Journal } from './journal/index.js';
import { History } from './history/index.js';
import {
  FileCredentialStore,
  type CredentialStore,
  type DropboxCredentials,
} from './credentials/index.js';
import { registerSecret } from './log/index.js';
import { tightenConfigModes } from './settings/private-files.js';
import { startPkceAuth, finishPkceAuth } from './dropbox/auth.js';
import { prepareLegacyImport } from './legacy/index.js';
import { HubHealth } from './health/hub-health.js';
import { dropboxHashLookup } from './retention/dropbox-lookup.js';
import type { RemoteHashLookup, RetentionReport } from './retention/retention.js';
import { CALL_RETRY, type RetryPolicy } from './retry-policy.js';
import { FleetHook, type Activity, type FleetSnapshot } from './fleet/index.js'; // fleet (issue 10)

const ACCOUNT_REFRESH_MS = 10 * 60_000;
const STATE_POLL_MS = 2_000;

const PASS_FAILED_ID = 'pass-failed';

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
  /**
   * How hard one pass retries Dropbox before leaving the rest to the next pass. Kept short by
   * default: the next pass is seconds away, and the SD-card leg should not wait on a dead link.
   */
  retry?: Partial<RetryPolicy>;
  /** fleet (issue 10): heartbeat interval overriding fleetHeartbeatMinutes (tests). */
  fleetHeartbeatMs?: number;
}

export interface Engine extends EngineApi {
  /** Starts scheduled passes. */
  start(): Promise<void>;
  /** Runs one pass now and resolves with what it did (CLI `once`, tests). */
  runPassNow(): Promise<PassReport>;
  readonly configDir: string;
  readonly settingsPath: string;
  describeCredentials(): { encrypted: boolean; where: string };
  probe(): Promise<void>;
  /** Files in transit whose last attempt failed, from the journal (names for `once`, `status`). */
  listFailures(): Promise<{ rel: string; code: string; message: string; attempts: number }[]>;
  /** PKCE start whose verifier the caller keeps (the CLI's two-step flow across processes). */
  connectDropboxBegin(): Promise<{ authorizeUrl: string; codeVerifier: string }>;
  connectDropboxWithVerifier(codeVerifier: string, code: string): Promise<AccountInfo>;
  /** Archive retention now (`dryRun`: only list what would go). */
  runRetention(dryRun: boolean): Promise<RetentionReport>;
}

export async function createEngine(opts: EngineOptions): Promise<Engine> {
  const engine = new SyncEngine(opts);
  await engine.init();
  return engine;
}

interface Built {
  settings: Settings;
  deps: PassDeps | null;
  remote: RemoteStore | null;
  /** Why passes cannot run (invalid settings), or null. */
  blocked: SyncError | null;
}

class SyncEngine implements Engine {
  readonly configDir: string;
  readonly settingsPath: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: SettingsStore;
  private readonly credentials: CredentialStore;
  private readonly status: StatusModel;
  /** Folds the pass's events into the status (status/reducer.ts): the status rules live there. */
  private readonly reducer: StatusReducer;
  private readonly memory = newPassMemory();
  private journal!: Journal;
  private history!: History;
  private health!: HubHealth;
  private fleet!: FleetHook; // fleet (issue 10)
  private built!: Built;
  /** Why the saved Dropbox connection cannot be used by this process, or null. */
  private credentialsProblem: SyncError | null = null;
  private scheduler: PassScheduler | null = null;
  private pendingVerifier: string | null = null;
  /** Monotonic time of the last account check (null: never), so a clock step cannot skip one. */
  private lastAccountMono: number | null = null;
  private statePoll: NodeJS.Timeout | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;
  private publisher: StatusFilePublisher | null = null;
  private runLock: RunLock | null = null;
  private unsubscribers: (() => void)[] = [];
  private stopped = false;
  /** start() in progress: stop() waits for it, so a stop during start-up still releases the lock. */
  private starting: Promise<void> | null = null;
  /** Aborted by stop(): ends a pass started by runPassNow() as well as scheduled ones. */
  private readonly lifetime = new AbortController();
  /** Holds the run lock (daemon, or one runPassNow): only then are transit temps ours to clean. */
  private lockDepth = 0;

  constructor(private readonly opts: EngineOptions) {
    this.configDir = opts.configDir;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.store = openSettingsStore({
      configDir: opts.configDir,
      watch: opts.watchConfig ?? false,
      logger: this.logger,
      ...(opts.home ? { home: opts.home } : {}),
    });
    this.settingsPath = this.store.path;
    this.credentials = opts.credentials ?? new FileCredentialStore(opts.configDir);
    this.status = new StatusModel(() => this.clock.now());
    this.reducer = new StatusReducer(
      this.status,
      this.clock,
      () => this.built.settings.offlineAlertMinutes * 60_000,
    );
  }

  async init(): Promise<void> {
    if (!this.opts.readOnly) {
      await fs.mkdir(this.configDir, { recursive: true, mode: 0o700 });
      await tightenConfigModes(this.configDir, this.logger);
    }
    this.journal = await Journal.open(path.join(this.configDir, 'journal.json'), this.logger);
    const loaded = this.store.load();
    const limit = loaded.ok ? loaded.settings.historyLimit : 5_000;
    this.history = await History.open(path.join(this.configDir, 'history.jsonl'), limit);
    this.health = new HubHealth({
      status: this.status,
      history: this.history,
      clock: this.clock,
      logger: this.logger,
      remoteLookup: (s) => this.remoteHashLookup(s),
    });
    // fleet (issue 10): heartbeat while started; fleet reads and chart data for every front end.
    this.fleet = new FleetHook({
      configDir: this.configDir,
      settings: () => this.built.settings,
      credentials: () => this.loadCredentials(),
      status: () => this.status.snapshot(),
      onStatus: (l) => this.status.onChange(l),
      history: () => this.history,
      clock: this.clock,
      logger: this.logger,
      readOnly: this.opts.readOnly ?? false,
      ...(this.opts.hostName ? { host: this.opts.hostName } : {}),
      ...(this.opts.fleetHeartbeatMs ? { intervalMs: this.opts.fleetHeartbeatMs } : {}),
    });
    await this.rebuild();
    this.applyPauseState();
    this.unsubscribers.push(
      this.store.onChange(() => {
        void this.rebuild().then(() => this.scheduler?.triggerNow());
      }),
    );
    if (this.opts.publishStatus) {
      const publisher = new StatusFilePublisher(
        this.configDir,
        () => this.status.snapshot(),
        () => this.clock.now(),
        this.logger,
      );
      this.publisher = publisher;
      this.unsubscribers.push(this.status.onChange(() => publisher.schedule()));
      publisher.schedule();
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.scheduler || this.stopped) return;
    this.starting ??= this.startUnderLock().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startUnderLock(): Promise<void> {
    if (this.opts.readOnly) throw new Error('a read-only engine cannot start syncing');
    const lock = await acquireRunLock(this.configDir);
    // A stop that arrived while we waited for the lock wins: hand it straight back.
    if (this.stopped) {
      await lock.release();
      return;
    }
    this.runLock = lock;
    this.lockDepth++;
    await this.prepareFolders();
    if (this.stopped) return; // stop() is waiting for us and releases the lock
    this.scheduler = new PassScheduler(this.scheduleSpec(), {
      runPass: (signal) => this.passGuarded(signal).then(() => undefined),
      onChange: ({ running, nextRunMs }) =>
        this.status.update({ passRunning: running, nextPassMs: nextRunMs }),
      logger: this.logger,
      clock: this.clock,
    });
    this.scheduler.setPaused(this.status.current.paused);
    this.scheduler.start();
    await this.fleet.start(); // fleet (issue 10)
    if (this.opts.watchConfig) {
      this.statePoll = setInterval(() => this.applyPauseState(), STATE_POLL_MS);
      this.statePoll.unref();
    }
  }

  /** Checks the SD card and counts the queue without moving anything (status of a stopped engine). */
  async probe(): Promise<void> {
    const { deps } = this.built;
    if (!deps) return;
    const archive = deps.legs.find((leg) => leg.id === 'archive');
    if (archive) {
      const { problem, card } = await archive.check();
      this.reducer.apply({
        type: 'leg-checked',
        leg: 'archive',
        problem,
        ...(card ? { card } : {}),
      });
      if (problem) this.status.raise(legProblem(problem, 0));
    }
    const failing = await this.listFailures();
    let transit = 0;
    for await (const _f of deps.listTransit()) transit++;
    this.status.updateCounts({ transit, failed: failing.length });
    // Without a daemon, the journal is what remembers the failures: show them, not "Up to date".
    for (const f of failing) this.status.raise(fileFailingProblem(f.rel, f.attempts, f));
    await this.recallAuthState();
    await this.health.check(this.built.settings);
  }

  async runRetention(dryRun: boolean): Promise<RetentionReport> {
    return this.health.retention(this.built.settings, dryRun);
  }

  async listFailures(): Promise<
    { rel: string; code: string; message: string; attempts: number }[]
  > {
    const { deps } = this.built;
    if (!deps) return [];
    const inTransit = new Set<string>();
    for await (const f of deps.listTransit()) inTransit.add(f.rel);
    const out: { rel: string; code: string; message: string; attempts: number }[] = [];
    for (const rel of this.journal.rels()) {
      const e = this.journal.entry(rel);
      // Per leg since back-off is per leg: the file's worst trouble, on whichever leg.
      const failure = e && worstFailure(e);
      if (!failure || !inTransit.has(rel)) continue;
      const { code, message, attempts } = failure;
      out.push({ rel, code, message, attempts });
    }
    return out.sort((a, b) => a.rel.localeCompare(b.rel));
  }

  /**
   * The last daemon's word on the Dropbox connection (status.json keeps its final snapshot):
   * a revoked token it met stays "not connected" until the credentials are saved again.
   */
  private async recallAuthState(): Promise<void> {
    const last = await readStatusFile(this.configDir);
    if (!last || last.pid !== null) return;
    const authProblem = last.status.problems.find(
      (p) => p.code === 'auth-revoked' || p.code === 'auth-missing',
    );
    if (!authProblem || !this.built.remote) return;
    const where = this.credentials.describe().where;
    const savedMs = await fs.stat(where).then(
      (st) => st.mtimeMs,
      () => 0,
    );
    if (savedMs > last.updatedAtMs) return; // reconnected since
    const { id: _id, ...problem } = authProblem;
    this.status.raise({ id: authProblem.id, ...problem });
    this.status.update({ dropbox: { ...this.status.current.dropbox, connected: false } });
  }

  async runPassNow(): Promise<PassReport> {
    if (this.scheduler?.isRunning) await this.scheduler.idle();
    if (this.runLock) return this.passGuarded(this.lifetime.signal);
    if (this.opts.readOnly) throw new Error('a read-only engine cannot run a pass');
    // Not started (CLI `once`, tests): hold the lock for this pass only.
    const lock = await acquireRunLock(this.configDir);
    this.lockDepth++;
    try {
      await this.prepareFolders();
      return await this.passGuarded(this.lifetime.signal);
    } finally {
      this.lockDepth--;
      await lock.release();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.lifetime.abort(new Error('stopping'));
    if (this.statePoll) clearInterval(this.statePoll);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    // A start-up in progress finishes first (it sees `stopped` and starts no passes), so the lock
    // it may have taken is released below rather than after we return.
    await this.starting?.catch(() => undefined);
    // Abandoning is safe at any instant (that is the crash-safety invariant); it is also quick.
    await this.scheduler?.stop(true);
    await this.fleet.stop(); // fleet (issue 10)
    await this.runLock?.release();
    this.runLock = null;
    for (const u of this.unsubscribers) u();
    await this.journal.close();
    await this.history.close();
    this.store.close();
    await this.publisher?.write(true);
    this.status.dispose();
  }

  // ---- status, pause, history ------------------------------------------------------------

  getStatus(): StatusSnapshot {
    return this.status.snapshot();
  }

  onStatus(listener: (status: StatusSnapshot) => void): () => void {
    return this.status.onChange(listener);
  }

  syncNow(): void {
    if (this.scheduler) this.scheduler.triggerNow();
    else void this.runPassNow();
  }

  async pause(forMs: number | null): Promise<void> {
    const pausedUntilMs = forMs === null ? null : this.clock.now() + Math.max(0, forMs);
    this.store.setState({ paused: true, pausedUntilMs });
    this.applyPauseState();
  }

  async resume(): Promise<void> {
    this.store.setState({ paused: false, pausedUntilMs: null });
    this.applyPauseState();
    this.scheduler?.triggerNow();
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
    return this.built.settings;
  }

  /** The one validation every writer goes through (settings/validate.ts), folders included. */
  validateSettings(candidate: unknown): SettingsValidation {
    return validateSettings(candidate, {
      ...(this.opts.home ? { home: this.opts.home } : {}),
      ...(this.opts.hostName ? { host: this.opts.hostName } : {}),
      configDir: this.configDir,
      checkFolders: true,
    });
  }

  async saveSettings(candidate: unknown): Promise<SettingsValidation> {
    const checked = this.validateSettings(candidate);
    if (!checked.ok) return checked;
    const saved = this.store.save(checked.settings);
    if (saved.ok) {
      await this.rebuild();
      this.scheduler?.triggerNow();
    }
    return saved;
  }

  previewRemotePath(
    candidate: Partial<Settings>,
    sampleRel: string,
  ): { ok: true; path: string } | { ok: false; message: string } {
    const s = { ...this.built.settings, ...candidate };
    try {
      const root = renderRemoteRoot(s.remoteRootTemplate, { site: s.site, ...this.hostField() });
      return { ok: true, path: remotePathFor(root, sampleRel.replaceAll('\\', '/')) };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  // ---- Dropbox connection ----------------------------------------------------------------

  async connectDropboxStart(): Promise<{ authorizeUrl: string }> {
    const { authorizeUrl, codeVerifier } = await this.connectDropboxBegin();
    this.pendingVerifier = codeVerifier;
    return { authorizeUrl };
  }

  async connectDropboxFinish(code: string): Promise<AccountInfo> {
    if (!this.pendingVerifier) {
      throw new SyncError({
        kind: 'blocked',
        code: 'auth-missing',
        message: 'Start connecting first (Connect to Dropbox), then paste the code Dropbox shows',
      });
    }
    const account = await this.connectDropboxWithVerifier(this.pendingVerifier, code);
    this.pendingVerifier = null;
    return account;
  }

  async connectDropboxBegin(): Promise<{ authorizeUrl: string; codeVerifier: string }> {
    const s = this.built.settings;
    const start = await startPkceAuth({ appKey: s.dropboxAppKey, endpoint: s.dropboxEndpoint });
    registerSecret(start.codeVerifier);
    return start;
  }

  async connectDropboxWithVerifier(codeVerifier: string, code: string): Promise<AccountInfo> {
    const s = this.built.settings;
    const result = await finishPkceAuth({
      appKey: s.dropboxAppKey,
      endpoint: s.dropboxEndpoint,
      codeVerifier,
      code,
    });
    await this.credentials.save({ appKey: s.dropboxAppKey, refreshToken: result.refreshToken });
    await this.rebuild();
    const account = await this.refreshAccount(true);
    this.scheduler?.triggerNow();
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
    await this.credentials.clear();
    await this.rebuild();
  }

  describeCredentials(): { encrypted: boolean; where: string } {
    return this.credentials.describe();
  }

  // ---- legacy import ---------------------------------------------------------------------

  async importLegacy(input: {
    configJsonPath?: string;
    root?: string;
    uploaderConfigPath?: string;
    remoteRootTemplate?: string;
  }): Promise<LegacyImportReport> {
    const plan = await prepareLegacyImport({ ...input, current: this.built.settings });
    const saved = await this.saveSettings(plan.settings);
    if (!saved.ok) {
      throw new SyncError({
        kind: 'blocked',
        code: 'settings-invalid',
        message: `The imported settings are not valid: ${saved.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      });
    }
    if (plan.credentials) {
      await this.credentials.save(plan.credentials);
      await this.rebuild();
    }
    return plan.report;
  }

  // ---- internals -------------------------------------------------------------------------

  private hostField(): { host?: string } {
    return this.opts.hostName ? { host: this.opts.hostName } : {};
  }

  private scheduleSpec(): ScheduleSpec {
    const s = this.built.settings;
    return s.scheduleMode === 'cron' && s.cron
      ? { mode: 'cron', cron: s.cron }
      : { mode: 'interval', intervalSeconds: s.intervalSeconds };
  }

  /** Builds the pipeline's parts from the saved settings and credentials. */
  private async rebuild(): Promise<void> {
    const loaded = this.store.load();
    const settings = loaded.ok
      ? loaded.settings
      : (this.built?.settings ?? defaultSettings(this.opts.home));
    this.status.clear('settings-invalid');
    if (!loaded.ok) {
      const message = `Settings need fixing: ${loaded.issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')}`;
      this.status.raise({
        id: 'settings-invalid',
        code: 'settings-invalid',
        severity: 'error',
        message,
        tab: 'settings',
      });
      this.status.update({
        archive: {
          ...this.status.current.archive,
          enabled: settings.archiveEnabled,
          path: settings.archiveDir,
        },
      });
      this.built = {
        settings,
        deps: null,
        remote: null,
        blocked: new SyncError({ kind: 'blocked', code: 'settings-invalid', message }),
      };
      return;
    }
    const creds = await this.loadCredentials();
    let remote: RemoteStore | null = null;
    try {
      if (creds) {
        remote = buildRemote(settings, creds, {
          journal: this.journal,
          clock: this.clock,
          logger: this.logger,
          retry: { ...CALL_RETRY, ...this.opts.retry },
          ...this.hostField(),
        });
      }
    } catch (e) {
      this.logger.warn('Dropbox connection not usable', { reason: (e as Error).message });
    }
    const deps = buildPassDeps(settings, {
      remote,
      ...(remote ? {} : { remoteMissing: this.credentialsProblem ?? notConnected() }),
      journal: this.journal,
      history: this.history,
      emit: (event) => this.reducer.apply(event),
      clock: this.clock,
      logger: this.logger,
    });
    this.built = { settings, deps, remote, blocked: null };
    // Known before any pass: say so at once, so status is right even before the first pass.
    if (remote) this.status.clear('auth-missing');
    else this.status.raise(legProblem(this.credentialsProblem ?? notConnected(), 0));
    this.status.update({
      archive: {
        ...this.status.current.archive,
        enabled: settings.archiveEnabled,
        path: settings.archiveDir,
      },
      dropbox: { ...this.status.current.dropbox, connected: remote !== null },
    });
    // New folders while running; temps are only cleaned at start, never under a running pass.
    if (this.lockDepth > 0) await this.prepareFolders(false);
    this.scheduler?.reconfigure(this.scheduleSpec());
  }

  /**
   * Only while holding the run lock: the transit folder (ours, created on purpose) and its
   * leftover temps (ours only when no other engine is staging). The watch folder is created only
   * when it is the default one; any other missing watch folder is most likely a typo or an
   * unplugged stick, and the scan reports it instead of an empty tree appearing.
   */
  private async prepareFolders(cleanTemps = true): Promise<void> {
    const s = this.built.settings;
    if (!this.built.deps) return;
    if (s.watchDir === defaultSettings(this.opts.home).watchDir) {
      await fs.mkdir(s.watchDir, { recursive: true }).catch(() => undefined);
    }
    try {
      await fs.mkdir(s.transitDir, { recursive: true });
      if (cleanTemps) {
        await cleanupTransitTemps(s.transitDir);
        const legacy = await removeLegacyTransitTemps(
          s.transitDir,
          (name) => !isIgnored(name, s.ignorePatterns),
        );
        if (legacy > 0)
          this.logger.info('removed staging copies left by an earlier version', {
            removed: legacy,
          });
      }
    } catch (e) {
      // The pass reports an unusable transit folder on its own; start-up must go on.
      this.logger.warn('transit folder not ready', { reason: (e as Error).message });
    }
  }

  private async remoteHashLookup(settings: Settings): Promise<RemoteHashLookup | null> {
    const creds = await this.loadCredentials();
    if (!creds) return null;
    return dropboxHashLookup(settings, creds, {
      clock: this.clock,
      logger: this.logger,
      retry: { ...CALL_RETRY, ...this.opts.retry },
      ...this.hostField(),
    });
  }

  /**
   * Null when there is no usable connection; then `credentialsProblem` says why when a saved one
   * exists but cannot be used here (e.g. only the tray app's keyring-encrypted file), so the
   * status names the cause and the fix instead of a bare "not connected".
   */
  private async loadCredentials(): Promise<DropboxCredentials | null> {
    try {
      const creds = await this.credentials.load();
      if (creds) {
        registerSecret(creds.refreshToken);
        registerSecret(creds.appSecret);
      }
      this.credentialsProblem = null;
      return creds;
    } catch (e) {
      // The stores' messages name files, causes and fixes, never the secret.
      const reason = (e as Error).message;
      // Once per cause, not on every pass while it lasts.
      const known = this.credentialsProblem?.message.includes(reason) ?? false;
      this.credentialsProblem = isSyncError(e)
        ? e
        : new SyncError({
            kind: 'blocked',
            code: 'auth-missing',
            message: `The saved Dropbox connection could not be read (${reason}): reconnect Dropbox (Connect in Settings, or rdl-sync auth)`,
          });
      if (!known) this.logger.warn('Dropbox credentials could not be read', { reason });
      return null;
    }
  }

  /**
   * A disconnected engine looks again before each pass: `rdl-sync auth` (another process) or the
   * tray app may have saved a connection since, and the problem's message told the user to do
   * exactly that, so it must take effect without a restart.
   */
  private async pickUpSavedConnection(): Promise<void> {
    if (this.built.remote || !this.built.deps) return;
    const before = this.credentialsProblem?.message ?? null;
    const creds = await this.loadCredentials();
    if (creds || (this.credentialsProblem?.message ?? null) !== before) {
      if (creds) this.logger.info('Dropbox connection found: connecting');
      await this.rebuild();
    }
  }

  private async passGuarded(signal: AbortSignal): Promise<PassReport> {
    await this.pickUpSavedConnection();
    const { deps, blocked } = this.built;
    if (!deps) {
      throw (
        blocked ??
        new SyncError({
          kind: 'blocked',
          code: 'settings-invalid',
          message: 'Settings need fixing',
        })
      );
    }
    this.status.update({ passRunning: true });
    try {
      const report = await runPass(deps, this.memory, signal);
      // Disks, silent loggers, placeholder site, retention: see health/hub-health.ts.
      await this.health.afterPass(this.built.settings, signal, report.transitBytes);
      if (
        report.staged ||
        report.done ||
        report.fileFailures ||
        report.uploadBlocked ||
        report.archiveBlocked
      ) {
        this.logger.info('pass', {
          staged: report.staged,
          uploaded: report.uploaded,
          archived: report.archived,
          done: report.done,
          failed: report.fileFailures,
          queued: report.remainingInTransit,
          uploadBlocked: report.uploadBlocked?.code ?? null,
          archiveBlocked: report.archiveBlocked?.code ?? null,
        });
      }
      if (!report.uploadBlocked && this.built.remote) await this.refreshAccount(false);
      this.status.clear(PASS_FAILED_ID);
      return report;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.logger.error('pass failed', { reason });
      // The pass isolates every file and every part; if it still fails, say so rather than
      // letting the last good status stand ("Up to date" while nothing moves).
      if (!signal.aborted) {
        this.status.raise({
          id: PASS_FAILED_ID,
          code: 'pass-failed',
          severity: 'error',
          tab: 'log',
          message: `Syncing stopped on an unexpected error (${reason}); it is retried on every pass, and files wait safely. See the log`,
        });
      }
      throw e;
    } finally {
      this.status.update({ passRunning: false, lastPassMs: this.clock.now() });
    }
  }

  private async refreshAccount(force: boolean): Promise<AccountInfo | null> {
    const remote = this.built.remote;
    if (!remote) return null;
    const now = this.clock.now();
    const mono = monotonicNow(this.clock);
    if (!force && this.lastAccountMono !== null && mono - this.lastAccountMono < ACCOUNT_REFRESH_MS)
      return null;
    this.lastAccountMono = mono;
    try {
      const a = await remote.account();
      this.status.update({
        dropbox: {
          connected: true,
          accountName: a.displayName,
          email: a.email,
          usedBytes: a.usedBytes,
          allocatedBytes: a.allocatedBytes,
          lastContactMs: now,
        },
      });
      return a;
    } catch (e) {
      this.logger.warn('account check failed', { reason: (e as Error).message });
      return null;
    }
  }

  /** Applies the saved pause (also one set by `rdl-sync pause` from another process). */
  private applyPauseState(): void {
    const state = this.store.getState();
    const now = this.clock.now();
    const paused = isPausedAt(state, now);
    if (state.paused && !paused) this.store.setState({ paused: false, pausedUntilMs: null });
    const pausedUntilMs = paused ? state.pausedUntilMs : null;
    const cur = this.status.current;
    if (cur.paused !== paused || cur.pausedUntilMs !== pausedUntilMs) {
      this.status.update({ paused, pausedUntilMs });
      this.scheduler?.setPaused(paused);
      if (!paused) this.scheduler?.triggerNow();
    }
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    if (paused && pausedUntilMs !== null) {
      this.resumeTimer = setTimeout(
        () => this.applyPauseState(),
        Math.max(0, pausedUntilMs - now) + 50,
      );
      this.resumeTimer.unref();
    }
  }
}
