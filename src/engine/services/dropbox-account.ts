// The Dropbox account: the saved connection (credentials), the one PKCE pair that makes one
// (begin: authorize URL + verifier; finish: verifier + pasted code -> saved refresh token), and
// the account check that fills the status card. The window's two-call flow keeps the verifier
// here between its calls; the CLI keeps it in a file across its two processes. Same pair.
import fs from 'node:fs/promises';
import path from 'node:path';
import { SyncError, isSyncError } from '../errors.js';
import {
  monotonicNow,
  type AccountInfo,
  type Clock,
  type Logger,
  type RemoteStore,
} from '../ports.js';
import type { Settings } from '../settings/schema.js';
import {
  CREDENTIALS_FILE,
  ENCRYPTED_CREDENTIALS_FILE,
  type CredentialStore,
  type DropboxCredentials,
} from '../credentials/index.js';
import type { AccessTokenKeeper } from '../dropbox/saved-connection.js';
import { registerSecret } from '../log/index.js';
import { startPkceAuth, finishPkceAuth } from '../dropbox/auth.js';
import { isLoginRevoked } from '../dropbox/classify.js';
import type { StatusModel } from '../status/model.js';
import { readStatusFile, type PublishedStatus } from '../status/status-file.js';
import type { EngineEvent } from '../status/engine-events.js';

/** The account card (name, quota) is refreshed at most this often after passes. */
const ACCOUNT_REFRESH_MS = 10 * 60_000;
/** A check that failed (a 503, the link down) is tried again after this, not 10 minutes later. */
const ACCOUNT_RETRY_MS = 60_000;
/**
 * Bytes sent since the card's last figures that make "used" stale enough to ask again at the next
 * pass: a tenth of what it said was used, and at least this. A trial's status said "1.8 MB used"
 * for 4 minutes after 1.07 GB went up; a few small files a pass ask no more than before.
 */
export const USAGE_STALE_MIN_BYTES = 32 * 1024 * 1024;

export interface DropboxAccountDeps {
  configDir: string;
  credentials: CredentialStore;
  clock: Clock;
  logger: Logger;
  status: StatusModel;
  /** Where what the account learns of the status rules goes (the engine's status reducer). */
  report: (event: EngineEvent) => void;
}

export class DropboxAccount {
  /** Why the saved connection cannot be used by this process, or null. */
  problem: SyncError | null = null;
  private pendingVerifier: string | null = null;
  /** Monotonic time of the last account check (null: never), so a clock step cannot skip one. */
  private lastAccountMono: number | null = null;
  /** Bytes sent to Dropbox since the card's figures were last asked for (see noteSent). */
  private sentSinceUsage = 0;
  /** "Used" as the card last said (null: not known yet). */
  private lastUsedBytes: number | null = null;

  constructor(private readonly deps: DropboxAccountDeps) {}

  describe(): { encrypted: boolean; where: string } {
    return this.deps.credentials.describe();
  }

  // ---- the PKCE pair ---------------------------------------------------------------------

  async begin(s: Settings): Promise<{ authorizeUrl: string; codeVerifier: string }> {
    const start = await startPkceAuth({ appKey: s.dropboxAppKey, endpoint: s.dropboxEndpoint });
    registerSecret(start.codeVerifier);
    return start;
  }

  /** Trades the pasted code for a refresh token and saves it. */
  async finish(s: Settings, codeVerifier: string, code: string): Promise<void> {
    const result = await finishPkceAuth({
      appKey: s.dropboxAppKey,
      endpoint: s.dropboxEndpoint,
      codeVerifier,
      code,
    });
    await this.deps.credentials.save({
      appKey: s.dropboxAppKey,
      refreshToken: result.refreshToken,
    });
  }

  /** begin() for a caller in this process: the verifier stays here until finish. */
  async beginHere(s: Settings): Promise<{ authorizeUrl: string }> {
    const { authorizeUrl, codeVerifier } = await this.begin(s);
    this.pendingVerifier = codeVerifier;
    return { authorizeUrl };
  }

  /** The verifier beginHere() kept; a finish without a start is told what to do first. */
  keptVerifier(): string {
    if (!this.pendingVerifier) {
      throw new SyncError({
        kind: 'blocked',
        code: 'auth-missing',
        message: 'Start connecting first (Connect to Dropbox), then paste the code Dropbox shows',
      });
    }
    return this.pendingVerifier;
  }

  forgetVerifier(): void {
    this.pendingVerifier = null;
  }

  // ---- the saved connection --------------------------------------------------------------

  async save(creds: DropboxCredentials): Promise<void> {
    await this.deps.credentials.save(creds);
  }

  async clear(): Promise<void> {
    await this.deps.credentials.clear();
  }

  /** Where each refresh's access token is kept for the next process (the connection's store). */
  get accessTokens(): AccessTokenKeeper {
    return this.deps.credentials;
  }

  /**
   * Null when there is no usable connection; then `problem` says why when a saved one exists but
   * cannot be used here (e.g. only the tray app's keyring-encrypted file), so the status names
   * the cause and the fix instead of a bare "not connected".
   */
  async load(): Promise<DropboxCredentials | null> {
    try {
      const creds = await this.deps.credentials.load();
      if (creds) {
        registerSecret(creds.refreshToken);
        registerSecret(creds.appSecret);
      }
      this.problem = null;
      return creds;
    } catch (e) {
      // The stores' messages name files, causes and fixes, never the secret.
      const reason = (e as Error).message;
      // Once per cause, not on every pass while it lasts.
      const known = this.problem?.message.includes(reason) ?? false;
      this.problem = isSyncError(e)
        ? e
        : new SyncError({
            kind: 'blocked',
            code: 'auth-missing',
            message: `The saved Dropbox connection could not be read (${reason}): reconnect Dropbox (Connect in Settings, or rdl-sync auth)`,
          });
      if (!known) this.deps.logger.warn('Dropbox credentials could not be read', { reason });
      return null;
    }
  }

