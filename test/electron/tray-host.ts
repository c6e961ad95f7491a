// The tray icon as the XEmbed host (trayer) holds it: found, pictured, clicked, and its menu
// driven with xdotool, the way a person's pointer and keyboard would.
import { createHash } from 'node:crypto';
import { trayMenu, type TrayAction } from '../../src/main/tray-model.js';
import type { StatusSnapshot } from '../../src/engine/status/types.js';
import { waitFor, type Desktop } from './desktop.js';

/** The id of the app's icon window embedded in trayer's panel (waits for it). */
export async function trayIconWindow(desktop: Desktop): Promise<string> {
  return waitFor('the tray icon embedded in trayer', async () => {
    const panel = (await desktop.run('xdotool', ['search', '--classname', '^panel$'])).trim();
    const tree = await desktop.run('xwininfo', ['-tree', '-id', panel.split('\n')[0] ?? '']);
    return /^\s+(0x[0-9a-f]+) "[^"]*": \("rdl-sync"/im.exec(tree)?.[1] ?? null;
  });
}

/** A fingerprint of the icon's pixels as the X server shows them (xwd dump of its window). */
export async function trayIconPicture(desktop: Desktop): Promise<string> {
  const icon = await trayIconWindow(desktop);
  const dump = await desktop.runBinary('xwd', ['-id', icon, '-silent']);
  return createHash('sha256').update(dump).digest('hex');
}

/** The app's X windows that are mapped (visible) now: the main window, an open menu. */
export async function visibleAppWindows(desktop: Desktop): Promise<Set<string>> {
  const out = await desktop
    .run('xdotool', ['search', '--onlyvisible', '--classname', '^rdl-sync$'])
    .catch(() => ''); // xdotool exits 1 when nothing matches
  return new Set(out.split('\n').filter(Boolean));
}

/**
 * Opens the tray menu with a right click on the icon and activates `action` with the keyboard:
 * Down once per enabled item up to it (disabled items and separators are skipped by the menu,
 * as by the model), then Return. `state` is what decides the menu's shape (tray-model.ts).
 */
export async function chooseTrayItem(
  desktop: Desktop,
  action: TrayAction,
  state: { paused: boolean; archivePresent: boolean },
): Promise<void> {
  const model = trayMenu({
    sentence: '',
    paused: state.paused,
    archive: { enabled: true, present: state.archivePresent },
  } as StatusSnapshot);
  const enabled = model.flatMap((i) => (i.type === 'action' && i.enabled ? [i.action] : []));
  const index = enabled.indexOf(action);
  if (index < 0) throw new Error(`${action} is not an enabled tray menu item in that state`);
  const icon = await trayIconWindow(desktop);
  const before = await visibleAppWindows(desktop);
  await desktop.run('xdotool', ['mousemove', '--window', icon, '8', '8', 'click', '3']);
  // The menu is a new override-redirect window of the app, mapped while it is open.
  await waitFor('the tray menu to open', async () => {
    const now = await visibleAppWindows(desktop);
    return [...now].some((id) => !before.has(id));
  });
  const keys = [...Array<string>(index + 1).fill('Down'), 'Return'];
  await desktop.run('xdotool', ['key', '--delay', '80', ...keys]);
}
