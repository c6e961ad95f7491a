// Retention's one question to Dropbox: what content_hash does the copy of this archive file have?
// The path is the remote folder plus the file's path below the archive, one get_metadata call per
// folder asked. A folder named by the date ({year}, {month}) is the date of the upload, which the
// archive does not keep: the months the upload can have happened in are asked, likeliest first
// (upload-months.ts), until one holds the same bytes.
import type { DropboxCredentials } from '../credentials/index.js';
import { DropboxCalls } from '../dropbox/calls.js';
import { connectSavedDropbox } from '../dropbox/saved-connection.js';
import type { RetryPolicy } from '../retry-policy.js';
import type { Clock, Logger } from '../ports.js';
import { remotePathFor, renderRemoteRoot, usesDate } from '../settings/remote-root.js';
import type { Settings } from '../settings/schema.js';
import type { RemoteHashLookup } from './retention.js';
import { uploadMonths } from './upload-months.js';

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
  const rootAt = (now?: Date): string =>
    renderRemoteRoot(settings.remoteRootTemplate, {
      site: settings.site,
      ...(now ? { now } : {}),
      ...(ctx.host ? { host: ctx.host } : {}),
    });
  return {
    async copyOf(file, localHash, signal) {
      const roots = usesDate(settings.remoteRootTemplate)
        ? [...new Set(uploadMonths(file, ctx.clock.now()).map(rootAt))]
        : [rootAt()];
      let other: { path: string; contentHash: string } | null = null;
      for (const root of roots) {
        const path = remotePathFor(root, file.rel);
        const entry = await calls.lookup(file.rel, path, signal);
        if (entry.kind !== 'file' || !entry.metadata.content_hash) continue;
        const found = {
          path: entry.metadata.path_display ?? path,
          contentHash: entry.metadata.content_hash,
        };
        if (found.contentHash === localHash) return found;
        other ??= found;
      }
      return other;
    },
  };
}
