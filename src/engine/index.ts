// The engine's one surface. `src/main` and `src/cli` import the engine only from here (lint
// enforces it: eslint.config.js, proven by test/unit/layering.test.ts), so what the front ends
// may rely on is this list and nothing else. The renderer reaches none of it: it imports only
// `src/shared`, whose types are re-exported from the engine's pure modules.
//
// How to expose something new to a front end: add it here, with a line saying who uses it.
// Reaching past this file into an engine module is a lint error, on purpose.

// The facade and its options (tray app, daemon, `once`, side commands).
export { createEngine, type Engine, type EngineOptions } from './engine.js';
export type { EngineApi, FieldIssue, LegacyImportReport, SettingsValidation } from './api.js';
export type { PassReport } from './pipeline/pass.js';

// Settings: the schema (form, CLI listing), the one validation, the file.
export {
  DEFAULT_IGNORE_PATTERNS,
  settingsSchema,
  type Settings,
  type SettingKey,
} from './settings/schema.js';
export { SETTING_LABELS } from './settings/labels.js';
export { defaultSettings } from './settings/defaults.js';
export { defaultConfigDir } from './settings/paths.js';
// Commands printed for people to paste (CLI: the refusal beside another user's service).
export { shellWord } from './shell-word.js';
// `history`: the name a file was placed under beside a different file of its name.
export { keptUnderOtherName } from './legs/keep-both.js';
export { settingsUnwritableProblem } from './status/settings-unwritable.js';
export { closestKey as closestSettingKey } from './settings/validate.js';
export { closestWord } from './closest-word.js';
export { renderRemoteRoot, siteFolderSuggestion } from './settings/remote-root.js';
export {
  openSettingsService,
  type SettingsService,
  type SettingsServiceOptions,
} from './services/settings-service.js';
export { CONFIG_VERSION } from './settings/migrations.js';
export type { ConfigFile, SettingsFileOpener } from './settings/store.js';
export { loadSettingsWriter, lostSettingsIssues, settingsFileUnusable } from './settings/store.js';
// Before a settings service is opened without an engine (CLI `settings`, `doctor`): cron-check.ts.
export { loadCronCheck } from './settings/cron-check.js';

// Status as every front end shows it; a running daemon's status file; who holds the run lock.
export type {
  DropboxStatus,
  EngineState,
  HistoryQuery,
  HistoryRecord,
  LegResult,
  Problem,
  StatusSnapshot,
} from './status/types.js';
export { readStatusFile, type PublishedStatus } from './status/status-file.js';
export { fileCount, sentenceAsText } from './status/sentence.js';
export {
  describeLockOwner,
  liveLockOwner,
  liveWaitingDaemon,
  markWaitingForSettings,
  withoutStartAgain,
  tryLockFile,
  type LockOwner,
  type LockRole,
  type RunLock,
} from './run-lock.js';
// How a size reads (CLI; the window has it through src/shared/format.ts).
export { formatBytes } from './format-bytes.js';
export { archiveTitle } from './archive/archive-place.js';
export { formatDuration } from './format-duration.js';
export { formatUtcMinute } from './format-utc.js';
// Whether a folder is a mount point (the CLI's note on an archive folder that is none).
export { isMountPoint } from './fsutil/mount.js';
export { checkArchiveRoot } from './archive/root-check.js';
export { commandLineWords } from './alerts/channels/command.js';
export { lookOnArchive } from './archive/card-answers.js';
export { isAtOrBelow } from './fsutil/at-or-below.js';
export { isWhereCardsMount } from './archive/archive-place.js';
export { smtpValueMistake } from './settings/smtp-words.js';
export { decidesFleetFolder, fleetFolderTypedIssue } from './settings/fleet-folder-typed.js';
export { FILE_FAILING_THRESHOLD } from './retry-policy.js';
export {
  FILE_FAILING_PREFIX,
  holdsUncountedFiles,
  TRY_AGAIN_NOW,
  TRY_AGAIN_WHEN_NOTHING_RUNS,
  triedAgainWhenAsked,
} from './pipeline/problems.js';
export { ENTRY_PROBLEM_PREFIX } from './pipeline/stage-step.js';

// Errors, logging, ports the front ends plug in.
export { isSyncError, SyncError, withoutRetryWords, type ErrorCode } from './errors.js';
export type { AccountInfo, Logger } from './ports.js';
export { silentLogger } from './ports.js';
export {
  createLogger,
  formatLine,
  printable,
  redact,
  tailLog,
  type FileLogger,
  type LogLevel,
} from './log/index.js';
export {
  EncryptedCredentialStore,
  FileCredentialStore,
  type CredentialStore,
  type StringCipher,
} from './credentials/index.js';

// The first-run setup looks for the old syncer's folders on this machine (src/main).
export { detectLegacyLayout, findLegacyConfig } from './legacy/index.js';
// `once` and `run`: the old syncer still running beside them on a hub.
export { oldSyncerStillRunning } from './legacy/index.js';

// `rdl-sync doctor`: the Dropbox probe, over the saved connection as the engine opens it.
export { connectSavedDropbox } from './dropbox/saved-connection.js';
export { dropboxRoute } from './dropbox/endpoint-fetch.js';
export { runDoctor, type DoctorCheck, type DoctorReport } from './dropbox/doctor.js';

// The fleet (issue 10): `rdl-sync fleet` reads every heartbeat; the window gets the same data
// through the engine API (readFleet, getActivity).
export {
  beginViewerConnection,
  finishViewerConnection,
  readFleetAsViewer,
  type ViewerRead,
} from './fleet/viewer.js';
export { emptyFleetSentence } from './fleet/empty-fleet-words.js';
export type {
  Activity,
  BeatResult,
  FleetSite,
  FleetSnapshot,
  FleetView,
  Heartbeat,
  HourBucket,
  SeenInstance,
} from './fleet/types.js';
// Alerts (issue 10): the tray renders them (src/main/notifier.ts); `rdl-sync alert` and
// `rdl-sync report` reach the service through `engine.alerts`.
export type { Alert, AlertKind, ChannelResult } from './alerts/types.js';
export { alertHeadline } from './alerts/types.js';
export type { AlertService } from './alerts/alert-service.js';
export { CHANNEL_FAILING_PREFIX } from './alerts/alert-service.js';
export { heldResolvedSentence } from './alerts/held-words.js';
export { ALERT_SETTING_KEYS } from './alerts/trusted-settings.js';
export { ALERT_SECRET_NAMES, AlertSecretStore, type AlertSecretName } from './alerts/secrets.js';
export { SETTINGS_INVALID_ID } from './status/reducer.js';
