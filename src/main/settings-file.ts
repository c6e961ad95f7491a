// The tray app's settings are electron-store's: the engine (which may not import electron) hands
// its conf options here, and electron-store, a Conf with Electron's defaults, writes config.json.
// The daemon and the CLI write the same file with conf itself: one format, one set of checks.
import ElectronStore from 'electron-store';
import type { ConfigFile, SettingsFileOpener } from '../engine/index.js';

export const openWithElectronStore: SettingsFileOpener = (options) => {
  // electron-store names the file with `name` (conf's `configName`), and takes the folder as
  // given when it is absolute: the one config folder the daemon uses, not Electron's userData.
  const { configName, ...rest } = options;
  return new ElectronStore<ConfigFile>({ ...rest, ...(configName ? { name: configName } : {}) });
};
