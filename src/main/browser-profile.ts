// Where Chromium keeps its profile (Local State, caches, GPU cache, ...) for the tray app. By
// default Electron puts it in <appData>/<app name>, which for the package name `rdl-sync` is
// exactly our settings folder (~/.config/rdl-sync): people backing up or reading that folder
// found megabytes of browser files beside config.json. The window stores nothing there that
// must survive, so on Linux it goes to the XDG cache; elsewhere to <appData>/RDL Sync.
import os from 'node:os';
import path from 'node:path';

export function browserProfileDir(
  appData: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'linux') {
    const xdg = env.XDG_CACHE_HOME?.trim();
    // As for XDG_CONFIG_HOME, a relative XDG_CACHE_HOME is invalid and ignored.
    const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
    return path.join(base, 'rdl-sync', 'browser');
  }
  return path.join(appData, 'RDL Sync');
}
