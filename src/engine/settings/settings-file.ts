// Writing config.json: what the npm package conf did for the store, done here. conf brought ajv
// (with ajv-formats, fast-uri and semver: about 400 KB of the CLI's engine chunk) into every start
// of every command for a file `once` and the daemon only read; parsing and running that code put
// it on `rdl-sync once`'s way to its first Dropbox request. The file's shape and the way it is
// replaced are unchanged: tab-indented JSON, mode 0600, a temporary beside it fsynced and renamed
// over it, the folder synced, the owner kept when root edits another user's file.
//
// The checks of the whole file before a write are conf's: every setting present has a value the
// JSON schema derived from the zod schema allows (json-schema.ts: its types, ranges, lengths,
// patterns and lists, checked here by jsonSchemaProblems, which knows exactly the keywords that
// schema uses), the runtime state and the version number are well formed. A file that fails them
// is not written over by a state change (a pause stays in memory) and is set aside by a save, as
// before. Cross-field rules and refinements are not checked here, as conf did not: a file whose
// settings are of the right kinds but wrong together still gets a pause written into it.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import type { Settings } from './schema.js';
import { settingsJsonSchema, type SettingsJsonSchema } from './json-schema.js';

/** conf's key for its own bookkeeping: kept as it is, never a setting. */
export const CONF_INTERNAL_KEY = '__internal__';

/** The file on disk cannot be read as one (not JSON) or holds a value of the wrong kind. */
export class SettingsFileRejected extends Error {}

const fileStateSchema = z.object({
  paused: z.boolean().optional(),
  pausedUntilMs: z.number().nullable().optional(),
});
const fileVersionSchema = z.number().int().min(0);

/** The JSON-schema keywords json-schema.ts produces for a setting (a test keeps this list whole). */
export const CHECKED_KEYWORDS = [
  'type',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'maxItems',
  'items',
  'description',
] as const;

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  maxItems?: number;
  items?: JsonSchema;
}

let settingsJson: SettingsJsonSchema | undefined;

/**
 * Throws SettingsFileRejected naming every value of the wrong kind: a setting the JSON schema
 * refuses, a malformed `state` or version. Unknown keys are left to the validation that reads
 * the file (they are reported there, and a save replaces the whole settings part).
 */
export function checkSettingsFile(data: unknown, stateKey: string, versionKey: string): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new SettingsFileRejected('Config schema violation: the file must hold one JSON object');
  settingsJson ??= settingsJsonSchema();
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === stateKey || key === versionKey) {
      const parsed = (key === stateKey ? fileStateSchema : fileVersionSchema).safeParse(value, {
        jitless: true,
      });
      if (!parsed.success)
        problems.push(`\`${key}\` ${parsed.error.issues.map((i) => i.message).join(', ')}`);
    } else if (Object.hasOwn(settingsJson, key)) {
      const schema = settingsJson[key as keyof SettingsJsonSchema] as JsonSchema;
      problems.push(...jsonSchemaProblems(value, schema, key));
    }
  }
  if (problems.length > 0)
    throw new SettingsFileRejected(`Config schema violation: ${problems.join('; ')}`);
}

/** What `schema` refuses in `value` (the keywords of CHECKED_KEYWORDS), as ajv said it. */
export function jsonSchemaProblems(value: unknown, schema: JsonSchema, at: string): string[] {
  const where = `\`${at}\``;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => isOfType(value, t))) return [`${where} must be ${types.join(',')}`];
  }
  if (schema.enum && !schema.enum.some((v) => v === value))
    return [`${where} must be equal to one of the allowed values`];
  const out: string[] = [];
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      out.push(`${where} must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      out.push(`${where} must be <= ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    // ajv counts characters as code points, not UTF-16 units.
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength)
      out.push(`${where} must NOT have fewer than ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && length > schema.maxLength)
      out.push(`${where} must NOT have more than ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      out.push(`${where} must match pattern "${schema.pattern}"`);
    if (schema.format === 'email' && !EMAIL.test(value))
      out.push(`${where} must match format "email"`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      out.push(`${where} must NOT have more than ${schema.maxItems} items`);
    if (schema.items)
      value.forEach((item, i) =>
        out.push(...jsonSchemaProblems(item, schema.items!, `${at}/${i}`)),
      );
  }
  return out;
}

/** The address shape conf's validator (ajv-formats, full mode) took for `format: email`. */
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

function isOfType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'null':
      return value === null;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false;
  }
}

/**
 * One store's writer of config.json. The first write in its life fills in the defaults the file
 * lacks (as conf did when it opened the file), so a file a person trimmed is complete again once
 * anything is saved.
 */
export class SettingsFileWriter {
  private opened = false;

  constructor(
    private readonly file: string,
    private readonly defaults: Settings,
    private readonly keys: { state: string; version: string },
    private readonly parse: (text: string) => unknown,
  ) {}

  /** Replaces the whole file with `contents` (conf's own key carried over). */
  replace(contents: Record<string, unknown>): void {
    this.open();
    const next: Record<string, unknown> = { ...contents };
    if (!Object.hasOwn(next, CONF_INTERNAL_KEY)) {
      try {
        const current = this.read();
        if (Object.hasOwn(current, CONF_INTERNAL_KEY))
          next[CONF_INTERNAL_KEY] = current[CONF_INTERNAL_KEY];
      } catch {
        // Nothing to carry over from a file that cannot be read.
      }
    }
    this.check(next);
    this.write(next);
  }

  /** Sets one key of the file as it is on disk now. */
  set(key: string, value: unknown): void {
    this.open();
    const next = { ...this.read(), [key]: value };
    this.check(next);
    this.write(next);
  }

  private open(): void {
    if (this.opened) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const onDisk = this.read();
    const withDefaults = { ...this.defaults, ...onDisk };
    this.check(withDefaults);
    if (!isDeepStrictEqual(onDisk, withDefaults)) this.write(withDefaults);
    this.opened = true;
  }

  /** The file as an object ({} when there is none), checked. */
  private read(): Record<string, unknown> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    let data: unknown;
    try {
      data = this.parse(text);
    } catch (e) {
      throw new SettingsFileRejected(`The settings file is not JSON: ${(e as Error).message}`);
    }
    this.check(data);
    return { ...(data as Record<string, unknown>) };
  }

  private check(data: unknown): void {
    checkSettingsFile(data, this.keys.state, this.keys.version);
  }

  private write(data: Record<string, unknown>): void {
    writeFileAtomicSync(this.file, `${JSON.stringify(data, undefined, '\t')}`, 0o600);
  }
}

/**
 * Replaces `file` so that a reader, and a power cut at any instant, sees the old content or the
 * new: a temporary beside it (named by this process: the tray app and a CLI command may both
 * write), written, fsynced, renamed over it, the folder synced. Root writing another user's file
 * (sudo rdl-sync settings set) leaves it that user's.
 */
export function writeFileAtomicSync(file: string, data: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = fs.statSync(file);
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // A new file: ours.
  }
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fchmodSync(fd, mode); // the umask may have narrowed it; never widened: mode is 0600
      if (owner && process.geteuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0))
        fs.fchownSync(fd, owner.uid, owner.gid);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncFolder(path.dirname(file));
}

function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Windows cannot open a folder to sync it; NTFS journals its metadata.
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some file systems (FUSE, network mounts) refuse to sync a folder; the rename stands.
  } finally {
    fs.closeSync(fd);
  }
}
