// A hub's last 24 hours as plain data (types only: the window, the heartbeat and the CLI share
// them). Kept apart from types.ts, which names the heartbeat, so no import runs in a circle.

export interface HourBucket {
  /** Start of the hour (epoch ms, on a whole hour). */
  startMs: number;
  /** Files whose both copies were verified in this hour. */
  files: number;
  bytes: number;
  /** The largest queue (watch folder + transit) seen in this hour; null when none was seen. */
  backlog: number | null;
}

export interface Activity {
  nowMs: number;
  /** ACTIVITY_HOURS buckets, oldest first; the last one is the hour in progress. */
  hours: HourBucket[];
}
