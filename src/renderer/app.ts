// The window's entry point: wires the tabs and views to window.rdl and keeps them fed with
// status and log events. All engine facts come through the preload API; nothing is computed here
// that the engine already knows.
import type { StatusSnapshot } from '../shared/engine-types.js';
import { api, valueOr } from './rdl.js';
import { byId, setText } from './dom.js';
import { Tabs } from './tabs.js';
import { renderStatus, type StatusActions } from './status-view.js';
import { TransfersView } from './transfers-view.js';
import { SettingsView } from './settings-view.js';
import { LogView } from './log-view.js';
import { windowModeNote } from './window-mode-note.js';
import { SetupView } from './setup-view.js';
import { DemoBanner } from './demo-banner.js';
import { FleetTab } from './fleet-tab.js';
import type { Activity } from '../shared/engine-types.js';

const PAUSE_HOUR_MS = 60 * 60 * 1000;

function notice(kind: 'error' | 'info', message: string): void {
  const bar = byId('notice');
  bar.textContent = message;
  bar.dataset.kind = kind;
  bar.hidden = false;
  clearTimeout(Number(bar.dataset.timer));
  bar.dataset.timer = String(
    setTimeout(() => (bar.hidden = true), kind === 'error' ? 15_000 : 5_000),
  );
}

const showError = (m: string) => notice('error', m);
const showInfo = (m: string) => notice('info', m);

