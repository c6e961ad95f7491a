// A fleet folder inside the site's data folder, refused where a person types it (`settings set`,
// the window's save), as smtp-words.ts refuses SMTP values: saved, the hub synced on and only the
// Fleet tab, much later, said that no heartbeat was ever written. Not in the schema: a settings
// file already holding it would then stop the hub's syncing at its next start over a heartbeat.

import type { FieldIssue } from '../api.js';
import { fleetFolderFor, fleetFolderProblem } from '../fleet/fleet-folder.js';
import { renderRemoteRoot } from './remote-root.js';
import type { Settings } from './schema.js';

/** The settings that decide where heartbeats go and where the data goes. */
const DECIDING = ['fleetFolder', 'remoteRootTemplate', 'site', 'fleetHeartbeatEnabled'] as const;

/** Whether typing these settings can put the heartbeats into the data (worth the check). */
export function decidesFleetFolder(typed: Iterable<string>): boolean {
  for (const k of typed) if ((DECIDING as readonly string[]).includes(k)) return true;
  return false;
}

/**
 * Why `settings`, after `typed` were changed, would write heartbeats into the site's data, as an
 * issue on the first typed field that decides it; null when they would not, when the heartbeat
 * is off, or when none of those fields was typed (an old value is the heartbeat's to report).
 */
export function fleetFolderTypedIssue(
  settings: Settings,
  typed: ReadonlySet<string>,
  wordsFor: 'cli' | 'form' = 'cli',
  host?: string,
): FieldIssue | null {
  if (!settings.fleetHeartbeatEnabled) return null;
  const field = DECIDING.find((k) => typed.has(k));
  if (!field) return null;
  let remoteRoot: string;
  try {
    remoteRoot = renderRemoteRoot(settings.remoteRootTemplate, {
      site: settings.site,
      ...(host ? { host } : {}),
    });
  } catch {
    return null; // the settings' own validation names what is wrong with the remote folder
  }
  const folder = fleetFolderFor(settings.remoteRootTemplate, settings.fleetFolder);
  if (!fleetFolderProblem(folder, remoteRoot)) return null;
  const fleetFolder = wordsFor === 'cli' ? 'fleetFolder' : 'Fleet folder';
  const fix =
    settings.fleetFolder.trim() === ''
      ? `choose another site name, or set ${fleetFolder} to a folder outside ${remoteRoot}`
      : `leave ${fleetFolder} empty (beside the site folders) or choose a folder outside ${remoteRoot}`;
  return {
    field,
    message: `Heartbeats would go to ${folder}, inside this site's data folder ${remoteRoot}, and be mixed into its data: ${fix}`,
  };
}
