// The one way the engine and its front ends open Dropbox with a saved connection: the pass's store,
// retention's hash look-ups and `rdl-sync doctor` must reach the same account the same way. The
// app key is the one saved with the credentials; a copy saved without one uses the settings' key.
import type { DropboxCredentials } from '../credentials/index.js';
import type { Settings } from '../settings/schema.js';
import { createDropboxConnection, type DropboxConnection } from './connection.js';

export function connectSavedDropbox(
  settings: Pick<Settings, 'dropboxAppKey' | 'dropboxEndpoint'>,
  creds: DropboxCredentials,
): DropboxConnection {
  return createDropboxConnection({
    appKey: creds.appKey || settings.dropboxAppKey,
    ...(creds.appSecret ? { appSecret: creds.appSecret } : {}),
    refreshToken: creds.refreshToken,
    endpoint: settings.dropboxEndpoint,
  });
}
