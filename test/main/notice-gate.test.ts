// The desktop leaves a first start's two questions (setup, then Dropbox) to the window that asks
// them while it is shown, and shows everything else, and those too when the window is not shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoticeGate } from '../../src/main/notice-gate.js';
import type { Alert } from '../../src/engine/index.js';

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
