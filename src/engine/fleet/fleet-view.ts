// What a viewer shows of the fleet: each site's last heartbeat, whether it is stale, and whether
// two hubs write the same site name. Pure: the Dropbox reading is in fleet-dropbox.ts and the
// memory of earlier reads in seen-instances.ts.
import { compareNames } from '../compare-names.js';
import type { Heartbeat } from './heartbeat.js';
import { HEARTBEAT_SCHEMA_VERSION, parseHeartbeat } from './heartbeat.js';
import type { HeartbeatFile } from './fleet-dropbox.js';
import type { FleetSite, FleetView, SeenInstance } from './types.js';

export type { FleetSite, FleetView };

/** A site is stale once this many of its own heartbeat intervals passed without a new one. */
export const STALE_AFTER_INTERVALS = 3;

export function buildFleetView(input: {
  folder: string;
  nowMs: number;
  files: HeartbeatFile[];
  folderMissing: boolean;
  /** Per site (lower case): the instances seen writing it, this read included. */
  clonesOf: (site: string, heartbeat: Heartbeat) => SeenInstance[] | null;
}): FleetView {
  const sites: FleetSite[] = [];
  const unreadable: FleetView['unreadable'] = [];
  for (const f of input.files) {
    if (!f.bytes) {
      unreadable.push({ path: f.path, reason: f.problem ?? 'could not be read' });
      continue;
    }
    const parsed = parseHeartbeat(f.bytes);
    if (!parsed.ok) {
      unreadable.push({ path: f.path, reason: parsed.reason });
      continue;
    }
    const hb = parsed.heartbeat;
    const site = f.name.replace(/\.json$/i, '');
    const staleAfterMs = STALE_AFTER_INTERVALS * hb.intervalMs;
    const fullest = [...hb.disks].sort((a, b) => b.usedPercent - a.usedPercent)[0] ?? null;
    sites.push({
      site,
      path: f.path,
      heartbeat: hb,
      lastSeenMs: hb.writtenAtMs,
      staleAfterMs,
      stale: input.nowMs - hb.writtenAtMs > staleAfterMs,
      backlog: hb.counts.waiting + hb.counts.transit,
      fullestDisk: fullest
        ? {
            path: fullest.path,
            freeBytes: fullest.freeBytes,
            totalBytes: fullest.totalBytes,
            usedPercent: fullest.usedPercent,
          }
        : null,
      clones: input.clonesOf(site, hb),
      newerFormat: hb.schemaVersion > HEARTBEAT_SCHEMA_VERSION,
    });
  }
  sites.sort((a, b) => compareNames(a.site, b.site));
  return {
    folder: input.folder,
    readAtMs: input.nowMs,
    folderMissing: input.folderMissing,
    sites,
    unreadable,
  };
}
