// The engine's one facade. Tray, window, CLI and daemon call only this; every result is plain
// serialisable data, so the same calls work in-process, over IPC and as `--json` output.
import type { AccountInfo } from './ports.js';
import type { Settings } from './settings/schema.js';
import type { HistoryQuery, HistoryRecord, StatusSnapshot } from './status/types.js';
import type { Activity, FleetSnapshot } from './fleet/types.js'; // fleet (issue 10)

export interface FieldIssue {
  /** Setting key (or dotted path such as 'ignorePatterns.2'). */
  field: string;
  message: string;
}

export type SettingsValidation =
  { ok: true; settings: Settings } | { ok: false; issues: FieldIssue[] };

export interface LegacyImportReport {
  /** Each setting changed, old and new value, in words a person can check. */
  changes: { field: string; from: unknown; to: unknown }[];
  /** Dropbox credentials found in the uploader's config (never the token itself). */
  credentialsImported: boolean;
  /** Things a person must check or do (the old service to stop, a placeholder site name). */
  warnings: string[];
  /** What was found and why (the folder layout, keys of the old file that were ignored). */
  notes?: string[];
  /**
   * With credentials imported: Dropbox's answer to them (services/login-check.ts). 'refused': the
   * login will not work until Dropbox is connected again, whatever was imported.
   */
  login?: 'accepted' | 'refused' | 'unknown';
  /** The archive card the old config names is not mounted now: files wait in transit meanwhile. */
  cardAway?: boolean;
  /**
   * Settings changed since the last import, where the old setup says otherwise: the person's
   * value stays (`--replace` takes the old setup's).
   */
  kept?: { field: string; value: unknown; imported: unknown }[];
  /** Planned only (`--dry-run`): nothing was saved, made or asked of Dropbox. */
  dryRun?: boolean;
}

export interface EngineApi {
  getStatus(): StatusSnapshot;
  /** Called on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: StatusSnapshot) => void): () => void;
  /**
   * Run a pass now, or queue one right after the running pass; files waiting out the back-off
   * of an earlier failure are tried in it (a person who asks has most likely fixed something).
   */
  syncNow(): void;
  /** Pause for `forMs` milliseconds, or until resumed when null. Persists across restarts. */
  pause(forMs: number | null): Promise<void>;
  resume(): Promise<void>;
  queryHistory(query: HistoryQuery): HistoryRecord[];
  // fleet (issue 10): files, bytes and backlog per hour for the Status chart; every site's heartbeat.
  getActivity(): Activity;
  readFleet(): Promise<FleetSnapshot>;
  getSettings(): Settings;
  validateSettings(candidate: unknown): SettingsValidation;
  /**
   * Validates, then saves and applies. Invalid input is not saved. With `loadedWith` (what the
   * form was filled with) only the fields changed from it are saved, over the file as it is now.
   */
  saveSettings(
    candidate: unknown,
    loadedWith?: Record<string, unknown>,
  ): Promise<SettingsValidation>;
  /** Where `<watchDir>/<sampleRel>` would go on Dropbox with these (unsaved) settings. */
  previewRemotePath(
    candidate: Partial<Settings>,
    sampleRel: string,
  ): { ok: true; path: string } | { ok: false; message: string };
  /** Starts the PKCE code-paste flow; open the URL, the user pastes the code into finish. */
  connectDropboxStart(): Promise<{ authorizeUrl: string }>;
  connectDropboxFinish(code: string): Promise<AccountInfo>;
  disconnectDropbox(): Promise<void>;
  /**
   * Takes over the old syncer: its config.json (given, or found in `root`) and the folder layout
   * found from where that file is or from `root`.
   */
  importLegacy(input: {
    configJsonPath?: string;
    root?: string;
    uploaderConfigPath?: string;
  }): Promise<LegacyImportReport>;
  /** Finish or safely abandon the current work and stop. */
  stop(): Promise<void>;
}
