// The Settings tab: a form generated from the engine's schema (labels, descriptions, kinds come
// from main), validated live by the same schema, with the remote path previewed for a sample
// file; plus connecting Dropbox and importing the old script's config.
import type { Settings, SettingKey, StatusSnapshot } from '../shared/engine-types.js';
import type { AppInfo, ArgsIn, FieldIssue, SettingField } from '../shared/ipc.js';
import { LIMITS } from '../shared/limits.js';
import { api, valueOr } from './rdl.js';
import { byId, debounce, h, replace } from './dom.js';
import { connectSection, type ConnectSection } from './dropbox-connect.js';

export const SAMPLE_REL = 'RDL/USB0/2026-11-24.csv';
/** The settings the remote path preview is made of. */
const PREVIEW_FIELDS = new Set<string>(['site', 'remoteRootTemplate']);

const GROUPS: [string, SettingKey[]][] = [
  [
    'Folders',
    ['watchDir', 'transitDir', 'archiveEnabled', 'archiveDir', 'archiveMustBeMountPoint'],
  ],
  [
    'Dropbox destination',
    ['site', 'remoteRootTemplate', 'conflictPolicy', 'dropboxAppKey', 'dropboxEndpoint'],
  ],
  ['Schedule', ['scheduleMode', 'intervalSeconds', 'cron', 'stableSeconds']],
  [
    'Advanced',
    [
      'ignorePatterns',
      'concurrency',
      'chunkSizeMiB',
      'offlineAlertMinutes',
      'historyLimit',
      'startAtLogin',
    ],
  ],
  [
    'Alerts',
    [
      'alertEmailTo',
      'alertEmailFrom',
      'smtpHost',
      'smtpPort',
      'smtpSecurity',
      'smtpUser',
      'smtpCaFile',
      'alertWebhookFormat',
      'alertCommand',
      'alertCommandTimeoutSeconds',
      'alertReminderHours',
      'alertFlapMinutes',
      'digestSchedule',
      'digestHour',
    ],
  ],
];

