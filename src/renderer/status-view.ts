// The Status tab: what the engine is doing, what is waiting, where the copies go, and every
// problem with what to do about it, the disks that must never fill and the sources (loggers,
// cameras) that must never go quiet. Redrawn from each status snapshot.
import type {
  Activity,
  DiskStatus,
  HeldResolved,
  Problem,
  SourceStatus,
  StageCounts,
  StatusSnapshot,
} from '../shared/engine-types.js';
import type { TabId } from '../shared/ipc-channels.js';
import { h, replace } from './dom.js';
import { activityCard } from './activity-view.js';
import { absoluteTime, bytes, duration, plural, rate, relativeTime, when } from './format.js';
import { archiveTitle, heldResolvedSentence } from '../shared/format.js';

/** What each count is called; the archive's by what it is (a card, or a folder on the hub). */
function countLabels(archive: string): [keyof StageCounts, string][] {
  return [
    ['waiting', 'Waiting in watch folder'],
    ['transit', 'In transit (queue)'],
    ['uploadPending', 'Dropbox still to do'],
    ['archivePending', `${archive} still to do`],
    ['failed', 'Failing'],
    ['doneThisRun', 'Done since start'],
  ];
}

const TAB_NAMES: Record<TabId, string> = {
  status: 'Status',
  transfers: 'Transfers',
  fleet: 'Fleet',
  settings: 'Settings',
  log: 'Log',
};

/** What the status panel's buttons ask of the window. */
export interface StatusActions {
  goTo: (tab: TabId) => void;
  /** "Sync now": a problem's "Try again now" asks what the window's own button asks. */
  syncNow: () => void;
}

/**
 * `diskWarnPercent` is the saved `diskFullPercent` setting (null until the settings are read):
 * the used-space bar turns to the warning colour at or above it, like the engine's disk problem.
 */
export function renderStatus(
  panel: HTMLElement,
  s: StatusSnapshot,
  actions: StatusActions,
  diskWarnPercent: number | null = null,
  activity: Activity | null = null, // issue 10: the last 24 hours as charts
): void {
  // Status events arrive often while files move; a keyboard user must not lose their place.
  const focused = panel.contains(document.activeElement) ? document.activeElement?.id : undefined;
  const archiveName = archiveTitle(s.archive.card ?? true);
  replace(
    panel,
    h('h2', { class: 'visually-hidden', text: 'Status' }),
    h('p', { class: `sentence state-${s.state}`, id: 'status-sentence', text: s.sentence }),
    problems(s.problems, actions, s.paused),
    resolvedHeld(s.resolvedHeld ?? []),
    h(
      'div',
      { class: 'cards' },
      card('Files', countsList(s.counts, archiveName)),
      card('Dropbox', dropbox(s)),
      card(archiveName, archive(s), 'card-archive'),
      card('Timing', timing(s)),
    ),
    activityCard(activity), // issue 10
    card('Disks', disks(s.disks, diskWarnPercent)),
    card('Sources', sources(s.sources)),
    transfers(s, archiveName),
  );
  if (focused) document.getElementById(focused)?.focus();
}

function card(
  title: string,
  body: Node | null,
  id = `card-${title.toLowerCase().replace(/\W+/g, '-')}`,
): HTMLElement {
  return h(
    'section',
    { class: 'card', attrs: { 'aria-labelledby': id } },
    h('h3', { id, text: title }),
    body,
  );
}

function facts(rows: [string, string, string?][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    ...rows.flatMap(([k, v, cls]) => [
      h('dt', { text: k }),
      h('dd', { text: v, ...(cls ? { class: cls } : {}) }),
    ]),
  );
}

function countsList(c: StageCounts, archiveName: string): HTMLElement {
  return facts(
    countLabels(archiveName).map(([key, label]) => [
      label,
      String(c[key]),
      key === 'failed' && c.failed > 0 ? 'bad' : undefined,
    ]),
  );
}

function problems(list: Problem[], actions: StatusActions, paused: boolean): HTMLElement | null {
  if (list.length === 0) return null;
  return h(
    'section',
    { class: 'problems', id: 'problems', attrs: { 'aria-label': 'Problems to act on' } },
    h('h3', {
      text: list.length === 1 ? '1 problem needs you' : `${list.length} problems need you`,
    }),
    h(
      'ul',
      {},
      ...list.map((p) => {
        const key = idPart(p.id);
        // A failing file waits up to an hour before its next try: a person who just fixed the
        // cause (a folder's permissions, a name) should not have to know that "Sync now", at the
        // window's top, cuts the wait short. Disabled while paused, as that button is.
        const retry = p.triedOnAsk
          ? h('button', {
              id: `problem-retry-${key}`,
              class: 'problem-retry',
              text: 'Try again now',
              title:
                'Once the cause is fixed: tries it again now, not after its wait (up to an hour)',
              attrs: { type: 'button', disabled: paused },
              on: { click: () => actions.syncNow() },
            })
          : null;
        const open =
          p.tab !== 'status'
            ? h('button', {
                id: `problem-open-${key}`,
                text: `Open ${TAB_NAMES[p.tab]}`,
                attrs: { type: 'button' },
                on: { click: () => actions.goTo(p.tab) },
              })
            : null;
        return h(
          'li',
          { class: `problem ${p.severity}`, attrs: { 'data-problem': p.id } },
          h('span', {
            class: 'problem-kind',
            text: p.severity === 'error' ? 'Stopped' : 'Attention',
          }),
          h('span', { class: 'problem-message', text: p.message }),
          h('span', { class: 'problem-since', text: `since ${when(p.sinceMs)}` }),
          retry || open ? h('span', { class: 'problem-actions' }, retry, open) : null,
        );
      }),
    ),
  );
}

