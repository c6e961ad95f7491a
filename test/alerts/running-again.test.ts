// A daemon that starts after a "stopped" an earlier process announced (the alert log's last word
// on it) tells the people it told that it runs again, once; a stop already resolved is not.
// read-only-card.test.ts covers the stop this same process announced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startHarness } from '../engine/harness.js';
import { alertLogHook } from './loopback.js';
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
