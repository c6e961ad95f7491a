// The engine's data shapes the window shows, for the renderer, which imports only src/shared
// (lint enforces it). Types only: nothing here runs, so the sandboxed window never loads engine
// code. Imported from the engine's pure type modules, not its index (which pulls in Node).
export type {
  ArchiveStatus,
  DiskStatus,
  DropboxStatus,
  EngineState,
  HeldResolved,
  HistoryQuery,
  HistoryRecord,
  LegResult,
  Problem,
  SourceStatus,
  StageCounts,
  StatusSnapshot,
} from '../engine/status/types.js';
export type { Settings, SettingKey } from '../engine/settings/schema.js';
export type { FieldIssue, LegacyImportReport, SettingsValidation } from '../engine/api.js';
export type { AccountInfo } from '../engine/ports.js';
export type { Activity, FleetSite, FleetSnapshot, HourBucket } from '../engine/fleet/types.js'; // fleet (issue 10)
export type { ChannelResult } from '../engine/alerts/types.js';
