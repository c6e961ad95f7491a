// How a span of time reads, the same in every sentence of the engine, the CLI and the window (the
// window reaches it through src/shared/format.ts): "45 s", "15 min", "2.5 h", "3 days". Seconds
// below a minute and a half, so a source that delivers every 20 s is not "every 0 min"; hours
// from an hour and a half, days from a day and a half, so an outage of three days is not
// "unreachable for 4320 min".

/** Every unit formatDuration writes (figures.ts reads a span in any of them as a figure). */
export const DURATION_UNITS = ['s', 'min', 'h', 'days'] as const;

/** "45 s", "15 min", "2.5 h", "3 days"; a negative span (a clock step) reads as "0 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  const hours = s / 3600;
  if (hours < 36) return `${oneDecimalBelowTen(hours)} h`;
  const days = s / 86_400;
  return `${oneDecimalBelowTen(days)} days`;
}

function oneDecimalBelowTen(n: number): number {
  return n < 10 ? Number(n.toFixed(1)) : Math.round(n);
}
