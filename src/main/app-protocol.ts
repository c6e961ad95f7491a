// The window's page comes from our own scheme, rdl-sync://app/, not from file:// (Electron's
// security checklist: a file:// page shares its origin with every file on the disk, and the
// packaged app had to keep the GrantFileProtocolExtraPrivileges fuse on for it). This module
// decides, without Electron, which bundled renderer file a URL names; window.ts hands requests
// to it through protocol.handle. Anything it does not recognise is a 404: only plain file names
// in the renderer folder, of a type we ship, never a folder, never outside it (a symlink
// included), never another host.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

// The callback forms: Electron's asar support patches these (the page lives in app.asar).
const realpath = promisify(fs.realpath);
const stat = promisify(fs.stat);
const readFile = promisify(fs.readFile);

export const APP_SCHEME = 'rdl-sync';
export const APP_HOST = 'app';
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * The page's Content-Security-Policy, sent as a header too: index.html's meta tag says the same
 * (a test holds them equal), and a header also covers what a meta tag cannot (it applies before
 * the first byte of the page is parsed).
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'";

/** The types the renderer build writes (scripts/build.mjs); any other extension is refused. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/**
 * A name in the renderer folder: letters, digits, `_`, `-` and inner dots. No `..`, no hidden
 * files, no separators of any kind, no `%` (so nothing was left encoded), no empty segment.
 */
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The app scheme's own host, with no user name or password: the window's one origin. */
export function isAppOrigin(u: URL): boolean {
  return (
    u.protocol === `${APP_SCHEME}:` &&
    u.host.toLowerCase() === APP_HOST &&
    !u.username &&
    !u.password
  );
}

/** The relative path inside the renderer folder that `url` names, or null: refused (a 404). */
export function appFileOf(url: string): string[] | null {
  // Traversal is checked on the raw text too: the URL parser folds `..` and `%2e%2e` away, so
  // `rdl-sync://app/../../etc/passwd` would otherwise arrive as the harmless-looking /etc/passwd.
  const raw = /^[^:]*:\/\/[^/?#]*(\/[^?#]*)?/.exec(url)?.[1] ?? '';
  if (/(^|\/)(\.|%2e){1,2}(\/|$)|\\|%5c|%2f|%00/i.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!isAppOrigin(u)) return null;
  const segments = u.pathname.split('/').slice(1);
  if (segments.length === 0 || !segments.every((s) => SAFE_SEGMENT.test(s))) return null;
  if (!contentTypeOf(segments[segments.length - 1]!)) return null;
  return segments;
}

export function contentTypeOf(name: string): string | undefined {
  return CONTENT_TYPES[path.extname(name).toLowerCase()];
}

export interface AppResponse {
  status: 200 | 404;
  headers: Record<string, string>;
  /** A plain Uint8Array: what a fetch Response takes (a Buffer's type does not fit). */
  body: Uint8Array<ArrayBuffer> | null;
}

const NOT_FOUND: AppResponse = {
  status: 404,
  headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  body: new TextEncoder().encode('Not found'),
};

/**
 * What the app scheme answers for `url`: the file it names below `rendererDir`, or 404. The
 * real path must stay inside the real renderer folder, so a symlink in it that leads out is
 * refused like `..`.
 */
export async function serveAppFile(
  url: string,
  rendererDir: string,
  method = 'GET',
): Promise<AppResponse> {
  if (method !== 'GET' && method !== 'HEAD') return NOT_FOUND;
  const segments = appFileOf(url);
  if (!segments) return NOT_FOUND;
  try {
    const root = await realpath(rendererDir);
    const file = await realpath(path.join(rendererDir, ...segments));
    if (!file.startsWith(root + path.sep)) return NOT_FOUND;
    const info = await stat(file);
    if (!info.isFile()) return NOT_FOUND;
    const type = contentTypeOf(file);
    if (!type) return NOT_FOUND;
    const headers: Record<string, string> = {
      'Content-Type': type,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    };
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = PAGE_CSP;
    return {
      status: 200,
      headers,
      body: method === 'HEAD' ? null : new Uint8Array(await readFile(file)),
    };
  } catch {
    return NOT_FOUND;
  }
}
