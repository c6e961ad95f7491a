// The fleet's plain data, as every front end sees it (window over IPC, `rdl-sync fleet --json`).
// Types only, importing nothing that needs Node, so the sandboxed window can use them.
import type { Heartbeat } from './heartbeat.js';

export type { Heartbeat };

export type { Activity, HourBucket } from './activity-types.js';

export interface SeenInstance {
  instanceId: string;
  host: string;
  startedAtMs: number;
  lastWrittenAtMs: number;
}

export interface FleetSite {
  /** The file's name without `.json` (what the hub calls itself). */
  site: string;
  path: string;
  heartbeat: Heartbeat;
  lastSeenMs: number;
  staleAfterMs: number;
  stale: boolean;
  /** Files waiting on that hub (watch folder + transit). */
  backlog: number;
  /** The fullest of its disks, or null when it measured none. */
  fullestDisk: { path: string; freeBytes: number; totalBytes: number; usedPercent: number } | null;
  /**
   * Two or more hubs write this site's heartbeat at overlapping times (a cloned SD image kept
   * the same site name): each instance, or null when one hub writes it.
   */
  clones: SeenInstance[] | null;
  /** Written by a newer RDL Sync (a heartbeat format this one does not know): may be read short. */
  newerFormat: boolean;
}

export interface FleetView {
  folder: string;
  readAtMs: number;
  /** No hub has written a heartbeat yet (the folder does not exist). */
  folderMissing: boolean;
  sites: FleetSite[];
  /** Files in the folder that are not readable heartbeats, with the reason. */
  unreadable: { path: string; reason: string }[];
}

export interface BeatResult {
  atMs: number;
  ok: boolean;
  /** Where it was written, or why not. */
  detail: string;
}

export interface FleetSnapshot extends FleetView {
  /** This hub's own last heartbeat (null: none attempted, e.g. the engine is not started). */
  ownBeat: BeatResult | null;
}
