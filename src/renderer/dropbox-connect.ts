// Connecting Dropbox with the code-paste flow: open the authorize page in the browser (main
// checks it is https), paste the code Dropbox shows, finish. Works the same with no browser on
// this machine: the address is shown so it can be opened elsewhere.
import type { ArchiveStatus, DropboxStatus } from '../shared/engine-types.js';
import { thePlace } from '../shared/format.js';
import { api, valueOr } from './rdl.js';
import { h, replace } from './dom.js';
import { dropboxCodeProblem } from '../shared/dropbox-code.js';

export interface ConnectSection {
  element: HTMLElement;
  /**
   * `archive`: whether files still get their local copy while Dropbox is disconnected. `why`: the
   * reason a saved connection cannot be used here (the status problem's words).
   */
  update(d: DropboxStatus, archive: Pick<ArchiveStatus, 'enabled' | 'card'>, why?: string): void;
}

export function connectSection(
  showError: (m: string) => void,
  showInfo: (m: string) => void,
): ConnectSection {
  const state = h('p', { id: 'dropbox-state' });
  const steps = h('div', { id: 'dropbox-steps' });
  const connectButton = h('button', {
    id: 'dropbox-connect',
    text: 'Connect to Dropbox…',
    attrs: { type: 'button' },
  });
  const disconnectButton = h('button', {
    id: 'dropbox-disconnect',
    text: 'Disconnect',
    attrs: { type: 'button' },
  });
  let archive: Pick<ArchiveStatus, 'enabled' | 'card'> = { enabled: false };
  const element = h(
    'div',
    { class: 'dropbox-connect' },
    state,
    h('div', { class: 'buttons' }, connectButton, disconnectButton),
    steps,
  );

  connectButton.addEventListener('click', async () => {
    const started = valueOr(await api().connectDropboxStart(), showError);
    if (!started) return;
    const code = h('input', {
      id: 'dropbox-code',
      attrs: {
        type: 'text',
        autocomplete: 'off',
        spellcheck: false,
        'aria-describedby': 'dropbox-code-help',
      },
    });
    const finish = h('button', {
      id: 'dropbox-finish',
      class: 'primary',
      text: 'Finish connecting',
      attrs: { type: 'submit' },
    });
    const cancel = h('button', {
      id: 'dropbox-cancel',
      text: 'Cancel',
      attrs: { type: 'button' },
    });
    const form = h(
      'form',
      { attrs: { 'aria-label': 'Finish connecting Dropbox' } },
      h(
        'p',
        {},
        '1. Allow RDL Sync in the Dropbox page that opened. If none opened, open this address in any browser: ',
      ),
      h('p', { class: 'url', text: started.authorizeUrl }),
      h('label', { attrs: { for: 'dropbox-code' } }, '2. Paste the code Dropbox shows'),
      h('div', { class: 'control' }, code, finish, cancel),
      h('p', {
        id: 'dropbox-code-help',
        class: 'desc',
        text: 'The code is valid for a few minutes; start again if it expired.',
      }),
    );
    // "Reconnect…" pressed by mistake, or no code coming: the form had no way back and stayed
    // under a working connection (found by a window trial). Cancel or Escape puts it away; the
    // connection is as it was, and the focus goes back to the button that opened the form.
    const putAway = (): void => {
      replace(steps);
      connectButton.focus();
    };
    cancel.addEventListener('click', putAway);
    form.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      putAway();
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      // Said here in the person's words; main would refuse it as an invalid call.
      const problem = dropboxCodeProblem(code.value);
      if (problem) {
        showError(`The code ${problem}.`);
        code.focus();
        return;
      }
      const account = valueOr(await api().connectDropboxFinish(code.value), showError);
      if (!account) return;
      // The form goes, and the focus with it: a keyboard user would start again from the top of
      // the window. It moves to the button that stays (now "Reconnect…").
      replace(steps);
      connectButton.focus();
      showInfo(`Connected to Dropbox as ${account.displayName} (${account.email}).`);
    });
    replace(steps, form);
    code.focus();
    const opened = await api().openAuthorizeUrl(started.authorizeUrl);
    if (!opened.ok)
      showError(
        `Could not open the browser (${opened.error.message}). Open the address shown instead.`,
      );
  });

  disconnectButton.addEventListener('click', async () => {
    // The local copy goes on only where there is one: with the archive off, nothing leaves transit.
    const meanwhile = archive.enabled
      ? `Files still go to ${thePlace(archive.card ?? true)}, and wait in transit for Dropbox`
      : 'Files wait in transit (the archive is off)';
    if (!window.confirm(`Disconnect Dropbox? ${meanwhile} until you connect again.`)) return;
    if (valueOr(await api().disconnectDropbox(), showError) !== undefined) {
      // Disconnect is hidden once the status follows: keep the keyboard in this section.
      connectButton.focus();
      showInfo('Dropbox disconnected.');
    }
  });

  return {
    element,
    update(d, archiveNow, why) {
      archive = archiveNow;
      // A connection saved but unusable here (keyring not available, token refused) says why
      // and what to do, never a bare "not connected" (issue 11 defect 3). The plain "Dropbox is
      // not connected: connect … in Settings" only repeated what this panel is for.
      const reason = why?.startsWith('Dropbox is not connected:') ? undefined : why;
      // The account's name is known once Dropbox has answered (not while the clock holds uploads).
      const who = [d.accountName, d.email && `<${d.email}>`].filter(Boolean).join(' ');
      state.textContent = d.connected
        ? `Connected${who ? ` as ${who}` : ''}.`
        : reason
          ? `Not connected: ${reason}`
          : 'Not connected. Files wait safely in transit until you connect.';
      state.classList.toggle('bad', !d.connected);
      disconnectButton.hidden = !d.connected;
      connectButton.textContent = d.connected ? 'Reconnect…' : 'Connect to Dropbox…';
    },
  };
}
