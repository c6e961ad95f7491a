// The Fleet tab: every site's heartbeat from the shared Dropbox folder, one row per site with its
// state, when it was last heard from (stale in red after three of its intervals), backlog,
// fullest disk, problems and its last 24 hours; two hubs writing one site name are flagged.
// Read on demand and every minute while the tab is open: a heartbeat comes every few minutes.
import type { FleetSite, FleetSnapshot } from '../shared/engine-types.js';
import { barChart } from './charts/svg-chart.js';
import { toSvgElement } from './charts/svg-dom.js';
import { hourChartInput } from './activity-view.js';
import { emptyFleetSentence } from '../shared/format.js';
import { h, replace } from './dom.js';
import { api } from './rdl.js';
import { absoluteTime, bytes, duration, plural, relativeTime } from './format.js';

const REFRESH_MS = 60_000;

export class FleetTab {
  private timer: ReturnType<typeof setInterval> | undefined;
  private loading = false;

  constructor(private readonly panel: HTMLElement) {
    replace(panel, h('h2', { class: 'visually-hidden', text: 'Fleet' }), this.toolbar(null));
  }

  /** While the tab is shown: read now and every minute; stop when it is hidden. */
  setVisible(visible: boolean): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!visible) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  async refresh(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.panel.setAttribute('aria-busy', 'true');
    try {
      const r = await api().readFleet();
      // The panel is drawn anew: the focus (on Refresh, pressed from the keyboard, or on the
      // table's scroller) and the table's sideways scroll go back where they were. They fell to
      // the page's start, on each Refresh and each minute's read (found by a window trial).
      const focused = this.panel.contains(document.activeElement) ? document.activeElement?.id : '';
      const scrolled = this.panel.querySelector('#fleet-scroll')?.scrollLeft ?? 0;
      if (r.ok) this.render(r.value);
      else
        replace(
          this.panel,
          h('h2', { class: 'visually-hidden', text: 'Fleet' }),
          this.toolbar(null),
          h('p', { class: 'bad', id: 'fleet-error', text: r.error.message }),
        );
      const scroller = this.panel.querySelector('#fleet-scroll');
      if (scroller) scroller.scrollLeft = scrolled;
      if (focused) document.getElementById(focused)?.focus();
    } finally {
      this.loading = false;
      this.panel.removeAttribute('aria-busy');
    }
  }

  private toolbar(f: FleetSnapshot | null): HTMLElement {
    return h(
      'div',
      { class: 'fleet-toolbar' },
      h('p', {
        id: 'fleet-folder',
        class: 'muted',
        text: f
          ? `Heartbeats in ${f.folder}, read ${relativeTime(f.readAtMs)} (${absoluteTime(f.readAtMs)})`
          : 'Every site’s heartbeat from Dropbox.',
      }),
      h('button', {
        id: 'fleet-refresh',
        text: 'Refresh',
        attrs: { type: 'button' },
        on: { click: () => void this.refresh() },
      }),
    );
  }

  private render(f: FleetSnapshot): void {
    const own = f.ownBeat;
    const empty = emptyFleetSentence(f);
    replace(
      this.panel,
      h('h2', { class: 'visually-hidden', text: 'Fleet' }),
      this.toolbar(f),
      own
        ? h('p', {
            id: 'fleet-own',
            class: own.ok ? 'muted' : 'bad',
            text: own.ok
              ? `This hub’s heartbeat: written ${relativeTime(own.atMs)} to ${own.detail}`
              : `This hub’s heartbeat was not written: ${own.detail} (syncing is not affected)`,
          })
        : null,
      empty !== null
        ? h('p', { id: 'fleet-empty', class: f.folderMissing ? 'bad' : 'muted', text: empty })
        : f.sites.length === 0
          ? null
          : this.table(f),
      ...f.unreadable.map((u) =>
        h('p', { class: 'bad fleet-unreadable', text: `Unreadable: ${u.path}: ${u.reason}` }),
      ),
    );
  }

  private table(f: FleetSnapshot): HTMLElement {
    // In a scroller of its own, as the Status tab's tables: seven columns and a 150 px chart do
    // not fit a narrow window (420 px), and the bare table made the whole page scroll sideways,
    // the bar and the tabs ending halfway across it (found by a window trial). Focusable, so the
    // keyboard scrolls it too.
    return h(
      'div',
      {
        id: 'fleet-scroll',
        class: 'fleet-scroll',
        attrs: { tabindex: 0, role: 'region', 'aria-label': 'Sites' },
      },
      this.grid(f),
    );
  }

  private grid(f: FleetSnapshot): HTMLElement {
    return h(
      'table',
      { id: 'fleet-table', class: 'grid' },
      h('caption', { class: 'visually-hidden', text: 'Every site’s last heartbeat' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Site', 'State', 'Last seen', 'Waiting', 'Disk', 'Problems', 'Last 24 h'].map((t) =>
            h('th', { text: t, attrs: { scope: 'col' } }),
          ),
        ),
      ),
      h('tbody', {}, ...f.sites.flatMap((s) => this.rows(s, f.readAtMs))),
    );
  }

  private rows(s: FleetSite, nowMs: number): HTMLElement[] {
    const hb = s.heartbeat;
    const files = hb.hours.reduce((n, b) => n + b.files, 0);
    const chart = barChart(
      hourChartInput(
        hb.hours,
        hb.hours.map((b) => b.files),
        {
          title: `${s.site}: files synced per hour`,
          emptyText: 'nothing synced',
          valueLabel: (v) => plural(v, 'file'),
          className: 'chart-spark',
          width: 150,
          height: 36,
          compact: true,
        },
      ),
    );
    const row = h(
      'tr',
      {
        class: [s.stale ? 'stale' : '', s.clones ? 'cloned' : ''].filter(Boolean).join(' '),
        attrs: { 'data-site': s.site },
      },
      h(
        'th',
        { attrs: { scope: 'row' } },
        h('span', { class: 'site-name', text: s.site }),
        h('span', { class: 'muted host', text: `${hb.host} · ${hb.appVersion}` }),
      ),
      h(
        'td',
        { class: 'state' },
        s.stale
          ? h('strong', { class: 'tag bad', text: 'Stale' })
          : h('span', { class: `badge`, attrs: { 'data-state': hb.state }, text: hb.state }),
      ),
      h(
        'td',
        { class: s.stale ? 'last-seen bad' : 'last-seen' },
        h('span', { class: 'rel-time', text: relativeTime(s.lastSeenMs, nowMs) }),
        h('span', {
          class: 'muted',
          text: s.stale
            ? ` no heartbeat for over ${duration(s.staleAfterMs)}`
            : ` up ${duration(hb.uptimeSeconds * 1000)}`,
        }),
      ),
      h('td', { class: 'backlog', text: String(s.backlog) }),
      h('td', {
        class: s.fullestDisk && s.fullestDisk.usedPercent >= 90 ? 'disk bad' : 'disk',
        text: s.fullestDisk
          ? `${Math.round(s.fullestDisk.usedPercent)} % used, ${bytes(s.fullestDisk.freeBytes)} free`
          : '—',
      }),
      h(
        'td',
        { class: 'problems-cell' },
        hb.problems.length === 0
          ? h('span', { class: 'good', text: 'none' })
          : h(
              'ul',
              { class: 'site-problems' },
              ...hb.problems.map((p) =>
                h('li', { class: `problem ${p.severity}`, text: p.message }),
              ),
            ),
      ),
      h(
        'td',
        { class: 'spark' },
        toSvgElement(chart),
        h('span', { class: 'muted', text: plural(files, 'file') }),
      ),
    );
    if (!s.clones) return [row];
    const warn = h(
      'tr',
      { class: 'clone-warning', attrs: { 'data-clone-of': s.site } },
      h(
        'td',
        { attrs: { colspan: 7 } },
        h('strong', { class: 'tag warn', text: 'Two hubs, one site name' }),
        ` ${s.clones.map((c) => `${c.host} (since ${absoluteTime(c.startedAtMs)})`).join(' and ')} both write ${s.site}’s heartbeat — a cloned SD image? Give each hub its own site name in Settings.`,
      ),
    );
    return [row, warn];
  }
}
