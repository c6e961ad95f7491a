// The desktop shell's services for the handler table: dialogs, the file manager, the browser,
// the log tail and app facts, on Electron's APIs.
import { app, dialog, shell, type BrowserWindow } from 'electron';
import type { AppServices } from './handlers.js';
import type { AppInfo, FilePurpose, FolderPurpose } from '../shared/ipc.js';
import { readLogLines } from './log.js';
import { findOldSetups } from './old-setup-finder.js';
import { lookAtPath } from './path-look.js';

const FOLDER_TITLES: Record<FolderPurpose, string> = {
  watch: 'Choose the folder the data logger writes into',
  transit: 'Choose the transit (queue) folder',
  archive: 'Choose the archive folder (the SD card, or a folder)',
};

const FILE_TITLES: Record<FilePurpose, string> = {
  legacyConfig: 'Choose the old script’s config.json',
  uploaderConfig: 'Choose the Dropbox-Uploader config (~/.dropbox_uploader)',
};

export interface ElectronServicesOptions {
  window: () => BrowserWindow | null;
  logFile: string;
  appInfo: () => AppInfo;
  applyStartAtLogin: (enabled: boolean) => boolean;
  logFromWindow: (level: 'warn' | 'error', text: string) => void;
  /** The archive folder in force, when the archive is on: looks there keep to its limits. */
  archiveRoot: () => string | undefined;
}

export function electronAppServices(opts: ElectronServicesOptions): AppServices {
  const parentOptions = async (options: Electron.OpenDialogOptions) => {
    const win = opts.window();
    return win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options);
  };
  return {
    pickFolder: async (purpose, current) => {
      const r = await parentOptions({
        title: FOLDER_TITLES[purpose],
        properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'],
        // Started where the folder is only if it answers: the dialog itself would look at it
        // from this thread.
        ...(current && (await lookAtPath(current, { archiveRoot: opts.archiveRoot() })) === 'there'
          ? { defaultPath: current }
          : {}),
      });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    pickFile: async (purpose) => {
      const r = await parentOptions({
        title: FILE_TITLES[purpose],
        properties: ['openFile', 'showHiddenFiles', 'dontAddToRecent'],
        defaultPath: app.getPath('home'),
      });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    openPath: async (p) => {
      const look = await lookAtPath(p, { archiveRoot: opts.archiveRoot() });
      if (look === 'missing')
        throw new Error(
          `${p} does not exist (yet): check the setting, or wait for the first file.`,
        );
      if (look === 'no-answer')
        throw new Error(
          `${p} does not answer: its card or disk stopped answering (the Status tab says what to do).`,
        );
      const failure = await shell.openPath(p);
      if (failure) throw new Error(`Could not open ${p}: ${failure}`);
    },
    openExternal: (url) => shell.openExternal(url),
    readLogTail: (lines) => readLogLines(opts.logFile, lines),
    appInfo: opts.appInfo,
    applyStartAtLogin: opts.applyStartAtLogin,
    logFromWindow: opts.logFromWindow,
    findOldSetups: () => findOldSetups(app.getPath('home')),
  };
}