type Candidate = ArgsIn<'saveSettings'>[0];
type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export class SettingsView {
  private fields: SettingField[] = [];
  private readonly controls = new Map<SettingKey, Control>();
  private loaded: Settings | null = null;
  /**
   * The form's values as filled from `loaded`: a save sends them along, and only the fields the
   * person changed from them are saved. A Save of the whole form undid a change made meanwhile
   * elsewhere (`rdl-sync settings set`, a pause) to a field nobody touched here.
   */
  private filledWith: Candidate | undefined;
  private readonly form: HTMLFormElement;
  private readonly formStatus: HTMLElement;
  private readonly preview: HTMLElement;
  /** Live checks begun so far: only the latest one's answer is shown. */
  private checks = 0;
  /** The values the last save refused (as sent) and why: see withRefusal. */
  private refusal: { candidate: string; issues: FieldIssue[] } | null = null;
  /**
   * Preview requests in the order they were made, and the newest whose answer is on screen: main
   * may answer a slower earlier request last, and its path would then stand for a newer one.
   */
  private previews = 0;
  private previewShown = 0;
  private readonly connect: ConnectSection;
  private readonly storage: HTMLElement;
  /** A refresh (see refresh) under way, and whether another was asked for meanwhile. */
  private refreshing = false;
  private refreshAgain = false;
  /** The last connected state seen, so the storage line is read again when it changes. */
  private lastConnected: boolean | null = null;
  private readonly importReport: HTMLElement;
  private readonly alertResult: HTMLElement;

  constructor(
    private readonly panel: HTMLElement,
    private readonly showError: (message: string) => void,
    private readonly showInfo: (message: string) => void,
    /** Told after the settings are read or saved (the Status tab shows the disk warning level). */
    private readonly onSettings: (settings: Settings) => void = () => {},
  ) {
    this.form = h('form', {
      id: 'settings-form',
      attrs: { novalidate: true, 'aria-label': 'Settings' },
    });
    this.formStatus = h('p', {
      id: 'settings-status',
      class: 'form-status',
      attrs: { 'aria-live': 'polite' },
    });
    this.preview = h('output', {
      id: 'remote-preview',
      attrs: { for: 'set-site set-remoteRootTemplate' },
    });
    this.storage = h('p', { id: 'credential-storage', class: 'muted' });
    this.importReport = h('div', { id: 'import-report', attrs: { 'aria-live': 'polite' } });
    this.alertResult = h('ul', { id: 'alert-test-result', attrs: { 'aria-live': 'polite' } });
    this.connect = connectSection(showError, showInfo);
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.save();
    });
    this.form.addEventListener(
      'input',
      debounce(() => void this.check(), 300),
    );
    // "Saved." from the last save must not stand beside a change made since: the window was
    // closed on it, and the change was lost.
    this.form.addEventListener('input', () => {
      this.formStatus.textContent = 'Changed, not saved yet: press Save to keep it.';
    });
    this.form.addEventListener('change', () => this.syncEnabled());
  }

  async load(): Promise<void> {
    const [fields, settings, info] = await Promise.all([
      api().getSettingsFields(),
      api().getSettings(),
      api().getAppInfo(),
    ]);
    const f = valueOr(fields, this.showError);
    const s = valueOr(settings, this.showError);
    if (!f || !s) return;
    this.fields = f;
    this.loaded = s;
    this.onSettings(s);
    this.build();
    this.fill(s);
    this.filledWith = this.candidate();
    const appInfo = valueOr(info, this.showError);
    if (appInfo) this.showStorage(appInfo);
    void this.updatePreview();
  }

  /**
   * Reads the saved settings again and shows any that changed since the form was filled: a
   * change saved elsewhere (`rdl-sync settings set`, a hand edit the engine applied) left the
   * tab showing the old values beside an engine running on the new ones (found by a window
   * trial: interval 600 from the CLI, the tab still said 3600). A field the person has edited
   * here and not saved keeps their value; the save then writes it over the new one, as it would
   * have over the old.
   */
  async refresh(): Promise<void> {
    if (!this.loaded) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const r = await api().getSettings();
        if (!r.ok || !this.loaded || JSON.stringify(r.value) === JSON.stringify(this.loaded))
          continue;
        const typed = this.candidate();
        const filled = (this.filledWith ?? {}) as Record<string, unknown>;
        const edited = Object.entries(typed).filter(
          ([key, value]) => JSON.stringify(value) !== JSON.stringify(filled[key]),
        );
        this.loaded = r.value;
        this.onSettings(r.value);
        this.fill(r.value);
        this.filledWith = this.candidate();
        for (const [key, value] of edited) {
          const control = this.controls.get(key as SettingKey);
          if (control) setControl(control, value);
        }
        this.syncEnabled();
        if (edited.length > 0) void this.check();
        else void this.updatePreview();
      } while (this.refreshAgain);
    } finally {
      this.refreshing = false;
    }
  }

  updateStatus(status: StatusSnapshot): void {
    const why = status.problems.find((p) => p.code === 'auth-missing' || p.code === 'auth-revoked');
    this.connect.update(status.dropbox, status.archive, why?.message);
    // Connecting or disconnecting moves the token (keyring file, shared file, none): say where.
    const connected = status.dropbox.connected;
    if (this.lastConnected !== null && connected !== this.lastConnected)
      void api()
        .getAppInfo()
        .then((info) => {
          const appInfo = valueOr(info, this.showError);
          if (appInfo) this.showStorage(appInfo);
        });
    this.lastConnected = connected;
  }

  private showStorage(info: AppInfo): void {
    this.storage.textContent = info.credentials.summary;
    this.storage.classList.toggle('bad', !info.credentials.encrypted);
  }

  private build(): void {
    this.controls.clear();
    const byKey = new Map(this.fields.map((f) => [f.key, f]));
    const grouped = new Set(GROUPS.flatMap(([, keys]) => keys));
    const groups: [string, SettingField[]][] = GROUPS.map(([title, keys]) => [
      title,
      keys.flatMap((k) => (byKey.has(k) ? [byKey.get(k)!] : [])),
    ]);
    // A setting added to the schema later still shows up, even before someone files it in a group.
    const others = this.fields.filter((f) => !grouped.has(f.key));
    if (others.length > 0) groups.push(['Other', others]);

    replace(
      this.form,
      h('p', { id: 'err-general', class: 'error', attrs: { 'aria-live': 'polite' } }),
      ...groups.map(([title, fields]) =>
        h(
          'fieldset',
          {},
          h('legend', { text: title }),
          ...fields.map((f) => this.fieldRow(f)),
          title === 'Dropbox destination' ? this.previewRow() : null,
        ),
      ),
      h(
        'div',
        { class: 'form-actions' },
        h('button', {
          id: 'settings-save',
          class: 'primary',
          text: 'Save',
          attrs: { type: 'submit' },
        }),
        h('button', {
          id: 'settings-cancel',
          text: 'Cancel',
          attrs: { type: 'button' },
          on: { click: () => this.cancel() },
        }),
        this.formStatus,
      ),
    );
    replace(
      this.panel,
      h('h2', { class: 'visually-hidden', text: 'Settings' }),
      h(
        'section',
        { class: 'card', attrs: { 'aria-labelledby': 'dropbox-title' } },
        h('h3', { id: 'dropbox-title', text: 'Dropbox connection' }),
        this.connect.element,
        this.storage,
      ),
      this.form,
      h(
        'section',
        { class: 'card', attrs: { 'aria-labelledby': 'import-title' } },
        h('h3', { id: 'import-title', text: 'Import the old script’s settings' }),
        h('p', {
          class: 'muted',
          text: 'Reads the old Python script’s config.json (and, if you choose it, the Dropbox-Uploader config) and shows every setting it changes.',
        }),
        h('button', {
          id: 'import-legacy',
          text: 'Import old config.json…',
          attrs: { type: 'button' },
          on: { click: () => void this.importLegacy() },
        }),
        this.importReport,
      ),
      // Alerts (issue 10): the channels are settings; this proves they reach someone.
      h(
        'section',
        { class: 'card', attrs: { 'aria-labelledby': 'alerts-title' } },
        h('h3', { id: 'alerts-title', text: 'Alerts' }),
        h('button', {
          id: 'send-test-alert',
          text: 'Send test alert',
          attrs: { type: 'button' },
          on: { click: () => void this.sendTestAlert() },
        }),
        this.alertResult,
      ),
    );
  }

  private async sendTestAlert(): Promise<void> {
    // An email to an unreachable server takes its time out (10 s and more): say it is under way,
    // and take no second click meanwhile (a second test alert to everyone).
    const button = byId<HTMLButtonElement>('send-test-alert');
    button.disabled = true;
    replace(this.alertResult, h('li', { text: 'Sending a test alert through each channel…' }));
    const answer = await api().sendTestAlert();
    button.disabled = false;
    const results = valueOr(answer, this.showError);
    if (!results) {
      replace(this.alertResult);
      return;
    }
    replace(
      this.alertResult,
      ...(results.length === 0
        ? [h('li', { text: 'No alert channel is set up (email, webhook or command).' })]
        : results.map((r) =>
            h('li', {
              class: r.ok ? 'ok' : 'bad',
              text: r.ok ? `Sent: ${r.label}` : `Failed: ${r.label}: ${r.error ?? ''}`,
            }),
          )),
    );
  }

  private fieldRow(f: SettingField): HTMLElement {
    const id = `set-${f.key}`;
    const described = `desc-${f.key} err-${f.key}`;
    const common = { id, attrs: { name: f.key, 'aria-describedby': described } };
    let control: Control;
    let extra: HTMLElement | null = null;
    switch (f.kind) {
      case 'boolean':
        control = h('input', { ...common, attrs: { ...common.attrs, type: 'checkbox' } });
        break;
      case 'integer':
        control = h('input', {
          ...common,
          attrs: {
            ...common.attrs,
            type: 'number',
            // Whole steps from a minimum of 1.5 made the browser mark the default 3 invalid and
            // step 3.5, 2.5, 1.5 (found by a window trial).
            step: f.fractional ? 'any' : 1,
            min: f.min,
            max: f.max,
            inputmode: f.fractional ? 'decimal' : 'numeric',
          },
        });
        break;
      case 'choice':
        control = h(
          'select',
          common,
          ...(f.choices ?? []).map((c) =>
            h('option', { text: choiceLabel(f.key, c), attrs: { value: c } }),
          ),
        );
        break;
      case 'list':
        control = h('textarea', {
          ...common,
          attrs: { ...common.attrs, rows: 5, spellcheck: false },
        });
        break;
      case 'folder':
        control = h('input', {
          ...common,
          attrs: { ...common.attrs, type: 'text', spellcheck: false, autocomplete: 'off' },
        });
        extra = h('button', {
          text: 'Choose…',
          attrs: { type: 'button', 'aria-label': `Choose ${f.label}` },
          on: { click: () => void this.pick(f.key, control as HTMLInputElement) },
        });
        break;
      default:
        control = h('input', {
          ...common,
          attrs: { ...common.attrs, type: 'text', spellcheck: false, autocomplete: 'off' },
        });
    }
    // Shown, not changed here (main refuses it too): read-only, with how it is set instead.
    if (f.fixed) control.setAttribute('readonly', '');
    this.controls.set(f.key, control);
    const description =
      f.kind === 'list'
        ? `${f.description} One per line.`
        : f.fixed
          ? `${f.description} ${f.fixed}.`
          : f.description;
    return h(
      'div',
      { class: `field kind-${f.kind}`, attrs: { 'data-key': f.key } },
      h('label', { text: f.label, attrs: { for: id } }),
      h('div', { class: 'control' }, control, extra),
      h('p', { id: `desc-${f.key}`, class: 'desc', text: description }),
      h('p', { id: `err-${f.key}`, class: 'error', attrs: { 'data-error-for': f.key } }),
    );
  }

  private previewRow(): HTMLElement {
    return h(
      'div',
      { class: 'field preview' },
      h('span', { class: 'label-like', text: 'Remote path preview' }),
      h('p', {}, `${SAMPLE_REL} goes to `, this.preview),
    );
  }

  private fill(s: Settings): void {
    this.checks++; // a check of the values replaced now would show messages about the past
    for (const [key, control] of this.controls) setControl(control, s[key]);
    this.showIssues([]);
    this.syncEnabled();
  }

  /** The form's values, typed as the schema expects where they parse, raw otherwise. */
  private candidate(): Candidate {
    const out: Record<string, unknown> = {};
    const kinds = new Map(this.fields.map((f) => [f.key, f.kind]));
    for (const [key, control] of this.controls) {
      switch (kinds.get(key)) {
        case 'boolean':
          out[key] = (control as HTMLInputElement).checked;
          break;
        case 'integer': {
          const raw = control.value.trim();
          const n = Number(raw);
          // Left as text when it is not a number, so the schema's own message explains it.
          out[key] = raw !== '' && Number.isFinite(n) ? n : raw;
          break;
        }
        case 'list':
          out[key] = control.value
            .split('\n')
            .map((l) => l.replace(/\r$/, ''))
            .filter((l) => l.trim() !== '');
          break;
        default:
          out[key] = control.value;
      }
    }
    return out as Candidate;
  }

  /**
   * Values longer than main takes from a window at all (LIMITS): said next to the field here.
   * Sent, main refused the whole call, and the banner read "Invalid call to saveSettings:
   * argument 1 field "watchDir": is longer than 4096 characters" with nothing at the field
   * (found by a window trial, a 5,000-character path pasted).
   */
  private oversized(c: Candidate): FieldIssue[] {
    const issues: FieldIssue[] = [];
    const label = (key: string): string => this.fields.find((f) => f.key === key)?.label ?? key;
    for (const [key, value] of Object.entries(c)) {
      const texts = Array.isArray(value) ? (value as unknown[]) : [value];
      if (texts.length > LIMITS.listItems)
        issues.push({
          field: key,
          message: `${label(key)} has more than ${LIMITS.listItems} lines`,
        });
      else if (texts.some((t) => typeof t === 'string' && t.length > LIMITS.text))
        issues.push({
          field: key,
          message: `${label(key)} is longer than ${LIMITS.text} characters: no setting is that long; check what was pasted`,
        });
    }
    return issues;
  }

  /**
   * A number box holding text that is no number ("10e", or the "e" left of "ten minutes": the
   * box takes no other letters) gives the form an empty value, and main's message for it read
   * `Interval must be a number (got "")` beside a box that plainly held something (found by a
   * window trial). Such a box's message says what is wrong with what it shows instead.
   */
  private withUnreadable(issues: FieldIssue[]): FieldIssue[] {
    const unreadable = [...this.controls].filter(
      ([, control]) => control instanceof HTMLInputElement && control.validity.badInput,
    );
    if (unreadable.length === 0) return issues;
    const keys = new Set<string>(unreadable.map(([key]) => key));
    return [
      ...issues.filter((i) => !keys.has(i.field.split('.')[0] ?? '')),
      ...unreadable.map(([key]) => {
        const f = this.fields.find((field) => field.key === key);
        const saved = this.loaded?.[key];
        return {
          field: key,
          message: `${f?.label ?? key} must be a number: what is typed there is not one; type digits only${typeof saved === 'number' ? `, such as ${saved} (the saved value)` : ''}`,
        };
      }),
    ];
  }

  /** Greys out settings that do not apply (archive folder when the archive is off...). */
  private syncEnabled(): void {
    const c = this.candidate();
    const set = (key: SettingKey, enabled: boolean) => {
      const control = this.controls.get(key);
      if (control) control.closest('.field')?.classList.toggle('inactive', !enabled);
    };
    set('archiveDir', c.archiveEnabled === true);
    set('archiveMustBeMountPoint', c.archiveEnabled === true);
    set('cron', c.scheduleMode === 'cron');
    set('intervalSeconds', c.scheduleMode !== 'cron');
  }

  private async check(): Promise<void> {
    // The values checked are the values previewed: typing goes on while main answers, and a
    // preview of the form as it is by then could ask for values no one has checked (main refuses
    // those and logs a refused window call). An answer overtaken by a newer check is dropped.
    const checked = this.candidate();
    const turn = ++this.checks;
    const tooLong = this.oversized(checked);
    if (tooLong.length > 0) return this.showIssues(tooLong);
    const result = valueOr(await api().validateSettings(checked), this.showError);
    if (!result || turn !== this.checks) return;
    const issues = this.withUnreadable(result.ok ? [] : result.issues);
    this.showIssues(this.withRefusal(checked, issues));
    // Main refuses a preview of values its schema refuses, and logs each refusal as a suspect
    // call: with the field's own message on screen, ask only for values that can be shown.
    if (issues.some((i) => PREVIEW_FIELDS.has(i.field.split('.')[0] ?? '')))
      this.showPreview(++this.previews, null);
    else void this.updatePreview(checked);
  }

  /** Shows the answer to preview request `turn`, unless a newer one is already shown. */
  private showPreview(turn: number, path: string | null): void {
    if (turn <= this.previewShown) return;
    this.previewShown = turn;
    this.preview.textContent = path ?? '(fix the remote folder or site name first)';
    this.preview.classList.toggle('bad', path === null);
  }

  /** `c`: values known to validate (the saved ones, or a check's); by default the form's. */
  private async updatePreview(c: Candidate = this.candidate()): Promise<void> {
    const turn = ++this.previews;
    const r = await api().previewRemotePath(
      { site: String(c.site ?? ''), remoteRootTemplate: String(c.remoteRootTemplate ?? '') },
      SAMPLE_REL,
    );
    this.showPreview(turn, r.ok && r.value.ok ? r.value.path : null);
  }

  private showIssues(issues: FieldIssue[]): void {
    const byKey = new Map<string, string[]>();
    for (const issue of issues) {
      const key = issue.field.split('.')[0] ?? '';
      const target = this.controls.has(key as SettingKey) ? key : '';
      byKey.set(target, [...(byKey.get(target) ?? []), issue.message]);
    }
    for (const [key, control] of this.controls) {
      const messages = byKey.get(key) ?? [];
      byId(`err-${key}`).textContent = messages.join(' ');
      if (messages.length > 0) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
    byId('err-general').textContent = (byKey.get('') ?? []).join(' ');
  }

  private async save(): Promise<void> {
    // A live check still out answers for the form as it was before the save: its "no issues"
    // must not wipe the reasons a save is refused for (main checks more on save, such as files
    // still waiting in the old transit folder), so its answer is dropped.
    this.checks++;
    this.formStatus.textContent = 'Saving…';
    const candidate = this.candidate();
    this.refusal = null;
    const tooLong = this.oversized(candidate);
    if (tooLong.length > 0) {
      this.showIssues(tooLong);
      this.formStatus.textContent = 'Not saved: fix the field marked in red.';
      return;
    }
    const result = valueOr(await api().saveSettings(candidate, this.filledWith), this.showError);
    if (!result) {
      this.formStatus.textContent = '';
      return;
    }
    if (!result.ok) {
      const issues = this.withUnreadable(result.issues);
      this.refusal = { candidate: JSON.stringify(candidate), issues };
      this.showIssues(issues);
      this.formStatus.textContent = `Not saved: fix ${issues.length === 1 ? 'the field' : `the ${issues.length} fields`} marked in red.`;
      const first = issues[0]?.field.split('.')[0];
      if (first && this.controls.has(first as SettingKey))
        this.controls.get(first as SettingKey)?.focus();
      return;
    }
    this.loaded = result.settings;
    this.onSettings(result.settings);
    this.fill(result.settings);
    this.filledWith = this.candidate();
    this.formStatus.textContent = 'Saved. The new settings apply from the next pass.';
    this.showInfo('Settings saved.');
  }

  /**
   * The live check knows only the schema's rules, not those a save adds (files still waiting in
   * the old transit folder): its answer for the very values a save refused keeps the save's
   * reasons. Typing and pressing Save within the check's 300 ms, the check came after the save
   * and wiped them, leaving "Not saved: fix the field marked in red" with nothing in red.
   */
  private withRefusal(checked: Candidate, issues: FieldIssue[]): FieldIssue[] {
    if (!this.refusal || this.refusal.candidate !== JSON.stringify(checked)) return issues;
    const more = this.refusal.issues.filter(
      (r) => !issues.some((i) => i.field === r.field && i.message === r.message),
    );
    return [...issues, ...more];
  }

  private cancel(): void {
    this.refusal = null;
    if (this.loaded) this.fill(this.loaded);
    this.formStatus.textContent = 'Changes discarded.';
    void this.updatePreview();
  }

  private async pick(key: SettingKey, input: HTMLInputElement): Promise<void> {
    const purpose = key === 'watchDir' ? 'watch' : key === 'transitDir' ? 'transit' : 'archive';
    const picked = valueOr(await api().pickFolder(purpose), this.showError);
    if (picked) {
      input.value = picked;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }

  private async importLegacy(): Promise<void> {
    const config = valueOr(await api().pickFile('legacyConfig'), this.showError);
    if (!config) return;
    const uploader = valueOr(await api().pickFile('uploaderConfig'), this.showError);
    const report = valueOr(
      await api().importLegacy(
        uploader
          ? { configJsonPath: config, uploaderConfigPath: uploader }
          : { configJsonPath: config },
      ),
      this.showError,
    );
    if (!report) return;
    replace(
      this.importReport,
      h('p', {
        text: `${report.changes.length} setting${report.changes.length === 1 ? '' : 's'} changed${report.credentialsImported ? '; Dropbox connection imported' : ''}.`,
      }),
      h(
        'ul',
        {},
        ...report.changes.map((c) =>
          h('li', { text: `${c.field}: ${show(c.from)} → ${show(c.to)}` }),
        ),
      ),
      // Changed since the last import: the person's value stays (legacy/plan.ts).
      ...(report.kept ?? []).map((k) =>
        h('p', {
          text: `${k.field}: kept ${show(k.value)}, as changed since the last import (the old setup gives ${show(k.imported)}).`,
        }),
      ),
      // What was found (the archive's kind, "Dropbox accepted the imported login: …").
      ...(report.notes ?? []).map((n) => h('p', { text: n })),
      ...report.warnings.map((w) => h('p', { class: 'bad', text: w })),
    );
    await this.load();
  }
}

/** Shows `value` (a setting, or a form value as candidate() reads it) in its control. */
function setControl(control: Control, value: unknown): void {
  if (control instanceof HTMLInputElement && control.type === 'checkbox')
    control.checked = Boolean(value);
  else if (Array.isArray(value)) control.value = value.join('\n');
  else control.value = String(value ?? '');
}

function show(v: unknown): string {
  return typeof v === 'string' ? `“${v}”` : JSON.stringify(v);
}

function choiceLabel(key: SettingKey, value: string): string {
  const labels: Record<string, string> = {
    'conflictPolicy:rename': 'Keep both (rename the new file)',
    'conflictPolicy:overwrite': 'Overwrite',
    'scheduleMode:interval': 'Every N seconds',
    'scheduleMode:cron': 'Cron schedule',
  };
  return labels[`${key}:${value}`] ?? value;
}
