import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lastSyncText,
  trayIcon,
  trayMenu,
  trayTooltip,
  type TrayMenuItem,
} from '../../src/main/tray-model.js';
import type { EngineState } from '../../src/engine/status/types.js';
import { statusFixture } from './status-fixture.js';

const actions = (items: TrayMenuItem[]) =>
  items.flatMap((i) => (i.type === 'action' ? [i.action] : []));

test('each engine state maps to its tray icon; offline shows attention', () => {
  const expected: Record<EngineState, string> = {
    idle: 'idle',
    syncing: 'syncing',
    paused: 'paused',
    offline: 'attention',
    attention: 'attention',
    error: 'error',
  };
  for (const [state, icon] of Object.entries(expected)) {
    assert.equal(trayIcon(statusFixture({ state: state as EngineState })), icon, state);
  }
});

test('tooltip gives the pending count, the last sync time and the sentence', () => {
  const now = Date.UTC(2026, 10, 24, 12, 0, 0);
  const status = statusFixture({
    state: 'syncing',
    sentence: 'Syncing 5 files…',
    counts: {
      waiting: 2,
      transit: 3,
      uploadPending: 3,
      archivePending: 1,
      failed: 0,
      doneThisRun: 9,
    },
    lastSuccessMs: now - 5 * 60_000,
  });
  assert.equal(
    trayTooltip(status, now),
    'RDL Sync: 5 files pending, last sync 5 min ago\nSyncing 5 files…',
  );
  assert.equal(
    trayTooltip(statusFixture(), now),
    'RDL Sync: nothing pending, never synced yet\nUp to date.',
  );
  const one = statusFixture({ counts: { ...status.counts, waiting: 1, transit: 0 } });
  assert.match(trayTooltip(one, now), /1 file pending/);
});

test('tooltip is cut to the 127 characters Windows shows', () => {
  const long = statusFixture({ sentence: 'x'.repeat(300) });
  const tip = trayTooltip(long, 0);
  assert.equal(tip.length, 127);
  assert.ok(tip.endsWith('…'));
});

test('last sync text: just now, minutes, time of day, date', () => {
  const now = new Date(2026, 10, 24, 15, 30).getTime();
  assert.equal(lastSyncText(now - 10_000, now), 'last sync just now');
  assert.equal(lastSyncText(now - 59 * 60_000, now), 'last sync 59 min ago');
  assert.equal(lastSyncText(new Date(2026, 10, 24, 9, 5).getTime(), now), 'last sync at 09:05');
  assert.equal(
    lastSyncText(new Date(2026, 10, 20, 9, 5).getTime(), now),
    'last sync on 2026-11-20',
  );
});

test('running: the menu offers both pauses and not Resume', () => {
  const menu = trayMenu(statusFixture({ sentence: 'Up to date.' }));
  assert.deepEqual(menu[0], { type: 'label', label: 'Up to date.' });
  assert.deepEqual(actions(menu), [
    'syncNow',
    'pauseHour',
    'pauseUntilResumed',
    'openWindow',
    'openWatchFolder',
    'openArchiveFolder',
    'openLogFile',
    'quit',
  ]);
  const labels = menu.flatMap((i) => (i.type === 'action' ? [i.label] : []));
  assert.ok(labels.includes('Pause for 1 hour') && labels.includes('Pause until resumed'));
});

test('paused: the menu shows Resume instead of Pause, and Sync now is disabled', () => {
  const menu = trayMenu(
    statusFixture({ state: 'paused', paused: true, sentence: 'Paused until you resume.' }),
  );
  const acts = actions(menu);
  assert.ok(acts.includes('resume'));
  assert.ok(!acts.includes('pauseHour') && !acts.includes('pauseUntilResumed'));
  const sync = menu.find((i) => i.type === 'action' && i.action === 'syncNow');
  assert.equal(sync?.type === 'action' && sync.enabled, false);
});

test('SD card folder item is disabled while the card is absent', () => {
  const status = statusFixture();
  const menu = trayMenu({ ...status, archive: { ...status.archive, present: false } });
  const item = menu.find((i) => i.type === 'action' && i.action === 'openArchiveFolder');
  assert.equal(item?.type === 'action' && item.enabled, false);
});

test('the archive folder item says what the archive is: the SD card, or a folder on the hub', () => {
  const status = statusFixture();
  const label = (card: boolean | undefined): string | undefined => {
    const item = trayMenu({ ...status, archive: { ...status.archive, card } }).find(
      (i) => i.type === 'action' && i.action === 'openArchiveFolder',
    );
    return item?.type === 'action' ? item.label : undefined;
  };
  assert.equal(label(true), 'Open SD card folder');
  assert.equal(label(false), 'Open archive folder');
  assert.equal(label(undefined), 'Open SD card folder', 'an older status.json: as before');
});
