// Builds the pipeline's parts (pass dependencies, the Dropbox store) from the saved settings and
// credentials, and says why passes cannot run when the settings are invalid. Rebuilds are
// serialised: one settings change is one rebuild, and two changes in a row never build
// concurrently into the same fields (a save used to rebuild twice at once: the save and the
// file watcher's echo of it).
import { SyncError } from '../errors.js';
import type { Clock, Logger, RemoteStore } from '../ports.js';
import type { Settings } from '../settings/schema.js';
import { defaultSettings } from '../settings/defaults.js';
import { setupNeeded } from '../settings/setup-needed.js';
import { remoteRootNow, usesDate } from '../settings/remote-root.js';
import type { PassDeps } from '../pipeline/deps.js';
import { notConnected } from '../pipeline/problems.js';
import { buildPassDeps, buildRemote } from '../assemble.js';
import type { Journal } from '../journal/index.js';
import type { History } from '../history/index.js';
import type { RetryPolicy } from '../retry-policy.js';
import type { PassEvent } from '../pipeline/events.js';
import type { RetentionNote } from '../archive/problems.js';
import type { EngineEvent } from '../status/engine-events.js';
import type { DropboxAccount } from './dropbox-account.js';
import type { SettingsService } from './settings-service.js';
import type { AnswerOptions } from '../archive/card-answers.js';
import type { TransitDiskRecord } from '../stage/index.js';

export interface Built {
  settings: Settings;
  deps: PassDeps | null;
  remote: RemoteStore | null;
  /** Why passes cannot run (invalid settings), or null. */
  blocked: SyncError | null;
  /** The Dropbox folder the store was built for, or why there was none; null: not usable. */
  remoteRoot: RootAt | null;
}

/** The Dropbox folder for an instant, or why there is none (the clock not set yet). */
type RootAt = { root: string } | { problem: SyncError };

function sameRoot(a: RootAt, b: RootAt): boolean {
  return 'root' in a
    ? 'root' in b && a.root === b.root
    : 'problem' in b && a.problem.code === b.problem.code;
}

function rootWords(at: RootAt): string {
  return 'root' in at ? at.root : `none (${at.problem.code})`;
}

export interface PipelineBuilderDeps {
  settings: SettingsService;
  account: DropboxAccount;
  journal: Journal;
  history: History;
  clock: Clock;
  logger: Logger;
  home?: string;
  host?: string;
  /** The retry policy of one pass's Dropbox calls. */
  retry: Partial<RetryPolicy>;
  /** Where the pass's events go (the engine's status reducer). */
  emit: (event: PassEvent) => void;
  /** Where what a build learnt goes (the same reducer): the status rules live there. */
  report: (event: EngineEvent) => void;
  /** Runs after each build (new folders, the new schedule). */
  afterBuild: () => Promise<void>;
  /** Archive retention now, for the advice when the archive is full (hub-health.ts). */
  retentionNote?: (settings: Settings) => RetentionNote;
  /** How long a call on the archive may take (archive/card-answers.ts); tests shorten it. */
  archiveAnswers?: AnswerOptions;
  /** How long a connection to Dropbox may stay silent (net/http-fetch.ts); tests shorten it. */
  dropboxIdleMs?: number;
  /** Which transit folder is a disk of its own, kept across restarts (stage/transit-disk-record.ts). */
  transitDisk?: TransitDiskRecord;
}

export class PipelineBuilder {
  private current: Built | null = null;
  /**
   * The settings built are the file's, now or at an earlier build of this process: not the
   * defaults standing in for a file that could never be used (the alerts then look elsewhere).
   */
  private fromFile = false;
  private chain: Promise<void> = Promise.resolve();
  /**
   * The saved connection's files (DropboxAccount.savedStamp) as the last build found them: the
   * pass runner rebuilds when they change, so a reconnect made elsewhere replaces a revoked token.
   */
  savedStampAtBuild: string | null = null;

  constructor(private readonly deps: PipelineBuilderDeps) {}

  get settingsInForce(): boolean {
    return this.fromFile;
  }

  get built(): Built {
    if (!this.current) throw new Error('the pipeline is used before it was built');
    return this.current;
  }

  /**
   * The Dropbox folder has moved since the store was built: the template names the month and it
   * turned, or the clock was set (NTP after a boot without network) or stepped. The store is built
   * for one folder; a pass then rebuilds it, so new uploads go where the date now says.
   */
  remoteRootMoved(): { from: string; to: string } | null {
    const built = this.current;
    const was = built?.remoteRoot;
    if (!built?.deps || !was || !usesDate(built.settings.remoteRootTemplate)) return null;
    let now: RootAt;
    try {
      now = this.remoteRootNow(built.settings);
    } catch {
      return null; // the settings' own mistake, reported by the build
    }
    return sameRoot(was, now) ? null : { from: rootWords(was), to: rootWords(now) };
  }

