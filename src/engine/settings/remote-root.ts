// Where files go on Dropbox: the remote folder template filled in, then `<root>/<rel>`.
import os from 'node:os';
import { SyncError } from '../errors.js';
import { formatUtcMinute } from '../format-utc.js';
import { placeholderSiteReason } from './site-name.js';

export interface RemoteRootFields {
  site: string;
  /** Defaults to this machine's host name. */
  host?: string;
  /** Fills {year} and {month} (local time, as the logger's clock sees it). Defaults to now. */
  now?: Date;
}

const FIELD = /\{(site|host|year|month)\}/g;

/** '/RDL/{site}' + {site: 'site1'} → '/RDL/site1'. Throws a settings-invalid SyncError on bad input. */
export function renderRemoteRoot(template: string, fields: RemoteRootFields): string {
  const trimmed = template.trim();
  if (!trimmed.startsWith('/')) {
    throw invalid(`Remote folder "${template}" must start with / (for example /RDL/{site})`);
  }
  const now = fields.now ?? new Date();
  const values: Record<string, string> = {
    site: fields.site.trim(),
    host: (fields.host ?? os.hostname()).trim(),
    year: String(now.getFullYear()).padStart(4, '0'),
    month: String(now.getMonth() + 1).padStart(2, '0'),
  };
  const unknown = /\{(?!(?:site|host|year|month)\})[^}]*\}/.exec(trimmed);
  if (unknown) {
    throw invalid(
      `Remote folder "${template}" uses ${unknown[0]}; only {site}, {host}, {year} and {month} are filled in`,
    );
  }
  for (const name of Object.keys(values)) {
    if (!trimmed.includes(`{${name}}`)) continue;
    const value = values[name]!;
    if (value === '') {
      throw invalid(
        `Remote folder "${template}" uses {${name}} but the ${name} is empty: enter it in the settings`,
      );
    }
    if (/[/\\]/.test(value)) {
      throw invalid(
        `The ${name} "${value}" contains / or \\, which would add folders to the remote path: remove them`,
      );
    }
    if (value === '.' || value === '..') {
      throw invalid(`The ${name} may not be "${value}": choose a name`);
    }
  }
  const filled = trimmed.replace(FIELD, (_m, name: string) => values[name]!);
  const segments = filled.split('/').filter((s) => s !== '');
  if (segments.length === 0)
    throw invalid(`Remote folder "${template}" names no folder: use for example /RDL/{site}`);
  for (const seg of segments) {
    if (seg === '.' || seg === '..') {
      throw invalid(
        `Remote folder "${template}" contains "${seg}": write the folder path without . or ..`,
      );
    }
    if (seg.trim() === '') {
      throw invalid(`Remote folder "${template}" has a folder name made only of spaces: remove it`);
    }
  }
  return `/${segments.join('/')}`;
}

/** Dropbox path of a file: root + rel, one '/' between segments. `rel` already uses '/'. */
export function remotePathFor(remoteRoot: string, rel: string): string {
  const relSegments = rel.split('/').filter((s) => s !== '');
  if (relSegments.length === 0)
    throw new Error(`Cannot place an empty file path under ${remoteRoot}`);
  if (relSegments.some((s) => s === '.' || s === '..')) {
    throw new Error(`File path "${rel}" contains . or .. segments`);
  }
  const rootSegments = remoteRoot.split('/').filter((s) => s !== '');
  return `/${[...rootSegments, ...relSegments].join('/')}`;
}

/**
 * The folder to suggest when a Dropbox folder names neither the site nor the host, or null when it
 * names one. Without either, every hub set up alike (hubs are cloned from one image, WORKLOAD.md)
 * uploads into that same folder, and the merge tool, which reads every .txt below a site's folder,
 * would mix several sites' data as one. Valid (a single hub may want it), so said, not refused;
 * the import and `settings set` say it with this one rule.
 */
export function siteFolderSuggestion(template: string): string | null {
  const t = template.trim();
  if (/\{(site|host)\}/.test(t)) return null;
  return `${t.replace(/\/+$/, '')}/{site}`;
}

/**
 * Before this instant a hub's clock has not been set: a Raspberry Pi has no real-time clock and
 * boots at 1970 (or where fake-hwclock saved it) until NTP steps it once the network is up. No
 * release of RDL Sync is older, so no real upload happens earlier.
 */
export const CLOCK_SET_AFTER_MS = Date.UTC(2025, 0, 1);

/** The template uses the date ({year}, {month}): the folder follows the clock. */
export function usesDate(template: string): boolean {
  return /\{(year|month)\}/.test(template);
}

/**
 * Why files cannot go to Dropbox now, when the remote folder is named by a date the clock cannot
 * give yet (a Pi booted without network reads 1970): they wait in transit, where the archive leg
 * still takes them, rather than land in a `1970/01` folder nobody looks in.
 */
export function clockNotSetProblem(template: string, nowMs: number): SyncError | null {
  if (!usesDate(template) || nowMs >= CLOCK_SET_AFTER_MS) return null;
  return new SyncError({
    kind: 'blocked',
    code: 'clock-not-set',
    message: `The clock reads ${formatUtcMinute(nowMs)}, so it has not been set yet (no network time since start-up), and the remote folder "${template.trim()}" is named by the date: uploads wait until the clock is set (check the network and \`timedatectl\`); files wait safely in transit`,
  });
}

/**
 * Why files cannot go to Dropbox while the site name is a placeholder and names the folder: hubs
 * are cloned from one SD image, and two with the image's `SiteX_Dummy` uploaded into one folder,
 * their data mixed (and same-named files kept beside each other as `name (1)`), while a person
 * was only told. Uploads wait; the archive copy goes on. Null when the name is real, or the
 * folder is not named by it.
 */
export function sitePlaceholderProblem(template: string, site: string): SyncError | null {
  if (!template.includes('{site}')) return null;
  const reason = placeholderSiteReason(site);
  if (reason === null) return null;
  return new SyncError({
    kind: 'blocked',
    code: 'site-placeholder',
    message: `Site: ${reason}, and the Dropbox folder is named after it: uploads wait until the real site name is set, so that hubs cloned from one image never mix their data (rdl-sync settings set site <name>, or in Settings); files wait safely in transit`,
  });
}

/**
 * What the Dropbox folder is now: the rendered root, or why there is none yet. A pass compares it
 * with the one its store was built for, so a month that turns (or a clock NTP steps) moves the
 * uploads to the right folder without a restart.
 */
export function remoteRootNow(
  template: string,
  fields: Omit<RemoteRootFields, 'now'>,
  nowMs: number,
): { root: string } | { problem: SyncError } {
  const problem =
    clockNotSetProblem(template, nowMs) ?? sitePlaceholderProblem(template, fields.site);
  if (problem) return { problem };
  return { root: renderRemoteRoot(template, { ...fields, now: new Date(nowMs) }) };
}

function invalid(message: string): SyncError {
  return new SyncError({ kind: 'blocked', code: 'settings-invalid', message });
}
