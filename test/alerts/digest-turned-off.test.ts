// A digest that fails is a problem ("The digest by email to … is not getting through"), told
// through the other channels and cleared by the next digest that goes. Turning the digest off
// (digestSchedule off) is the other way it ends. Before, nothing cleared it then: it stood in the
// window, `status` and the tray, reminded every day, and the people never heard "resolved". Real
// parts: an SMTP relay that is down (nothing listens on its port), a webhook server on loopback.
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
import { freePort, startWebhookServer, tempDir, waitUntil } from './loopback.js';

const DAY = 24 * 3_600_000;

test('the digest turned off while it fails: its problem is cleared, and the webhook hears "resolved"', async () => {
  const configDir = await tempDir('rdl-digest-off-');
  const hook = await startWebhookServer();
  clearRegisteredSecrets();
  await new AlertSecretStore(configDir).set('webhook-url', `${hook.url}/hooks/digest-off`);
  const now = new Date(2026, 11, 1, 9, 0).getTime();
  await fs.writeFile(
    path.join(configDir, 'alerts-state.json'),
    JSON.stringify({ lastDigestMs: now - 2 * DAY }),
  );
  let settings: Settings = {
    ...defaultSettings(),
    site: 'Site8_Off',
    alertFlapMinutes: 0,
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub8@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: await freePort(), // the relay is down
    smtpSecurity: 'none',
    alertWebhookFormat: 'generic',
    digestSchedule: 'daily',
    digestHour: 7,
  };
  const status = new StatusModel(() => now);
  const service = new AlertService({
    configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock: { now: () => now, sleep: async () => undefined },
    logger: silentLogger,
    host: 'hub8',
    tuning: { tickMs: 20 },
  });
  const events = (): string[] =>
    hook.requests
      .map((r) => r.body as { event: string; condition: string })
      .map((b) => `${b.event} ${b.condition}`);
  const failing = (): boolean =>
    status.snapshot().problems.some((p) => p.id === 'alert-channel-failing:email');
  try {
    await service.start();
    await waitUntil('the digest to fail', failing);
    await waitUntil('the webhook told', () =>
      events().includes('raised alert-channel-failing:email'),
    );
    // The person does not want the digest any more.
    settings = { ...settings, digestSchedule: 'off' };
    await waitUntil('the problem to be cleared', () => !failing(), 5_000);
    await waitUntil('the webhook to hear it', () =>
      events().includes('cleared alert-channel-failing:email'),
    );
    assert.deepEqual(events(), [
      'raised alert-channel-failing:email',
      'cleared alert-channel-failing:email',
    ]);
  } finally {
    await service.stop();
    status.dispose();
    await hook.close();
    await fs.rm(configDir, { recursive: true, force: true });
  }
});
