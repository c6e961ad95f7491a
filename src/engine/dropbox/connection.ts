// One authenticated link to Dropbox: the SDK's DropboxAuth + Dropbox, wired to the configurable
// endpoint, with the two things the SDK leaves out: refreshing once when the server refuses an
// access token (401), and not refreshing N times when N requests start together.
import { Dropbox, DropboxAuth } from 'dropbox';
import type { AccessToken } from '../credentials/types.js';
import { SyncError } from '../errors.js';
import { registerSecret } from '../log/index.js';
import { classifyDropboxError, isAccessTokenRejected, isDropboxHttpError } from './classify.js';
import { endpointFetch, normaliseEndpoint } from './endpoint-fetch.js';
import { nodeHttpFetch } from '../net/http-fetch.js';

export interface DropboxConnectionConfig {
  appKey: string;
  /** Only for apps that are not PKCE clients; RDL Sync itself uses none. */
  appSecret?: string;
  refreshToken: string;
  /** '' or undefined = real Dropbox; otherwise a base URL such as http://127.0.0.1:8080. */
  endpoint?: string;
  /**
   * Default: nodeHttpFetch (sends upload chunks without copying them). Another must send its
   * StreamedBody bodies too (large files' appends), e.g. by wrapping nodeHttpFetch.
   */
  fetchImpl?: typeof fetch;
  /** An access token an earlier process kept (CredentialStore.load): used until it expires. */
  access?: AccessToken;
  /** Told each new access token (to keep it for the next process). */
  onAccessToken?: (access: AccessToken) => void;
  /** The token endpoint refused the refresh token (revoked, or another app's). */
  onRefreshRefused?: () => void;
}

export interface DropboxConnection {
  readonly client: Dropbox;
  readonly auth: DropboxAuth;
  readonly endpoint: string;
  /**
   * Runs one SDK call. If Dropbox refuses the access token (expired early, clock skew), the token
   * is refreshed and the call made once more. A failed refresh rejects with the raw SDK error,
   * which classifies as auth-revoked.
   */
  call<T>(fn: (client: Dropbox) => Promise<T>): Promise<T>;
}

/** DropboxAuth whose refreshes are shared by everyone who asks while one is running. */
class SharedRefreshAuth extends DropboxAuth {
  private running: Promise<void> | undefined;
  onAccessToken?: (access: AccessToken) => void;
  onRefreshRefused?: () => void;

  override refreshAccessToken(scope?: Array<string>): Promise<void> {
    this.running ??= super
      .refreshAccessToken(scope)
      .then(
        () => {
          const token = this.getAccessToken();
          const expiresAt = this.getAccessTokenExpiresAt();
          registerSecret(token);
          if (token && expiresAt) this.onAccessToken?.({ token, expiresAtMs: expiresAt.getTime() });
        },
        (e: unknown) => {
          if (isDropboxHttpError(e) && e.status >= 400 && e.status < 500) this.onRefreshRefused?.();
          throw e;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  override checkAndRefreshAccessToken(): Promise<void> {
    // While a refresh runs, the current token is about to be replaced: wait for it.
    return this.running ?? super.checkAndRefreshAccessToken();
  }
}

export function createDropboxConnection(cfg: DropboxConnectionConfig): DropboxConnection {
  if (cfg.appKey.trim() === '') {
    throw new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message:
        'No Dropbox app key is set: enter the app key from the Dropbox App Console in the settings (headless: rdl-sync settings set dropboxAppKey KEY)',
    });
  }
  if (cfg.refreshToken.trim() === '') {
    throw new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message:
        'RDL Sync is not connected to Dropbox: connect it (window: Connect to Dropbox; headless: rdl-sync auth)',
    });
  }
  const endpoint = normaliseEndpoint(cfg.endpoint);
  const fetchImpl = endpointFetch(endpoint, cfg.fetchImpl ?? nodeHttpFetch);
  const auth = new SharedRefreshAuth({
    clientId: cfg.appKey.trim(),
    ...(cfg.appSecret ? { clientSecret: cfg.appSecret } : {}),
    refreshToken: cfg.refreshToken.trim(),
    fetch: fetchImpl,
  });
  if (cfg.access) {
    // The SDK refreshes by itself once less than 5 minutes are left, and call() below when
    // Dropbox refuses it sooner (revoked, or this machine's clock was wrong).
    auth.setAccessToken(cfg.access.token);
    auth.setAccessTokenExpiresAt(new Date(cfg.access.expiresAtMs));
  }
  if (cfg.onAccessToken) auth.onAccessToken = cfg.onAccessToken;
  if (cfg.onRefreshRefused) auth.onRefreshRefused = cfg.onRefreshRefused;
  const client = new Dropbox({ auth, fetch: fetchImpl });

  async function call<T>(fn: (c: Dropbox) => Promise<T>): Promise<T> {
    const sentWith = auth.getAccessToken();
    try {
      return await fn(client);
    } catch (e) {
      if (!isAccessTokenRejected(e)) throw e;
      // Requests sent together with a stale token are refused one by one: one refused after
      // another's refresh has ended only needs the new token (it refreshed a second time, and a
      // `once` started on an expired kept token made two refreshes instead of one).
      if (auth.getAccessToken() === sentWith) await auth.refreshAccessToken();
      try {
        return await fn(client);
      } catch (again) {
        // A token refused right after a successful refresh: access is gone, not stale.
        if (isAccessTokenRejected(again)) throw classifyDropboxError(again);
        throw again;
      }
    }
  }

  return { client, auth, endpoint, call };
}
