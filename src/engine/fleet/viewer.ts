// The fleet as a viewing machine reads it (`rdl-sync fleet`): only the settings a viewer needs,
// each taken from the settings file when valid there and from the defaults otherwise, because a
// viewer's other settings (site, folders) may well be unset: it syncs nothing.
import fs from 'node:fs/promises';
import { FileCredentialStore } from '../credentials/index.js';
import { configFilePath } from '../settings/paths.js';
import { settingsSchema, STATIC_DEFAULTS } from '../settings/schema.js';
import { settingsFileProblem } from '../settings/store.js';
import { fleetConnection, readFleet, type FleetReadSettings } from './fleet-reader.js';
import type { FleetView } from './types.js';

export type ViewerRead = { ok: true; view: FleetView } | { ok: false; reason: string };

export async function readFleetAsViewer(configDir: string, nowMs: number): Promise<ViewerRead> {
  const settings = await readViewerSettings(configDir);
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
