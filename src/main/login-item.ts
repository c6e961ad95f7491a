// Start at login. macOS and Windows: Electron's login item API. Linux: Electron has none, so we
// write (or remove) an XDG autostart entry, ~/.config/autostart/rdl-sync.desktop.
import fs from 'node:fs';
import path from 'node:path';

export const AUTOSTART_FILE = 'rdl-sync.desktop';

/** The autostart entry; Exec quoted per the Desktop Entry spec. */
export function autostartEntry(execPath: string): string {
  const quoted = `"${execPath.replace(/(["`$\\])/g, '\\$1')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=RDL Sync',
    'Comment=Sync data-logger files to Dropbox and a local archive',
    `Exec=${quoted} --hidden`,
    'Icon=rdl-sync',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function autostartDir(env: NodeJS.ProcessEnv, home: string): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config'), 'autostart');
}

/** Linux: writes or removes the entry; returns whether it is now present. */
export function setLinuxAutostart(dir: string, enabled: boolean, execPath: string): boolean {
  const file = path.join(dir, AUTOSTART_FILE);
  if (enabled) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, autostartEntry(execPath), { mode: 0o644 });
    fs.renameSync(tmp, file);
  } else {
    fs.rmSync(file, { force: true });
  }
  return isLinuxAutostartOn(dir);
}

export function isLinuxAutostartOn(dir: string): boolean {
  return fs.existsSync(path.join(dir, AUTOSTART_FILE));
}

/** Electron's app.setLoginItemSettings/getLoginItemSettings, as far as we use them. */
export interface LoginItemApi {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
  getLoginItemSettings(): { openAtLogin: boolean };
}

export interface LoginItemDeps {
  platform: string;
  app: LoginItemApi;
  execPath: string;
  autostartDir: string;
}

export function applyStartAtLogin(deps: LoginItemDeps, enabled: boolean): boolean {
  if (deps.platform === 'linux')
    return setLinuxAutostart(deps.autostartDir, enabled, deps.execPath);
  deps.app.setLoginItemSettings({ openAtLogin: enabled, args: ['--hidden'] });
  return deps.app.getLoginItemSettings().openAtLogin;
}

export function isStartAtLoginOn(deps: LoginItemDeps): boolean {
  if (deps.platform === 'linux') return isLinuxAutostartOn(deps.autostartDir);
  return deps.app.getLoginItemSettings().openAtLogin;
}
