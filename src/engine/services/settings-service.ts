// Settings as a service: the one file (settings/store.ts) and the one validation
// (settings/validate.ts, with this machine's home, host and config folder) that every writer goes
// through: the window (engine facade), `rdl-sync settings set`, the legacy import, and a hand
// edit picked up by the watcher. A writer that opened the file any other way could accept what
// the engine refuses (a cron that never fires, a remote root with an unknown field).
import fs from 'node:fs';
import type { SettingsValidation } from '../api.js';
import { silentLogger, type Logger } from '../ports.js';
import { defaultSettings } from '../settings/defaults.js';
import { settingsSchema, type Settings } from '../settings/schema.js';
import {
  openSettingsStore,
  settingsFileProblem,
  type RuntimeState,
  type SettingsFileOpener,
  type SettingsIssues,
  type SettingsStore,
} from '../settings/store.js';

export interface SettingsServiceOptions {
  configDir: string;
  /** Home folder for defaults and '~' (tests pass a temp folder). */
  home?: string;
  /** Fills {host} in the remote root (default: this machine's name). */
  host?: string;
  /** Follow edits of the file by another process. */
  watch?: boolean;
  logger?: Logger;
  /** What writes the file (the tray app's electron-store); conf when absent. */
  openFile?: SettingsFileOpener;
}

export interface SettingsService {
  readonly path: string;
  /** The file over the defaults, validated (without the folder checks). Never writes. */
  load(): SettingsValidation;
  /** load() plus the checks made when settings are written (folders on disk). */
  check(): SettingsValidation;
  /** Whether settings were ever saved (false: a first run, setup needed). */
  hasSettings(): boolean;
  /** The one validation for a candidate about to be written, folder checks included. */
  validate(candidate: unknown): SettingsValidation;
  /** validate(), then write; an invalid candidate writes nothing. */
  save(candidate: unknown): SettingsValidation;
  /**
   * The settings as written in the file, even when invalid, over the defaults: what an edit
   * starts from. `unreadable` when the file exists but is not JSON (a save sets it aside).
   */
  readForEditing(): { values: Record<string, unknown>; unreadable: boolean };
  /** After a save here, or (with `watch`) a valid edit elsewhere; once per distinct change. */
  onChange(cb: (s: Settings) => void): () => void;
  /** (With `watch`) the mistakes of a hand edit that could not be used; null once fixed. */
  onFileMistakes(cb: (issues: SettingsIssues | null) => void): () => void;
  getState(): RuntimeState;
  setState(patch: Partial<RuntimeState>): RuntimeState;
  close(): void;
}

export function openSettingsService(opts: SettingsServiceOptions): SettingsService {
  const store: SettingsStore = openSettingsStore({
    configDir: opts.configDir,
    watch: opts.watch ?? false,
    logger: opts.logger ?? silentLogger,
    ...(opts.home ? { home: opts.home } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.openFile ? { openFile: opts.openFile } : {}),
  });
  return {
    path: store.path,
    load: () => store.load(),
    check: () => store.check(),
    hasSettings: () => store.hasSettings(),
    validate: (candidate) => store.validate(candidate, true),
    save: (candidate) => store.save(candidate),
    readForEditing: () => readForEditing(store.path, defaultSettings(opts.home)),
    onChange: (cb) => store.onChange(cb),
    onFileMistakes: (cb) => store.onFileMistakes(cb),
    getState: () => store.getState(),
    setState: (patch) => store.setState(patch),
    close: () => store.close(),
  };
}

function readForEditing(
  file: string,
  defaults: Settings,
): { values: Record<string, unknown>; unreadable: boolean } {
  const values: Record<string, unknown> = { ...defaults };
  // Never read a FIFO or device (it would hang), and never edit on top of one.
  const problem = settingsFileProblem(file);
  if (problem) throw new Error(problem);
  try {
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const raw = JSON.parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(raw))
      if (Object.hasOwn(settingsSchema.shape, k)) values[k] = v;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { values, unreadable: true };
  }
  return { values, unreadable: false };
}