  private remoteRootNow(settings: Settings): RootAt {
    try {
      return remoteRootNow(
        settings.remoteRootTemplate,
        { site: settings.site, ...(this.deps.host ? { host: this.deps.host } : {}) },
        this.deps.clock.now(),
      );
    } catch (e) {
      if (e instanceof SyncError) return { problem: e };
      throw e;
    }
  }

  /** Builds again; waits for a build in progress first, so builds never overlap. */
  rebuild(reason: string): Promise<void> {
    const next = this.chain.then(() => this.build(reason));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async build(reason: string): Promise<void> {
    const { settings: store, logger } = this.deps;
    const loaded = store.load();
    const settings = loaded.ok
      ? loaded.settings
      : (this.current?.settings ?? defaultSettings(this.deps.home));
    if (!loaded.ok) {
      // Never configured: "setup needed", not an error (settings/setup-needed.ts). Issue 11.
      const setup = store.hasSettings() ? null : setupNeeded();
      const message =
        setup?.message ??
        `Settings need fixing: ${loaded.issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')}`;
      this.deps.report({
        type: 'settings-rejected',
        setupNeeded: setup !== null,
        message,
        archiveEnabled: settings.archiveEnabled,
        archiveDir: settings.archiveDir,
        archiveIsCard: settings.archiveMustBeMountPoint,
      });
      this.current = {
        settings,
        deps: null,
        remote: null,
        blocked: setup ?? new SyncError({ kind: 'blocked', code: 'settings-invalid', message }),
        remoteRoot: null,
      };
      logger.debug('pipeline rebuilt', { reason, usable: false });
      return;
    }
    this.fromFile = true;
    const { account } = this.deps;
    // Taken before reading: a save racing this read shows up as a change before the next pass.
    const stampBefore = this.savedStampAtBuild;
    this.savedStampAtBuild = await account.savedStamp();
    const connectionSaved = stampBefore !== null && stampBefore !== this.savedStampAtBuild;
    // Another account, or the same one reconnected: its card is asked for at the next pass.
    if (connectionSaved) account.dueNow();
    const creds = await account.load();
    let remote: RemoteStore | null = null;
    const rootNow = this.remoteRootNow(settings);
    try {
      if (creds && 'root' in rootNow) {
        remote = buildRemote(settings, creds, {
          journal: this.deps.journal,
          clock: this.deps.clock,
          logger,
          retry: this.deps.retry,
          remoteRoot: rootNow.root,
          accessTokens: account.accessTokens,
          ...(this.deps.host ? { host: this.deps.host } : {}),
          ...(this.deps.dropboxIdleMs ? { idleMs: this.deps.dropboxIdleMs } : {}),
          onWait: (wait) => this.deps.report({ type: 'dropbox-waits', wait }),
        });
      }
    } catch (e) {
      logger.warn('Dropbox connection not usable', { reason: (e as Error).message });
    }
    // Not connected says more than a clock not set yet: connecting is what a person must do first.
    const waitsForClock = account.problem === null && creds !== null && 'problem' in rootNow;
    const remoteMissing = account.problem ?? (waitsForClock ? rootNow.problem : notConnected());
    const note = this.deps.retentionNote;
    const deps = buildPassDeps(settings, {
      remote,
      ...(remote ? {} : { remoteMissing }),
      journal: this.deps.journal,
      history: this.deps.history,
      emit: this.deps.emit,
      clock: this.deps.clock,
      logger,
      ...(note ? { retention: () => note(settings) } : {}),
      ...(this.deps.archiveAnswers ? { archiveAnswers: this.deps.archiveAnswers } : {}),
      ...(this.deps.transitDisk ? { transitDisk: this.deps.transitDisk } : {}),
    });
    this.current = { settings, deps, remote, blocked: null, remoteRoot: rootNow };
    if ('problem' in rootNow && creds) logger.warn(rootNow.problem.message);
    // Auth missing is known before any pass: see 'pipeline-built' in status/reducer.ts.
    this.deps.report({
      type: 'pipeline-built',
      remoteMissing: remote ? null : remoteMissing,
      dropboxConnected: remote !== null || waitsForClock,
      connectionSaved: connectionSaved && remote !== null,
      archiveEnabled: settings.archiveEnabled,
      archiveDir: settings.archiveDir,
      archiveIsCard: settings.archiveMustBeMountPoint,
    });
    logger.debug('pipeline rebuilt', { reason, usable: true });
    await this.deps.afterBuild();
  }
}
