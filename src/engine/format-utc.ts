// A moment as people far from the hub read it: "2026-12-03 18:30 UTC". Alerts and problems are
// read by email in another time zone than the hub's, and a Pi without network may not know its
// own; UTC says the same to everyone, to the minute (seconds are noise in a sentence).

/** "2026-12-03 18:30 UTC". */
export function formatUtcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
