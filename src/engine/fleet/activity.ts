// What a hub did over the last 24 hours, hour by hour: files and bytes synced (from the history)
// and the backlog (the queue as the engine saw it). Plain data for the Status chart, the
// heartbeat and `rdl-sync fleet`.
import type { HistoryRecord } from '../status/types.js';
import type { Activity, HourBucket } from './activity-types.js';

export type { Activity, HourBucket };

export const HOUR_MS = 3_600_000;
export const ACTIVITY_HOURS = 24;

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Empty buckets for the 24 hours ending with the one holding `nowMs`. */
function emptyHours(nowMs: number, hours: number): HourBucket[] {
  const last = hourStart(nowMs);
  return Array.from({ length: hours }, (_, i) => ({
    startMs: last - (hours - 1 - i) * HOUR_MS,
    files: 0,
    bytes: 0,
    backlog: null,
  }));
}

/**
 * Files and bytes per hour from history records (any order). Only finished files count: a failed
 * file or a retention deletion moved nothing. A record from the future (a clock stepped back)
 * is left out rather than piled into the current hour.
 */
export function hourlyActivity(
  records: Iterable<HistoryRecord>,
  nowMs: number,
  backlog: ReadonlyMap<number, number> = new Map(),
  hours = ACTIVITY_HOURS,
): Activity {
  const buckets = emptyHours(nowMs, hours);
  const first = buckets[0]!.startMs;
  const end = buckets[buckets.length - 1]!.startMs + HOUR_MS;
  for (const r of records) {
    if (r.outcome !== 'done') continue;
    if (r.finishedAtMs < first || r.finishedAtMs >= end) continue;
    const b = buckets[Math.floor((r.finishedAtMs - first) / HOUR_MS)]!;
    b.files++;
    b.bytes += r.size;
  }
  for (const b of buckets) b.backlog = backlog.get(b.startMs) ?? null;
  return { nowMs, hours: buckets };
}

/**
 * The queue's high-water mark per hour, as the status reported it. Kept for the last 24 hours
 * only; saved beside the settings so a restart does not blank the chart.
 */
export class BacklogRecorder {
  private readonly peaks = new Map<number, number>();

  record(atMs: number, queued: number): void {
    const hour = hourStart(atMs);
    const before = this.peaks.get(hour);
    if (before === undefined || queued > before) this.peaks.set(hour, queued);
    this.prune(atMs);
  }

  get(): ReadonlyMap<number, number> {
    return this.peaks;
  }

  toJSON(): [number, number][] {
    return [...this.peaks.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Accepts what toJSON wrote; anything else (a damaged file) is ignored. */
  load(saved: unknown, nowMs: number): void {
    if (!Array.isArray(saved)) return;
    for (const pair of saved) {
      if (!Array.isArray(pair) || pair.length !== 2) continue;
      const [hour, queued] = pair as unknown[];
      if (typeof hour !== 'number' || typeof queued !== 'number') continue;
      if (!Number.isFinite(hour) || !Number.isFinite(queued) || queued < 0) continue;
      this.peaks.set(hourStart(hour), Math.max(this.peaks.get(hourStart(hour)) ?? 0, queued));
    }
    this.prune(nowMs);
  }

  private prune(nowMs: number): void {
    const oldest = hourStart(nowMs) - (ACTIVITY_HOURS - 1) * HOUR_MS;
    for (const hour of this.peaks.keys()) if (hour < oldest) this.peaks.delete(hour);
  }
}
