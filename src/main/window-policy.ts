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

/** No permission is ever granted: the window needs none (no camera, notifications, clipboard-read...). */
export function mayGrantPermission(_permission: string): boolean {
  return false;
}