function start(): void {
  const rdl = api();
  // The window's own failures go to the log file, where people look when something is off.
  window.addEventListener('error', (e) => {
    void rdl.logFromWindow('error', `${e.message} (${e.filename}:${e.lineno})`.slice(0, 4000));
  });
  window.addEventListener('unhandledrejection', (e) => {
    void rdl.logFromWindow('error', `Unhandled: ${String(e.reason)}`.slice(0, 4000));
  });
  const tabs = new Tabs();
  const transfers = new TransfersView(byId('panel-transfers'), showError);
  let lastStatus: StatusSnapshot | null = null;
  let diskWarnPercent: number | null = null;
  let modeNote: HTMLElement | null = null;
  let activity: Activity | null = null; // issue 10: the Status tab's charts
  // Its syncNow is the window's own "Sync now" (set below, with that button).
  const statusActions: StatusActions = { goTo: (tab) => tabs.show(tab, true), syncNow: () => {} };
  const drawStatus = (s: StatusSnapshot): void => {
    renderStatus(byId('panel-status'), s, statusActions, diskWarnPercent, activity);
    if (modeNote) byId('panel-status').prepend(modeNote);
  };
  // issue 10: the charts' data is re-read when files finish or the queue changes, and each
  // minute (a new hour). Only the newest answer is drawn: an older one would show the past.
  let activityAsks = 0;
  const refreshActivity = async (): Promise<void> => {
    const turn = ++activityAsks;
    const a = await rdl.getActivity();
    if (!a.ok || turn !== activityAsks) return;
    activity = a.value;
    if (lastStatus) drawStatus(lastStatus);
  };
  setInterval(() => {
    void refreshActivity();
    // The Transfers tab's "just now" ages too: on an idle hub no file finishes to redraw it, and
    // it said "just now" of a file finished hours before (found by a window trial).
    if (tabs.active === 'transfers') void transfers.refresh();
  }, 60_000);
  const fleet = new FleetTab(byId('panel-fleet')); // issue 10
  const settings = new SettingsView(byId('panel-settings'), showError, showInfo, (saved) => {
    // The disk bars follow the warning level as soon as it is known or changed.
    diskWarnPercent = saved.diskFullPercent;
    if (lastStatus) drawStatus(lastStatus);
  });
  const log = new LogView(byId('panel-log'), showError);
  // First run: the setup replaces the tabs until it is done (setup-view.ts).
  const setup = new SetupView({
    showError,
    finish: (tab) => {
      document.body.classList.remove('setup-mode');
      void settings.load();
      tabs.show(tab, true);
    },
    demoStarted: (info) => demoBanner.show(info),
  });
  // issue 11 "Try the demo": the banner stays over the tabs until the demo is left.
  const demoBanner = new DemoBanner(
    () =>
      void (async () => {
        if (valueOr(await rdl.leaveDemo(), showError) === undefined) return;
        demoBanner.show(null);
        void settings.load();
        await refreshStatus();
      })(),
  );
  document.querySelector('main')?.before(setup.element);
  byId('notice').before(demoBanner.element);
  let lastDone = -1;
  let lastFailed = -1;
  let lastQueued = -1;
  /** Status pushes from main so far (see refreshStatus). */
  let pushes = 0;

  const onStatus = (s: StatusSnapshot): void => {
    setText(byId('state-line'), s.sentence);
    const badge = byId('state-badge');
    badge.dataset.state = s.state;
    badge.textContent = s.state;
    byId('btn-pause').hidden = s.paused;
    byId('btn-pause-hour').hidden = s.paused;
    byId('btn-resume').hidden = !s.paused;
    byId<HTMLButtonElement>('btn-sync-now').disabled = s.paused;
    document.title =
      s.problems.length > 0 ? `RDL Sync (${s.problems.length} to act on)` : 'RDL Sync';
    lastStatus = s;
    setup.update(
      s.problems.some((p) => p.code === 'setup-needed'),
      s.problems.find((p) => p.code === 'archive-missing')?.message ?? null,
    );
    if (setup.visible) document.body.classList.add('setup-mode');
    drawStatus(s);
    settings.updateStatus(s);
    // A settings change saved elsewhere rebuilds the engine, which pushes a status: the form
    // follows it while it is in view (and when it is shown, below).
    if (tabs.active === 'settings') void settings.refresh();
    // Finished or failed files change the history: refresh it if someone is looking.
    if (
      (s.counts.doneThisRun !== lastDone || s.counts.failed !== lastFailed) &&
      tabs.active === 'transfers'
    ) {
      void transfers.refresh();
    }
    // The backlog chart follows the queue too: while Dropbox is down no file finishes, and the
    // chart said "No queue measured yet" beside "3000 files waiting safely" for up to a minute.
    const queued = s.counts.waiting + s.counts.transit;
    if (s.counts.doneThisRun !== lastDone || queued !== lastQueued) void refreshActivity();
    lastQueued = queued;
    lastDone = s.counts.doneThisRun;
    lastFailed = s.counts.failed;
  };

  /**
   * Asks main for the status now. Main pushes every change as it happens, in order with its
   * answers, so a push that arrives while the answer is on its way is at least as new: the
   * answer is then dropped, not drawn over it (a paused window for a running engine, until the
   * next change, which on an idle hub may be minutes away).
   */
  const refreshStatus = async (): Promise<void> => {
    const seen = pushes;
    const s = valueOr(await rdl.getStatus(), showError);
    if (s && pushes === seen) onStatus(s);
  };

  const act = async (
    call: () => Promise<{ ok: boolean; error?: { message: string } }>,
    done: string,
  ) => {
    const r = await call();
    if (r.ok) showInfo(done);
    else showError(r.error?.message ?? 'Failed');
    await refreshStatus();
  };
  statusActions.syncNow = () => void act(() => rdl.syncNow(), 'Trying again now.');
  byId('btn-sync-now').addEventListener(
    'click',
    () => void act(() => rdl.syncNow(), 'Sync started.'),
  );
  byId('btn-pause-hour').addEventListener(
    'click',
    () => void act(() => rdl.pause(PAUSE_HOUR_MS), 'Paused for 1 hour.'),
  );
  byId('btn-pause').addEventListener(
    'click',
    () => void act(() => rdl.pause(null), 'Paused until you resume.'),
  );
  byId('btn-resume').addEventListener('click', () => void act(() => rdl.resume(), 'Resumed.'));

  tabs.onChange((tab) => {
    if (tab === 'transfers') void transfers.refresh();
    if (tab === 'log') void log.reload();
    if (tab === 'settings') void settings.refresh();
    fleet.setVisible(tab === 'fleet'); // issue 10
  });
  rdl.onStatus((s) => {
    pushes++;
    onStatus(s);
  });
  rdl.onLog((lines) => log.append(lines));
  rdl.onShowTab((tab) => tabs.show(tab, true));

  void (async () => {
    await refreshStatus();
    await settings.load();
    demoBanner.show(valueOr(await rdl.demoState(), showError) ?? null);
    const info = valueOr(await rdl.getAppInfo(), showError);
    if (info) {
      byId('footer').textContent =
        `RDL Sync ${info.version} · settings: ${info.configPath} · log: ${info.logPath}`;
      if (info.windowModeNote) {
        modeNote = windowModeNote(info.windowModeNote, () => void rdl.quitApp());
        byId('panel-status').prepend(modeNote);
      }
    }
    const initial = location.hash.slice(1);
    if (
      initial === 'transfers' ||
      initial === 'fleet' ||
      initial === 'settings' ||
      initial === 'log'
    )
      tabs.show(initial);
  })();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
