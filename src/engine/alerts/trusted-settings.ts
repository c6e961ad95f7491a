// The alert settings to use while the settings file cannot be used. A hub whose config.json got a
// bad hand edit syncs nothing until it is fixed; its alert channels were then the defaults (none),
// so nobody heard of it for weeks. The channels now come from what can still be trusted, in order:
//  1. the file's own alert section, when that part alone passes the one validation (a typo in
//     another setting must not silence the alerts);
//  2. else the alert section of the last valid settings this hub ran with (LAST_ALERT_SETTINGS_FILE,
//     written by the process that syncs: no secrets in it, they stay in alert-secrets.json; 0600
//     like every file of ours);
//  3. else none: nothing is invented (a file that is not JSON on a hub with no such record).
// The site name, which only names the hub in the alert, is taken from the same places on its own.
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { FieldIssue, SettingsValidation } from '../api.js';
import { atomicWriteFile } from '../fsutil/index.js';
import { isSettingKey } from '../settings/labels.js';
import { settingsSchema, type SettingKey, type Settings } from '../settings/schema.js';
import { closestKey } from '../settings/validate.js';

/** The settings the alert service reads besides the site: its policy, channels and digest. */
export const ALERT_SETTING_KEYS = [
  'alertReminderHours',
  'alertFlapMinutes',
  'alertEmailTo',
  'alertEmailFrom',
  'smtpHost',
  'smtpPort',
  'smtpSecurity',
  'smtpUser',
  'smtpCaFile',
  'alertWebhookFormat',
  'alertCommand',
  'alertCommandTimeoutSeconds',
  'digestSchedule',
  'digestHour',
] as const satisfies readonly SettingKey[];

export const LAST_ALERT_SETTINGS_FILE = 'alerts-last-valid-settings.json';

/**
 * Where the alert settings in use came from: the settings in force, the invalid file's own alert
 * section, the last valid settings recorded, or nowhere (no channel: nobody can be told).
 */
export type AlertSettingsSource = 'in-force' | 'file' | 'last-valid' | 'none';

export interface TrustedAlertSettings {
  settings: Settings;
  source: AlertSettingsSource;
}

export interface TrustInput {
  /** The file's settings over the defaults, even invalid; null when the file cannot be read. */
  fileValues: Record<string, unknown> | null;
  /**
   * The settings the file itself names (absent: not known, taken as naming its alert part). A
   * file naming no alert setting at all (rewritten from an old or minimal copy, cut down by hand)
   * has no alert part of its own: its "valid" defaults (no channel) silenced the channels the hub
   * last ran with.
   */
  fileKeys?: readonly string[];
  /** What is wrong with the file (its names that are no setting are only seen here). */
  fileIssues: readonly FieldIssue[];
  /** The content of LAST_ALERT_SETTINGS_FILE, or null. */
  record: unknown;
  defaults: Settings;
  /** The one validation (settings/validate.ts), without the folder checks. */
  validate: (candidate: unknown) => SettingsValidation;
}

/** Pure: what can be trusted of an invalid settings file and the record, over the defaults. */
export function trustAlertSettings(input: TrustInput): TrustedAlertSettings {
  const { fileValues, defaults } = input;
  const record = recordParts(input.record);
  const fileOwn =
    fileValues && !misnamesAlertSetting(input.fileIssues)
      ? validAlertPart(fileValues, input)
      : null;
  // A file naming no alert setting yields to the record; with no usable record, it is its own.
  const namesAlerts = input.fileKeys === undefined || input.fileKeys.some(isAlertKey);
  const fromRecord =
    fileOwn && namesAlerts ? null : record ? validAlertPart(record.alerts, input) : null;
  const fromFile = fromRecord ? null : fileOwn;
  const alerts = fromFile ?? fromRecord;
  const site =
    (fileValues ? validSite(fileValues.site) : null) ??
    (record ? validSite(record.site) : null) ??
    '';
  return {
    settings: { ...defaults, ...(alerts ?? {}), site },
    source: fromFile ? 'file' : fromRecord ? 'last-valid' : 'none',
  };
}

function pickAlertPart(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ALERT_SETTING_KEYS) if (Object.hasOwn(values, key)) out[key] = values[key];
  return out;
}

const isAlertKey = (key: string): boolean =>
  (ALERT_SETTING_KEYS as readonly string[]).includes(key);

/**
 * The file names an alert setting wrongly ("alertCommnad"): its alert part read without that
 * setting (its default: no channel) passed as valid, and the people set up there were not told.
 */
function misnamesAlertSetting(issues: readonly FieldIssue[]): boolean {
  return issues.some((i) => {
    const top = i.field.split('.')[0]!;
    return top !== '' && !isSettingKey(top) && isAlertKey(closestKey(top) ?? '');
  });
}

/**
 * The alert part of `values` as the one validation sees it over the defaults, or null when it
 * finds a mistake in that part. The defaults alone are not valid settings (no site, no archive
 * folder): mistakes outside the alert part are not this part's. Every rule across alert settings
 * (email needs a server and a sender...) still runs, as the defaults pass the type checks.
 */
function validAlertPart(
  values: Record<string, unknown>,
  { defaults, validate }: TrustInput,
): Partial<Settings> | null {
  const part = pickAlertPart(values);
  const checked = validate({ ...defaults, ...part });
  if (
    !checked.ok &&
    checked.issues.some((i) => i.field === '' || isAlertKey(i.field.split('.')[0]!))
  )
    return null;
  // The values as the schema makes them (trimmed addresses...), field by field.
  const out: Record<string, unknown> = {};
  for (const key of ALERT_SETTING_KEYS) {
    const parsed = settingsSchema.shape[key].safeParse(part[key] ?? defaults[key]);
    if (!parsed.success) return null;
    out[key] = parsed.data;
  }
  return out as Partial<Settings>;
}

function validSite(site: unknown): string | null {
  if (typeof site !== 'string') return null;
  const parsed = settingsSchema.shape.site.safeParse(site);
  return parsed.success && parsed.data !== '' ? parsed.data : null;
}

interface RecordParts {
  site: unknown;
  alerts: Record<string, unknown>;
}

function recordParts(raw: unknown): RecordParts | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { site, alerts } = raw as { site?: unknown; alerts?: unknown };
  if (typeof alerts !== 'object' || alerts === null || Array.isArray(alerts)) return null;
  return { site, alerts: alerts as Record<string, unknown> };
}

function recordOf(settings: Settings): { site: string; alerts: Record<string, unknown> } {
  return { site: settings.site, alerts: pickAlertPart(settings) };
}

/** LAST_ALERT_SETTINGS_FILE's content, or null when there is none or it cannot be read. */
export function readLastAlertSettings(configDir: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(configDir, LAST_ALERT_SETTINGS_FILE), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Records the alert part of the valid settings in force (only written when it changed: a hub's
 * card is not written at every start). The caller holds the run lock: one writer.
 */
export async function rememberAlertSettings(configDir: string, settings: Settings): Promise<void> {
  const record = recordOf(settings);
  if (isDeepStrictEqual(readLastAlertSettings(configDir), record)) return;
  await atomicWriteFile(
    path.join(configDir, LAST_ALERT_SETTINGS_FILE),
    JSON.stringify(record, null, 2),
  );
}
