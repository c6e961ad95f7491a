// The digest: a daily or weekly summary for people who never look at the hub. Per source folder
// the files and bytes synced in the period and the newest file (from the history), both legs'
// state, disk free, the alerts of the period, version and uptime. Plain text plus simple HTML,
// the same content that `rdl-sync report` prints. Pure: the caller gathers the facts.
import { compareNames } from '../compare-names.js';
import { formatBytes } from '../format-bytes.js';
import { sourceOf } from '../health/silent-sources.js';
import { sentenceAsText } from '../status/sentence.js';
import type { HistoryRecord, StatusSnapshot } from '../status/types.js';
import type { Alert, AlertOrigin } from './types.js';

export type DigestSchedule = 'off' | 'daily' | 'weekly';

export interface DigestFacts {
  origin: AlertOrigin;
  schedule: DigestSchedule;
  periodStartMs: number;
  nowMs: number;
  /** History records, any order; those finished in the period are counted. */
  history: HistoryRecord[];
  status: StatusSnapshot;
  alerts: Alert[];
  version: string;
  /** How long the syncing process has run, or null when none runs. */
  uptimeMs: number | null;
}

export interface SourceLine {
  source: string;
  files: number;
  bytes: number;
  newestRel: string;
  newestMs: number;
}

export interface Digest {
  subject: string;
  text: string;
  html: string;
  sources: SourceLine[];
}

/**
 * Files finished this close together came in one go (one pass, a backlog): the newest among them
 * is told by name, which for a logger's dated names is by date. By the order they finished, the
 * digest named RDL_2026-12-03 as the newest beside RDL_2026-12-04 synced in the same pass.
 */
const SAME_GO_MS = 60_000;

export function perSource(history: HistoryRecord[], startMs: number, endMs: number): SourceLine[] {
  const by = new Map<string, SourceLine>();
  const inPeriod = history.filter(
    (r) => r.outcome === 'done' && r.finishedAtMs >= startMs && r.finishedAtMs <= endMs,
  );
  for (const r of inPeriod) {
    const source = sourceOf(r.rel);
    const line = by.get(source) ?? { source, files: 0, bytes: 0, newestRel: '', newestMs: 0 };
    line.files++;
    line.bytes += r.size;
    line.newestMs = Math.max(line.newestMs, r.finishedAtMs);
    by.set(source, line);
  }
  for (const r of inPeriod) {
    const line = by.get(sourceOf(r.rel))!;
    if (r.finishedAtMs < line.newestMs - SAME_GO_MS) continue;
    if (line.newestRel === '' || compareNames(r.rel, line.newestRel) > 0) line.newestRel = r.rel;
  }
  return [...by.values()].sort((a, b) => compareNames(a.source, b.source));
}

function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}

