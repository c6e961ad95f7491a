// Defect found in a user trial: on a hub with nothing to sync, a revoked Dropbox login was met by
// the fleet heartbeat (and the account check) and only logged; `rdl-sync status` said connected,
// with no problem and no alert, until the next file arrived. A logger writing a file a day hid a
// revocation for a day. A running engine, the emulator over HTTP, no file dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import type { Alert } from '../../src/engine/alerts/types.js';
import { systemClock, type Clock } from '../../src/engine/ports.js';
import { waitFor } from '../cli/cli-harness.js';
import { withHarness, type Harness } from './harness.js';

async function savedToken(h: Harness): Promise<string> {
  const file = path.join(h.configDir, 'credentials.json');
  return (JSON.parse(await fs.readFile(file, 'utf8')) as { refreshToken: string }).refreshToken;
}

/** What `rdl-sync auth` ends with: a new login saved beside the running engine. */
async function reconnect(h: Harness): Promise<void> {
  await new FileCredentialStore(h.configDir).save({
    appKey: h.emulator.appKey,
    refreshToken: h.emulator.issueRefreshToken(),
  });
}

const revokedProblem = (h: Harness) =>
  h.engine.getStatus().problems.find((p) => p.id === 'auth-revoked');

test('a revoked login met by the heartbeat on a quiet hub is a problem and an alert at once', async () => {
  await withHarness({ engine: { fleetHeartbeatMs: 1_000, hostName: 'hub-q' } }, async (h) => {
    const alerts: Alert[] = [];
    h.engine.alerts.onAlert((a) => void alerts.push(a));
    await h.engine.start();
    await waitFor('a first heartbeat', async () => h.emulator.getFile('/RDL/_fleet/site1.json'));
    await waitFor('a first pass', async () => h.engine.getStatus().lastPassMs !== null);
    assert.equal(h.engine.getStatus().dropbox.connected, true);

    h.emulator.revokeRefreshToken(await savedToken(h));
    const problem = await waitFor('the revoked login shown', async () => revokedProblem(h));
    assert.equal(problem.severity, 'error');
    assert.match(problem.message, /Dropbox access was revoked: reconnect RDL Sync to Dropbox/);
    assert.equal(h.engine.getStatus().dropbox.connected, false);
    await waitFor('the revoked login alerted', async () =>
      alerts.some((a) => a.kind === 'raised' && a.conditionId === 'auth-revoked'),
    );
    // No file was dropped: the heartbeat's call is what met the refusal.
    assert.deepEqual(await fs.readdir(h.watchDir), []);

    await reconnect(h);
    await waitFor('the problem cleared once Dropbox takes a call', async () =>
      revokedProblem(h) === undefined ? true : undefined,
    );
    assert.equal(h.engine.getStatus().dropbox.connected, true);
    await waitFor('the clear alerted', async () =>
      alerts.some((a) => a.kind === 'cleared' && a.conditionId === 'auth-revoked'),
    );
  });
});

test('with no heartbeat, the account check a quiet pass makes shows a revoked login', async () => {
  // The account check runs beside a pass at most every 10 minutes: this clock's monotonic reading
  // is moved on instead of waiting for it.
  let skipMs = 0;
  const clock: Clock = { ...systemClock, monotonic: () => performance.now() + skipMs };
  await withHarness(
    { settings: { fleetHeartbeatEnabled: false }, engine: { clock } },
    async (h) => {
      await h.engine.runPassNow();
      assert.equal(h.engine.getStatus().dropbox.connected, true);

      h.emulator.revokeRefreshToken(await savedToken(h));
      skipMs += 11 * 60_000;
      await h.engine.runPassNow();
      const problem = revokedProblem(h);
      assert.ok(problem, JSON.stringify(h.engine.getStatus().problems));
      assert.match(problem.message, /Dropbox access was revoked/);
      assert.equal(h.engine.getStatus().dropbox.connected, false);
      // A quiet pass does not reach Dropbox: it neither lifts the verdict nor says it again.
      await h.engine.runPassNow();
      assert.ok(revokedProblem(h));

      await reconnect(h);
      skipMs += 11 * 60_000;
      await h.engine.runPassNow();
      assert.equal(revokedProblem(h), undefined, JSON.stringify(h.engine.getStatus().problems));
      assert.equal(h.engine.getStatus().dropbox.connected, true);
    },
  );
});

test('a heartbeat failing on a server error or a rate limit leaves the login as it was', async () => {
  await withHarness({ engine: { fleetHeartbeatMs: 1_000, hostName: 'hub-q' } }, async (h) => {
    // Only the heartbeat uses this route on a quiet hub.
    h.emulator.addFault({ route: 'files/upload', kind: 'server_error', times: 1_000 });
    h.emulator.addFault({ route: 'files/upload', kind: 'too_many_requests', times: 1_000 });
    await h.engine.start();
    await waitFor('failed heartbeats', async () => (h.emulator.stats()['files/upload'] ?? 0) >= 4);
    await waitFor('a first pass', async () => h.engine.getStatus().lastPassMs !== null);
    const status = h.engine.getStatus();
    assert.deepEqual(status.problems, []);
    assert.equal(status.dropbox.connected, true);
  });
});
