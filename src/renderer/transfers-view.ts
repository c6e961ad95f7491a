// The Transfers tab: recent files, newest first, with the result of both legs; filter to
// failures and search by name. Re-queried when it is shown and when files finish.
import type { HistoryRecord, LegResult } from '../shared/engine-types.js';
import { api, valueOr } from './rdl.js';
import { debounce, h, replace, setText } from './dom.js';
import { keptUnderOtherName } from '../shared/format.js';
import { absoluteTime, bytes, relativeTime } from './format.js';

const PAGE = 200;

export class TransfersView {
  private readonly search: HTMLInputElement;
  private readonly onlyFailures: HTMLInputElement;
  private readonly body: HTMLElement;
  private readonly summary: HTMLElement;

  constructor(
    panel: HTMLElement,
    private readonly showError: (message: string) => void,
  ) {
    this.search = h('input', {
      id: 'history-search',
      attrs: { type: 'search', placeholder: 'e.g. USB0 or 2026-11', autocomplete: 'off' },
      on: { input: debounce(() => void this.refresh(), 250) },
    });
    this.onlyFailures = h('input', {
      id: 'history-failures',
      attrs: { type: 'checkbox' },
      on: { change: () => void this.refresh() },
    });
    this.body = h('tbody', { id: 'history-rows' });
    this.summary = h('p', {
      id: 'history-summary',
      class: 'muted',
      attrs: { 'aria-live': 'polite' },
    });
    replace(
      panel,
      h('h2', { class: 'visually-hidden', text: 'Transfers' }),
      h(
        'div',
        { class: 'toolbar' },
        h('label', { attrs: { for: 'history-search' } }, 'Search by name ', this.search),
        h(
          'label',
          { class: 'check', attrs: { for: 'history-failures' } },
          this.onlyFailures,
          ' Only failures',
        ),
        h('button', {
          text: 'Refresh',
          attrs: { type: 'button' },
          on: { click: () => void this.refresh() },
        }),
      ),
      this.summary,
      h(
        'div',
        { class: 'history-scroll' },
        h(
          'table',
          { class: 'history' },
          h('caption', { class: 'visually-hidden', text: 'Recent transfers, newest first' }),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['File', 'Size', 'Finished', 'Dropbox', 'Archive'].map((t) =>
                h('th', { text: t, attrs: { scope: 'col' } }),
              ),
            ),
          ),
          this.body,
        ),
      ),
    );
  }

  async refresh(): Promise<void> {
    const search = this.search.value.trim();
    const query = {
      limit: PAGE,
      ...(search ? { search } : {}),
      ...(this.onlyFailures.checked ? { onlyFailures: true } : {}),
    };
    const records = valueOr(await api().queryHistory(query), this.showError);
    if (!records) return;
    const now = Date.now();
    replace(this.body, ...records.map((r) => row(r, now)));
    const filter = this.onlyFailures.checked ? ' failed' : '';
    // A live region, refreshed as each file finishes: spoken only when the words change.
    setText(
      this.summary,
      records.length === 0
        ? search || filter
          ? 'No transfers match.'
          : 'No transfers yet. Files appear here once both copies are verified.'
        : `${records.length}${filter} transfer${records.length === 1 ? '' : 's'}${records.length === PAGE ? ' (most recent)' : ''}`,
    );
  }
}

function row(r: HistoryRecord, now: number): HTMLElement {
  return h(
    'tr',
    { class: r.outcome === 'failed' ? 'failed' : '', attrs: { 'data-rel': r.rel } },
    h('td', { class: 'file', text: r.rel }),
    h('td', { class: 'num', text: bytes(r.size) }),
    h(
      'td',
      {},
      h('time', {
        text: relativeTime(r.finishedAtMs, now),
        attrs: { datetime: new Date(r.finishedAtMs).toISOString() },
      }),
      h('br'),
      h('span', { class: 'muted', text: absoluteTime(r.finishedAtMs) }),
    ),
    leg(r.upload, 'upload', r.rel),
    leg(r.archive, 'archive', r.rel),
  );
}

function leg(result: LegResult, name: string, rel: string): HTMLElement {
  switch (result.status) {
    case 'done': {
      // Kept beside a different file of the same name (Dropbox reads `Case.txt` and `case.txt` as
      // one): the name it has there in the cell's text, as `rdl-sync history` says it. In the
      // tooltip only, keyboard users and screenshots never saw the "(1)" a merge tool then meets.
      const other = keptUnderOtherName(rel, result.path);
      return h('td', {
        class: `leg done leg-${name}`,
        title: result.path,
        text: `${result.alreadyPresent ? 'Done (already there)' : 'Done'}${other === null ? '' : ` as ${other}`}`,
      });
    }
    case 'failed':
      return h('td', { class: `leg failed leg-${name}`, text: `Failed: ${result.message}` });
    case 'skipped':
      return h('td', { class: `leg skipped leg-${name}`, text: `Skipped: ${result.reason}` });
  }
}
