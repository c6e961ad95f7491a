// The settings file, shared by the tray app (electron-store: src/main/settings-file.ts hands it in
// as `openFile`) and the daemon and CLI (conf, which electron-store is built on):
//
//   <configDir>/config.json = { ...settings, "state": RuntimeState, "__internal__": conf's own }
//
// Settings are what a person chooses; `state` is runtime state that must survive a restart
// (a pause) but is not a setting: it is never shown in the settings form or validated as one.
// Reading never writes: a hand-edited file with a mistake is reported, not "repaired". Saving
// validates first; an invalid candidate writes nothing, and a broken file on disk is copied
// aside before a valid save replaces it, so a person's edits are never silently lost.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type Conf from 'conf';
import type { Options as ConfOptions, Schema } from 'conf';
import * as z from 'zod';
import type { SettingsValidation } from '../api.js';
import { jsonMistake } from '../json-mistake.js';
import { silentLogger, type Logger } from '../ports.js';
import { defaultSettings } from './defaults.js';
import { settingsJsonSchema } from './json-schema.js';
import { CONFIG_NAME, configFilePath } from './paths.js';
import { CONFIG_VERSION, CONFIG_VERSION_KEY, migrateSettingsFile } from './migrations.js';
import type { Settings } from './schema.js';
import { expandHome, validateSettings } from './validate.js';
import { transitChangeIssue } from './folder-checks.js';

/** What is wrong with settings that cannot be used: field and message, as validation gives them. */
export type SettingsIssues = Extract<SettingsValidation, { ok: false }>['issues'];

/**
 * Runtime state kept beside the settings.
 * - `paused: false` → running (`pausedUntilMs` is then always null).
 * - `paused: true, pausedUntilMs: null` → paused until a person resumes.
 * - `paused: true, pausedUntilMs: t` → paused until epoch ms `t`; see isPausedAt().
 * - `pausedAtMs`: when the pause began (a pause saved by an earlier version has none); a pause
 *   until resumed that lasts is announced (services/pause-state.ts).
 * - `syncAskedAtMs`: when `rdl-sync sync` last asked the running daemon or tray app for a pass
 *   now (services/pause-state.ts follows it); kept whether paused or not.
 */
export interface RuntimeState {
  paused: boolean;
  pausedUntilMs: number | null;
  pausedAtMs?: number | null;
  syncAskedAtMs?: number | null;
}

export const STATE_KEY = 'state';
const CONF_INTERNAL_KEY = '__internal__';
const NOT_SETTINGS = new Set([STATE_KEY, CONF_INTERNAL_KEY, CONFIG_VERSION_KEY]);

export const RUNNING_STATE: RuntimeState = Object.freeze({ paused: false, pausedUntilMs: null });

const runtimeStateSchema = z.object({
  paused: z.boolean(),
  pausedUntilMs: z.number().nonnegative().finite().nullable(),
  pausedAtMs: z.number().nonnegative().finite().nullable().optional(),
  syncAskedAtMs: z.number().nonnegative().finite().nullable().optional(),
});

/** Whether a saved pause is still in force at `nowMs` (a timed pause ends by itself). */
export function isPausedAt(state: RuntimeState, nowMs: number): boolean {
  return state.paused && (state.pausedUntilMs === null || nowMs < state.pausedUntilMs);
}

export interface SettingsStore {
  readonly path: string;
  /** File contents merged over the defaults, validated. Never throws, never writes. */
  load(): SettingsValidation;
  /** load() plus the checks made when settings are written (folders on disk): `settings check`. */
  check(): SettingsValidation;
  /** Validates first; an invalid candidate writes nothing. */
  save(candidate: unknown): SettingsValidation;
  /**
   * The one validation every writer goes through (window, CLI, import, a hand edit on load);
   * `checkFolders` adds the checks made when settings are written (folders on disk).
   */
  validate(candidate: unknown, checkFolders?: boolean): SettingsValidation;
  /** Called with the new settings after a save here, or (with `watch`) a valid edit elsewhere. */
  onChange(cb: (s: Settings) => void): () => void;
  /**
   * With `watch`: called with the mistakes when the file is changed by hand into one that cannot
   * be used (the settings in force are kept), and with null once it can be used again.
   */
  onFileMistakes(cb: (issues: SettingsIssues | null) => void): () => void;
  getState(): RuntimeState;
  /** Merges and persists; returns the new state. Kept in memory if the file cannot be written. */
  setState(patch: Partial<RuntimeState>): RuntimeState;
  /** Why the last setState could not write the file, in a person's words; null when it did. */
  stateNotSaved(): string | null;
  /** Stops watching the file. */
  close(): void;
  /**
   * Whether a person (or an import) ever saved settings here: false while the file is missing
   * or holds only runtime state. Until then the app needs setting up; nothing is broken.
   */
  hasSettings(): boolean;
}

