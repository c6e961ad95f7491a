export { LegacyImportError } from './errors.js';
export { parseLegacyConfig } from './python-config.js';
export type { LegacyConfig } from './python-config.js';
export { parseDropboxUploaderConfig } from './uploader-config.js';
export type { UploaderCredentials } from './uploader-config.js';
export { planLegacyImport, LEGACY_MEDIA_ROOT, LEGACY_REMOTE_ROOT_TEMPLATE } from './plan.js';
export type { LegacyImportInput, LegacyImportPlan } from './plan.js';
export { detectLegacyLayout, findLegacyConfig, LOGGING_FOLDER } from './layout.js';
export type { LegacyLayout, LegacyNaming } from './layout.js';
export {
  findOldSyncerUnits,
  findRunningOldSyncers,
  oldSyncerStillRunning,
  stopOldServiceHint,
  SYSTEMD_UNIT_DIRS,
} from './old-service.js';
export { prepareLegacyImport } from './read-import.js';
export type { LegacyImportRequest } from './read-import.js';
export { readImportRecord, writeImportRecord, IMPORT_RECORD_FILE } from './import-record.js';
export type { ImportRecord, ImportedValues } from './import-record.js';
