// `rel` is the one name a file keeps everywhere (watch, transit, Dropbox, SD card), always with
// '/' separators. Anything that could step outside a root is refused before it touches a disk.
//
// These run several times per file (staging, the legs, the checks before removal), so the check
// walks the string once instead of splitting it and testing each part, and an absolute root is
// normalized once and joined by concatenation instead of by path.join's full normalization.
import { join, normalize, sep } from 'node:path';
import { bytesFromName, isEscapedName } from './name-map.js';

const WINDOWS = process.platform === 'win32';
const DOT = 0x2e;

/** Whether `rel` is '/'-separated names below a folder: no empty, '.' or '..' part, no NUL. */
function isPlainRel(rel: string): boolean {
  if (rel === '' || rel.includes('\0')) return false;
  // A backslash is an ordinary name character on POSIX but a separator on Windows.
  if (WINDOWS && (rel.includes('\\') || /^[A-Za-z]:/.test(rel))) return false;
  for (let start = 0; ;) {
    const slash = rel.indexOf('/', start);
    const end = slash === -1 ? rel.length : slash;
    const length = end - start;
    if (length === 0) return false;
    if (
      length <= 2 &&
      rel.charCodeAt(start) === DOT &&
      (length === 1 || rel.charCodeAt(start + 1) === DOT)
    )
      return false;
    if (slash === -1) return true;
    start = slash + 1;
  }
}

function checkRel(rel: string): void {
  if (!isPlainRel(rel)) {
    throw new Error(
      `Invalid relative path ${JSON.stringify(rel)}: it must be a '/'-separated path below the folder, without empty, '.' or '..' parts`,
    );
  }
}

export function relSegments(rel: string): string[] {
  checkRel(rel);
  return rel.split('/');
}

/** Normalized absolute roots ending in the separator; a handful of roots, bounded anyway. */
const rootPrefixes = new Map<string, string>();
const MAX_ROOT_PREFIXES = 64;

/**
 * `root` joined with a checked rel, equal to path.join(root, ...segments). For an absolute POSIX
 * root, normalizing the root alone is enough: the rel's parts are plain names normalization would
 * leave as they are.
 */
function joinChecked(root: string, rel: string): string {
  if (WINDOWS || root.charCodeAt(0) !== 0x2f) return join(root, ...rel.split('/'));
  let prefix = rootPrefixes.get(root);
  if (prefix === undefined) {
    const n = normalize(root);
    prefix = n.endsWith('/') ? n : `${n}/`;
    if (rootPrefixes.size >= MAX_ROOT_PREFIXES) rootPrefixes.clear();
    rootPrefixes.set(root, prefix);
  }
  return prefix + rel;
}

/** Absolute path of `rel` under `root`, after validating `rel`. */
export function resolveRel(root: string, rel: string): string {
  checkRel(rel);
  return joinChecked(root, rel);
}

/**
 * The on-disk path of a rel read from the watch folder, whose names may be in escaped form
 * (fsutil/name-map.ts): a string when the bytes are UTF-8, else a Buffer (Node's fs takes both).
 */
export function rawPathOf(root: string, rel: string): string | Buffer {
  checkRel(rel);
  // An escape is '%' and two hex digits, so it never spans a '/': testing the whole rel is testing
  // each name.
  if (!isEscapedName(rel)) return joinChecked(root, rel);
  const bytes = Buffer.concat([
    Buffer.from(root, 'utf8'),
    ...rel.split('/').flatMap((s) => [Buffer.from(sep), bytesFromName(s)]),
  ]);
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : bytes;
}