export interface SettingsStoreOptions {
  configDir: string;
  /** Notice edits made by another process (the tray app while the daemon runs, or by hand). */
  watch?: boolean;
  /** How often the watched file is polled (ms). */
  watchIntervalMs?: number;
  /** Home folder for defaults and '~' (tests pass a temp folder). */
  home?: string;
  /** Fills {host} when the remote folder is checked (default: this machine's name). */
  host?: string;
  logger?: Logger;
  /**
   * Makes the object that writes the file from conf's options. The tray app passes one making an
   * electron-store (a Conf with Electron's defaults, which the engine may not import); without
   * it, conf itself: the daemon and the CLI. Both write the same file the same way.
   */
  openFile?: SettingsFileOpener;
}

export type ConfigFile = Settings & { state?: RuntimeState; configVersion?: number };

/** Opens config.json for writing: conf, or electron-store in the tray app (SettingsStoreOptions). */
export type SettingsFileOpener = (options: ConfOptions<ConfigFile>) => Conf<ConfigFile>;

/** conf's class, once loadSettingsWriter has loaded it. */
let ConfClass: typeof Conf | undefined;

/**
 * Loads conf, which writes the settings file (the store only reads it by itself). conf brings ajv,
 * ajv-formats and semver: about 420 KB of the CLI's engine chunk, which V8 compiled and ran on the
 * way to every start's first request (about 25 ms on this machine, Node 20). `rdl-sync once`
 * writes the file only to clear a timed pause that has ended, so createEngine loads the writer for
 * it only when the file holds a pause; every other engine, and the `settings` command, load it
 * first. A store asked to write before it is loaded refuses (settingsWriterMissing).
 */
export async function loadSettingsWriter(): Promise<void> {
  ConfClass ??= (await import('conf')).default;
}

function openWithConf(options: ConfOptions<ConfigFile>): Conf<ConfigFile> {
  if (!ConfClass) throw settingsWriterMissing();
  return new ConfClass(options);
}

function settingsWriterMissing(): Error {
  return new Error(
    'the settings file cannot be written by this command: its writer was not loaded (loadSettingsWriter); run the command again',
  );
}

type RawRead =
  | { kind: 'missing' }
  /** `lost`: settings RDL Sync always writes that this file, written by it, lacks (lostSettings). */
  | { kind: 'object'; data: Record<string, unknown>; lost: string[] }
  | { kind: 'broken'; message: string }
  /** Readable, but not ours to rewrite (a newer build's file): reported, never set aside. */
  | { kind: 'refused'; message: string };

export function openSettingsStore(opts: SettingsStoreOptions): SettingsStore {
  return new ConfSettingsStore(opts);
}

class ConfSettingsStore implements SettingsStore {
  readonly path: string;
  private readonly defaults: Settings;
  private readonly logger: Logger;
  private readonly listeners = new Set<(s: Settings) => void>();
  private conf: Conf<ConfigFile> | undefined;
  private memoryState: RuntimeState | undefined;
  private stateUnsaved: string | null = null;
  private lastNotified: Settings | undefined;
  /** The poll of the file for edits by other processes (with `watch`), until close(). */
  private watchTimer: NodeJS.Timeout | undefined;
  private lastWarned: string | undefined;
  private readonly mistakeListeners = new Set<(issues: SettingsIssues | null) => void>();

  constructor(private readonly opts: SettingsStoreOptions) {
    this.path = configFilePath(opts.configDir);
    this.defaults = defaultSettings(opts.home);
    this.logger = opts.logger ?? silentLogger;
    // Before the first read: an edit made from then on changes what the poll compares with.
    const seen = fileStamp(this.path);
    const first = this.load();
    if (first.ok) this.lastNotified = first.settings;
    if (opts.watch) this.startWatching(seen);
  }

