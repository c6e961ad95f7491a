// The one keep-both naming rule every destination uses when a different file already holds a name:
// `data.csv`, `data (1).csv`, `data (2).csv`… (the pattern Dropbox itself uses, so the copies on
// Dropbox and on the card read alike). Names without an extension, dotfiles included (".env"),
// get the number at the end.

/** The n-th name tried for `path` (a '/'-separated path or a bare name); n = 0 is the name itself. */
export function keepBothName(path: string, n: number): string {
  if (n === 0) return path;
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  // A leading dot is part of the name (".env"), not an extension.
  if (dot <= 0) return `${dir}${name} (${n})`;
  return `${dir}${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

/**
 * The name a file was placed under when it is not its own: a different file held the name, so it
 * went beside it numbered (`data (1).csv`). Null when placed under its own name (letter case
 * aside: Dropbox reads `Data.csv` and `data.csv` as one name). `placedPath`: a Dropbox path or a
 * path on the card.
 */
export function keptUnderOtherName(rel: string, placedPath: string): string | null {
  const own = rel.slice(rel.lastIndexOf('/') + 1);
  const placed = placedPath.split(/[\\/]/).pop() ?? placedPath;
  return placed.toLowerCase() === own.toLowerCase() ? null : placed;
}
