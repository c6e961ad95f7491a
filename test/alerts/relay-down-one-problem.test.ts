// One SMTP relay down is one fault: the alerts by email and the digest (an email through the same
// relay, to the same people) both fail on it, and the fix is the same. It was two problems,
// alert-channel-failing:email and alert-channel-failing:digest: "(+1 more)" in the status, two
// raises and two "resolved" through the webhook, read as two separate faults. Now it is one
// problem that says what waits (the alerts and the digest), resolved once both go through. Real
// parts: a relay that is down (nothing listens on its port), then up on that port; a webhook
// server on loopback hears the announcements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { clearRegisteredSecrets } from '../../src/engine/log/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { silentLogger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { freePort, startSmtp, startWebhookServer, tempDir, waitUntil } from './loopback.js';

const DAY = 24 * 3_600_000;

test('the relay down for an alert and the digest: one problem naming both, one raise, one resolved', async () => {
  const configDir = await tempDir('rdl-relay-down-');
  const hook = await startWebhookServer();
  clearRegisteredSecrets();
  await new AlertSecretStore(configDir).set('webhook-url', `${hook.url}/hooks/relay`);
  await fs.writeFile(
    path.join(configDir, 'alerts-state.json'),
    JSON.stringify({ lastDigestMs: Date.now() - 2 * DAY }), // the digest is due
  );
  const port = await freePort(); // the relay is down
  const settings: Settings = {
    ...defaultSettings(),
    site: 'Site9_Relay',
    alertFlapMinutes: 0,
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub9@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: port,
    smtpSecurity: 'none',
    alertWebhookFormat: 'generic',
    digestSchedule: 'daily',
    digestHour: 0,
  };
  const status = new StatusModel(() => Date.now());
  const service = new AlertService({
    configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock: { now: () => Date.now(), sleep: async () => undefined },
    logger: silentLogger,
    host: 'hub9',
    tuning: { tickMs: 20, retry: { firstDelayMs: 50, maxDelayMs: 200 } },
  });
  const relayEvents = (): string[] =>
    hook.requests
      .map((r) => r.body as { event: string; condition: string })
      .filter((b) => b.condition.startsWith('alert-channel-failing'))
      .map((b) => `${b.event} ${b.condition}`);
  const relayProblems = () =>
    status.snapshot().problems.filter((p) => p.id.startsWith('alert-channel-failing'));
  let smtp: Awaited<ReturnType<typeof startSmtp>> | null = null;
  try {
    await service.start();
    status.raise({
      id: 'archive-missing',
      code: 'archive-missing',
      severity: 'attention',
      tab: 'status',
      message: 'Archive folder /media/sd does not exist: insert the card',
    });
    // Both have failed on the relay: an alert by email, and the digest.
    await waitUntil(
      'the alert and the digest to fail',
      () =>
        relayProblems().some((p) => /digest/.test(p.message)) &&
        relayProblems().some((p) => p.id === 'alert-channel-failing:email'),
    );
    const problems = relayProblems();
    assert.deepEqual(
      problems.map((p) => p.id),
      ['alert-channel-failing:email'],
      'one problem for one relay',
    );
    assert.match(
      problems[0]!.message,
      /^Alerts and the digest by email to ops@example\.org are not getting through \(.*ECONNREFUSED.*\): 1 alert waits to be sent again, and the digest; check the alert settings, then rdl-sync alert test$/,
    );
    await waitUntil('the webhook told', () => relayEvents().length > 0);

    // The relay comes back: the alert and the digest go, and the one problem is resolved.
    smtp = await startSmtp({ port });
    await waitUntil(
      'both through the relay',
      () =>
        smtp!.mails.some((m) => /archive-missing/.test(m.subject)) &&
        smtp!.mails.some((m) => /digest|report/i.test(m.subject)) &&
        relayProblems().length === 0,
    );
    await waitUntil('the webhook to hear it resolved', () => relayEvents().length >= 2);
    assert.deepEqual(relayEvents(), [
      'raised alert-channel-failing:email',
      'cleared alert-channel-failing:email',
    ]);
  } finally {
    await service.stop();
    status.dispose();
    await hook.close();
    await smtp?.close();
    await fs.rm(configDir, { recursive: true, force: true });
  }
});
