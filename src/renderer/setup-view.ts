// The first-run setup, shown instead of the tabs while the engine says "setup needed" (no
// settings were ever saved). Three ways in: import the old RDL syncer found on this machine (or
// a config.json chosen by hand), or choose the watch folder, the archive and the site. The
// settings go through the same validation as the Settings tab; Dropbox is connected there next.
import type { Settings } from '../shared/engine-types.js';
import type { DemoInfo, FieldIssue, OldSetup } from '../shared/ipc.js';
import { h, replace } from './dom.js';
import { api, valueOr } from './rdl.js';
import { importSummary } from './import-summary.js';

type ArchiveKind = 'card' | 'local' | 'none';

export interface SetupCallbacks {
  showError(message: string): void;
  /** The setup is done: show the tabs again, on `tab`. */
  finish(tab: 'status' | 'settings' | 'transfers'): void;
  /** "Try the demo" started (main/demo-mode.ts): show the demo banner. */
  demoStarted(info: DemoInfo): void;
}

export class SetupView {
  readonly element: HTMLElement;
  private step: 'welcome' | 'import' | 'manual' | 'done' | null = null;
  /**
   * On the done page of "Choose the folders": its summary states the settings as they are, so a
   * change saved elsewhere meanwhile (`rdl-sync settings set`) is shown, not the setup's values.
   * (An import's summary is a report of what the import did, and stays as it was.)
   */
  private summarised: string | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  /** The engine's words for an archive folder that is not there (status problem), or null. */
  private archiveMissing: string | null = null;

  constructor(private readonly cb: SetupCallbacks) {
    this.element = h('section', {
      id: 'setup',
      class: 'setup',
      attrs: { 'aria-labelledby': 'setup-title' },
    });
  }

  get visible(): boolean {
    return this.step !== null;
  }

  /**
   * From each status: show while setup is needed; go away if it was done elsewhere (CLI).
   * `archiveMissing`: the message of the status's archive-missing problem, if there is one.
   */
  update(setupNeeded: boolean, archiveMissing: string | null = null): void {
    this.archiveMissing = archiveMissing;
    if (setupNeeded && !this.visible) this.welcome();
    else if (!setupNeeded && this.visible && this.step !== 'done') this.close('status');
    // A settings change rebuilds the engine, which pushes a status: the summary is read again.
    else if (this.step === 'done' && this.summarised !== null) this.refreshSummary();
  }

