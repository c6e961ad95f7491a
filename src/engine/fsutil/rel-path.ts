// `rel` is the one name a file keeps everywhere (watch, transit, Dropbox, SD card), always with
// '/' separators. Anything that could step outside a root is refused before it touches a disk.
import { join, sep } from 'node:path';
import { bytesFromName, isEscapedName } from './name-map.js';

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

/**
 * The on-disk path of a rel read from the watch folder, whose names may be in escaped form
 * (fsutil/name-map.ts): a string when the bytes are UTF-8, else a Buffer (Node's fs takes both).
 */
export function rawPathOf(root: string, rel: string): string | Buffer {
  const segments = relSegments(rel);
  if (!segments.some(isEscapedName)) return join(root, ...segments);
  const bytes = Buffer.concat([
    Buffer.from(root, 'utf8'),
    ...segments.flatMap((s) => [Buffer.from(sep), bytesFromName(s)]),
  ]);
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : bytes;
}
