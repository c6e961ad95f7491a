// Settings as a service: the one file (settings/store.ts) and the one validation
// (settings/validate.ts, with this machine's home, host and config folder) that every writer goes
// through: the window (engine facade), `rdl-sync settings set`, the legacy import, and a hand
// edit picked up by the watcher. A writer that opened the file any other way could accept what
// the engine refuses (a cron that never fires, a remote root with an unknown field).
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { SettingsValidation } from '../api.js';
import { silentLogger, type Logger } from '../ports.js';
import { defaultSettings } from '../settings/defaults.js';
import { withSettingsEditLock } from '../settings/edit-lock.js';
import { settingsSchema, type Settings } from '../settings/schema.js';
import { smtpIssues, withSmtpMistakes } from '../settings/smtp-words.js';
import { decidesFleetFolder, fleetFolderTypedIssue } from '../settings/fleet-folder-typed.js';
import { CONFIG_VERSION_KEY } from '../settings/migrations.js';
import {
  lostSettings,
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
  /**
   * validate(), then write; an invalid candidate writes nothing. Not guarded by itself: call it
   * inside edit(), or use saveEdited().
   */
  save(candidate: unknown): SettingsValidation;
  /**
   * Runs a read-change-write of the file in turn with every other writer, in this process or
   * another (settings/edit-lock.ts). Throws (settings-busy) when another holds it too long.
   */
  edit<T>(change: () => T | Promise<T>): Promise<T>;
  /**
   * Saves in turn with every other writer. With `loadedWith` (the values a form was filled with),
   * only the fields changed from those are written, over the file as it is now: a change made
   * meanwhile elsewhere (the CLI, another window) to another field is kept. A field changed both
   * here and elsewhere takes the value saved here (last writer wins, for that field only). A file
   * that cannot be used as it is (a hand edit's mistake) is replaced by the whole candidate.
   */
  saveEdited(candidate: unknown, loadedWith?: Record<string, unknown>): Promise<SettingsValidation>;
  /**
   * The settings as written in the file, even when invalid, over the defaults: what an edit
   * starts from. `unreadable` when the file exists but is not JSON (a save sets it aside).
   * `keys`: the settings the file itself names (the rest of `values` are the defaults).
   */
  /**
   * The file's settings over the defaults, to edit. `unreadable`: the file is there but its
   * settings are not known (not JSON, or, with `readErrorCode`, this user may not read it).
   */
  readForEditing(): {
    values: Record<string, unknown>;
    unreadable: boolean;
    readErrorCode?: string;
    keys: string[];
    /** Settings RDL Sync always writes that this file, written by it, has lost (store.ts). */
    lost: string[];
    /** Written by a settings save of RDL Sync (it has configVersion), not only by hand or a pause. */
    whole: boolean;
  };
  /** After a save here, or (with `watch`) a valid edit elsewhere; once per distinct change. */
  onChange(cb: (s: Settings) => void): () => void;
  /** (With `watch`) the mistakes of a hand edit that could not be used; null once fixed. */
  onFileMistakes(cb: (issues: SettingsIssues | null) => void): () => void;
  getState(): RuntimeState;
  /** Not guarded by itself: call it inside edit(), or use changeState(). */
  setState(patch: Partial<RuntimeState>): RuntimeState;
  /**
   * Reads the runtime state and writes `decide`'s change to it, in turn with every other writer;
   * `decide` returns null to leave it as it is. Returns the state afterwards.
   */
  changeState(decide: (now: RuntimeState) => Partial<RuntimeState> | null): Promise<RuntimeState>;
  /** Why the last state change could not be written to the file; null when it was. */
  stateNotSaved(): string | null;
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
    edit: (change) => withSettingsEditLock(opts.configDir, change),
    saveEdited: (candidate, loadedWith) =>
      withSettingsEditLock(opts.configDir, () => {
        const now = store.load();
        // A file that cannot be used as it is (a hand edit's mistake) is replaced by the whole
        // form, as before: the form shows the settings in force, and a field left as it was
        // must not keep the mistake the person is saving over.
        const whole = !loadedWith || !isPlainObject(candidate) || !now.ok;
        const written = whole
          ? candidate
          : { ...now.settings, ...changedFields(candidate, loadedWith) };
        // SMTP values that cannot work are refused when typed, not when already in the file
        // (the CLI's rule): a hub's other settings stay editable over an old alert setting.
        const typed = isPlainObject(candidate)
          ? changedFields(candidate, now.ok ? (loadedWith ?? now.settings) : {})
          : {};
        if (smtpIssues(typed).length > 0)
          return withSmtpMistakes(store.validate(written, true), typed);
        if (decidesFleetFolder(Object.keys(typed))) {
          const checked = store.validate(written, true);
          if (!checked.ok) return checked;
          const keys = new Set(Object.keys(typed));
          const fleet = fleetFolderTypedIssue(checked.settings, keys, 'form', opts.host);
          if (fleet) return { ok: false, issues: [fleet] };
        }
        return store.save(written);
      }),
    readForEditing: () => readForEditing(store.path, defaultSettings(opts.home)),
    onChange: (cb) => store.onChange(cb),
    onFileMistakes: (cb) => store.onFileMistakes(cb),
    getState: () => store.getState(),
    setState: (patch) => store.setState(patch),
    changeState: (decide) =>
      withSettingsEditLock(opts.configDir, () => {
        const patch = decide(store.getState());
        return patch ? store.setState(patch) : store.getState();
      }),
    stateNotSaved: () => store.stateNotSaved(),
    close: () => store.close(),
  };
}

function readForEditing(
  file: string,
  defaults: Settings,
): {
  values: Record<string, unknown>;
  unreadable: boolean;
  readErrorCode?: string;
  keys: string[];
  lost: string[];
  whole: boolean;
} {
  const values: Record<string, unknown> = { ...defaults };
  const keys: string[] = [];
  let lost: string[] = [];
  let whole = false;
  // Never read a FIFO or device (it would hang), and never edit on top of one.
  const problem = settingsFileProblem(file);
  if (problem) throw new Error(problem);
  try {
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const raw = JSON.parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(raw))
      if (Object.hasOwn(settingsSchema.shape, k)) {
        values[k] = v;
        keys.push(k);
      }
    whole = isPlainObject(raw) && Object.hasOwn(raw, CONFIG_VERSION_KEY);
    if (isPlainObject(raw)) lost = lostSettings(raw);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      return {
        values,
        unreadable: true,
        ...(code ? { readErrorCode: code } : {}),
        keys,
        lost,
        whole,
      };
  }
  return { values, unreadable: false, keys, lost, whole };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields of `candidate` that differ from what the form was filled with. */
function changedFields(
  candidate: Record<string, unknown>,
  loadedWith: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(candidate).filter(
      ([key, value]) =>
        !Object.hasOwn(loadedWith, key) || !isDeepStrictEqual(value, loadedWith[key]),
    ),
  );
}