  private refreshSummary(): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        const r = await api().getSettings();
        if (!r.ok || this.step !== 'done' || this.summarised === null) return;
        const lines = manualSummary(r.value);
        if (this.summaryKey(lines, r.value) !== this.summarised) this.manualDone(r.value);
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = null));
  }

  private close(tab: 'status' | 'settings' | 'transfers'): void {
    this.summarised = null;
    this.step = null;
    this.element.replaceChildren();
    this.cb.finish(tab);
  }

  private show(step: NonNullable<SetupView['step']>, ...children: Node[]): void {
    this.step = step;
    replace(this.element, ...children);
    this.element.querySelector<HTMLElement>('button, input')?.focus();
  }

  welcome(): void {
    this.show(
      'welcome',
      h('h2', { id: 'setup-title', text: 'Welcome to RDL Sync' }),
      h('p', {
        text: 'RDL Sync moves the files your data loggers write to Dropbox and to a local archive (an SD card or a folder), and tells you when you must act. Nothing is moved until it is set up.',
      }),
      h(
        'div',
        { class: 'setup-choices' },
        choice(
          'setup-choose-import',
          'Import the old RDL setup',
          'Take over the old syncing script’s settings, folders and Dropbox login.',
          () => void this.importStep(),
        ),
        choice(
          'setup-choose-manual',
          'Choose the folders',
          'Pick the watch folder, the archive and the site name yourself.',
          () => void this.manualStep(),
        ),
        choice(
          'setup-choose-demo',
          'Try the demo',
          'See files move with sample files and a local Dropbox emulator: no Dropbox account needed, nothing of yours is touched.',
          () => void this.tryDemo(),
        ),
      ),
    );
  }

  private async tryDemo(): Promise<void> {
    const button = this.element.querySelector<HTMLButtonElement>('#setup-choose-demo');
    if (button) button.disabled = true;
    const info = valueOr(await api().startDemo(), this.cb.showError);
    if (button) button.disabled = false;
    if (!info) return;
    this.cb.demoStarted(info);
    // The demo's engine is configured, so the next status closes the setup anyway; go straight
    // to Transfers, where the sample files can be watched.
    this.close('transfers');
  }

  private async importStep(): Promise<void> {
    const found = valueOr(await api().findOldSetups(), this.cb.showError) ?? [];
    this.show(
      'import',
      h('h2', { id: 'setup-title', text: 'Import the old RDL setup' }),
      found.length > 0
        ? h(
            'ul',
            { class: 'setup-found', id: 'setup-found' },
            ...found.map((f) => this.foundItem(f)),
          )
        : h('p', {
            id: 'setup-none-found',
            text: 'No old RDL syncer was found in the home folders here (a folder with config.json and logging-folder/2_tosync, or tosync/).',
          }),
      h(
        'div',
        { class: 'setup-nav' },
        h('button', {
          id: 'setup-import-pick',
          text: 'Choose the old config.json…',
          on: { click: () => void this.importPicked() },
        }),
        h('button', { id: 'setup-back', text: 'Back', on: { click: () => this.welcome() } }),
      ),
    );
  }

  private foundItem(f: OldSetup): HTMLElement {
    return h(
      'li',
      { attrs: { 'data-root': f.root } },
      h('strong', { text: f.root }),
      h('span', { class: 'desc', text: `watch folder ${f.watchDir}` }),
      h('span', {
        class: 'desc',
        text: f.uploaderConfigPath
          ? `Dropbox login from ${f.uploaderConfigPath}`
          : 'no Dropbox-Uploader file: connect Dropbox afterwards',
      }),
      h('button', {
        class: 'setup-import-found',
        text: 'Import',
        on: {
          click: () =>
            void this.runImport(
              f.uploaderConfigPath
                ? { configJsonPath: f.configJsonPath, uploaderConfigPath: f.uploaderConfigPath }
                : { configJsonPath: f.configJsonPath },
            ),
        },
      }),
    );
  }

  private async importPicked(): Promise<void> {
    const config = valueOr(await api().pickFile('legacyConfig'), this.cb.showError);
    if (!config) return;
    const uploader = valueOr(await api().pickFile('uploaderConfig'), this.cb.showError);
    await this.runImport(
      uploader
        ? { configJsonPath: config, uploaderConfigPath: uploader }
        : { configJsonPath: config },
    );
  }

  private async runImport(input: {
    configJsonPath: string;
    uploaderConfigPath?: string;
  }): Promise<void> {
    const report = valueOr(await api().importLegacy(input), this.cb.showError);
    if (!report) return;
    const summary = importSummary(report);
    // The import always keeps an archive: the hub's 4_synced or its card (legacy/plan.ts), which
    // takes files only once it is mounted.
    this.done(summary.lines, summary.dropboxReady, report.cardAway === true ? 'none' : 'folder');
  }

  private async manualStep(): Promise<void> {
    const current = valueOr(await api().getSettings(), this.cb.showError);
    if (!current) return;
    const watch = h('input', {
      id: 'setup-watch',
      attrs: { type: 'text', value: current.watchDir },
    });
    const archive = h('input', {
      id: 'setup-archive',
      attrs: { type: 'text', value: current.archiveDir },
    });
    const site = h('input', { id: 'setup-site', attrs: { type: 'text', value: current.site } });
    const errors = h('ul', { id: 'setup-errors', class: 'bad', attrs: { 'aria-live': 'polite' } });
    const kinds: [ArchiveKind, string][] = [
      ['card', 'SD card (written only while it is mounted)'],
      ['local', 'A folder on this computer'],
      ['none', 'No archive: Dropbox only'],
    ];
    const pick = async (purpose: 'watch' | 'archive', input: HTMLInputElement) => {
      const picked = valueOr(await api().pickFolder(purpose), this.cb.showError);
      if (picked) input.value = picked;
    };
    const kind = (): ArchiveKind =>
      (this.element.querySelector<HTMLInputElement>('input[name="setup-archive-kind"]:checked')
        ?.value as ArchiveKind | undefined) ?? 'card';
    const save = async () => {
      const k = kind();
      const candidate: Settings = {
        ...current,
        watchDir: watch.value.trim(),
        archiveEnabled: k !== 'none',
        archiveDir: k === 'none' ? '' : archive.value.trim(),
        archiveMustBeMountPoint: k === 'card',
        site: site.value.trim(),
      };
      // Only what this step changes, over the file as it is now.
      const result = valueOr(await api().saveSettings(candidate, current), this.cb.showError);
      if (!result) return;
      if (!result.ok) {
        showIssues(errors, { watchDir: watch, archiveDir: archive, site }, result.issues);
        return;
      }
      this.manualDone(result.settings);
    };
    this.show(
      'manual',
      h('h2', { id: 'setup-title', text: 'Choose the folders' }),
      h(
        'form',
        {
          class: 'setup-form',
          attrs: { novalidate: true },
          on: { submit: (e) => (e.preventDefault(), void save()) },
        },
        field(
          'setup-watch',
          'Watch folder: where the data loggers write finished files',
          watch,
          () => pick('watch', watch),
        ),
        h(
          'fieldset',
          {},
          h('legend', { text: 'Archive: the second copy' }),
          ...kinds.map(([value, label]) =>
            h(
              'label',
              { class: 'setup-radio' },
              h('input', {
                id: `setup-archive-${value}`,
                attrs: {
                  type: 'radio',
                  name: 'setup-archive-kind',
                  value,
                  checked:
                    value ===
                    (!current.archiveEnabled
                      ? 'none'
                      : current.archiveMustBeMountPoint
                        ? 'card'
                        : 'local'),
                },
              }),
              ` ${label}`,
            ),
          ),
          field('setup-archive', 'Archive folder', archive, () => pick('archive', archive)),
        ),
        h(
          'div',
          { class: 'setup-field' },
          h('label', {
            attrs: { for: 'setup-site' },
            text: 'Site name (fills {site} in the Dropbox folder)',
          }),
          site,
        ),
        errors,
        h(
          'div',
          { class: 'setup-nav' },
          h('button', {
            id: 'setup-save',
            class: 'primary',
            text: 'Save',
            attrs: { type: 'submit' },
          }),
          h('button', {
            id: 'setup-back',
            text: 'Back',
            attrs: { type: 'button' },
            on: { click: () => this.welcome() },
          }),
        ),
      ),
    );
  }

  /**
   * A folder on this computer that is not there (a typo such as "archvie": the setup takes it,
   * as Settings does, since a disk may be unmounted): the done page said "until then files go
   * to the archive" beside the engine's "+1 more problem" that no file can go there (found by a
   * window trial). The engine's problem is shown instead, with its fix.
   */
  private folderMissing(s: Settings): string | null {
    return s.archiveEnabled && !s.archiveMustBeMountPoint ? this.archiveMissing : null;
  }

  /** What the done page of "Choose the folders" says, to tell when it must be drawn again. */
  private summaryKey(lines: string[], s: Settings): string {
    return JSON.stringify([lines, this.folderMissing(s)]);
  }

  /** The done page of "Choose the folders", for the settings `s`. */
  private manualDone(s: Settings): void {
    const lines = manualSummary(s);
    const missing = this.folderMissing(s);
    this.done(
      lines,
      false,
      // A card is written only while mounted, and at setup it may not be in its reader yet:
      // "files go to the archive" was read beside the notification that the card is missing.
      !s.archiveEnabled || missing ? 'none' : s.archiveMustBeMountPoint ? 'card' : 'folder',
      missing,
    );
    this.summarised = this.summaryKey(lines, s);
  }

  /**
   * `archive`: where files go before Dropbox is connected: a folder that takes them now, a card
   * that takes them while it is mounted, or none (no archive, or a card known to be away).
   */
  private done(
    lines: string[],
    dropboxConnected: boolean,
    archive: 'folder' | 'card' | 'none',
    archiveProblem: string | null = null,
  ): void {
    const meanwhile = {
      folder: 'until then files go to the archive and wait in transit for Dropbox.',
      card: 'until then files go to the SD card whenever it is mounted, and wait in transit for Dropbox.',
      none: 'until then files wait in transit for Dropbox.',
    }[archive];
    this.summarised = null;
    this.show(
      'done',
      h('h2', { id: 'setup-title', text: 'RDL Sync is set up' }),
      h('ul', { id: 'setup-summary' }, ...lines.map((l) => h('li', { text: l }))),
      ...(archiveProblem
        ? [h('p', { id: 'setup-archive-problem', class: 'bad', text: archiveProblem })]
        : []),
      h('p', {
        text: dropboxConnected
          ? 'The Dropbox login was imported too: files start moving on the next pass.'
          : `Next, connect Dropbox (Settings tab); ${meanwhile}`,
      }),
      h(
        'div',
        { class: 'setup-nav' },
        dropboxConnected
          ? null
          : h('button', {
              id: 'setup-connect',
              class: 'primary',
              text: 'Connect Dropbox',
              on: { click: () => this.close('settings') },
            }),
        h('button', {
          id: 'setup-finish',
          text: 'Show status',
          on: { click: () => this.close('status') },
        }),
      ),
    );
  }
}

