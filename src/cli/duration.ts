const UNIT_MS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/**
 * Parses '90s', '30m', '1h', '2d', '1h30m' (or '1 h 30 min') or a bare number of minutes into
 * milliseconds. "1h30m" was refused, the form `systemd` and most tools take.
 */
export function parseDuration(text: string): number {
  const refused = new Error(
    `"${text}" is not a duration: use for example 30m, 1h, 1h30m or 2d (a bare number is minutes)`,
  );
  const bare = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (bare) return Math.round(Number(bare[1]) * UNIT_MS.m!);
  const part = /\s*(\d+(?:\.\d+)?)\s*([a-z]+)/giy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(text); m; m = part.exec(text)) {
    const unit = UNIT_MS[m[2]!.toLowerCase()];
    if (unit === undefined) throw refused;
    total += Number(m[1]) * unit;
    end = part.lastIndex;
  }
  if (end === 0 || text.slice(end).trim() !== '') throw refused;
  return Math.round(total);
}

/**
 * Local "2026-12-02 16:18:57 EST": one unambiguous form whatever the locale. toLocaleString gave
 * "12/2/2026, 4:18:57 PM" under the C locale of a service or an ssh session (December 2 or
 * February 12?), beside the 24-hour "Last file synced at 16:18" of the same status. The zone is
 * the hub's: an admin reading over ssh from another zone (or a Pi left on UTC) knew not which.
 */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never';
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zoneName(d)}`;
}

const ZONE = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });

/** "UTC", "EST", "GMT+1": the short name of this machine's zone at `d` (summer time included). */
function zoneName(d: Date): string {
  return ZONE.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'local time';
}
