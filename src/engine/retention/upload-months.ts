// Which months' folders may hold an archive file's Dropbox copy, when the remote folder is named
// by the date of the upload. The upload happened after the file was written (its mtime) and, on
// the transit disk, before the archive copy's last change (its ctime: the transit name is unlinked
// once both legs are verified); a card on another disk takes its copy around the upload. A file can
// wait in transit for weeks (offline), so up to a year after it was written is asked. A date
// before the clock was ever set (a Pi at 1970) names no upload month: no upload happens then.
import { CLOCK_SET_AFTER_MS } from '../settings/remote-root.js';

/** A file waits in transit at most this many months before its upload, as far as we look. */
const MONTHS_AFTER = 12;

/** Mid-month dates (local time, as the folder is rendered), likeliest first, no month twice. */
export function uploadMonths(file: { mtimeMs: number; ctimeMs: number }, nowMs: number): Date[] {
  const set = (ms: number): boolean => ms >= CLOCK_SET_AFTER_MS;
  const from = set(file.mtimeMs) ? file.mtimeMs : set(file.ctimeMs) ? file.ctimeMs : null;
  if (from === null) return [];
  const month = (ms: number): number => {
    const d = new Date(ms);
    return d.getFullYear() * 12 + d.getMonth();
  };
  const first = month(from);
  const last = Math.max(first, Math.min(first + MONTHS_AFTER, month(Math.max(nowMs, from))));
  const order = [first, ...(set(file.ctimeMs) ? [month(file.ctimeMs)] : [])];
  for (let m = first + 1; m <= last; m++) order.push(m);
  return [...new Set(order)].map((m) => new Date(Math.floor(m / 12), m % 12, 15));
}
