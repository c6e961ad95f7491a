// What the tray shows for a status: icon, tooltip and menu, as plain data. tray.ts only hands
// this to Electron, so every rule here is tested without a display.
import path from 'node:path';
import type { EngineState, StatusSnapshot } from '../engine/index.js';
import type { PlainCommandId } from './commands.js';

export const TRAY_ICONS = ['idle', 'syncing', 'paused', 'attention', 'error'] as const;
export type TrayIconName = (typeof TRAY_ICONS)[number];

/** A tray item runs one command of the table (commands.ts): adding an item is one line below. */
export type TrayAction = PlainCommandId;

export type TrayMenuItem =
  | { type: 'label'; label: string }
  | { type: 'separator' }
  | { type: 'action'; action: TrayAction; label: string; enabled: boolean };

const ICON_BY_STATE: Record<EngineState, TrayIconName> = {
  idle: 'idle',
  syncing: 'syncing',
  paused: 'paused',
  // Offline loses nothing (files wait in transit) but a person may want to look.
  offline: 'attention',
  attention: 'attention',
  error: 'error',
};

/** The icon file for a status on this platform (macOS: black+alpha template images). */
export function trayIconPath(assetsDir: string, name: TrayIconName, platform: string): string {
  if (platform === 'darwin') return path.join(assetsDir, 'tray', `${name}Template.png`);
  // Linux panels scale a larger icon down well; Windows wants 16 px (plus @2x for high DPI).
  if (platform === 'linux') return path.join(assetsDir, 'tray', `${name}-32.png`);
  return path.join(assetsDir, 'tray', `${name}.png`);
}

export function trayIcon(status: StatusSnapshot): TrayIconName {
  return ICON_BY_STATE[status.state];
}

function pendingCount(status: StatusSnapshot): number {
  return status.counts.transit + status.counts.waiting;
}

function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** "5 min ago" / "at 14:02" / "on 2026-11-20"; short enough for a tooltip. */
export function lastSyncText(lastMs: number | null, nowMs: number): string {
  if (lastMs === null) return 'never synced yet';
  const ago = Math.max(0, nowMs - lastMs);
  if (ago < 60_000) return 'last sync just now';
  if (ago < 60 * 60_000) return `last sync ${Math.floor(ago / 60_000)} min ago`;
  if (ago < 24 * 60 * 60_000) return `last sync at ${timeOfDay(lastMs)}`;
  const d = new Date(lastMs);
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return `last sync on ${day}`;
}

// Windows truncates tray tooltips at 127 characters; keep the useful part first.
const TOOLTIP_MAX = 127;

export function trayTooltip(status: StatusSnapshot, nowMs: number): string {
  const pending = pendingCount(status);
  const facts = [
    pending === 0
      ? 'nothing pending'
      : pending === 1
        ? '1 file pending'
        : `${pending} files pending`,
    lastSyncText(status.lastSuccessMs, nowMs),
  ].join(', ');
  const text = `RDL Sync: ${facts}\n${status.sentence}`;
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}

const STATUS_LINE_MAX = 80;

export function trayMenu(status: StatusSnapshot): TrayMenuItem[] {
  const line =
    status.sentence.length <= STATUS_LINE_MAX
      ? status.sentence
      : `${status.sentence.slice(0, STATUS_LINE_MAX - 1)}…`;
  const pauseItems: TrayMenuItem[] = status.paused
    ? [{ type: 'action', action: 'resume', label: 'Resume', enabled: true }]
    : [
        { type: 'action', action: 'pauseHour', label: 'Pause for 1 hour', enabled: true },
        {
          type: 'action',
          action: 'pauseUntilResumed',
          label: 'Pause until resumed',
          enabled: true,
        },
      ];
  return [
    { type: 'label', label: line },
    { type: 'separator' },
    { type: 'action', action: 'syncNow', label: 'Sync now', enabled: !status.paused },
    ...pauseItems,
    { type: 'separator' },
    { type: 'action', action: 'openWindow', label: 'Open RDL Sync', enabled: true },
    { type: 'action', action: 'openWatchFolder', label: 'Open watch folder', enabled: true },
    {
      type: 'action',
      action: 'openArchiveFolder',
      label: status.archive.card === false ? 'Open archive folder' : 'Open SD card folder',
      enabled: status.archive.enabled && status.archive.present,
    },
    { type: 'action', action: 'openLogFile', label: 'Open log file', enabled: true },
    { type: 'separator' },
    { type: 'action', action: 'quit', label: 'Quit RDL Sync', enabled: true },
  ];
}
