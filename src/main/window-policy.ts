// The window's security rules as plain functions (window.ts applies them to Electron's events):
// the page may never leave the one file we loaded, open windows, or get any permission.

/** Same document (only the fragment may differ), so in-page anchors still work. */
export function isOwnPage(url: string, rendererUrl: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(rendererUrl);
    return (
      a.protocol === b.protocol &&
      a.host === b.host &&
      a.pathname === b.pathname &&
      a.search === b.search
    );
  } catch {
    return false;
  }
}

/** Navigation is allowed only to the page itself (a reload). */
export function mayNavigate(url: string, rendererUrl: string): boolean {
  return isOwnPage(url, rendererUrl);
}

/**
 * What the window's session may load: its own files (and devtools, data: images). Everything
 * else, http(s) and ws included, is cancelled, a second wall behind the page's CSP. The engine's
 * Dropbox traffic uses Node's http in main and never passes through this session.
 */
export function mayLoad(url: string): boolean {
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  return scheme === 'file:' || scheme === 'data:' || scheme === 'devtools:';
}

/** No permission is ever granted: the window needs none (no camera, notifications, clipboard-read...). */
export function mayGrantPermission(_permission: string): boolean {
  return false;
}
