// The one window: sandboxed, context-isolated, no Node, only our file:// page. Closing it
// destroys it, renderer process and all (an idle tray app held ~250 MB PSS with a hidden
// window); the tray opens a new one. Quitting goes through the tray menu.
import { BrowserWindow, session } from 'electron';
import { mayGrantPermission, mayLoad, mayNavigate } from './window-policy.js';
import type { TabId } from '../shared/ipc-channels.js';
import { eventChannelName } from '../shared/ipc-channels.js';
import type { Logger } from '../engine/index.js';

export interface WindowOptions {
  preloadPath: string;
  rendererUrl: string;
  iconPath: string;
  logger: Logger;
}

let permissionsLocked = false;

/** Deny every permission request and check for the whole default session, once. */
function lockDownSession(): void {
  if (permissionsLocked) return;
  permissionsLocked = true;
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
  lockDownSession();
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
