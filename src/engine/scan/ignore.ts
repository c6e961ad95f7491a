// Which names are never synced. User patterns are globs matched against each file or folder
// name (a pattern containing '/' is matched against the path below the watch folder instead);
// Dropbox's own ignored names are always left out, because Dropbox refuses them anyway.
import picomatch from 'picomatch';

/** Names Dropbox will not store (dropbox-api-facts.md §4), compared case-insensitively. */
export const DROPBOX_IGNORED_NAMES: readonly string[] = [
  'desktop.ini',
  'thumbs.db',
  '.ds_store',
  'icon\r',
  '.dropbox',
  '.dropbox.attr',
];

const dropboxIgnored = new Set(DROPBOX_IGNORED_NAMES);

export function isDropboxIgnoredName(name: string): boolean {
  return dropboxIgnored.has(name.toLowerCase());
}

export interface IgnoreOptions {
  /** Match case-insensitively; defaults to true on Windows and macOS, whose disks ignore case. */
  nocase?: boolean;
}

export type IgnoreMatcher = (name: string, rel?: string) => boolean;

/** Compile patterns once; the matcher is called for every entry of a possibly huge tree. */
export function compileIgnore(
  patterns: readonly string[],
  options: IgnoreOptions = {},
): IgnoreMatcher {
  const nocase = options.nocase ?? (process.platform === 'win32' || process.platform === 'darwin');
  // dot: a pattern like '*.tmp' should also catch '.x.tmp'; '.*' already names dotfiles explicitly.
  const pmOptions = { dot: true, nocase };
  const byName = patterns.filter((p) => !p.includes('/'));
  const byPath = patterns.filter((p) => p.includes('/')).map((p) => p.replace(/^\/+/, ''));
  const nameMatch = byName.length > 0 ? picomatch(byName, pmOptions) : () => false;
  const pathMatch = byPath.length > 0 ? picomatch(byPath, pmOptions) : () => false;
  return (name, rel) =>
    isDropboxIgnoredName(name) || nameMatch(name) || (rel !== undefined && pathMatch(rel));
}

const cache = new Map<string, IgnoreMatcher>();

/** True when `name` (a file or folder name, not a path) must not be synced. */
export function isIgnored(
  name: string,
  patterns: readonly string[],
  options: IgnoreOptions = {},
): boolean {
  const key = `${options.nocase ?? ''}\0${patterns.join('\0')}`;
  let matcher = cache.get(key);
  if (!matcher) {
    if (cache.size > 32) cache.clear();
    matcher = compileIgnore(patterns, options);
    cache.set(key, matcher);
  }
  return matcher(name);
}
