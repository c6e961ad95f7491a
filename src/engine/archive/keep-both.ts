import { extname } from 'node:path';

/**
 * The n-th name tried when a different file already holds `name`: `data.csv`, `data (1).csv`,
 * `data (2).csv`… (the pattern Dropbox uses, so both copies read alike). Names without an
 * extension, dotfiles included (extname('.env') is ''), get the number at the end.
 */
export function keepBothName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  if (ext === '') return `${name} (${n})`;
  return `${name.slice(0, -ext.length)} (${n})${ext}`;
}
