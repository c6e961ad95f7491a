// Loggers that go silent: a jammed serial port or a dead camera stops delivering files, and no
// sync tool notices. Each source folder (the first one or two levels under the watch folder:
// RDL/USB0, cameras/reolink1, internet) learns its usual interval between new files from the
// history, and is reported when silent for much longer than that (factor × usual; 3 × hourly =
// 3 h). Until a source has delivered enough intervals nothing is learned, so nothing is reported.
import { compareNames } from '../compare-names.js';
import { formatDuration } from '../format-duration.js';
import type { Problem, SourceStatus } from '../status/types.js';

export const SOURCE_PROBLEM_PREFIX = 'source-silent:';

/** A date-like folder (2026-11, 2026-11-30, 20261130) is a file's day, not part of its source. */
const DATE_FOLDER = /^\d{4}[-_]?\d{2}([-_]?\d{2})?$/;

/** The source a file belongs to: its top folder, and the next one unless that is a date. */
export function sourceOf(rel: string): string {
  // By index, not split: called for each of up to 5,000 history records after every busy pass.
  const a = rel.indexOf('/');
  if (a < 0) return '(top folder)';
  const b = rel.indexOf('/', a + 1);
  if (b >= 0 && !DATE_FOLDER.test(rel.slice(a + 1, b))) return rel.slice(0, b);
  return rel.slice(0, a);
}

export interface Arrival {
  rel: string;
  atMs: number;
}

export interface SilenceRules {
  factor: number;
  minSamples: number;
  /** Per-source limits in ms (0 = never report). */
  overrides: Map<string, number>;
}

export function silenceRulesOf(s: {
  silentSourceFactor: number;
  silentSourceMinSamples: number;
  silentSourceOverrides: string[];
}): SilenceRules {
  const overrides = new Map<string, number>();
  for (const o of s.silentSourceOverrides) {
    const at = o.lastIndexOf('=');
    overrides.set(
      o
        .slice(0, at)
        .trim()
        .replace(/^\/+|\/+$/g, ''),
      Number(o.slice(at + 1)) * 60_000,
    );
  }
  return { factor: s.silentSourceFactor, minSamples: s.silentSourceMinSamples, overrides };
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** The arrivals by source (sourceOf), each source's in the order given. */
export function groupBySource(arrivals: Iterable<Arrival>): Map<string, Arrival[]> {
  const bySource = new Map<string, Arrival[]>();
  for (const a of arrivals) {
    const s = sourceOf(a.rel);
    let list = bySource.get(s);
    if (!list) bySource.set(s, (list = []));
    list.push(a);
  }
  return bySource;
}

/**
 * Each source with its last file, usual interval (the median gap between arrivals: one late file
 * or a burst after an outage does not move it) and whether it is silent now.
 */
export function learnSources(
  arrivals: Arrival[],
  rules: SilenceRules,
  nowMs: number,
): SourceStatus[] {
  return [...groupBySource(arrivals).entries()]
    .sort(([a], [b]) => compareNames(a, b))
    .map(([source, list]) => learnSource(source, list, rules, nowMs));
}

/**
 * One source learnt from its arrivals (at least one; sorted here, in place). Of arrivals at the
 * same instant, the one given last is the source's last file.
 */
export function learnSource(
  source: string,
  list: Arrival[],
  rules: SilenceRules,
  nowMs: number,
): SourceStatus {
  list.sort((a, b) => a.atMs - b.atMs);
  const gaps: number[] = [];
  for (let i = 1; i < list.length; i++) {
    const gap = list[i]!.atMs - list[i - 1]!.atMs;
    // Files that arrive together (a camera's CSV and JPEG, a backlog drained at once) are one
    // delivery, not an interval.
    if (gap > 1_000) gaps.push(gap);
  }
  const last = list[list.length - 1]!;
  const usual = gaps.length >= rules.minSamples ? median(gaps) : null;
  const override = rules.overrides.get(source);
  const silentAfterMs =
    override !== undefined
      ? override > 0
        ? override
        : null
      : usual === null
        ? null
        : usual * rules.factor;
  return silentAt(
    {
      source,
      lastFileMs: last.atMs,
      lastFileRel: last.rel,
      usualIntervalMs: usual,
      silentAfterMs,
      silent: false,
    },
    nowMs,
  );
}

/** The source as it stands at `nowMs`: silent once its last file is older than its limit. */
export function silentAt(s: SourceStatus, nowMs: number): SourceStatus {
  return {
    ...s,
    silent: s.silentAfterMs !== null && nowMs - s.lastFileMs > s.silentAfterMs,
  };
}

export function silentSourceProblem(s: SourceStatus, nowMs: number): Omit<Problem, 'sinceMs'> {
  const usual =
    s.usualIntervalMs === null
      ? ''
      : ` (usually a file every ${formatDuration(s.usualIntervalMs)})`;
  return {
    id: `${SOURCE_PROBLEM_PREFIX}${s.source}`,
    code: 'source-silent',
    severity: 'attention',
    tab: 'status',
    message: `No new file from ${s.source} for ${formatDuration(nowMs - s.lastFileMs)}${usual}; the last was ${s.lastFileRel}: ${adviceFor(s)}`,
  };
}

/** A serial port's device name as loggers' folders carry it: USB0, ttyUSB0, ttyACM1, COM3. */
const SERIAL_FOLDER = /^(tty)?(USB|ACM|AMA|S)\d+$|^COM\d+$|serial/i;
/** A camera's folder (cameras/reolink1, infrared1), or a source whose last file is a picture. */
const CAMERA_FOLDER = /cam|reolink|infrared/i;
const PICTURE_FILE = /\.(jpe?g|png|tiff?|bmp)$/i;

/**
 * What to check, by the kind of source as far as its folder and last file tell: a serial logger
 * (RDL/USB0) was told of "a camera without power or network". A source of no known kind gets
 * advice that fits any.
 */
function adviceFor(s: SourceStatus): string {
  const folder = s.source.slice(s.source.lastIndexOf('/') + 1);
  if (SERIAL_FOLDER.test(folder))
    return 'check that logger: its power, and its serial cable and USB adapter (a jammed serial port stops it)';
  if (CAMERA_FOLDER.test(s.source) || PICTURE_FILE.test(s.lastFileRel))
    return 'check that camera: its power and its network connection';
  return 'check that logger: its power, its cable or network connection, and that it still writes into this folder';
}
