// Where the old syncer's folders are on a hub. Two generations of names are in the field:
//   logging-folder/1_inprogress 2_tosync 3_transit 4_synced   (current hubs, Raspberry Pi)
//   inprogress tosync transit synced                          (older hubs)
// The folders sit either directly in the given root or in its `logging-folder/`. `inprogress`
// holds files still growing: it is found (and named in the report) only so it is never watched.
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type LegacyNaming = 'numbered' | 'plain';

export interface LegacyLayout {
  /** The folder holding the four stage folders. */
  base: string;
  naming: LegacyNaming;
  inProgress: string;
  toSync: string;
  transit: string;
  synced: string;
}

const NAMES: Record<LegacyNaming, [string, string, string, string]> = {
  numbered: ['1_inprogress', '2_tosync', '3_transit', '4_synced'],
  plain: ['inprogress', 'tosync', 'transit', 'synced'],
};

/** The sub-folder of the syncer's working directory that holds the stage folders. */
export const LOGGING_FOLDER = 'logging-folder';

/**
 * The old syncer's working folder for the folder holding the stage folders: its parent when that
 * is a `logging-folder` (/home/pi/SHELF3), else that folder itself (older layouts).
 */
export function syncerWorkingFolder(stagesBase: string): string {
  return basename(stagesBase) === LOGGING_FOLDER ? dirname(stagesBase) : stagesBase;
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function layoutAt(base: string, naming: LegacyNaming): LegacyLayout {
  const [inProgress, toSync, transit, synced] = NAMES[naming].map((n) => join(base, n)) as [
    string,
    string,
    string,
    string,
  ];
  return { base, naming, inProgress, toSync, transit, synced };
}

/** The places a layout is looked for, given a root (or the folder the old config.json is in). */
export function layoutCandidates(root: string): string[] {
  return [root, join(root, LOGGING_FOLDER)];
}

/**
 * Finds the layout below `root`: the first candidate folder holding a watch folder (`2_tosync`,
 * else `tosync`). Null when there is none; the caller says where it looked.
 */
export async function detectLegacyLayout(root: string): Promise<LegacyLayout | null> {
  for (const base of layoutCandidates(root)) {
    for (const naming of ['numbered', 'plain'] as const) {
      const layout = layoutAt(base, naming);
      if (await isFolder(layout.toSync)) return layout;
    }
  }
  return null;
}

/**
 * Where the old config.json is, given only the root: in the root (the syncer's working folder),
 * or one level up when the root given is the logging folder itself.
 */
export async function findLegacyConfig(root: string): Promise<string | null> {
  const places = [join(root, 'config.json')];
  if (basename(root) === LOGGING_FOLDER) places.push(join(dirname(root), 'config.json'));
  for (const p of places) {
    try {
      if ((await stat(p)).isFile()) return p;
    } catch {
      // not there: try the next place
    }
  }
  return null;
}
