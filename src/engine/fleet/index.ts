// The fleet: hubs write heartbeats to Dropbox; any machine on the same Dropbox reads them all.
export {
  HeartbeatService,
  type BeatResult,
  type HeartbeatServiceDeps,
} from './heartbeat-service.js';
export {
  readFleet,
  fleetConnection,
  seenInstancesFile,
  type FleetReadSettings,
} from './fleet-reader.js';
export {
  fleetFolderFor,
  fleetFolderProblem,
  heartbeatPath,
  FLEET_FOLDER_NAME,
} from './fleet-folder.js';
export { STALE_AFTER_INTERVALS, type FleetSite, type FleetView } from './fleet-view.js';
export { HEARTBEAT_SCHEMA_VERSION, parseHeartbeat, type Heartbeat } from './heartbeat.js';
export {
  hourlyActivity,
  HOUR_MS,
  ACTIVITY_HOURS,
  type Activity,
  type HourBucket,
} from './activity.js';
export type { SeenInstance } from './seen-instances.js';
export { FleetHook, type FleetSnapshot } from './engine-hook.js';
export type * from './types.js';
