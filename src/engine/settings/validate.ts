// Turns any candidate (window form, hand-edited config.json, CLI flags) into Settings or into
// issues a person can act on: each names the setting, the value it had and what is allowed.
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { FieldIssue, SettingsValidation } from '../api.js';
import { acrossFieldIssues, settingsSchema, type SettingKey, type Settings } from './schema.js';
import { SETTING_KEYS, SETTING_LABELS, isSettingKey } from './labels.js';
import { cronProblem } from './cron-check.js';
import { renderRemoteRoot } from './remote-root.js';
import { folderIssues } from './folder-checks.js';
import { defaultSettings } from './defaults.js';
import { closestWord } from '../closest-word.js';
import { ignoresEverything } from '../scan/ignore.js';

const FOLDER_KEYS = ['watchDir', 'transitDir', 'archiveDir'] as const;

/** '~' and '~/x' become the home folder; anything else is returned unchanged. */
export function expandHome(p: string, home: string = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return joinLike(home, p.slice(2));
  return p;
}

export interface ValidateOptions {
  /** Home folder used to expand '~' (tests pass a temp folder). */
  home?: string;
  /** The config folder: it must not lie inside the watch folder. */
  configDir?: string;
  /** Fills {host} when the remote folder is checked (default: this machine's name). */
  host?: string;
  /**
   * Also check the folders on disk (watch folder exists and is a folder, nothing nested through
   * links). Done whenever settings are written and by `settings check`; not when a daemon reads
   * its file, where a missing watch folder is a passing condition the scan reports.
   */
  checkFolders?: boolean;
  /**
   * Settings whose value in the candidate is not the person's (a line lost from the file, filled
   * with its default): rules across settings that read them are not run, so a default never
   * raises a mistake of its own beside the one that names the lost line.
   */
  notKnown?: ReadonlySet<string>;
}

/**
 * Validates a complete settings object. On success the folder settings come back with '~'
 * expanded, so callers never have to remember to expand them.
 */
export function validateSettings(
  candidate: unknown,
  options: ValidateOptions = {},
): SettingsValidation {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return fail([
      {
        field: '',
        message: `Settings must be an object of "name": value pairs (got ${show(candidate)})`,
      },
    ]);
  }
  const record = candidate as Record<string, unknown>;
  const issues: FieldIssue[] = unknownKeyIssues(record);

  const home = options.home ?? os.homedir();
  // Without zod's compiled fast path: settings are checked a few times in a process's life, and
  // compiling it (new Function, then V8 compiling that) cost more than the check itself, on the
  // way to every start's first request (first check: about 15 ms with it, 5 ms without).
  const notKnown = options.notKnown ?? new Set<string>();
  const parsed = settingsSchema.safeParse(record, { jitless: true });
  if (!parsed.success) issues.push(...parsed.error.issues.map((i) => describeIssue(i, record)));
  // The rules across settings, in the same round as the fields' own mistakes, so a form (and
  // `settings check`) shows every problem at once. zod ran no refinement once a value had the
  // wrong type; a rule runs here when its inputs have the right type (a recipient refused as an
  // address is still a recipient, and still needs an SMTP server) and are the person's own.
  const wrongType = new Set(
    parsed.success
      ? []
      : parsed.error.issues.filter((i) => i.code === 'invalid_type').map((i) => String(i.path[0])),
  );
  const reported = new Set(issues.map((i) => i.field.split('.')[0]));
  const usable = (key: SettingKey): boolean => !wrongType.has(key) && !notKnown.has(key);
  issues.push(
    ...acrossFieldIssues(parsed.success ? parsed.data : eachFieldParsed(record), usable).filter(
      (i) => !reported.has(i.field),
    ),
  );
  if (!parsed.success) {
    // Folder clashes too.
    const folders = foldersOf(record, home);
    if (folders) issues.push(...folderOverlapIssues(folders).filter((i) => !reported.has(i.field)));
    return fail(issues);
  }
  if (issues.length > 0) return fail(issues);

  const settings: Settings = { ...parsed.data };
  for (const key of FOLDER_KEYS) {
    const value = settings[key];
    if (/^~[^/\\]/.test(value)) {
      issues.push({
        field: key,
        message: `${SETTING_LABELS[key]} "${value}" uses ~name, which is not supported: write the full path`,
      });
    }
    settings[key] = expandHome(value, home);
  }
  issues.push(...folderOverlapIssues(settings));
  issues.push(...meaningIssues(settings, options));
  if (issues.length === 0 && options.checkFolders) {
    issues.push(
      ...folderIssues(settings, {
        ...(options.configDir ? { configDir: options.configDir } : {}),
        defaultWatchDir: defaultSettings(home).watchDir,
      }),
    );
  }
  return issues.length > 0 ? fail(issues) : { ok: true, settings };
}

