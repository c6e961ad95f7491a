// The tray icon as the XEmbed host (trayer) holds it: found, clicked and its menu driven with
// xdotool, the way a person's pointer and keyboard would.
import { waitFor, type Desktop } from './desktop.js';

/** The id of the app's icon window embedded in trayer's panel (waits for it). */
export async function trayIconWindow(desktop: Desktop): Promise<string> {
  return waitFor('the tray icon embedded in trayer', async () => {
    const panel = (await desktop.run('xdotool', ['search', '--classname', '^panel$'])).trim();
    const tree = await desktop.run('xwininfo', ['-tree', '-id', panel.split('\n')[0] ?? '']);
    return /^\s+(0x[0-9a-f]+) "[^"]*": \("rdl-sync"/im.exec(tree)?.[1] ?? null;
  });
}
