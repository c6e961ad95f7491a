// The alert log through a power cut (power-cut.ts: a real ext4 disk, only what was synced
// survives). The next process learns from alerts.jsonl what was announced and still open: a raise
// it does not find there is never cleared, a clear it finds there is never sent again. What was
// owed and not yet delivered is in alerts-outbox.json, written before each send. So a power cut
// while an alert goes out may cost a message twice, never a raise or a clear that is not sent.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { fsyncDir } from '../../src/engine/fsutil/index.js';
import { silentLogger } from '../../src/engine/ports.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { waitUntil } from '../alerts/loopback.js';
import { canMountExt4, mountPowerCutDisk, type PowerCutDisk } from './power-cut.js';

const CARD_OUT = {
  id: 'archive-missing',
  code: 'archive-missing' as const,
  severity: 'error' as const,
  tab: 'status' as const,
  message: 'The SD card is not in its slot: put it back',
};

async function disk(t: TestContext): Promise<PowerCutDisk | null> {
  if (!(await canMountExt4())) {
    t.skip('needs root and loop-mounted ext4');
    return null;
  }
  const d = await mountPowerCutDisk();
  t.after(() => d.cleanup());
  return d;
}

/**
 * A webhook that runs `onArrival` when a request arrives, before it answers; `delivered` false
 * drops the request instead (the power went while it was on its way: nobody got it).
 */
async function webhook(
  onArrival: (event: string) => Promise<{ delivered: boolean }>,
): Promise<{ url: string; got: string[]; close(): Promise<void> }> {
  const got: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        event: string;
        condition: string;
      };
      const event = `${body.event} ${body.condition}`;
      void onArrival(event).then(({ delivered }) => {
        if (!delivered) return void res.destroy();
        got.push(event);
        res.end('ok');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An alert service on `configDir`, following `status`, sending to the webhook secret saved there. */
function service(configDir: string, status: StatusModel): AlertService {
  const settings = {
    ...defaultSettings(),
    site: 'Site3_PowerCut',
    alertWebhookFormat: 'generic' as const,
    alertFlapMinutes: 0,
  };
  return new AlertService({
    configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock: { now: () => Date.now(), sleep: async () => undefined },
    logger: silentLogger,
    host: 'hub3',
    // One try: a request the power cut stopped is not sent again by the process that died.
    tuning: { webhookRetry: { attempts: 1, baseMs: 10, timeoutMs: 5_000 }, tickMs: 60_000 },
  });
}

/** The next start on what the disk held: its first pass finds the card back. */
async function restarted(configDir: string): Promise<AlertService> {
  const status = new StatusModel(() => Date.now());
  const next = service(configDir, status);
  await next.start();
  status.update({ lastPassMs: Date.now() });
  return next;
}

/** The hub's config folder on the disk, made durable as an installed hub has it. */
async function configOn(d: PowerCutDisk, url: string): Promise<string> {
  const configDir = join(d.dir, 'config');
  await mkdir(configDir);
  await fsyncDir(configDir);
  await fsyncDir(d.dir);
  await new AlertSecretStore(configDir).set('webhook-url', url);
  return configDir;
}

test('a raise sent just before a power cut is known after it: the next start clears it', async (t) => {
  const d = await disk(t);
  if (!d) return;
  let after = '';
  const hook = await webhook(async (event) => {
    // The power goes the moment the raise is out (the person has it).
    if (event === 'raised archive-missing' && after === '') after = await d.cut();
    return { delivered: true };
  });
  t.after(() => hook.close());
  const configDir = await configOn(d, hook.url);

  const status = new StatusModel(() => Date.now());
  const first = service(configDir, status);
  await first.start();
  status.raise(CARD_OUT);
  await waitUntil('the raise', () => hook.got.includes('raised archive-missing'));
  await first.stop();

  // The digest's record too (before: an empty or missing file, so a digest could be skipped).
  const state = await readFile(join(after, 'config', 'alerts-state.json'), 'utf8').catch(
    (e: Error) => e.message,
  );
  // Rebooted from what the disk held; the card went back meanwhile.
  const second = await restarted(join(after, 'config'));
  try {
    // Without the fsync the raise was not on the disk: nothing was ever cleared.
    await waitUntil('the clear', () => hook.got.includes('cleared archive-missing'), 10_000);
    assert.deepEqual(hook.got, ['raised archive-missing', 'cleared archive-missing']);
  } finally {
    await second.stop();
  }
  assert.match(state, /"lastDigestMs":\d+/, 'the alert state survived the power cut');
});

test('a clear the power cut stopped on its way is sent by the next start', async (t) => {
  const d = await disk(t);
  if (!d) return;
  let after = '';
  const hook = await webhook(async (event) => {
    if (event !== 'cleared archive-missing' || after !== '') return { delivered: true };
    // The power goes while the clear is on its way: nobody gets it.
    after = await d.cut();
    return { delivered: false };
  });
  t.after(() => hook.close());
  const configDir = await configOn(d, hook.url);

  const status = new StatusModel(() => Date.now());
  const first = service(configDir, status);
  await first.start();
  status.raise(CARD_OUT);
  await waitUntil('the raise', () => hook.got.includes('raised archive-missing'));
  status.clear(CARD_OUT.id);
  await waitUntil('the power cut', () => after !== '');
  await first.stop();

  const second = await restarted(join(after, 'config'));
  try {
    // Recorded before it was sent, the clear was taken as sent: never again.
    await waitUntil('the clear', () => hook.got.includes('cleared archive-missing'), 10_000);
    assert.deepEqual(hook.got, ['raised archive-missing', 'cleared archive-missing']);
  } finally {
    await second.stop();
  }
});

test('a raise the power cut stopped on its way is delivered by the next start while the card is still out', async (t) => {
  const d = await disk(t);
  if (!d) return;
  let after = '';
  const hook = await webhook(async (event) => {
    if (event !== 'raised archive-missing' || after !== '') return { delivered: true };
    // The power goes while the raise is on its way (recorded, not yet out): nobody gets it.
    after = await d.cut();
    return { delivered: false };
  });
  t.after(() => hook.close());
  const configDir = await configOn(d, hook.url);

  const status = new StatusModel(() => Date.now());
  const first = service(configDir, status);
  await first.start();
  status.raise(CARD_OUT);
  await waitUntil('the power cut', () => after !== '');
  await first.stop();

  // Rebooted from what the disk held; the card is still out.
  const nextStatus = new StatusModel(() => Date.now());
  const second = service(join(after, 'config'), nextStatus);
  await second.start();
  nextStatus.raise(CARD_OUT);
  nextStatus.update({ lastPassMs: Date.now() });
  try {
    // Before, the log said it was announced: the next start neither sent it nor raised it again,
    // and no one heard of the card until the reminder a day later.
    await waitUntil('the raise', () => hook.got.includes('raised archive-missing'), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(hook.got, ['raised archive-missing']);
  } finally {
    await second.stop();
  }
});
