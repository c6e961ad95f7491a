// Where the app lives between uses: in the tray when a tray host shows the icon, otherwise as an
// ordinary window. Without a host a hidden or destroyed window cannot be found again (the
// issue's "app lost"), so closing only minimizes it and Quit is offered in the window itself.
import type { BrowserWindow } from 'electron';
import type { Logger } from '../engine/index.js';
import type { TrayHostReport } from './tray-host.js';

export const NO_TRAY_NOTE = 'No system tray found: RDL Sync runs as a window; closing it minimizes';

export interface WindowMode {
  /** A tray icon is shown (so a closed window can be destroyed and reopened from it). */
  tray: boolean;
  /** What the window says about it (null when the tray works as usual). */
  note: string | null;
  /** The log line that says how the app can be reached. */
  logLine: { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> };
}

export function windowMode(report: TrayHostReport): WindowMode {
  if (report.host)
    return {
      tray: true,
      note: null,
      logLine: { level: 'info', message: 'Tray icon created', fields: { shownBy: report.host } },
    };
  return {
    tray: false,
    note: NO_TRAY_NOTE,
    logLine: { level: 'warn', message: NO_TRAY_NOTE, fields: { checks: report.checks } },
  };
}

/** Without a tray: a close request minimizes instead (unless the app is quitting). */
export function minimizeOnClose(win: BrowserWindow, quitting: () => boolean, logger: Logger): void {
  win.on('close', (event) => {
    if (quitting()) return;
    event.preventDefault();
    win.minimize();
    logger.info('Window closed: minimized, since no system tray would show the app');
  });
}
