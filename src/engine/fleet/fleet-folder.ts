// Where the fleet's heartbeats live on Dropbox. By default beside the site folders: the remote
// folder template cut before its first per-site field, plus `_fleet`, so
// `/Professional/WIRED/{site}` puts them in `/Professional/WIRED/_fleet`. Never inside a data
// folder (downstream tools read every file below a site) and never a `.txt` (they concatenate
// every `.txt` of a site): heartbeats are `<site>.json`.
import { SyncError } from '../errors.js';

export const FLEET_FOLDER_NAME = '_fleet';

/** Fields that differ per site or per time: a folder below one of them is a data folder. */
const TEMPLATED = /\{(site|host|year|month)\}/;

/**
 * The fleet folder for these settings. `configured` (the fleetFolder setting) wins when set;
 * otherwise it is derived from the template alone, so a machine that syncs nothing (no site
 * name) finds the same folder as the hubs.
 */
export function fleetFolderFor(remoteRootTemplate: string, configured: string): string {
  const chosen = configured.trim();
  if (chosen !== '') return normalise(chosen);
  const segments = remoteRootTemplate
    .trim()
    .split('/')
    .filter((s) => s !== '');
  const firstTemplated = segments.findIndex((s) => TEMPLATED.test(s));
  // No per-site field: the data folder is the whole template; the fleet folder goes beside it.
  const parent = firstTemplated === -1 ? segments.slice(0, -1) : segments.slice(0, firstTemplated);
  return `/${[...parent, FLEET_FOLDER_NAME].join('/')}`;
}

/**
 * Why `fleetFolder` may not hold heartbeats with this data folder (`remoteRoot`, rendered), or
 * null. Inside the data folder, a heartbeat would be mixed into the site's data.
 */
export function fleetFolderProblem(fleetFolder: string, remoteRoot: string): string | null {
  const f = fleetFolder.toLowerCase();
  const r = remoteRoot.toLowerCase();
  if (f === r || f.startsWith(`${r}/`)) {
    return `The fleet folder ${fleetFolder} is inside the data folder ${remoteRoot}: heartbeats would be mixed into the site's data; leave fleetFolder empty (beside the site folders) or choose a folder outside ${remoteRoot}`;
  }
  return null;
}

/** `<folder>/<site>.json`. The site name is already checked by the settings (no / or \). */
export function heartbeatPath(fleetFolder: string, site: string): string {
  const name = site.trim();
  if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-invalid',
      message: `The site name "${site}" cannot name a heartbeat file: enter the site name in the settings`,
    });
  }
  return `${fleetFolder === '/' ? '' : fleetFolder}/${name}.json`;
}

function normalise(folder: string): string {
  const segments = folder.split('/').filter((s) => s !== '');
  return `/${segments.join('/')}`;
}
