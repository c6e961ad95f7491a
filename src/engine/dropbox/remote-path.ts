// Where a file goes on Dropbox, and the names tried when keeping both versions of a file.

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

/** `<remoteRoot>/<rel>`, '/' separators always (a Windows rel arrives with '/' already). */
export function remotePathFor(remoteRoot: string, rel: string): string {
  const parts = rel.split(/[\\/]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new Error(`empty relative path "${rel}"`);
  return `${remoteRoot}/${parts.join('/')}`;
}

/** 'dir/name (n).ext' for n >= 1, the name Dropbox itself would pick when keeping both. */
export function keepBothName(path: string, n: number): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  // A leading dot is part of the name (".env"), not an extension.
  if (dot <= 0) return `${dir}${name} (${n})`;
  return `${dir}${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

/** Dropbox timestamps: UTC, whole seconds, no fraction. */
export function dropboxTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
