// The Status tab's line for a desktop without a tray host: the app runs as a window, closing it
// minimizes, and Quit is here since there is no tray menu to quit from.
import { h } from './dom.js';

export function windowModeNote(note: string, quit: () => void): HTMLElement {
  return h(
    'p',
    { class: 'window-mode-note', id: 'window-mode-note', attrs: { role: 'note' } },
    h('span', { text: note }),
    h('button', { id: 'btn-quit-app', text: 'Quit RDL Sync', on: { click: quit } }),
  );
}
