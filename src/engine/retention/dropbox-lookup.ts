// Retention's one question to Dropbox: what content_hash does the copy of this archive file have?
// The path is the remote folder (rendered for the file's own month when the template has {year}
// or {month}) plus the file's path below the archive. One get_metadata call per file.
import type { DropboxCredentials } from '../credentials/index.js';
import { DropboxCalls } from '../dropbox/calls.js';
import { connectSavedDropbox } from '../dropbox/saved-connection.js';
import type { RetryPolicy } from '../retry-policy.js';
import type { Clock, Logger } from '../ports.js';
import { remotePathFor, renderRemoteRoot } from '../settings/remote-root.js';
import type { Settings } from '../settings/schema.js';
import type { RemoteHashLookup } from './retention.js';

export function dropboxHashLookup(
  settings: Settings,
  creds: DropboxCredentials,
  ctx: { clock: Clock; logger: Logger; retry: RetryPolicy; host?: string },
): RemoteHashLookup {
  const connection = connectSavedDropbox(settings, creds);
  const calls = new DropboxCalls(connection, {
    policy: ctx.retry,
    clock: ctx.clock,
    logger: ctx.logger,
  });
  return {
    async copyOf(rel, mtimeMs, signal) {
      const root = renderRemoteRoot(settings.remoteRootTemplate, {
        site: settings.site,
        now: new Date(mtimeMs),
        ...(ctx.host ? { host: ctx.host } : {}),
      });
      const path = remotePathFor(root, rel);
      const entry = await calls.lookup(rel, path, signal);
      const contentHash = entry.kind === 'file' ? entry.metadata.content_hash : undefined;
      return contentHash
        ? {
            path: entry.kind === 'file' ? (entry.metadata.path_display ?? path) : path,
            contentHash,
          }
        : null;
    },
  };
}