/**
 * Rules that need more than one field or the scheduler: the same for every writer (window,
 * `settings set`, a hand edit, an import), so nothing accepted anywhere fails later in a pass.
 */
function meaningIssues(s: Settings, options: ValidateOptions): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (s.scheduleMode === 'cron') {
    const problem = cronProblem(s.cron);
    if (problem) issues.push({ field: 'cron', message: problem });
  }
  // Found by a window trial: `*` was saved, every new file then lay in the watch folder for good
  // and the status said "Up to date" with nothing waiting.
  s.ignorePatterns.forEach((pattern, i) => {
    if (ignoresEverything(pattern))
      issues.push({
        field: `ignorePatterns.${i}`,
        message: `This ignore pattern leaves out every file, so nothing would ever sync: name only what to leave out, for example *.tmp or RDL/USB0/*.bak (got ${JSON.stringify(pattern)})`,
      });
  });
  try {
    renderRemoteRoot(s.remoteRootTemplate, {
      site: s.site,
      ...(options.host ? { host: options.host } : {}),
    });
  } catch (e) {
    issues.push({ field: 'remoteRootTemplate', message: (e as Error).message });
  }
  if (options.configDir) {
    const config = options.configDir;
    if (samePath(config, s.watchDir) || isInside(config, s.watchDir)) {
      issues.push({
        field: 'watchDir',
        message: `The config folder ${config} (settings and Dropbox credentials) is inside the watch folder ${s.watchDir}: RDL Sync would upload its own credentials and move them away; choose a watch folder that does not contain it`,
      });
    }
    for (const key of ['transitDir', 'archiveDir'] as const) {
      const dir = s[key];
      if (dir !== '' && (samePath(dir, config) || isInside(dir, config))) {
        issues.push({
          field: key,
          message: `${SETTING_LABELS[key]} (${dir}) is inside the config folder ${config}: choose a folder of its own`,
        });
      }
    }
  }
  return issues;
}

type Folders = Pick<Settings, (typeof FOLDER_KEYS)[number]>;

/** The three folders of a raw candidate, when all are usable absolute paths. */
function foldersOf(record: Record<string, unknown>, home: string): Folders | undefined {
  const out: Partial<Folders> = {};
  for (const key of FOLDER_KEYS) {
    const v = record[key];
    if (typeof v !== 'string') return undefined;
    const p = expandHome(v.trim(), home);
    if (p !== '' && pathApi(p) === path.posix && !p.startsWith('/')) return undefined;
    out[key] = p;
  }
  return out as Folders;
}

/**
 * A candidate that failed as a whole, each setting parsed alone: trimmed where valid (a site of
 * spaces is empty, as the whole parse would have it), as given where not.
 */
function eachFieldParsed(record: Record<string, unknown>): Settings {
  const out: Record<string, unknown> = { ...record };
  for (const key of SETTING_KEYS) {
    const one = settingsSchema.shape[key].safeParse(record[key], { jitless: true });
    if (one.success) out[key] = one.data;
  }
  return out as Settings;
}

function fail(issues: FieldIssue[]): SettingsValidation {
  return { ok: false, issues };
}

