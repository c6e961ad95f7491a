// How numbers and times read in the window.
import { formatBytes, formatDuration } from '../shared/format.js';

/** A size as everywhere else (src/shared/format.ts); a dash where it is not known. */
export function bytes(n: number | null | undefined): string {
  return formatBytes(n, '—');
}

export function rate(bytesPerSecond: number): string {
  return `${bytes(bytesPerSecond)}/s`;
}

export function relativeTime(ms: number | null, now: number = Date.now()): string {
  if (ms === null) return 'never';
  const delta = now - ms;
  const future = delta < 0;
  const s = Math.abs(delta) / 1000;
  let text: string;
  if (s < 45) text = future ? 'in a few seconds' : 'just now';
  else if (s < 3600) text = `${Math.round(s / 60)} min`;
  else if (s < 86_400) text = `${Math.round(s / 3600)} h`;
  else text = `${Math.round(s / 86_400)} days`;
  if (s < 45) return text;
  return future ? `in ${text}` : `${text} ago`;
}

export function absoluteTime(ms: number | null): string {
  if (ms === null) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "5 min ago (2026-11-24 14:02:11)" */
export function when(ms: number | null, now?: number): string {
  if (ms === null) return 'never';
  return `${relativeTime(ms, now)} (${absoluteTime(ms)})`;
}

export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A span of time as a person says it (src/shared/format.ts); a dash where it is not known. */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return formatDuration(ms);
}