/** What "Choose the folders" set, as the settings say it now. */
function manualSummary(s: Settings): string[] {
  return [
    `Watch folder: ${s.watchDir}`,
    s.archiveEnabled
      ? `Archive: ${s.archiveDir}${s.archiveMustBeMountPoint ? ' (SD card, only while mounted)' : ''}`
      : 'Archive: none',
    `Site: ${s.site}`,
  ];
}

/**
 * Lists the save's messages and ties each to its field (marked invalid, read with it); the first
 * such field takes the focus. A bare list under the form named no field to a screen reader.
 */
function showIssues(
  list: HTMLElement,
  inputs: Record<string, HTMLInputElement>,
  issues: FieldIssue[],
): void {
  const described = new Map<HTMLInputElement, string[]>();
  replace(
    list,
    ...issues.map((issue, n) => {
      const input = inputs[issue.field.split('.')[0] ?? ''];
      const id = `setup-error-${n}`;
      if (input) described.set(input, [...(described.get(input) ?? []), id]);
      return h('li', { id, text: issue.message });
    }),
  );
  for (const input of Object.values(inputs)) {
    const ids = described.get(input);
    if (ids) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', ids.join(' '));
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  }
  [...described.keys()][0]?.focus();
}

function choice(id: string, title: string, desc: string, onClick: () => void): HTMLElement {
  return h(
    'button',
    { id, class: 'setup-choice', on: { click: onClick } },
    h('strong', { text: title }),
    h('span', { class: 'desc', text: desc }),
  );
}

function field(
  id: string,
  label: string,
  input: HTMLInputElement,
  choose: () => void,
): HTMLElement {
  return h(
    'div',
    { class: 'setup-field' },
    h('label', { attrs: { for: id }, text: label }),
    h(
      'div',
      { class: 'setup-folder' },
      input,
      h('button', {
        id: `${id}-choose`,
        text: 'Choose…',
        attrs: { type: 'button' },
        on: { click: choose },
      }),
    ),
  );
}
