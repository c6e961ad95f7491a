// Where the one settings file lives. The tray app (electron-store) and the headless daemon (conf)
// both open `<configDir>/config.json`, so a setting changed in the window is what the service runs.
import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'rdl-sync';
export const CONFIG_NAME = 'config';

export function defaultConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env.RDL_SYNC_CONFIG_DIR?.trim();
  if (override) return override;
  // Build with the target platform's separators so Windows paths stay Windows paths in tests too.
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  if (platform === 'win32') {
    const appData = env.APPDATA?.trim() || p.join(home, 'AppData', 'Roaming');
    return p.join(appData, APP_DIR_NAME);
  }
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && p.isAbsolute(xdg) ? xdg : p.join(home, '.config');
  return p.join(base, APP_DIR_NAME);
}

/** The settings file both front ends share. */
export function configFilePath(configDir: string): string {
  return path.join(configDir, `${CONFIG_NAME}.json`);
}
