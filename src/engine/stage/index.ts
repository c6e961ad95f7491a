export { stageFile } from './stage-file.js';
export type { StageResult, StageOptions } from './stage-file.js';
export {
  listTransit,
  removeFromTransit,
  pruneTransitFolders,
  cleanupTransitTemps,
  removeLegacyTransitTemps,
  statTransit,
} from './transit.js';
export type { TransitFile, ListTransitOptions } from './transit.js';
export { TRANSIT_TEMP_DIR, transitTempDir, isReservedTransitRel } from './transit-names.js';
export { lookAtTransit, TRANSIT_MISSING_CODE } from './transit-place.js';
export {
  lookAtTransitRecorded,
  TransitDiskRecord,
  TRANSIT_DISK_FILE,
} from './transit-disk-record.js';
export type { TransitLook, TransitPlace } from './transit-place.js';
