// Where the built app's files are, relative to the app root (the asar in a package, the
// checkout in development). scripts/build.mjs writes exactly this layout.
import path from 'node:path';
import { APP_PAGE_URL } from './app-protocol.js';

export interface AppPaths {
  preload: string;
  /** The folder the app scheme serves (app-protocol.ts), and the page's address in it. */
  rendererDir: string;
  rendererUrl: string;
  assetsDir: string;
  appIcon: string;
}

export function appPaths(appRoot: string): AppPaths {
  const dist = path.join(appRoot, 'dist');
  return {
    preload: path.join(dist, 'preload', 'preload.cjs'),
    rendererDir: path.join(dist, 'renderer'),
    rendererUrl: APP_PAGE_URL,
    assetsDir: path.join(dist, 'assets'),
    appIcon: path.join(dist, 'assets', 'icon.png'),
  };
}