function unknownKeyIssues(record: Record<string, unknown>): FieldIssue[] {
  return Object.keys(record)
    .filter((key) => !isSettingKey(key))
    .map((key) => {
      const near = closestKey(key);
      const hint = near ? `did you mean "${near}"? Correct the name` : 'remove it';
      return { field: key, message: `unknown setting "${key}": ${hint}` };
    });
}

/** The setting a mistyped name most likely meant (`SITE`, `intervalSecs`), or undefined. */
export function closestKey(key: string): SettingKey | undefined {
  return closestWord(key, SETTING_KEYS);
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

function describeIssue(issue: z.core.$ZodIssue, record: Record<string, unknown>): FieldIssue {
  const field = issue.path.map(String).join('.');
  const top = String(issue.path[0] ?? '');
  const label = isSettingKey(top) ? SETTING_LABELS[top] : top;
  const value = valueAt(record, issue.path);
  if (value === undefined && issue.path.length === 1) {
    return { field, message: `${label} is missing: add "${top}" to the settings` };
  }
  const inItem =
    issue.path.length > 1 ? ` (item ${issue.path.slice(1).map(String).join('.')})` : '';
  // zod's own messages ("Invalid input: ...") name neither the setting nor the rule in words;
  // the schema's custom messages already do, so only the defaults are rewritten.
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    message = `${label}${inItem} must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
  } else if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((v) => JSON.stringify(v)).join(' or ');
    message = `${label}${inItem} must be ${allowed}`;
  } else if (/^(Invalid|Too (small|big))\b/.test(message)) {
    message = `${label}${inItem}: ${message}`;
  }
  return { field, message: `${message} (got ${show(value)})` };
}

function valueAt(record: Record<string, unknown>, p: readonly PropertyKey[]): unknown {
  let v: unknown = record;
  for (const k of p) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * A value as an issue quotes it. These messages go to the log, into the alert a waiting service
 * emails far away and into the fleet's heartbeat: a password, token or webhook URL pasted into
 * the wrong setting (the SMTP password into alertSmtpUser, a refresh token into the port) would
 * be sent with them. Such text is described, not quoted (secretLooking); other values are quoted
 * as they are, which is what lets a person spot a typo.
 */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    const hidden = secretLooking(value);
    if (hidden) return hidden;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function folderOverlapIssues(s: Folders): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const watch = s.watchDir;
  const transit = s.transitDir;
  if (samePath(transit, watch)) {
    issues.push({
      field: 'transitDir',
      message: `Transit folder is the same as the watch folder (${watch}): choose a separate folder next to it`,
    });
  } else if (isInside(transit, watch)) {
    issues.push({
      field: 'transitDir',
      message: `Transit folder (${transit}) is inside the watch folder (${watch}): queued files would be picked up again; choose a folder next to it, not inside it`,
    });
  } else if (isInside(watch, transit)) {
    issues.push({
      field: 'watchDir',
      message: `Watch folder (${watch}) is inside the transit folder (${transit}): choose two separate folders`,
    });
  }
  if (s.archiveDir !== '') {
    for (const [key, dir] of [
      ['watchDir', watch],
      ['transitDir', transit],
    ] as const) {
      if (samePath(s.archiveDir, dir) || isInside(s.archiveDir, dir)) {
        issues.push({
          field: 'archiveDir',
          message: `Archive folder (${s.archiveDir}) is inside the ${SETTING_LABELS[key].toLowerCase()} (${dir}): choose a folder outside the watch and transit folders`,
        });
      }
    }
    issues.push(...insideArchiveIssues(s));
  }
  return issues;
}

/**
 * The transit or watch folder inside the archive folder (equal is reported above, as the archive
 * inside it). Refused whatever archiveMustBeMountPoint says. Found by a user trial: with transit on
 * the card, the queue left with the card, the next file was staged into the empty mount point on
 * the main disk and hidden there once the card was back, and status said "Up to date". Transit and
 * archive side by side on one disk (a Pi's own SD card) stay allowed: the copy is a hard link.
 */
function insideArchiveIssues(s: Folders): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const archive = s.archiveDir;
  if (isInside(s.transitDir, archive)) {
    const beside = besideWatch(s);
    const example = beside ? `, e.g. ${beside}` : '';
    issues.push({
      field: 'transitDir',
      message: `Transit folder (${s.transitDir}) is inside the archive folder (${archive}): the archive would hold RDL Sync's own queue, and with the card or disk out the queue would be gone and new files written into its empty mount point; put the transit folder on the hub's own disk, beside the watch folder${example}`,
    });
  }
  if (isInside(s.watchDir, archive)) {
    issues.push({
      field: 'watchDir',
      message: `Watch folder (${s.watchDir}) is inside the archive folder (${archive}): the logger's new files would be mixed with the archived copies, and with the card or disk out they would be written into its empty mount point; choose a watch folder on the hub's own disk, outside the archive folder`,
    });
  }
  return issues;
}

/** A transit folder beside the watch folder (<its parent>/transit), unless that clashes too. */
function besideWatch(s: Folders): string | null {
  const api = pathApi(s.watchDir);
  const candidate = api.join(api.dirname(s.watchDir), 'transit');
  const clashes = [s.watchDir, s.archiveDir].some(
    (dir) => samePath(candidate, dir) || isInside(candidate, dir) || isInside(dir, candidate),
  );
  return clashes ? null : candidate;
}

function pathApi(p: string): path.PlatformPath {
  return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\') ? path.win32 : path.posix;
}

function normalise(p: string): string {
  const api = pathApi(p);
  const n = api.resolve(p);
  return api === path.win32 ? n.toLowerCase() : n;
}

function samePath(a: string, b: string): boolean {
  return normalise(a) === normalise(b);
}

/** True when `child` is strictly below `parent`. */
function isInside(child: string, parent: string): boolean {
  if (pathApi(child) !== pathApi(parent)) return false;
  const api = pathApi(child);
  const rel = api.relative(normalise(parent), normalise(child));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${api.sep}`) && !api.isAbsolute(rel);
}

