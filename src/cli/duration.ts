/** Parses '90s', '30m', '1h', '2d' or a bare number of minutes into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration: use for example 30m, 1h or 2d`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const factor =
    unit === 's' ? 1_000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  return Math.round(n * factor);
}

/**
 * Local "2026-12-02 16:18:57": one unambiguous form whatever the locale. toLocaleString gave
 * "12/2/2026, 4:18:57 PM" under the C locale of a service or an ssh session (December 2 or
 * February 12?), beside the 24-hour "Last file synced at 16:18" of the same status.
 */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never';
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
