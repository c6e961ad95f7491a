// Where a file goes on Dropbox, and the names tried when keeping both versions of a file.
import { SyncError } from '../errors.js';

/** Checks a remote root such as '/RDL/site1' ('' = the app's root) and drops trailing slashes. */
export function normaliseRemoteRoot(root: string): string {
  const r = root.trim().replace(/\/+$/, '');
  if (r !== '' && !r.startsWith('/')) {
    throw new Error(
      `Remote folder "${root}" must start with / (for example /RDL/site1), or be empty`,
    );
  }
  return r;
}

/** Dropbox refuses a name longer than this (`malformed_path`) [spec: 255 characters]. */
export const MAX_NAME_CHARS = 255;

function badName(rel: string, why: string): SyncError {
  return new SyncError({ kind: 'file-failed', code: 'malformed-path', message: `"${rel}" ${why}` });
}

/**
 * `<remoteRoot>/<rel>`. `rel` always uses '/' (a Windows rel arrives converted). The same rule as
 * the card: no empty, '.' or '..' part ever reaches a path; and a backslash, an ordinary name
 * character on the logger's disk, is one Dropbox never allows in a name, so it is refused rather
 * than silently turned into a folder. Throws a per-file SyncError naming the fix.
 */
export function remotePathFor(remoteRoot: string, rel: string): string {
  const parts = rel.split('/');
  if (rel === '' || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw badName(rel, 'has an empty, "." or ".." part, which Dropbox cannot store: rename it');
  }
  if (parts.some((p) => p.includes('\\'))) {
    throw badName(
      rel,
      'contains a backslash (\\), which Dropbox does not allow in names: rename it',
    );
  }
  const long = parts.find((p) => [...p].length > MAX_NAME_CHARS);
  if (long !== undefined) {
    throw badName(
      rel,
      `has a name of ${[...long].length} characters; Dropbox allows at most ${MAX_NAME_CHARS}: shorten it`,
    );
  }
  return `${remoteRoot}/${parts.join('/')}`;
}

// The keep-both rule is shared with the archive leg (one rule, legs/keep-both.ts).
export { keepBothName } from '../legs/keep-both.js';

/** Dropbox timestamps: UTC, whole seconds, no fraction. */
export function dropboxTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
