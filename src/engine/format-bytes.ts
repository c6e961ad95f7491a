// How a number of bytes reads, the same in every sentence of the engine, the CLI and the window
// (the window reaches it through src/shared/format.ts). Decimal units, as Dropbox and the file
// managers people compare us with show sizes: 1 kB = 1000 B. One decimal below 10, so 4.2 MB
// but 83 GB: enough to compare two figures, few enough digits to read at a glance.

/** Every unit formatBytes writes (figures.ts reads a size in any of them as a figure). */
export const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;
const UNITS = BYTE_UNITS;

/** "512 B", "4.2 MB", "83 GB"; `unknown` for a figure not known (null, undefined, not finite). */
export function formatBytes(n: number | null | undefined, unknown = 'unknown'): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return unknown;
  if (n < 0) return `-${formatBytes(-n)}`;
  let unit = 0;
  let value = n;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let text = value.toFixed(unit > 0 && value < 9.95 ? 1 : 0);
  // 999.6 kB rounds to 1000: say 1.0 MB instead.
  if (Number(text) >= 1000 && unit < UNITS.length - 1) {
    unit++;
    text = '1.0';
  }
  return `${text} ${UNITS[unit]}`;
}
