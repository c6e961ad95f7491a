// The one window: sandboxed, context-isolated, no Node, only our page, served from our own
// scheme (app-protocol.ts: rdl-sync://app/index.html, never file://). Closing it
// destroys it, renderer process and all (an idle tray app held ~250 MB PSS with a hidden
// window); the tray opens a new one. Quitting goes through the tray menu.
import { BrowserWindow, session } from 'electron';
import { APP_SCHEME, serveAppFile } from './app-protocol.js';
import { mayGrantPermission, mayLoad, mayNavigate } from './window-policy.js';
import type { TabId } from '../shared/ipc-channels.js';
import { eventChannelName } from '../shared/ipc-channels.js';
import type { Logger } from '../engine/index.js';

export interface WindowOptions {
  preloadPath: string;
  /** The folder of the built page, which the app scheme serves. */
  rendererDir: string;
  rendererUrl: string;
  iconPath: string;
  logger: Logger;
}

let permissionsLocked = false;

/**
 * Once, for the default session (the window's: it sets no partition): serve the app scheme from
 * the renderer folder, deny every permission request and check, cancel every load but our own.
 */
function lockDownSession(opts: WindowOptions): void {
  if (permissionsLocked) return;
  permissionsLocked = true;
  session.defaultSession.protocol.handle(APP_SCHEME, async (request) => {
    const answer = await serveAppFile(request.url, opts.rendererDir, request.method);
    if (answer.status !== 200)
      opts.logger.warn('Refused a request for a file the window does not have', {
        url: request.url.slice(0, 200),
      });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(mayGrantPermission(permission)),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, permission) =>
    mayGrantPermission(permission),
  );
  session.defaultSession.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) =>
    callback({ cancel: !mayLoad(details.url) }),
  );
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  lockDownSession(opts);
  const win = new BrowserWindow({
    width: 920,
    height: 680,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'RDL Sync',
    icon: opts.iconPath,
    autoHideMenuBar: true,
    webPreferences: {
      preload: opts.preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const wc = win.webContents;
  wc.on('will-navigate', (event, url) => {
    if (!mayNavigate(url, opts.rendererUrl)) {
      event.preventDefault();
      opts.logger.warn('Blocked navigation away from the window', { url: url.slice(0, 200) });
    }
  });
  wc.on('will-redirect', (event, url) => {
    if (!mayNavigate(url, opts.rendererUrl)) event.preventDefault();
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
  // Nothing opens from the page, inside the app or out: the page has no links, and the one
  // address the browser is sent to (Dropbox's authorize page) goes through main's check
  // (handlers.ts openAuthorizeUrl), never through window.open. Any https URL used to be handed
  // to shell.openExternal here.
  wc.setWindowOpenHandler(({ url }) => {
    opts.logger.warn('Blocked a window the page tried to open', { url: url.slice(0, 200) });
    return { action: 'deny' };
  });
  void win.loadURL(opts.rendererUrl);
  return win;
}

export function showWindow(win: BrowserWindow, tab?: TabId): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  if (tab) win.webContents.send(eventChannelName('showTab'), tab);
}
