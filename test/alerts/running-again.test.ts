// A daemon that starts after a "stopped" an earlier process announced (the alert log's last word
// on it) tells the people it told that it runs again, once; a stop already resolved is not.
// read-only-card.test.ts covers the stop this same process announced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startHarness } from '../engine/harness.js';
import { alertLogHook, startSmtp } from './loopback.js';
import type { Alert } from '../../src/engine/alerts/types.js';

function stopAlert(kind: Alert['kind'], atMs: number): Alert {
  return {
    kind,
    conditionId: 'daemon-stopped',
    code: 'daemon-stopped',
    severity: 'error',
    sentence: 'RDL Sync stopped on an error (boom): nothing syncs until it runs again.',
    sinceMs: atMs,
    atMs,
    tab: 'log',
  };
}

async function withStopsInLog(
  stops: Alert[],
  check: (heard: () => Promise<string>, notify: () => Promise<unknown[]>) => Promise<void>,
) {
  const h = await startHarness();
  try {
    const { hook, log: heardFile } = await alertLogHook(h.root, 'heard.log');
    const saved = await h.engine.saveSettings({ ...h.engine.getSettings(), alertCommand: hook });
    assert.ok(saved.ok, JSON.stringify(saved));
    await fs.writeFile(
      path.join(h.configDir, 'alerts.jsonl'),
      stops.map((a) => `${JSON.stringify(a)}\n`).join(''),
      { mode: 0o600 },
    );
    await h.engine.start();
    await check(
      () => fs.readFile(heardFile, 'utf8').catch(() => ''),
      () => h.engine.alerts.notifyRunningAgain(),
    );
  } finally {
    await h.close();
  }
}

test('a stop an earlier process announced is resolved once by the next start', async () => {
  const t0 = Date.now() - 60_000;
  await withStopsInLog([stopAlert('raised', t0)], async (heard, notify) => {
    const results = await notify();
    assert.equal(results.length, 1, JSON.stringify(results));
    assert.match(await heard(), /^cleared daemon-stopped$/m);
    assert.deepEqual(await notify(), [], 'once');
  });
});

test('a stop already resolved is not resolved again', async () => {
  const t0 = Date.now() - 60_000;
  await withStopsInLog(
    [stopAlert('raised', t0), stopAlert('cleared', t0 + 1_000)],
    async (heard, notify) => {
      assert.deepEqual(await notify(), []);
      assert.doesNotMatch(await heard(), /daemon-stopped/);
    },
  );
});

// A pause outlives a restart (the settings file keeps it): a daemon or tray app that starts while
// a person has syncing paused runs, but moves nothing. "RDL Sync runs again" told the people far
// away that the files flowed again; the email says it is paused, until when, and how to resume.
/** `pauseForMs`: null paused until resumed, a number paused for that long, undefined not paused. */
async function runningAgainMail(pauseForMs?: number | null): Promise<string> {
  const smtp = await startSmtp();
  const h = await startHarness();
  try {
    const saved = await h.engine.saveSettings({
      ...h.engine.getSettings(),
      alertEmailTo: ['ops@example.org'],
      alertEmailFrom: 'hub6@example.org',
      smtpHost: '127.0.0.1',
      smtpPort: smtp.port,
      smtpSecurity: 'none',
    });
    assert.ok(saved.ok, JSON.stringify(saved));
    await fs.writeFile(
      path.join(h.configDir, 'alerts.jsonl'),
      `${JSON.stringify(stopAlert('raised', Date.now() - 60_000))}\n`,
      { mode: 0o600 },
    );
    if (pauseForMs !== undefined) await h.engine.pause(pauseForMs);
    await h.engine.start();
    const results = await h.engine.alerts.notifyRunningAgain();
    assert.deepEqual(
      results.map((r) => r.ok),
      [true],
      JSON.stringify(results),
    );
    assert.equal(smtp.mails.length, 1);
    return smtp.mails[0]!.text.replace(/\s+/g, ' ');
  } finally {
    await h.close();
    await smtp.close();
  }
}

test('started while paused until resumed: the email says it is paused and how to resume', async () => {
  const text = await runningAgainMail(null);
  assert.match(text, /RDL Sync runs again, but syncing is paused/);
  assert.match(text, /until someone resumes it/);
  assert.match(text, /rdl-sync resume/);
});

test('started while paused for a while: the email says until when (UTC)', async () => {
  const text = await runningAgainMail(3 * 3_600_000);
  assert.match(text, /syncing is paused/);
  assert.match(text, /until \d{4}-\d\d-\d\d \d\d:\d\d UTC, when it resumes by itself/);
  assert.match(text, /rdl-sync resume/);
});

test('started and not paused: it says it runs again, and no word of a pause', async () => {
  const text = await runningAgainMail();
  // What was wrong as past, not "No longer a problem: “… nothing syncs …”" as if still true.
  assert.match(
    text,
    /^Resolved: RDL Sync stopped on an error, which began \d{4}-\d\d-\d\d \d\d:\d\d UTC and lasted \d+ s\. It last read: “RDL Sync stopped on an error \(boom\): nothing syncs until it runs again”\. RDL Sync runs again/,
  );
  assert.doesNotMatch(text, /paused/);
});
