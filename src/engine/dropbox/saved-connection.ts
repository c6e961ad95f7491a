// The one way the engine and its front ends open Dropbox with a saved connection: the pass's store,
// retention's hash look-ups and `rdl-sync doctor` must reach the same account the same way. The
// app key is the one saved with the credentials; a copy saved without one uses the settings' key.
// With the store it came from, the access token each refresh gets is kept for the next process
// (and dropped when the refresh token is refused).
import type { CredentialStore, DropboxCredentials } from '../credentials/index.js';
import type { Settings } from '../settings/schema.js';
import { createDropboxConnection, type DropboxConnection } from './connection.js';

export type AccessTokenKeeper = Pick<CredentialStore, 'keepAccessToken' | 'forgetAccessToken'>;

export function connectSavedDropbox(
  settings: Pick<Settings, 'dropboxAppKey' | 'dropboxEndpoint'>,
  creds: DropboxCredentials,
  keeper?: AccessTokenKeeper,
  fetchImpl?: typeof fetch,
): DropboxConnection {
  return createDropboxConnection({
    ...(fetchImpl ? { fetchImpl } : {}),
    appKey: creds.appKey || settings.dropboxAppKey,
    ...(creds.appSecret ? { appSecret: creds.appSecret } : {}),
    refreshToken: creds.refreshToken,
    endpoint: settings.dropboxEndpoint,
    ...(creds.access ? { access: creds.access } : {}),
    ...(keeper
      ? {
          // Best effort: failing to keep it costs the next process one refresh, nothing more.
          onAccessToken: (access) =>
            void keeper.keepAccessToken(creds.refreshToken, access).catch(() => undefined),
          onRefreshRefused: () => void keeper.forgetAccessToken().catch(() => undefined),
        }
      : {}),
  });
}
