// The desktop leaves a first start's two questions (setup, then Dropbox) to the window that asks
// them while it is shown, and shows everything else, and those too when the window is not shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoticeGate } from '../../src/main/notice-gate.js';
import type { Alert, DropboxStatus, Problem } from '../../src/engine/index.js';

function alert(code: Alert['code'], kind: Alert['kind'] = 'raised'): Alert {
  return {
    kind,
    conditionId: code === 'setup-needed' ? 'settings-invalid' : code,
    code,
    severity: 'attention',
    sentence: `${code}.`,
    sinceMs: 0,
    atMs: 0,
    tab: 'settings',
  };
}

function problem(code: Problem['code']): Problem {
  return {
    id: code === 'setup-needed' ? 'settings-invalid' : code,
    code,
    severity: 'attention',
    message: `${code}`,
    sinceMs: 0,
    tab: 'settings',
  };
}

const notConnected = { ...connected(), connected: false };

function connected(): DropboxStatus {
  return {
    connected: true,
    accountName: 'Lab',
    email: null,
    usedBytes: null,
    allocatedBytes: null,
    lastContactMs: null,
  };
}

test('during a first start with the window shown: setup and Dropbox left to it, the rest shown', () => {
  let shown = true;
  const gate = new NoticeGate(() => shown);
  assert.equal(gate.shows(alert('setup-needed')), false);
  assert.equal(gate.shows(alert('auth-missing')), false, 'the next question of the same setup');
  assert.equal(gate.shows(alert('archive-missing')), true, 'anything else is told');
  assert.equal(
    gate.shows(alert('setup-needed', 'cleared')),
    false,
    'the end of a condition the window asked about is no news',
  );
  assert.equal(gate.shows(alert('archive-missing', 'cleared')), true, 'good news is told');
  shown = false;
  assert.equal(gate.shows(alert('auth-missing', 'reminder')), true, 'the window closed: told');
  assert.equal(gate.shows(alert('auth-missing', 'cleared')), true, 'and so is its end');
});

test('not a first start: "Dropbox is not connected" is a notification even with the window shown', () => {
  const gate = new NoticeGate(() => true);
  assert.equal(gate.shows(alert('auth-missing')), true);
});

test('a first start hidden at login: "Setup needed" is a notification', () => {
  const gate = new NoticeGate(() => false);
  assert.equal(gate.shows(alert('setup-needed')), true);
});

test('a setup begun before a restart: no "Setup needed" raised again, yet its questions stay the window’s', () => {
  // The first process announced "Setup needed" (left to its window); the person quit on the
  // welcome. This start's policy carries the condition over and never raises it again.
  const gate = new NoticeGate(() => true);
  gate.observe({ problems: [problem('setup-needed')], dropbox: notConnected });
  assert.equal(
    gate.shows(alert('setup-needed', 'cleared')),
    false,
    'the folders saved: no "resolved" over the window',
  );
  gate.observe({ problems: [], dropbox: notConnected });
  assert.equal(gate.shows(alert('auth-missing')), false, 'the welcome asks for Dropbox itself');
});

test('the window left with a setup question open: it is notified then, once, and so is its end', () => {
  let shown = true;
  const gate = new NoticeGate(() => shown);
  assert.equal(gate.shows(alert('setup-needed')), false);
  assert.equal(gate.shows(alert('setup-needed', 'cleared')), false);
  assert.equal(gate.shows(alert('auth-missing')), false);
  shown = false; // closed without connecting Dropbox
  assert.deepEqual(
    gate.windowLeft().map((a) => [a.code, a.kind]),
    [['auth-missing', 'raised']],
    'what still stands, not what the window already resolved',
  );
  assert.deepEqual(gate.windowLeft(), [], 'told once');
  assert.equal(gate.shows(alert('auth-missing', 'cleared')), true, 'its end is news now');
});

test('once the first start’s setup is done, a later Disconnect in Settings is told at once', () => {
  const gate = new NoticeGate(() => true);
  gate.observe({ problems: [problem('setup-needed')], dropbox: notConnected });
  assert.equal(gate.shows(alert('setup-needed')), false);
  // The folders saved: "Setup needed" clears a moment before "not connected" is raised.
  gate.observe({ problems: [], dropbox: notConnected });
  assert.equal(gate.shows(alert('setup-needed', 'cleared')), false);
  gate.observe({ problems: [problem('auth-missing')], dropbox: notConnected });
  assert.equal(gate.shows(alert('auth-missing')), false, 'the welcome asks for Dropbox itself');
  // Connected from the welcome: the setup is done.
  gate.observe({ problems: [], dropbox: connected() });
  assert.equal(gate.shows(alert('auth-missing', 'cleared')), false, 'no news over the window');
  // Later, with the window still open, the person disconnects Dropbox in Settings.
  gate.observe({ problems: [problem('auth-missing')], dropbox: notConnected });
  assert.equal(gate.shows(alert('auth-missing')), true, 'told now, not when the window is left');
  assert.deepEqual(gate.windowLeft(), [], 'nothing kept back for later');
});
