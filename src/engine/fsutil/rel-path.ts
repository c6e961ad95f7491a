// `rel` is the one name a file keeps everywhere (watch, transit, Dropbox, SD card), always with
// '/' separators. Anything that could step outside a root is refused before it touches a disk.
import { join } from 'node:path';

export function relSegments(rel: string): string[] {
  const segments = rel.split('/');
  // A backslash is an ordinary name character on POSIX but a separator on Windows.
  const bad = segments.find(
    (s) =>
      s === '' ||
      s === '.' ||
      s === '..' ||
      s.includes('\0') ||
      (process.platform === 'win32' && s.includes('\\')),
  );
  const drive = process.platform === 'win32' && /^[A-Za-z]:/.test(rel);
  if (rel === '' || bad !== undefined || drive) {
    throw new Error(
      `Invalid relative path ${JSON.stringify(rel)}: it must be a '/'-separated path below the folder, without empty, '.' or '..' parts`,
    );
  }
  return segments;
}

/** Absolute path of `rel` under `root`, after validating `rel`. */
export function resolveRel(root: string, rel: string): string {
  return join(root, ...relSegments(rel));
}