/**
 * A "Resolved" the alerts' repeat guard holds: the status reads healthy, yet the people alerted
 * are still to be told, and when. `rdl-sync status` said so and the window did not. The CLI's
 * words (src/shared/format.ts), with the window's way of writing a time.
 */
function resolvedHeld(held: readonly HeldResolved[]): HTMLElement | null {
  if (held.length === 0) return null;
  return h(
    'section',
    { class: 'resolved-held', id: 'resolved-held', attrs: { 'aria-label': 'Alerts held back' } },
    h(
      'ul',
      {},
      ...held.map((x) =>
        h('li', {
          attrs: { 'data-condition': x.conditionId },
          text: heldResolvedSentence(x, absoluteTime),
        }),
      ),
    ),
  );
}

/**
 * A problem id as part of an element id, one to one: files named `a b.csv` and `a_b.csv` gave
 * their cards' buttons the same id, and focus kept across a redraw could land on the other's.
 */
function idPart(id: string): string {
  return id.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}.`);
}

function dropbox(s: StatusSnapshot): HTMLElement {
  const d = s.dropbox;
  if (!d.connected)
    return facts([['Account', 'Not connected: connect on the Settings tab', 'bad']]);
  const quota =
    d.usedBytes !== null && d.allocatedBytes !== null
      ? `${bytes(d.usedBytes)} of ${bytes(d.allocatedBytes)} used (${Math.round((100 * d.usedBytes) / Math.max(1, d.allocatedBytes))}%)`
      : 'unknown';
  return facts([
    [
      'Account',
      [d.accountName, d.email && `<${d.email}>`].filter(Boolean).join(' ') || 'connected',
    ],
    // Connected, yet nothing is uploaded until the clock is set (a Pi booted without network).
    ...(waitsForClock(s)
      ? [['Uploads', 'Waiting for the clock to be set', 'bad'] as [string, string, string]]
      : []),
    ['Space', quota],
    ['Last contact', when(d.lastContactMs)],
  ]);
}

function waitsForClock(s: StatusSnapshot): boolean {
  return s.problems.some((p) => p.code === 'clock-not-set');
}

function archive(s: StatusSnapshot): HTMLElement {
  const a = s.archive;
  if (!a.enabled) return facts([['Backup copy', 'Off (Settings → Archive on)']]);
  // Full is writable to the file system, yet nothing more is archived: it must not read as fine
  // (green "Present and writable") beside the problem that says the archive is full.
  const full = s.problems.some((p) => p.code === 'archive-full');
  const presence = a.present
    ? !a.writable
      ? 'Present but read-only'
      : full
        ? 'Present but full: files wait in transit'
        : 'Present and writable'
    : a.notAnswering
      ? 'Not answering'
      : 'Not found';
  return facts([
    ['Folder', a.path || '(not set)'],
    [
      a.card === false ? 'State' : 'Card',
      presence,
      a.present && a.writable && !full ? 'good' : 'bad',
    ],
    ['Free space', a.present ? `${bytes(a.freeBytes)} free of ${bytes(a.totalBytes)}` : '—'],
  ]);
}

function timing(s: StatusSnapshot): HTMLElement {
  return facts([
    ['Last file synced', when(s.lastSuccessMs)],
    ['Last pass', when(s.lastPassMs)],
    [
      'Next pass',
      s.paused
        ? s.pausedUntilMs
          ? `paused, resumes ${when(s.pausedUntilMs)}`
          : 'paused'
        : s.passRunning
          ? 'running now'
          : when(s.nextPassMs),
    ],
  ]);
}

function transfers(s: StatusSnapshot, archiveName: string): HTMLElement {
  const title = h('h3', {
    id: 'active-title',
    text: `In progress: ${plural(s.transfers.length, 'transfer')}`,
  });
  if (s.transfers.length === 0) {
    return h('section', { class: 'active', attrs: { 'aria-labelledby': 'active-title' } }, title);
  }
  return h(
    'section',
    { class: 'active', attrs: { 'aria-labelledby': 'active-title' } },
    title,
    h(
      'ul',
      { class: 'active-list' },
      ...s.transfers.map((t, i) => {
        const pct = t.size > 0 ? Math.round((100 * t.bytesDone) / t.size) : 100;
        const id = `transfer-${i}`;
        return h(
          'li',
          {},
          h('span', {
            id,
            class: 'file',
            text: `${t.leg === 'upload' ? 'Dropbox' : archiveName}: ${t.rel}`,
          }),
          h('progress', { attrs: { max: 100, value: pct, 'aria-labelledby': id } }),
          h('span', { class: 'muted', text: `${pct}% of ${bytes(t.size)}, ${rate(t.rate)}` }),
        );
      }),
    ),
  );
}

const ROLE_NAMES: Record<DiskStatus['roles'][number], string> = {
  watch: 'Watch',
  transit: 'Transit',
  archive: 'Archive',
};

function table(id: string, caption: string, head: string[], rows: HTMLElement[]): HTMLElement {
  return h(
    'table',
    { id, class: 'grid' },
    h('caption', { class: 'visually-hidden', text: caption }),
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
    h('tbody', {}, ...rows),
  );
}

function disks(list: DiskStatus[] | undefined, warnPercent: number | null): HTMLElement {
  if (!list)
    return h('p', {
      class: 'muted',
      text: 'Not measured yet: disks are measured after each pass.',
    });
  if (list.length === 0)
    return h('p', {
      class: 'bad',
      text: 'None of the folders could be measured (do they exist?).',
    });
  return table(
    'disks-table',
    'Disks holding the watch, transit and archive folders',
    ['Folders', 'Free', 'Used', 'Waiting in transit'],
    list.map((d) => {
      const full = warnPercent !== null && d.usedPercent >= warnPercent;
      const pct = `${Math.round(d.usedPercent)} %`;
      return h(
        'tr',
        { class: full ? 'warn' : '', attrs: { 'data-disk-path': d.path } },
        h(
          'th',
          { attrs: { scope: 'row' } },
          h('span', { class: 'roles', text: d.roles.map((r) => ROLE_NAMES[r]).join(' · ') }),
          h('span', { class: 'file path', text: d.path }),
        ),
        h('td', { class: 'free', text: `${bytes(d.freeBytes)} free of ${bytes(d.totalBytes)}` }),
        h(
          'td',
          { class: 'used' },
          usageBar(d.usedPercent, full, `${pct} used`),
          h('span', { class: 'pct', text: `${pct} used` }),
          full
            ? h('strong', { class: 'tag warn', text: `Nearly full (warning at ${warnPercent} %)` })
            : null,
        ),
        h('td', {
          class: 'transit',
          text:
            d.transitBytes === null
              ? '—'
              : d.transitBytes === 0
                ? 'nothing'
                : bytes(d.transitBytes),
        }),
      );
    }),
  );
}

/**
 * A small used-space bar. Not <meter>: Chromium paints its value with pseudo-elements that
 * ignore the theme. The width is set through the CSSOM (the CSP forbids style attributes, not
 * this); the percentage is also written next to it, so the bar is never the only carrier.
 */
function usageBar(usedPercent: number, full: boolean, label: string): HTMLElement {
  const clamped = Math.min(100, Math.max(0, usedPercent));
  const fill = h('span', { class: 'usage-fill' });
  fill.style.width = `${clamped}%`;
  return h(
    'span',
    {
      class: full ? 'usage warn' : 'usage',
      attrs: {
        role: 'meter',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': clamped,
        'aria-label': label,
      },
    },
    fill,
  );
}

function sources(list: SourceStatus[] | undefined): HTMLElement {
  if (!list || list.length === 0)
    return h('p', {
      class: 'muted',
      text: 'No source folders yet: each one (e.g. RDL/USB0) appears after its first file is synced.',
    });
  // The silent ones first: they are why someone opens this section.
  const ordered = [...list].sort((a, b) => Number(b.silent) - Number(a.silent));
  return table(
    'sources-table',
    'Source folders, their last file and usual interval',
    ['Source', 'Last file', 'Usual interval', 'State'],
    ordered.map((src) =>
      h(
        'tr',
        { class: src.silent ? 'silent' : '', attrs: { 'data-source': src.source } },
        h('th', { class: 'file', text: src.source, attrs: { scope: 'row' } }),
        h(
          'td',
          { class: 'last' },
          h('span', { class: 'rel-time', text: relativeTime(src.lastFileMs) }),
          h('span', { class: 'muted abs-time', text: ` (${absoluteTime(src.lastFileMs)})` }),
          h('span', { class: 'file muted', text: src.lastFileRel }),
        ),
        h('td', {
          class: 'interval',
          text:
            src.usualIntervalMs === null
              ? 'still learning'
              : `every ${duration(src.usualIntervalMs)}`,
        }),
        h(
          'td',
          { class: 'state' },
          src.silent
            ? h('strong', { class: 'tag bad', text: 'Silent' })
            : h('span', {
                class: src.usualIntervalMs === null ? 'muted' : 'good',
                text: src.usualIntervalMs === null ? 'Learning' : 'Delivering',
              }),
          src.silentAfterMs !== null
            ? h('span', {
                class: 'muted',
                text: `reported after ${duration(src.silentAfterMs)} without a file`,
              })
            : null,
        ),
      ),
    ),
  );
}