function joinLike(home: string, rest: string): string {
  const api = pathApi(home);
  return api.join(home, rest);
}

/**
 * How `text` is shown when it may be a secret, else null. A URL with a path or query (a webhook's
 * token is in it) shows its scheme and host only. One word of 16 characters or more that is not a
 * path, an email address or a host name (a token, an app secret or key, a password), and the
 * four groups of four letters of an app password, are described by their length.
 */
function secretLooking(text: string): string | null {
  const t = text.trim();
  const url = /^([a-z][a-z0-9+.-]*:\/\/[^/?#\s]+)[/?#]\S/i.exec(t);
  if (url) return `"${url[1]}/…" (the rest is not shown: a URL's path may hold its token)`;
  const oneWord = !/\s/.test(t) && t.length >= 16;
  const pathLike = /^(\/|~|[A-Za-z]:[\\/]|\.{1,2}\/)/.test(t);
  // An address with a typo in its domain (a comma or semicolon for the dot) is one too: hidden as
  // a possible password, a window trial's "tech@example,com" left the person no way to tell
  // which of their recipients was wrong. Letters, digits and . , ; - only after the @, with a
  // separator among them: a password with an @ in it rarely keeps to that.
  const emailLike =
    /^[^@]+@[^@]+\.[^@]+$/.test(t) || /^[\w.%+-]+@[A-Za-z0-9-]+([.,;][A-Za-z0-9-]*)+$/.test(t);
  // Host names are written in lower case; a token with dots (an access token) mixes cases.
  const hostLike = /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?$/.test(t);
  const appPassword = /^[a-z]{4}( [a-z]{4}){3}$/.test(t);
  // A remote folder's field ({site}, …): a folder template, not a secret. A trial's
  // "Professional/{site}" was hidden, and with it the missing leading / the message was about.
  const templateLike = /\{(site|host|year|month)\}/.test(t);
  if ((oneWord && !pathLike && !emailLike && !hostLike && !templateLike) || appPassword)
    return `a text of ${[...t].length} characters (not shown: it may be a password or token typed into the wrong setting)`;
  return null;
}