  /**
   * The identity of the saved connection's files (either store's may be the one in use): when it
   * changes, `rdl-sync auth` in another process or the tray app saved a connection. Two stats,
   * cheap enough for every pass.
   */
  async savedStamp(): Promise<string> {
    const parts = await Promise.all(
      [CREDENTIALS_FILE, ENCRYPTED_CREDENTIALS_FILE].map((name) =>
        fs.stat(path.join(this.deps.configDir, name)).then(
          (st) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`,
          () => '-',
        ),
      ),
    );
    return parts.join('|');
  }

  // ---- the account card ------------------------------------------------------------------

  /**
   * Asks Dropbox who we are (at most every ACCOUNT_REFRESH_MS unless `force`). `signal`: the pass
   * it runs beside; a stop gives up the check's retries (offline, they held a stop for 5 s).
   */
  async refresh(
    remote: RemoteStore | null,
    force: boolean,
    signal?: AbortSignal,
  ): Promise<AccountInfo | null> {
    if (!remote) return null;
    const { clock, status, logger } = this.deps;
    const now = clock.now();
    const mono = monotonicNow(clock);
    if (!force && this.lastAccountMono !== null && mono - this.lastAccountMono < ACCOUNT_REFRESH_MS)
      return null;
    this.lastAccountMono = mono;
    const sentBefore = this.sentSinceUsage;
    try {
      const a = await remote.account(signal);
      // (Bytes sent while it was asked may or may not be counted in it: kept, to err on asking.)
      this.sentSinceUsage = Math.max(0, this.sentSinceUsage - sentBefore);
      this.lastUsedBytes = a.usedBytes;
      status.update({
        dropbox: {
          connected: true,
          accountName: a.displayName,
          email: a.email,
          usedBytes: a.usedBytes,
          allocatedBytes: a.allocatedBytes,
          lastContactMs: now,
        },
      });
      this.deps.report({ type: 'login-answered', refused: null });
      return a;
    } catch (e) {
      // Tried again soon: the card then showed a quota from 10 minutes before "Dropbox is full".
      this.lastAccountMono = mono - ACCOUNT_REFRESH_MS + ACCOUNT_RETRY_MS;
      if (signal?.aborted) return null; // stopped: nothing went wrong with the account
      logger.warn('account check failed', { reason: (e as Error).message });
      // A quiet hub's passes may not call Dropbox for a day; this check still does, every few
      // minutes, and a revoked login it meets was only this log line.
      if (isLoginRevoked(e)) this.deps.report({ type: 'login-answered', refused: e });
      return null;
    }
  }

  /**
   * The account card is asked for again at the next pass: Dropbox said it is full, or another
   * connection was saved. The status said "Dropbox is full" beside "0 B used of 2.2 TB" for up to
   * 10 minutes (unattended-hub trial).
   */
  dueNow(): void {
    this.lastAccountMono = null;
  }

  /** A pass sent `bytes` to Dropbox: once "used" is stale by enough, the card is due again. */
  noteSent(bytes: number): void {
    if (bytes <= 0) return;
    this.sentSinceUsage += bytes;
    const stale = Math.max(USAGE_STALE_MIN_BYTES, (this.lastUsedBytes ?? 0) / 10);
    if (this.sentSinceUsage >= stale) this.dueNow();
  }

  /**
   * When Dropbox last answered, as the process before this one published it: the status says
   * "Last reached" from it until this process reaches Dropbox itself. Before, a `once` run with
   * the network down published "never", and a status read after it said the hub had never
   * reached Dropbox. Only ever moves forward (a contact of this process is newer). `last`: the
   * status file as this process found it (engine.init reads it once for everything it recalls).
   */
  recallLastContact(last: PublishedStatus | null): void {
    const before = last?.status?.dropbox?.lastContactMs;
    if (typeof before !== 'number' || !Number.isFinite(before)) return;
    const { status } = this.deps;
    const current = status.current.dropbox.lastContactMs;
    if (current !== null && current >= before) return;
    status.update({ dropbox: { ...status.current.dropbox, lastContactMs: before } });
  }

  /**
   * The last daemon's word on the connection (status.json keeps its final snapshot): a revoked
   * token it met stays "not connected" until the credentials are saved again.
   */
  async recallLastDaemonsWord(connected: boolean): Promise<void> {
    const { configDir } = this.deps;
    const last = await readStatusFile(configDir);
    if (!last || last.pid !== null) return;
    const authProblem = last.status.problems.find(
      (p) => p.code === 'auth-revoked' || p.code === 'auth-missing',
    );
    if (!authProblem || !connected) return;
    const where = this.describe().where;
    const savedMs = await fs.stat(where).then(
      (st) => st.mtimeMs,
      () => 0,
    );
    if (savedMs > last.updatedAtMs) return; // reconnected since
    const { sinceMs: _since, ...problem } = authProblem;
    this.deps.report({ type: 'last-daemons-word', problem });
  }
}