export function formatUptime(ms: number): string {
  const min = Math.floor(ms / 60_000);
  const d = Math.floor(min / 1440);
  const h = Math.floor((min % 1440) / 60);
  const m = min % 60;
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The queue as the status sentence counts it: the legs' "waiting to upload / to copy" are files
 * in transit, and files held in the watch folder (a newer version behind one in transit, transit
 * full, one still being written) wait too. The weekly email is where an operator reads the backlog.
 */
function queueLine(c: StatusSnapshot['counts']): string {
  const transit = `Transit queue: ${plural(c.transit, 'file')}`;
  return c.waiting === 0 ? transit : `${transit}; ${c.waiting} more waiting in the watch folder`;
}

/**
 * The archive's line. "Writable" is the archive's root: a folder in it may still refuse files
 * (made by root, marked immutable), and the line said "present and writable" beside those files'
 * open problems, so it names them.
 */
function archiveLine(s: StatusSnapshot): string {
  const a = s.archive;
  if (!a.enabled) return 'Archive: off';
  // A new install, or a machine that only views the fleet: "Archive : MISSING" read as a fault.
  if (a.path === '') return 'Archive: no archive folder set yet';
  const refused = s.problems.filter((p) => p.code === 'folder-unwritable').length;
  const state = !a.present
    ? a.notAnswering
      ? 'NOT ANSWERING (see the open problems)'
      : 'MISSING'
    : !a.writable
      ? 'present but NOT writable'
      : refused > 0
        ? `present and writable, but ${refused === 1 ? '1 file fails' : `${refused} files fail`} there: a folder in it refuses new files (see the open problems)`
        : 'present and writable';
  const free = a.freeBytes !== null ? `, ${formatBytes(a.freeBytes)} free` : '';
  return `Archive ${a.path}: ${state}${free}; ${plural(s.counts.archivePending, 'file')} waiting to copy`;
}

/** The digest's sections as title + lines, rendered twice (text and HTML). */
function sections(f: DigestFacts, sources: SourceLine[]): [string, string[]][] {
  const s = f.status;
  const totalFiles = sources.reduce((a, x) => a + x.files, 0);
  const totalBytes = sources.reduce((a, x) => a + x.bytes, 0);
  const synced = sources.map(
    (x) =>
      `${x.source}: ${plural(x.files, 'file')}, ${x.bytes} bytes (${formatBytes(x.bytes)}); newest ${x.newestRel} at ${when(x.newestMs)}`,
  );
  synced.push(
    `Total: ${plural(totalFiles, 'file')}, ${totalBytes} bytes (${formatBytes(totalBytes)})`,
  );
  // Connected (the account set up) is not reached: "connected as …" stood beside an outage.
  const reach = !s.offlineCause
    ? ''
    : s.offlineCause === 'server'
      ? ', but failing with server errors now (on its side)'
      : s.offlineCause === 'rate-limit'
        ? ', but asking RDL Sync to slow down now (too many requests)'
        : ', but out of reach now';
  const dropbox = s.dropbox.connected
    ? `Dropbox: connected${s.dropbox.accountName ? ` as ${s.dropbox.accountName}` : ''}${reach}; ${plural(s.counts.uploadPending, 'file')} waiting to upload`
    : `Dropbox: not connected; ${plural(s.counts.uploadPending, 'file')} waiting to upload`;
  const archive = archiveLine(s);
  const disks = (s.disks ?? []).map(
    (d) =>
      `${d.path} (${d.roles.join(', ')}): ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)} (${d.usedPercent} % used)`,
  );
  const alerts = f.alerts.map((x) => `${when(x.atMs)} ${x.kind} ${x.conditionId}: ${x.sentence}`);
  const problems = s.problems.map((p) => `${p.id}: ${p.message}`);
  return [
    [
      'Now',
      [sentenceAsText(s), ...(problems.length ? problems.map((p) => `Open problem: ${p}`) : [])],
    ],
    ['Files synced in the period, per source folder', synced],
    ['Destinations', [dropbox, archive, queueLine(s.counts)]],
    ['Disk free', disks.length ? disks : ['(not measured yet)']],
    [`Alerts in the period (${f.alerts.length})`, alerts.length ? alerts : ['none']],
    [
      'RDL Sync',
      [
        `Version ${f.version}`,
        f.uptimeMs === null ? 'Not running now' : `Running for ${formatUptime(f.uptimeMs)}`,
      ],
    ],
  ];
}

export function buildDigest(f: DigestFacts): Digest {
  const sources = perSource(f.history, f.periodStartMs, f.nowMs);
  const site = f.origin.site || f.origin.host;
  const kind = f.schedule === 'weekly' ? 'weekly' : f.schedule === 'daily' ? 'daily' : '';
  const subject = `RDL Sync ${site}: ${kind ? `${kind} ` : ''}digest ${when(f.nowMs).slice(0, 10)}`;
  const head = `RDL Sync ${kind ? `${kind} ` : ''}digest for ${site} (host ${f.origin.host})`;
  const period = `Period: ${when(f.periodStartMs)} to ${when(f.nowMs)}`;
  const secs = sections(f, sources);
  const text = [
    head,
    period,
    '',
    ...secs.flatMap(([title, lines]) => [title, ...lines.map((l) => `  ${l}`), '']),
  ].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${esc(head)}</h2>`,
    `<p>${esc(period)}</p>`,
    ...secs.map(
      ([title, lines]) =>
        `<h3>${esc(title)}</h3><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`,
    ),
    '</body></html>',
  ].join('\n');
  return { subject, text, html, sources };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The period a digest covers: since the last one, or one schedule length. */
export function digestPeriodMs(schedule: DigestSchedule): number {
  return (schedule === 'weekly' ? 7 : 1) * 24 * 3_600_000;
}

/**
 * When the next digest is due after `lastMs`: the next `hour` o'clock local time (weekly: on a
 * Monday) strictly after it. Local time, because "7 in the morning" is what a person sets.
 */
export function nextDigestDueMs(lastMs: number, schedule: DigestSchedule, hour: number): number {
  if (schedule === 'off') return Infinity;
  const d = new Date(lastMs);
  d.setHours(hour, 0, 0, 0);
  while (d.getTime() <= lastMs || (schedule === 'weekly' && d.getDay() !== 1)) {
    d.setDate(d.getDate() + 1);
    d.setHours(hour, 0, 0, 0);
  }
  return d.getTime();
}
