// An opt-in record of when things happened on the link, for the benchmark to see where a
// transfer's time goes: each API request (route, when its headers arrived, when its answer was
// sent) and the intervals in which the shaped link was carrying body bytes. Times are wall-clock
// milliseconds with sub-millisecond precision (performance.timeOrigin + performance.now()), so a
// process on the same machine can set them beside its own (a client's start and exit).
// Off until asked for; bounded so a forgotten recording cannot grow without limit.

/** Most requests (and, separately, busy intervals) one recording keeps; later ones are counted. */
export const TIMELINE_MAX_ENTRIES = 20_000;

export interface TimelineRequest {
  route: string;
  /** Headers received (before the modelled latency). */
  arrivedMs: number;
  /** Answer fully written, or the connection closed without one; absent while in progress. */
  endedMs?: number;
  status?: number;
}

export interface TimelineSnapshot {
  recording: boolean;
  requests: TimelineRequest[];
  /** Merged intervals [startMs, endMs] in which the link carried request or answer bodies. */
  linkBusy: [number, number][];
  /** Entries not kept because the recording was full. */
  dropped: number;
}

export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export class Timeline {
  private recording = false;
  private requests: TimelineRequest[] = [];
  private busy: [number, number][] = [];
  private dropped = 0;

  /** Starts a fresh recording (whatever was recorded before is dropped). */
  start(): void {
    this.recording = true;
    this.requests = [];
    this.busy = [];
    this.dropped = 0;
  }

  stop(): void {
    this.recording = false;
  }

  /** A request's headers arrived; returns a function to call when it has ended. */
  request(route: string): ((status: number | undefined) => void) | undefined {
    if (!this.recording) return undefined;
    if (this.requests.length >= TIMELINE_MAX_ENTRIES) {
      this.dropped++;
      return undefined;
    }
    const entry: TimelineRequest = { route, arrivedMs: wallNow() };
    this.requests.push(entry);
    return (status) => {
      entry.endedMs ??= wallNow();
      if (status !== undefined) entry.status ??= status;
    };
  }

  /**
   * The link carries bytes over [startMs, endMs] (wall clock). Reservations come in time order
   * (the link queues them), so one that starts where the last ended extends it.
   */
  linkBusy(startMs: number, endMs: number): void {
    if (!this.recording) return;
    const last = this.busy[this.busy.length - 1];
    if (last !== undefined && startMs <= last[1] + 0.001) {
      last[1] = Math.max(last[1], endMs);
      return;
    }
    if (this.busy.length >= TIMELINE_MAX_ENTRIES) {
      this.dropped++;
      return;
    }
    this.busy.push([startMs, endMs]);
  }

  snapshot(): TimelineSnapshot {
    return {
      recording: this.recording,
      requests: this.requests.map((r) => ({ ...r })),
      linkBusy: this.busy.map(([s, e]) => [s, e]),
      dropped: this.dropped,
    };
  }
}
