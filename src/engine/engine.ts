// The engine facade: builds the pipeline from settings and credentials, runs it on the schedule,
// and answers the front ends (tray, window, CLI) with plain data. It holds no sync logic itself;
// the life of a file is in pipeline/pass.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EngineApi, LegacyImportReport, SettingsValidation } from './api.js';
import { SyncError } from './errors.js';
import {
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
import { PassScheduler, cronProblem, type ScheduleSpec } from './scheduler.js';
import { archiveStatusOf, runPass, newPassMemory, type PassReport } from './pipeline/pass.js';
import { legProblem, notConnected } from './pipeline/problems.js';
import type { PassDeps } from './pipeline/deps.js';
import { cleanupTransitTemps } from './stage/index.js';
import { buildPassDeps, buildRemote } from './assemble.js';
import { StatusFilePublisher } from './status/status-file.js';
import { acquireRunLock, type RunLock } from './run-lock.js';
import { Journal } from './journal/index.js';
import { History } from './history/index.js';
import {
  FileCredentialStore,
  type CredentialStore,
  type DropboxCredentials,
} from './credentials/index.js';
import { registerSecret } from './log/index.js';
import type { RetryPolicy } from './dropbox/retry.js';
import { startPkceAuth, finishPkceAuth } from './dropbox/auth.js';
import { prepareLegacyImport } from './legacy/index.js';
import { HubHealth } from './health/hub-health.js';
import { dropboxHashLookup } from './retention/dropbox-lookup.js';
import type { RemoteHashLookup, RetentionReport } from './retention/retention.js';
import { DEFAULT_RETRY_POLICY } from './dropbox/retry.js';

const ACCOUNT_REFRESH_MS = 10 * 60_000;
const STATE_POLL_MS = 2_000;
const PASS_RETRY: Partial<RetryPolicy> = { baseMs: 500, capMs: 15_000, maxAttempts: 6 };

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
   * How hard one pass retries Dropbox before leaving the rest to the next pass. Kept short by
   * default: the next pass is seconds away, and the SD-card leg should not wait on a dead link.
   */
  retry?: Partial<RetryPolicy>;
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
  private readonly memory = newPassMemory();
  private journal!: Journal;
  private history!: History;
  private health!: HubHealth;
  private built!: Built;
  private scheduler: PassScheduler | null = null;
  private pendingVerifier: string | null = null;
  private lastAccountMs = 0;
  private statePoll: NodeJS.Timeout | null = null;
  private resumeTimer: NodeJS.Timeout | null = null;
  private publisher: StatusFilePublisher | null = null;
  private runLock: RunLock | null = null;
  private unsubscribers: (() => void)[] = [];
  private stopped = false;

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
  }

  async init(): Promise<void> {
    await fs.mkdir(this.configDir, { recursive: true, mode: 0o700 });
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
    if (this.scheduler) return;
    this.runLock = await acquireRunLock(this.configDir);
    this.scheduler = new PassScheduler(this.scheduleSpec(), {
      runPass: (signal) => this.passGuarded(signal).then(() => undefined),
      onChange: ({ running, nextRunMs }) =>
        this.status.update({ passRunning: running, nextPassMs: nextRunMs }),
      logger: this.logger,
    });
    this.scheduler.setPaused(this.status.current.paused);
    this.scheduler.start();
    if (this.opts.watchConfig) {
      this.statePoll = setInterval(() => this.applyPauseState(), STATE_POLL_MS);
      this.statePoll.unref();
    }
  }

  /** Checks the SD card and counts the queue without moving anything (status of a stopped engine). */
  async probe(): Promise<void> {
    const { deps } = this.built;
    if (!deps) return;
    if (deps.archive) {
      const c = await deps.archive.check();
      this.status.update({ archive: archiveStatusOf(deps.archive.root, c) });
      if (c.problem) this.status.raise(legProblem(c.problem, 0));
    }
    let transit = 0;
    for await (const _f of deps.listTransit()) transit++;
    this.status.updateCounts({ transit });
    await this.health.check(this.built.settings);
  }

  async runRetention(dryRun: boolean): Promise<RetentionReport> {
    return this.health.retention(this.built.settings, dryRun);
  }

  async runPassNow(): Promise<PassReport> {
    if (this.scheduler?.isRunning) await this.scheduler.idle();
    if (this.runLock) return this.passGuarded(new AbortController().signal);
    // Not started (CLI `once`, tests): hold the lock for this pass only.
    const lock = await acquireRunLock(this.configDir);
    try {
      return await this.passGuarded(new AbortController().signal);
    } finally {
      await lock.release();
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statePoll) clearInterval(this.statePoll);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    // Abandoning is safe at any instant (that is the crash-safety invariant); it is also quick.
    await this.scheduler?.stop(true);
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

  // ---- settings --------------------------------------------------------------------------

  getSettings(): Settings {
    return this.built.settings;
  }

  validateSettings(candidate: unknown): SettingsValidation {
    const result = validateSettings(candidate, this.opts.home ? { home: this.opts.home } : {});
    if (!result.ok) return result;
    const cron = result.settings.scheduleMode === 'cron' ? cronProblem(result.settings.cron) : null;
    if (cron) return { ok: false, issues: [{ field: 'cron', message: cron }] };
    try {
      renderRemoteRoot(result.settings.remoteRootTemplate, {
        site: result.settings.site,
        ...this.hostField(),
      });
    } catch (e) {
      return {
        ok: false,
        issues: [{ field: 'remoteRootTemplate', message: (e as Error).message }],
      };
    }
    return result;
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
          retry: { ...PASS_RETRY, ...this.opts.retry },
          ...this.hostField(),
        });
      }
    } catch (e) {
      this.logger.warn('Dropbox connection not usable', { reason: (e as Error).message });
    }
    await fs.mkdir(settings.watchDir, { recursive: true });
    await fs.mkdir(settings.transitDir, { recursive: true });
    await cleanupTransitTemps(settings.transitDir).catch(() => 0);
    const deps = buildPassDeps(settings, {
      remote,
      journal: this.journal,
      history: this.history,
      status: this.status,
      clock: this.clock,
      logger: this.logger,
    });
    this.built = { settings, deps, remote, blocked: null };
    // Known before any pass: say so at once, so status is right even before the first pass.
    if (remote) this.status.clear('auth-missing');
    else this.status.raise(legProblem(notConnected(), 0));
    this.status.update({
      archive: {
        ...this.status.current.archive,
        enabled: settings.archiveEnabled,
        path: settings.archiveDir,
      },
      dropbox: { ...this.status.current.dropbox, connected: remote !== null },
    });
    this.scheduler?.reconfigure(this.scheduleSpec());
  }

  private async remoteHashLookup(settings: Settings): Promise<RemoteHashLookup | null> {
    const creds = await this.loadCredentials();
    if (!creds) return null;
    return dropboxHashLookup(settings, creds, {
      clock: this.clock,
      logger: this.logger,
      retry: { ...DEFAULT_RETRY_POLICY, ...PASS_RETRY, ...this.opts.retry },
      ...this.hostField(),
    });
  }

  private async loadCredentials(): Promise<DropboxCredentials | null> {
    try {
      const creds = await this.credentials.load();
      if (creds) {
        registerSecret(creds.refreshToken);
        registerSecret(creds.appSecret);
      }
      return creds;
    } catch (e) {
      this.logger.warn('Dropbox credentials could not be read', { reason: (e as Error).message });
      return null;
    }
  }

  private async passGuarded(signal: AbortSignal): Promise<PassReport> {
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
      await this.health.afterPass(this.built.settings, signal);
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
      if (!report.uploadBlocked && deps.remote) await this.refreshAccount(false);
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
    if (!force && now - this.lastAccountMs < ACCOUNT_REFRESH_MS) return null;
    this.lastAccountMs = now;
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