  load(): SettingsValidation {
    const raw = this.readRaw();
    if (raw.kind === 'missing') return this.validate(this.defaults);
    if (raw.kind === 'broken' || raw.kind === 'refused')
      return { ok: false, issues: [{ field: '', message: raw.message }] };
    const settingsPart = Object.fromEntries(
      Object.entries(raw.data).filter(([key]) => !NOT_SETTINGS.has(key)),
    );
    const candidate = { ...this.defaults, ...settingsPart };
    if (raw.lost.length === 0) return this.validate(candidate);
    // The rest is checked too, so one round names every mistake; each lost line's default stands
    // in for it and raises no mistake of its own.
    const lost = new Set(raw.lost);
    const rest = this.validate(candidate, false, lost);
    const others = rest.ok ? [] : rest.issues.filter((i) => !lost.has(i.field.split('.')[0]!));
    return {
      ok: false,
      issues: [...lostSettingsIssues(this.path, raw.lost, this.defaults), ...others],
    };
  }

  check(): SettingsValidation {
    const loaded = this.load();
    return loaded.ok ? this.validate(loaded.settings, true) : loaded;
  }

  save(candidate: unknown): SettingsValidation {
    const result = this.validate(candidate, true);
    if (!result.ok) return result;
    const saved = this.load();
    // Saved settings that are refused (a transit folder on the archive card, from an older build)
    // still name the queue: moving the transit folder away must not leave its files behind.
    const savedTransit = saved.ok ? saved.settings.transitDir : this.savedTransitDir();
    const moved =
      savedTransit !== null &&
      this.hasSettings() &&
      transitChangeIssue(savedTransit, result.settings, saved.ok);
    if (moved) return { ok: false, issues: [moved] };
    // Never replace a FIFO, device or folder someone put there: say so instead.
    assertRegularOrMissing(this.path);
    const onDisk = this.readRaw();
    // A newer build's file keeps what this build cannot know about: refuse, write nothing.
    if (onDisk.kind === 'refused')
      return { ok: false, issues: [{ field: '', message: onDisk.message }] };
    const current = this.load();
    if (!current.ok && onDisk.kind !== 'missing') this.setAsideBrokenFile();
    const state = this.getState();
    // Replace the whole settings part, so stray keys from a hand edit do not linger; the version
    // says which shape it is in (settings/migrations.ts).
    const contents: ConfigFile = {
      ...result.settings,
      [STATE_KEY]: state,
      [CONFIG_VERSION_KEY]: CONFIG_VERSION,
    };
    try {
      this.openConf().store = contents;
    } catch (e) {
      // conf refuses to start from a file that fails its own checks (e.g. a mangled `state`):
      // keep a copy of that file and write the validated settings. Any other failure (disk
      // full, permissions) is the caller's to report; the file on disk stays as it was.
      if (!isConfRejectingFile(e)) throw e;
      this.setAsideBrokenFile();
      this.openConf().store = contents;
    }
    this.notify(result.settings);
    return result;
  }

