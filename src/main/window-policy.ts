// The window's security rules as plain functions (window.ts applies them to Electron's events):
// the page may never leave the one file we loaded, open windows, or get any permission.
import { isAppOrigin } from './app-protocol.js';

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
 * What the window's session may load: the app scheme's own host (app-protocol.ts; which of its
 * files exist is that module's business), devtools and data: images. Everything else, file:
 * (the page used to be a file:// one), http(s) and ws included, is cancelled, a second wall
 * behind the page's CSP. The engine's Dropbox traffic uses Node's http in main and never passes
 * through this session.
 */
export function mayLoad(url: string): boolean {
  const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
  if (scheme === 'data:' || scheme === 'devtools:') return true;
  try {
    return isAppOrigin(new URL(url));
  } catch {
    return false;
  }
}

/** No permission is ever granted: the window needs none (no camera, notifications, clipboard-read...). */
export function mayGrantPermission(_permission: string): boolean {
  return false;
}
