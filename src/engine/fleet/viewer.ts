// The fleet as a viewing machine reads it (`rdl-sync fleet`): only the settings a viewer needs,
// each taken from the settings file when valid there and from the defaults otherwise, because a
// viewer's other settings (site, folders) may well be unset: it syncs nothing. Such a machine is
// connected with `rdl-sync auth --app-key KEY`: the key is kept with the connection (the
// credentials file), not in the settings, which stay unset (a settings file with only a key
// would be a hub's settings with mistakes, not a viewer's).
import fs from 'node:fs/promises';
import { FileCredentialStore } from '../credentials/index.js';
import { finishPkceAuth, startPkceAuth, type PkceStart } from '../dropbox/auth.js';
import { registerSecret } from '../log/index.js';
import { configFilePath } from '../settings/paths.js';
import { settingsSchema, STATIC_DEFAULTS } from '../settings/schema.js';
import { settingsFileProblem } from '../settings/store.js';
import { fleetConnection, readFleet, type FleetReadSettings } from './fleet-reader.js';
import type { FleetView } from './types.js';

export type ViewerRead = { ok: true; view: FleetView } | { ok: false; reason: string };

/** What a viewer reads besides the settings file: another fleet folder (`fleet --folder`). */
export interface ViewerReadOptions {
  fleetFolder?: string;
}

export async function readFleetAsViewer(
  configDir: string,
  nowMs: number,
  options: ViewerReadOptions = {},
): Promise<ViewerRead> {
  const inFile = await readViewerSettings(configDir);
  let settings = inFile;
  if (options.fleetFolder !== undefined) {
    const folder = settingsSchema.shape.fleetFolder.safeParse(options.fleetFolder);
    if (!folder.success || !folder.data.startsWith('/')) {
      const why =
        folder.success || !options.fleetFolder.trim().startsWith('/')
          ? 'a Dropbox folder starts with / (for example /RDL/_fleet)'
          : (folder.error.issues[0]?.message ?? 'not a Dropbox folder');
      return { ok: false, reason: `--folder ${JSON.stringify(options.fleetFolder)}: ${why}.` };
    }
    settings = { ...inFile, fleetFolder: folder.data };
  }
  let creds;
  try {
    creds = await new FileCredentialStore(configDir).load();
  } catch (e) {
    return { ok: false, reason: `${(e as Error).message}.` };
  }
  if (!creds) {
    return {
      ok: false,
      reason:
        'Not connected to Dropbox: run `rdl-sync auth` first (a viewing machine needs only the app key and the connection).',
    };
  }
  const view = await readFleet({
    connection: fleetConnection(settings, creds),
    settings,
    configDir,
    nowMs,
  });
  return { ok: true, view };
}

async function readViewerSettings(configDir: string): Promise<FleetReadSettings> {
  const file = configFilePath(configDir);
  const problem = settingsFileProblem(file);
  if (problem) throw new Error(problem);
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse((await fs.readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // No settings file (a fresh viewer): the defaults name the same fleet folder as the hubs'.
  }
  const pick = <K extends keyof FleetReadSettings>(key: K): FleetReadSettings[K] => {
    const checked = settingsSchema.shape[key].safeParse(raw[key]);
    return checked.success ? (checked.data as FleetReadSettings[K]) : STATIC_DEFAULTS[key];
  };
  return {
    remoteRootTemplate: pick('remoteRootTemplate'),
    fleetFolder: pick('fleetFolder'),
    dropboxAppKey: pick('dropboxAppKey'),
    dropboxEndpoint: pick('dropboxEndpoint'),
  };
}

/** Starts connecting a viewing machine with `appKey` (the endpoint from its settings file, if any). */
export async function beginViewerConnection(configDir: string, appKey: string): Promise<PkceStart> {
  const { dropboxEndpoint } = await readViewerSettings(configDir);
  const start = await startPkceAuth({ appKey, endpoint: dropboxEndpoint });
  registerSecret(start.codeVerifier);
  return start;
}

/**
 * Trades the pasted code for a connection and keeps it, with `appKey`, in the credentials file
 * (0600); the settings are not written. Returns where it was kept.
 */
export async function finishViewerConnection(
  configDir: string,
  appKey: string,
  codeVerifier: string,
  code: string,
): Promise<{ where: string; account: { displayName: string; email: string } | null }> {
  const settings = await readViewerSettings(configDir);
  const { dropboxEndpoint } = settings;
  const result = await finishPkceAuth({
    appKey,
    endpoint: dropboxEndpoint,
    codeVerifier,
    code,
  });
  const store = new FileCredentialStore(configDir);
  const creds = { appKey: appKey.trim(), refreshToken: result.refreshToken };
  await store.save(creds);
  // Whose Dropbox it is, so the person sees they connected the right one; the connection is
  // kept even when this one call fails (the fleet read says what is wrong then).
  const account = await fleetConnection(settings, creds)
    .call((c) => c.usersGetCurrentAccount())
    .then((r) => ({ displayName: r.result.name.display_name, email: r.result.email }))
    .catch(() => null);
  return { where: store.describe().where, account };
}