  onChange(cb: (s: Settings) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  getState(): RuntimeState {
    const raw = this.readRaw();
    if (raw.kind === 'object' && raw.data[STATE_KEY] !== undefined) {
      const parsed = runtimeStateSchema.safeParse(raw.data[STATE_KEY]);
      if (parsed.success) return normaliseState(parsed.data);
    }
    return this.memoryState ?? RUNNING_STATE;
  }

  setState(patch: Partial<RuntimeState>): RuntimeState {
    const next = normaliseState({ ...this.getState(), ...patch });
    const parsed = runtimeStateSchema.safeParse(next);
    if (!parsed.success) {
      throw new TypeError(
        `Invalid runtime state ${JSON.stringify(patch)}: paused must be true/false and pausedUntilMs a time in ms or null`,
      );
    }
    this.memoryState = next;
    try {
      assertRegularOrMissing(this.path);
      const onDisk = this.readRaw();
      if (onDisk.kind === 'refused') throw new Error(onDisk.message);
      this.openConf().set(STATE_KEY, next);
      this.stateUnsaved = null;
    } catch (e) {
      this.stateUnsaved = this.whyNotSaved(e);
      // A hand-edited file that does not parse is left exactly as the person wrote it.
      // whyNotSaved's words, not the error's: conf's JSON.parse message quotes the text beside
      // a hand-edit mistake (a password too) into the log.
      this.logger.warn('Pause state kept in memory only: the settings file cannot be updated', {
        file: this.path,
        reason: this.stateUnsaved,
      });
    }
    return next;
  }

  stateNotSaved(): string | null {
    return this.stateUnsaved;
  }

  /**
   * conf checks the whole file before it writes a key: a hand edit with a wrong value refuses
   * every pause, and it said "Config schema violation: `intervalSeconds` must be >= 2".
   */
  private whyNotSaved(e: unknown): string {
    if (isConfRejectingFile(e)) {
      const loaded = this.load();
      if (!loaded.ok)
        return `${this.path} has mistakes (${loaded.issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')})`;
    }
    return e instanceof Error ? e.message : String(e);
  }

  /** The transit folder the file names, when its settings as a whole are refused; else null. */
  private savedTransitDir(): string | null {
    const raw = this.readRaw();
    if (raw.kind !== 'object') return null;
    const dir = raw.data.transitDir;
    if (typeof dir !== 'string') return null;
    const expanded = expandHome(dir.trim(), this.opts.home);
    return path.isAbsolute(expanded) ? expanded : null;
  }

  hasSettings(): boolean {
    const raw = this.readRaw();
    if (raw.kind === 'broken') return true;
    return raw.kind === 'object' && Object.keys(raw.data).some((key) => !NOT_SETTINGS.has(key));
  }

  close(): void {
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.listeners.clear();
  }

  validate(
    candidate: unknown,
    checkFolders = false,
    notKnown?: ReadonlySet<string>,
  ): SettingsValidation {
    return validateSettings(candidate, {
      home: this.opts.home,
      configDir: this.opts.configDir,
      ...(this.opts.host ? { host: this.opts.host } : {}),
      checkFolders,
      ...(notKnown ? { notKnown } : {}),
    });
  }

  private readRaw(): RawRead {
    return readSettingsFile(this.path);
  }

  private openConf(): Conf<ConfigFile> {
    if (!this.conf) fs.mkdirSync(this.opts.configDir, { recursive: true, mode: 0o700 });
    this.conf ??= (this.opts.openFile ?? openWithConf)({
      // Site, folders and the app key: this user's only, like the credentials beside it.
      configFileMode: 0o600,
      cwd: this.opts.configDir,
      configName: CONFIG_NAME,
      schema: configFileSchema(),
      defaults: this.defaults,
      // We validate with zod and report issues ourselves; conf must never wipe a person's file.
      clearInvalidConfig: false,
      // Setting names never contain dots; dotted access would only surprise.
      accessPropertiesByDotNotation: false,
      // Editors on Windows save UTF-8 with a byte-order mark; it is not part of the JSON.
      deserialize: (text: string) => JSON.parse(withoutBom(text)) as ConfigFile,
    });
    return this.conf;
  }

  private setAsideBrokenFile(): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = path.join(path.dirname(this.path), `${CONFIG_NAME}.invalid-${stamp}.json`);
    fs.copyFileSync(this.path, aside);
    this.logger.warn('The settings file had mistakes; a copy was kept before saving new settings', {
      copy: aside,
    });
    // The old file may fail conf's own checks; remove it so conf starts from the new settings.
    fs.rmSync(this.path, { force: true });
    this.conf = undefined;
  }

  /**
   * Polls the file's stamp, compared with `seen` (taken before the first read). Before, this was
   * fs.watchFile, whose first look at the file is taken later, on libuv's thread pool: an edit
   * made between this store's first read and that look (the pool busy, as while a pass hashes
   * files, or a loaded machine) was the watcher's starting point, never a change, and the daemon
   * kept the old settings until the next edit.
   */
  private startWatching(seen: string): void {
    let last = seen;
    this.watchTimer = setInterval(() => {
      const now = fileStamp(this.path);
      if (now === last) return;
      last = now;
      this.fileChanged();
    }, this.opts.watchIntervalMs ?? 1000);
    // Like the watcher it replaces: never what keeps a process alive.
    this.watchTimer.unref();
  }

