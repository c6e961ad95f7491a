// One authenticated link to Dropbox: the SDK's DropboxAuth + Dropbox, wired to the configurable
// endpoint, with the two things the SDK leaves out: refreshing once when the server refuses an
// access token (401), and not refreshing N times when N requests start together.
import { Dropbox, DropboxAuth } from 'dropbox';
import { SyncError } from '../errors.js';
import { classifyDropboxError, isAccessTokenRejected } from './classify.js';
import { endpointFetch, normaliseEndpoint } from './endpoint-fetch.js';
import { nodeHttpFetch } from './http-fetch.js';

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

  override refreshAccessToken(scope?: Array<string>): Promise<void> {
    this.running ??= super.refreshAccessToken(scope).finally(() => {
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
  const client = new Dropbox({ auth, fetch: fetchImpl });

  async function call<T>(fn: (c: Dropbox) => Promise<T>): Promise<T> {
    try {
      return await fn(client);
    } catch (e) {
      if (!isAccessTokenRejected(e)) throw e;
      await auth.refreshAccessToken();
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
