// Dropbox path rules: leading '/', root is "" (never "/"), no trailing '/', case-insensitive
// identity with case-preserving display, and names Dropbox refuses to store.
import type { ArgReader } from './args.js';
import { RouteError, writeErrors, type WriteError } from './errors.js';

const WRITE_PATTERN = String.raw`(/(.|[\r\n])*)|(ns:[0-9]+(/.*)?)`;
const DISALLOWED_NAMES = new Set([
  'desktop.ini',
  'thumbs.db',
  '.ds_store',
  'icon\r',
  '.dropbox',
  '.dropbox.attr',
]);

export function lowerPath(path: string): string {
  return path.toLowerCase();
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '' : path.slice(0, i);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Every ancestor folder of a path, outermost first, root excluded: '/a/b/c' -> ['/a', '/a/b']. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1))
    out.push(path.slice(0, i));
  return out;
}

/** Why a name cannot be stored, as a WriteError, or undefined when it can. */
function nameProblem(name: string): WriteError | undefined {
  if (name === '' || name === '.' || name === '..') return writeErrors.malformedPath();
  if (name.length > 255) return writeErrors.malformedPath();
  const unstorable = [...name].some(
    (c) => c === '\\' || c.charCodeAt(0) === 0 || c.charCodeAt(0) === 0x7f,
  );
  if (unstorable || /\s$/.test(name)) return writeErrors.malformedPath();
  if (DISALLOWED_NAMES.has(name.toLowerCase())) return writeErrors.disallowedName();
  return undefined;
}

export type PathCheck = { ok: true; path: string } | { ok: false; error: WriteError };

/**
 * Validates a path argument. Schema problems (type, pattern, "/" as root, trailing '/') are 400s;
 * problems with an individual name come back as a WriteError for the route to wrap.
 */
export function checkPath(
  reader: ArgReader,
  field: string,
  opts: { allowRoot?: boolean; rootMessage?: string; namespaceId: string },
): PathCheck {
  let path = reader.string(field);
  if (path === '') {
    if (opts.allowRoot) return { ok: true, path: '' };
    reader.fail(field, opts.rootMessage ?? 'The root folder is unsupported.');
  }
  const ns = /^ns:([0-9]+)(\/.*)?$/.exec(path);
  if (ns) {
    if (ns[1] !== opts.namespaceId) return { ok: false, error: writeErrors.malformedPath() };
    path = ns[2] ?? '';
    if (path === '')
      return opts.allowRoot
        ? { ok: true, path: '' }
        : { ok: false, error: writeErrors.malformedPath() };
  }
  if (!path.startsWith('/') && !path.startsWith('id:')) {
    reader.fail(field, `'${path}' did not match pattern '${WRITE_PATTERN}'`);
  }
  if (path === '/') {
    reader.fail(
      field,
      opts.allowRoot
        ? 'Specify the root folder as an empty string rather than as "/".'
        : (opts.rootMessage ?? 'The root folder is unsupported.'),
    );
  }
  if (path.endsWith('/')) reader.fail(field, `'${path}' must not end with a slash`);
  if (path.startsWith('id:')) return { ok: true, path };
  for (const name of path.slice(1).split('/')) {
    const problem = nameProblem(name);
    if (problem) return { ok: false, error: problem };
  }
  return { ok: true, path };
}

/** Throws the route's 409 when a path check failed. */
export function requirePath(
  check: PathCheck,
  wrap: (e: WriteError) => Record<string, unknown>,
): string {
  if (!check.ok) throw new RouteError(wrap(check.error));
  return check.path;
}