  private fileChanged(): void {
    const r = this.load();
    if (r.ok) {
      const hadMistakes = this.lastWarned !== undefined;
      this.lastWarned = undefined;
      // Fixed back to the settings in force, the file changes nothing but the mistakes.
      if (hadMistakes) this.tellMistakes(null);
      this.notify(r.settings);
      return;
    }
    // The file also changes when runtime state (a pause) is written: warn once per mistake.
    const key = JSON.stringify(r.issues);
    if (key === this.lastWarned) return;
    this.lastWarned = key;
    this.logger.warn('Settings file changed but has mistakes; keeping the current settings', {
      issues: r.issues,
    });
    this.tellMistakes(r.issues);
  }

  onFileMistakes(cb: (issues: SettingsIssues | null) => void): () => void {
    this.mistakeListeners.add(cb);
    return () => this.mistakeListeners.delete(cb);
  }

  private tellMistakes(issues: SettingsIssues | null): void {
    this.tell(this.mistakeListeners, issues);
  }

  /** Calls each listener; one that throws is logged and the others still hear. */
  private tell<T>(listeners: Set<(value: T) => void>, value: T): void {
    for (const cb of [...listeners]) {
      try {
        cb(value);
      } catch (e) {
        this.logger.error('A settings listener failed', { error: String(e) });
      }
    }
  }

  private notify(settings: Settings): void {
    if (this.lastNotified && isDeepStrictEqual(this.lastNotified, settings)) return;
    this.lastNotified = settings;
    this.tell(this.listeners, settings);
  }
}

/**
 * What tells one version of the file from the next, as fs.watchFile compared: a save through conf
 * renames a new file in (another inode), a hand edit changes the time or the size. '' while there
 * is no file (or it cannot be looked at): a first run has none, and nothing has changed.
 */
function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return '';
  }
}

/**
 * Whether a settings problem's words are about the file as a whole (not JSON, not an object, not
 * readable): `settings set` cannot help there (it refuses to write over settings it cannot read),
 * so the fix is the message's own, by hand. Matched on the words readSettingsFile gives below.
 */
