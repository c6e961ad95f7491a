// Where a transfer's time goes, from the emulator's timeline (`record-timeline` / `timeline`):
// the time before the link carries its first byte (process start-up, token, account calls,
// opening the session), the link's idle moments while the file is on the wire, and the tail
// after its last byte (closing, committing, exiting). The link's own accounting says when it was
// busy, so idle time is measured where it happens, not inferred from the total.
import type { TimelineSnapshot, TimelineRequest } from '../emulator/timeline.js';

/** Idle moments shorter than this are timer and scheduling noise, not a client's pause. */
const GAP_MS = 2;

export interface TimelineWindow {
  /** When the measured process started and ended (wall-clock ms, as the timeline's). */
  startMs: number;
  endMs: number;
}

function ms(v: number): string {
  return `${Math.round(v)} ms`;
}

/** "route +arrival..end" relative to `t0`, for requests that matter to one phase. */
function requestList(requests: TimelineRequest[], t0: number): string {
  return requests
    .map(
      (r) =>
        `${shortRoute(r.route)} ${Math.round(r.arrivedMs - t0)}` +
        `${r.endedMs === undefined ? '' : `..${Math.round(r.endedMs - t0)}`}`,
    )
    .join(', ');
}

/** Busy time and idle gaps of the link within [fromMs, toMs]. */
function linkUse(busy: [number, number][], fromMs: number, toMs: number) {
  let busyMs = 0;
  let prevEnd = fromMs;
  const gaps: { at: number; ms: number }[] = [];
  for (const [s0, e0] of busy) {
    const s = Math.max(s0, fromMs);
    const e = Math.min(e0, toMs);
    if (e <= s) continue;
    busyMs += e - s;
    if (s - prevEnd >= GAP_MS) gaps.push({ at: prevEnd, ms: s - prevEnd });
    prevEnd = e;
  }
  if (toMs - prevEnd >= GAP_MS) gaps.push({ at: prevEnd, ms: toMs - prevEnd });
  return { busyMs, gaps };
}

/** The three figures of a transfer's time on the link, ms (undefined when no bulk request came). */
export interface TimelineFigures {
  /** From the process's start to the first bulk request's arrival. */
  head: number;
  /** Link idle between the first bulk request's arrival and the last one's answer. */
  idle: number;
  /** From the last bulk request's answer to the process's end. */
  tail: number;
}

export function timelineFigures(
  tl: TimelineSnapshot,
  w: TimelineWindow,
  bulkRoute: string,
): TimelineFigures | undefined {
  const bulk = tl.requests.filter((r) => r.route === bulkRoute);
  const first = bulk[0];
  if (first === undefined) return undefined;
  const lastEnd = Math.max(...bulk.map((r) => r.endedMs ?? r.arrivedMs));
  const during = linkUse(tl.linkBusy, first.arrivedMs, lastEnd);
  return {
    head: first.arrivedMs - w.startMs,
    idle: lastEnd - first.arrivedMs - during.busyMs,
    tail: w.endMs - lastEnd,
  };
}

/**
 * Lines describing the process's time on the link, for the bench's output. `bulkRoute` names the
 * route that carries the file (its requests are summed up, the others listed one by one).
 */
export function describeTimeline(
  tl: TimelineSnapshot,
  w: TimelineWindow,
  bulkRoute = 'files/upload_session/append_v2',
): string[] {
  const rel = (t: number): number => t - w.startMs;
  const total = w.endMs - w.startMs;
  const all = linkUse(tl.linkBusy, w.startMs, w.endMs);
  const bulk = tl.requests.filter((r) => r.route === bulkRoute);
  const others = tl.requests.filter((r) => r.route !== bulkRoute);
  const firstRequest = tl.requests[0];
  const lines = [
    `timeline, ms from the process's start (total ${ms(total)}; the link busy ${ms(all.busyMs)} = ` +
      `${((all.busyMs / total) * 100).toFixed(1)}%, idle ${ms(total - all.busyMs)}):`,
    `  first request at ${firstRequest ? ms(rel(firstRequest.arrivedMs)) : '-'}; ` +
      `requests other than ${shortRoute(bulkRoute)} (arrived..answered): ` +
      (requestList(others, w.startMs) || 'none'),
  ];
  const firstBulk = bulk[0];
  const lastEnd = Math.max(...bulk.map((r) => r.endedMs ?? r.arrivedMs));
  if (firstBulk !== undefined) {
    const during = linkUse(tl.linkBusy, firstBulk.arrivedMs, lastEnd);
    const gapMs = during.gaps.reduce((n, g) => n + g.ms, 0);
    const largest = [...during.gaps]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 4)
      .map((g) => `${ms(g.ms)} at ${ms(rel(g.at))}`)
      .join(', ');
    lines.push(
      `  ${bulk.length} ${shortRoute(bulkRoute)} from ${ms(rel(firstBulk.arrivedMs))} ` +
        `to ${ms(rel(lastEnd))}: the link idle ${ms(lastEnd - firstBulk.arrivedMs - during.busyMs)} ` +
        `(${during.gaps.length} gaps of ${GAP_MS} ms or more = ${ms(gapMs)}${largest ? `; largest ${largest}` : ''})`,
      `  after the last of them ${ms(w.endMs - lastEnd)} to the exit`,
    );
  }
  if (tl.dropped > 0) lines.push(`  (the recording was full: ${tl.dropped} entries not kept)`);
  return lines;
}

/** A route as the bench prints it: `files/upload_session/append_batch` as `append_batch`. */
export function shortRoute(route: string): string {
  return route.replace(/^files\/(upload_session\/)?/, '');
}
