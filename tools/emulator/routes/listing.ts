// files/list_folder and list_folder/continue: paged listings with cursors that, once drained,
// report later changes (including deleted entries), and `reset` for forgotten cursors.
import { randomBytes } from 'node:crypto';
import { BadRequest, RouteError } from '../errors.js';
import type { RequestContext } from '../context.js';
import { deletedMetadata, metadata } from '../metadata.js';
import { checkPath, lowerPath } from '../paths.js';
import type { Route } from './route.js';

interface Cursor {
  /** Listing id (the server keeps the page list). */
  l: string;
  /** Position in that listing. */
  o: number;
  /** Change sequence the listing reflects. */
  s: number;
  /** Page size. */
  n: number;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (
      typeof c.l === 'string' &&
      Number.isInteger(c.o) &&
      Number.isInteger(c.s) &&
      Number.isInteger(c.n)
    )
      return c;
  } catch {
    // fall through
  }
  return undefined;
}

function entryFor(ctx: RequestContext, pathLower: string): Record<string, unknown> {
  const e = ctx.state.ns.get(pathLower);
  if (e) return metadata(e);
  return deletedMetadata(ctx.state.ns.deletedDisplay(pathLower) ?? pathLower);
}

async function answerPage(ctx: RequestContext, cursor: Cursor): Promise<void> {
  const listing = ctx.state.listings.get(cursor.l);
  if (!listing) throw new RouteError({ '.tag': 'reset' });
  const page = listing.paths.slice(cursor.o, cursor.o + cursor.n);
  const next: Cursor = { ...cursor, o: cursor.o + page.length };
  await ctx.json({
    entries: page.map((p) => entryFor(ctx, p)),
    cursor: encodeCursor(next),
    has_more: next.o < listing.paths.length,
  });
}

function newListing(
  ctx: RequestContext,
  folder: string,
  recursive: boolean,
  paths: string[],
): string {
  const id = randomBytes(9).toString('base64url');
  ctx.state.listings.set(id, { folder, recursive, paths });
  return id;
}

const listFolder: Route = {
  name: 'files/list_folder',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const reader = ctx.arg();
    const checked = checkPath(reader, 'path', {
      allowRoot: true,
      namespaceId: ctx.state.namespaceId,
    });
    if (!checked.ok) throw new RouteError({ '.tag': 'path', path: checked.error });
    const recursive = reader.bool('recursive', false);
    reader.bool('include_deleted', false);
    const limit = reader.uint('limit', 2000);
    if (limit < 1 || limit > 2000) {
      throw new BadRequest(`request body: limit: ${limit} is not between 1 and 2000`);
    }
    let folder = checked.path;
    if (folder !== '') {
      const target = folder.startsWith('id:')
        ? ctx.state.ns.getById(folder)
        : ctx.state.ns.get(folder);
      if (!target) throw new RouteError({ '.tag': 'path', path: { '.tag': 'not_found' } });
      if (target.kind !== 'folder')
        throw new RouteError({ '.tag': 'path', path: { '.tag': 'not_folder' } });
      folder = target.pathDisplay;
    }
    const paths = ctx.state.ns.list(folder, recursive).map((e) => lowerPath(e.pathDisplay));
    const id = newListing(ctx, folder, recursive, paths);
    await answerPage(ctx, { l: id, o: 0, s: ctx.state.ns.changeSeq, n: limit });
  },
};

const listFolderContinue: Route = {
  name: 'files/list_folder/continue',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const text = ctx.arg().string('cursor');
    const cursor = decodeCursor(text);
    if (!cursor) throw new BadRequest('request body: cursor: Invalid "cursor" parameter');
    const listing = ctx.state.listings.get(cursor.l);
    if (!listing) throw new RouteError({ '.tag': 'reset' });
    if (cursor.o < listing.paths.length) return answerPage(ctx, cursor);
    // Listing drained: what changed below the folder since it was taken becomes a new listing.
    const changed = ctx.state.ns.changedSince(cursor.s, listing.folder, listing.recursive);
    const id = newListing(ctx, listing.folder, listing.recursive, changed);
    await answerPage(ctx, { l: id, o: 0, s: ctx.state.ns.changeSeq, n: cursor.n });
  },
};

export const listingRoutes: Route[] = [listFolder, listFolderContinue];
