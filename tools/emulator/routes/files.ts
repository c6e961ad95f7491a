// Single-request file routes: upload, get_metadata, create_folder_v2, delete_v2, download.
import { RouteError, writeErrors } from '../errors.js';
import { MAX_REQUEST_BODY, type RequestContext } from '../context.js';
import { headerSafeJson } from '../json.js';
import { deletedMetadata, fileMetadata, folderMetadata, metadata } from '../metadata.js';
import { ancestorsOf, checkPath, requirePath } from '../paths.js';
import type { EmulatorState } from '../state.js';
import type { Entry } from '../store.js';
import { readCommitInfo } from './commit.js';
import type { Route } from './route.js';

/** Refuses a declared body above 150 MiB before reading any of it. */
export function refuseOversizedBody(ctx: RequestContext, error: Record<string, unknown>): void {
  const declared = Number(ctx.req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BODY) {
    ctx.refuseBody();
    throw new RouteError(error);
  }
}

/** Resolves a ReadPath ('/...', 'id:...', 'rev:...') to an entry, or undefined. */
function lookup(state: EmulatorState, path: string): Entry | undefined {
  if (path.startsWith('id:')) return state.ns.getById(path);
  if (path.startsWith('rev:')) {
    const rev = path.slice(4);
    return state.ns.files().find((f) => f.rev === rev);
  }
  return state.ns.get(path);
}

function readPathArg(ctx: RequestContext, field = 'path'): string {
  const reader = ctx.arg();
  const raw = reader.string(field);
  if (raw.startsWith('rev:')) {
    if (!/^rev:[0-9a-f]{9,}$/.test(raw)) reader.fail(field, `'${raw}' is not a valid rev`);
    return raw;
  }
  return requirePath(checkPath(reader, field, { namespaceId: ctx.state.namespaceId }), (e) => ({
    '.tag': 'path',
    path: e,
  }));
}

const notFound = (): RouteError =>
  new RouteError({ '.tag': 'path', path: { '.tag': 'not_found' } });

const upload: Route = {
  name: 'files/upload',
  host: 'content',
  style: 'upload',
  auth: 'user',
  async handle(ctx) {
    const { state } = ctx;
    refuseOversizedBody(ctx, { '.tag': 'payload_too_large' });
    const commit = readCommitInfo(ctx.arg(), state);
    const expectedHash = ctx.arg().optionalHash('content_hash');
    const bytes = await ctx.receiveBody();
    if (expectedHash !== undefined && expectedHash !== bytes.contentHash) {
      state.blobs.remove(bytes.parts);
      throw new RouteError({ '.tag': 'content_hash_mismatch' });
    }
    // A failed write keeps the bytes in a closed session, as Dropbox does, so a client may
    // finish it elsewhere without sending the data again.
    const failWith = (reason: Record<string, unknown>): never => {
      const session = state.sessions.start('sequential');
      state.sessions.addData(session, 0, bytes, true);
      throw new RouteError({ '.tag': 'path', reason, upload_session_id: session.id });
    };
    if (!commit.ok) return failWith(commit.error);
    if (!ctx.acquireLock()) return failWith(writeErrors.tooManyWriteOperations());
    const result = state.ns.commit(commit.spec, bytes, {
      forceInsufficientSpace: ctx.forceInsufficientSpace,
    });
    if (!result.ok) return failWith(result.error);
    if (!result.written) state.blobs.remove(bytes.parts);
    else if (!commit.spec.mute) state.count('notifications');
    await ctx.json(fileMetadata(result.entry));
  },
};

const getMetadata: Route = {
  name: 'files/get_metadata',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const reader = ctx.arg();
    const path = readPathArg(ctx);
    reader.bool('include_media_info', false);
    const includeDeleted = reader.bool('include_deleted', false);
    reader.bool('include_has_explicit_shared_members', false);
    const entry = lookup(ctx.state, path);
    if (entry) return ctx.json(metadata(entry));
    // A file where a parent folder should be (also a case-only twin: `data` vs `Data/x.csv`).
    if (path.startsWith('/') && ancestorsOf(path).some((a) => ctx.state.ns.get(a)?.kind === 'file'))
      throw new RouteError({ '.tag': 'path', path: { '.tag': 'not_folder' } });
    const gone = includeDeleted ? ctx.state.ns.deletedDisplay(path) : undefined;
    if (gone !== undefined) return ctx.json(deletedMetadata(gone));
    throw notFound();
  },
};

const createFolder: Route = {
  name: 'files/create_folder_v2',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const reader = ctx.arg();
    const path = requirePath(
      checkPath(reader, 'path', { namespaceId: ctx.state.namespaceId }),
      (e) => ({
        '.tag': 'path',
        path: e,
      }),
    );
    const autorename = reader.bool('autorename', false);
    if (!ctx.acquireLock()) {
      throw new RouteError({ '.tag': 'path', path: writeErrors.tooManyWriteOperations() });
    }
    const result = ctx.state.ns.createFolder(path, autorename);
    if (!result.ok) throw new RouteError({ '.tag': 'path', path: result.error });
    await ctx.json({ metadata: folderMetadata(result.entry) });
  },
};

const deleteV2: Route = {
  name: 'files/delete_v2',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const reader = ctx.arg();
    const path = requirePath(
      checkPath(reader, 'path', { namespaceId: ctx.state.namespaceId }),
      (e) => ({
        '.tag': 'path_lookup',
        path_lookup: e['.tag'] === 'malformed_path' ? e : { '.tag': 'not_found' },
      }),
    );
    const parentRev = reader.optionalString('parent_rev');
    const entry = lookup(ctx.state, path);
    if (!entry)
      throw new RouteError({ '.tag': 'path_lookup', path_lookup: { '.tag': 'not_found' } });
    if (parentRev !== undefined && (entry.kind !== 'file' || entry.rev !== parentRev)) {
      throw new RouteError({ '.tag': 'path_write', path_write: writeErrors.conflict(entry.kind) });
    }
    if (!ctx.acquireLock()) throw new RouteError({ '.tag': 'too_many_write_operations' });
    ctx.state.ns.delete(entry.pathDisplay);
    await ctx.json({ metadata: metadata(entry) });
  },
};

const download: Route = {
  name: 'files/download',
  host: 'content',
  style: 'download',
  auth: 'user',
  async handle(ctx) {
    const path = readPathArg(ctx);
    const entry = lookup(ctx.state, path);
    if (!entry) throw notFound();
    if (entry.kind !== 'file')
      throw new RouteError({ '.tag': 'path', path: { '.tag': 'not_file' } });
    if (ctx.fault?.kind === 'drop_response') {
      ctx.res.socket?.destroy();
      return;
    }
    ctx.res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': entry.size,
      'Dropbox-API-Result': headerSafeJson(fileMetadata(entry)),
      ETag: `W/"${entry.rev}"`,
    });
    // reset_mid_body on a download cuts the response body halfway.
    const cutAt = ctx.fault?.kind === 'reset_mid_body' ? Math.floor(entry.size / 2) : Infinity;
    let sent = 0;
    for await (const chunk of ctx.state.blobs.read(entry.parts, ctx.state.link)) {
      if (sent + chunk.length > cutAt) {
        ctx.res.write(chunk.subarray(0, cutAt - sent));
        ctx.res.socket?.destroy();
        return;
      }
      sent += chunk.length;
      if (!ctx.res.write(chunk)) await new Promise((r) => ctx.res.once('drain', r));
    }
    ctx.res.end();
  },
};

export const fileRoutes: Route[] = [upload, getMetadata, createFolder, deleteV2, download];
