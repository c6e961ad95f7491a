// The engine's own temporaries (cross-disk staging copies in progress) live in one reserved
// folder at the top of transit, never beside user files: no user name can then be mistaken for
// ours, so a user file called `.rdl-stage-x` is a user file like any other and is never deleted.
// listTransit never lists the folder, start-up cleanup empties only it, and staging refuses a rel
// that would land in it (the scanner maps a user folder of this name to `%2Erdl-sync-tmp`, see
// fsutil/name-map.ts, so such a folder still syncs).
import { join } from 'node:path';

/** Name of the reserved folder directly below the transit folder. */
export const TRANSIT_TEMP_DIR = '.rdl-sync-tmp';

/** The reserved folder of a given transit folder. */
export function transitTempDir(transitDir: string): string {
  return join(transitDir, TRANSIT_TEMP_DIR);
}

/** True when `rel` (below transit) is the reserved folder or inside it. */
export function isReservedTransitRel(rel: string): boolean {
  return rel === TRANSIT_TEMP_DIR || rel.startsWith(`${TRANSIT_TEMP_DIR}/`);
}
