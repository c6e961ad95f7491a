// Where the built app's files are, relative to the app root (the asar in a package, the
// checkout in development). scripts/build.mjs writes exactly this layout.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface AppPaths {
  preload: string;
  rendererUrl: string;
  assetsDir: string;
  appIcon: string;
}

export function appPaths(appRoot: string): AppPaths {
  const dist = path.join(appRoot, 'dist');
  return {
    preload: path.join(dist, 'preload', 'preload.cjs'),
    rendererUrl: pathToFileURL(path.join(dist, 'renderer', 'index.html')).href,
    assetsDir: path.join(dist, 'assets'),
    appIcon: path.join(dist, 'assets', 'icon.png'),
  };
}
