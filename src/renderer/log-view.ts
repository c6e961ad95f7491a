// The Log tab: the tail of the app's log, following new lines while "Follow" is on.
import type { LogLine } from '../shared/ipc.js';
import { api, valueOr } from './rdl.js';
import { h, replace } from './dom.js';

const KEEP = 2000;

export class LogView {
  private readonly list: HTMLElement;
  private readonly follow: HTMLInputElement;

  constructor(
    panel: HTMLElement,
    private readonly showError: (message: string) => void,
  ) {
    this.follow = h('input', {
      id: 'log-follow',
      attrs: { type: 'checkbox', checked: true },
      // Lines written while it was off were not kept: read the tail again rather than go on
      // from where it stopped, silently missing them.
      on: { change: () => void (this.follow.checked && this.reload()) },
    });
    this.list = h('ol', {
      id: 'log-lines',
      class: 'log',
      attrs: { 'aria-label': 'Log lines, oldest first', tabindex: 0 },
    });
    // The list fills the window (app.css), so it shrinks when a notice or a longer state line
    // appears above it: the newest lines, which Follow is for, would slip out of sight below.
    new ResizeObserver(() => this.scroll()).observe(this.list);
    replace(
      panel,
      h('h2', { class: 'visually-hidden', text: 'Log' }),
      h(
        'div',
        { class: 'toolbar' },
        h(
          'label',
          { class: 'check', attrs: { for: 'log-follow' } },
          this.follow,
          ' Follow new lines',
        ),
        h('button', {
          text: 'Reload',
          attrs: { type: 'button' },
          on: { click: () => void this.reload() },
        }),
        h('button', {
          text: 'Open log file',
          attrs: { type: 'button' },
          on: { click: async () => void valueOr(await api().openPath('log'), this.showError) },
        }),
      ),
      this.list,
    );
  }

  async reload(): Promise<void> {
    const lines = valueOr(await api().readLogTail(500), this.showError);
    if (!lines) return;
    replace(this.list, ...lines.map(item));
    this.scroll();
  }

  append(lines: LogLine[]): void {
    if (!this.follow.checked) return;
    for (const line of lines) this.list.appendChild(item(line));
    while (this.list.childElementCount > KEEP) this.list.firstElementChild?.remove();
    this.scroll();
  }

  private scroll(): void {
    if (this.follow.checked) this.list.scrollTop = this.list.scrollHeight;
  }
}

function item(line: LogLine): HTMLElement {
  return h('li', { class: `level-${line.level}`, text: line.text });
}