export function settingsFileUnusable(message: string): boolean {
  return /is not valid JSON \(|must hold one JSON object|^Cannot read the settings file /m.test(
    message,
  );
}

function readSettingsFile(file: string): RawRead {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (e) {
    if (e instanceof NotRegularFile) return { kind: 'broken', message: e.message };
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return {
      kind: 'broken',
      message: `Cannot read the settings file ${file} (${code ?? String(e)}): check that this user may read it`,
    };
  }
  const blank = blankFileTrouble(text);
  if (blank) {
    return {
      kind: 'broken',
      message: `The settings file ${file} ${blank}; set the settings again (rdl-sync settings set KEY VALUE ..., or in the window); files wait safely in the watch and transit folders`,
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(withoutBom(text));
  } catch {
    // Never JSON.parse's message: it quotes the text beside the fault, and that can be a password.
    return {
      kind: 'broken',
      message: `The settings file ${file} is not valid JSON (${jsonMistake(withoutBom(text))}): fix the mistake (deleting the file would start every setting from its default: the site, the folders and the alert channels too)`,
    };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return {
      kind: 'broken',
      message: `The settings file ${file} must hold one JSON object { "name": value, ... }: fix it (deleting the file would start every setting from its default: the site, the folders and the alert channels too)`,
    };
  }
  const migrated = migrateSettingsFile(data as Record<string, unknown>, file);
  if (!migrated.ok) return { kind: 'refused', message: migrated.message };
  // Looked for before the migration, which takes configVersion out.
  return {
    kind: 'object',
    data: migrated.data,
    lost: lostSettings(data as Record<string, unknown>),
  };
}

/**
 * The settings every file RDL Sync has written holds (configVersion 1 on): where the files are,
 * where they go. One of them missing from such a file is a line lost in a hand edit, not a
 * setting never made: read over the defaults, the hub silently watched ~/rdl/tosync (made for it)
 * while its loggers went on writing into 2_tosync, and status said "Up to date". A file written by
 * hand with only some settings (no configVersion) still takes the defaults for the rest.
 */
export const ALWAYS_WRITTEN = [
  'watchDir',
  'transitDir',
  'archiveDir',
  'site',
  'remoteRootTemplate',
] as const satisfies readonly (keyof Settings)[];

/**
 * The always-written settings a file lacks, read as it is on disk: none for a file written by
 * hand (no configVersion), which takes the defaults for what it does not name.
 */
export function lostSettings(raw: Record<string, unknown>): string[] {
  if (!Object.hasOwn(raw, CONFIG_VERSION_KEY)) return [];
  return ALWAYS_WRITTEN.filter((k) => !Object.hasOwn(raw, k));
}

/** Each lost setting (lostSettings) as a mistake, with its fix; `defaults` names what it would be. */
export function lostSettingsIssues(
  file: string,
  lost: readonly string[],
  defaults: Readonly<Record<string, unknown>>,
): SettingsIssues {
  return lost.map((k) => ({
    field: k,
    message: `"${k}" is missing from the settings file ${file} (a line lost in a hand edit?), so its default ${JSON.stringify(defaults[k])} would be used instead of the value set before: put the line back, or set it: rdl-sync settings set ${k} VALUE`,
  }));
}

/**
 * What `once` must load before it reads the settings file (createEngine): the cron check when the
 * file asks for a cron schedule, the writer when it holds a pause (one that has ended is cleared
 * in the file). Read as the store reads it (never blocking on a FIFO, migrated); a file that
 * cannot be read has neither.
 */
export function settingsFileNeeds(configDir: string): { cronCheck: boolean; writer: boolean } {
  const raw = readSettingsFile(configFilePath(configDir));
  if (raw.kind !== 'object') return { cronCheck: false, writer: false };
  const state = raw.data[STATE_KEY] as { paused?: unknown } | undefined;
  return {
    cronCheck: raw.data.scheduleMode === 'cron',
    writer: typeof state === 'object' && state !== null && state.paused !== false,
  };
}

class NotRegularFile extends Error {}

function describeKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isDirectory()) return 'a folder';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function notRegular(file: string, st: fs.Stats): NotRegularFile {
  return new NotRegularFile(
    `The settings file ${file} is ${describeKind(st)}, not a regular file: remove it (rm '${file}') and set the settings again`,
  );
}

/**
 * Reads the settings file without ever blocking: opened non-blocking and checked to be a regular
 * file before reading, so a FIFO (or a device) put there makes a clear error, not a hang.
 */
function readRegularFile(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(file, st);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Why the settings file cannot be read as one (a FIFO, a folder...), or null when it can. */
export function settingsFileProblem(file: string): string | null {
  try {
    assertRegularOrMissing(file);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function assertRegularOrMissing(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return;
  }
  if (!st.isFile()) throw notRegular(file, st);
}

function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function isConfRejectingFile(e: unknown): boolean {
  return (
    e instanceof SyntaxError ||
    (e instanceof Error && e.message.startsWith('Config schema violation'))
  );
}

function normaliseState(s: RuntimeState): RuntimeState {
  const asked = s.syncAskedAtMs ?? null;
  const ask = asked === null ? {} : { syncAskedAtMs: asked };
  if (!s.paused) return { ...RUNNING_STATE, ...ask };
  const at = s.pausedAtMs ?? null;
  return {
    paused: true,
    pausedUntilMs: s.pausedUntilMs,
    ...(at === null ? {} : { pausedAtMs: at }),
    ...ask,
  };
}

function configFileSchema(): Schema<ConfigFile> {
  const state = {
    type: 'object',
    properties: {
      paused: { type: 'boolean' },
      pausedUntilMs: { type: ['number', 'null'] },
      pausedAtMs: { type: ['number', 'null'] },
      syncAskedAtMs: { type: ['number', 'null'] },
    },
  };
  return {
    ...settingsJsonSchema(),
    [STATE_KEY]: state,
    [CONFIG_VERSION_KEY]: { type: 'integer', minimum: 0 },
  } as Schema<ConfigFile>;
}

/**
 * A file with nothing in it, or only zero bytes, is what a power cut (or a failing disk) leaves
 * of a file being replaced; JSON.parse said "Unexpected token" and quoted invisible NULs.
 */
function blankFileTrouble(text: string): string | null {
  if (text.replace(/[\0\s\uFEFF]/g, '') !== '') return null;
  const nuls = text.split('\0').length - 1;
  return nuls > 0
    ? `holds nothing but zero bytes (${nuls}): a power cut or a failing disk destroyed it`
    : 'is empty: a power cut or a failing disk can leave it so';
}
