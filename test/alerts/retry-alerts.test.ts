// An alert a channel did not accept is delivered once the channel is back. Before, it was
// recorded as announced and never sent again: only a local "channel failing" problem said so,
// which no one sees on a hub in the field. Real parts: an SMTP relay on loopback that is down
// (nothing listens on its port) and comes back on the same port, a webhook server that answers
// 503 and then 200, alerts.jsonl and alerts-outbox.json on disk, a second service on the same
// settings folder for a restart. The clock is the test's, so the retry delays (a minute, then
// doubled, up to an hour) are stepped through, not waited for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { clearRegisteredSecrets } from '../../src/engine/log/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Logger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import type { Problem } from '../../src/engine/status/types.js';
import {
  freePort,
  startSmtp,
  startWebhookServer,
  tempDir,
  waitUntil,
  type LoopbackHttp,
  type LoopbackSmtp,
} from './loopback.js';

/** What each channel still owes (src/engine/alerts/outbox.ts). */
const ALERT_OUTBOX_FILE = 'alerts-outbox.json';
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 3, 9, 0);
const TOKEN = 'Hook-Token-Secret-987';

const archiveMissing: Omit<Problem, 'sinceMs'> = {
  id: 'archive-missing',
  code: 'archive-missing',
  severity: 'attention',
  tab: 'status',
  message: 'SD card folder /media/sd does not exist: insert the card; files wait safely',
};

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A hub's alert service as the daemon runs it, on the test's clock. */
class Hub {
  now = T0;
  readonly status = new StatusModel(() => this.now);
  readonly lines: LogLine[] = [];
  service: AlertService;

  constructor(
    readonly configDir: string,
    readonly settings: ReturnType<typeof defaultSettings>,
    readonly tickMs = 20,
  ) {
    this.service = this.build();
  }

  build(): AlertService {
    const line =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}): void =>
        void this.lines.push({ level, message, fields });
    const logger: Logger = {
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
    };
    return new AlertService({
      configDir: this.configDir,
      status: this.status,
      settings: () => this.settings,
      history: () => [],
      clock: { now: () => this.now, sleep: async () => undefined },
      logger,
      host: 'hub-retry',
      tuning: { tickMs: this.tickMs, webhookRetry: { attempts: 1, baseMs: 1, timeoutMs: 5_000 } },
    });
  }

  logged(message: string): LogLine[] {
    return this.lines.filter((l) => l.message === message);
  }

  async owed(): Promise<{ channel: string; alert: { kind: string; conditionId: string } }[]> {
    try {
      const text = await fs.readFile(path.join(this.configDir, ALERT_OUTBOX_FILE), 'utf8');
      return (JSON.parse(text) as { owed: [] }).owed;
    } catch {
      return [];
    }
  }

  hasProblem(id: string): boolean {
    return this.status.snapshot().problems.some((p) => p.id === id);
  }
}

async function setup(
  prefix: string,
  opts: { email?: number; webhook?: LoopbackHttp; tickMs?: number },
): Promise<Hub> {
  const configDir = await tempDir(prefix);
  clearRegisteredSecrets();
  if (opts.webhook) {
    await new AlertSecretStore(configDir).set('webhook-url', `${opts.webhook.url}/hooks/${TOKEN}`);
  }
  const settings = {
    ...defaultSettings(),
    site: 'Site5_Retry',
    alertFlapMinutes: 0,
    ...(opts.email !== undefined
      ? {
          alertEmailTo: ['ops@example.org'],
          alertEmailFrom: 'hub@example.org',
          smtpHost: '127.0.0.1',
          smtpPort: opts.email,
          smtpSecurity: 'none' as const,
        }
      : {}),
    alertWebhookFormat: opts.webhook ? ('generic' as const) : ('off' as const),
  };
  return new Hub(configDir, settings, opts.tickMs);
}

const events = (hook: LoopbackHttp, condition?: string): string[] =>
  hook.requests
    .map((r) => r.body as { event: string; condition: string })
    .filter((b) => condition === undefined || b.condition === condition)
    .map((b) => `${b.event} ${b.condition}`);

const subjects = (smtp: LoopbackSmtp | null): string[] => smtp?.mails.map((m) => m.subject) ?? [];

/** A few of the service's ticks (20 ms each) go by: for "nothing more happened" only. */
const someTicks = (): Promise<void> => new Promise((r) => setTimeout(r, 200));

test('a raise the SMTP relay refused arrives once the relay is back, on the retry and not before; the webhook that took it is not sent it again', async () => {
  const port = await freePort();
  const hook = await startWebhookServer();
  const hub = await setup('rdl-retry-email-', { email: port, webhook: hook });
  let smtp: LoopbackSmtp | null = null;
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('the webhook to take the raise', () =>
      events(hook).includes('raised archive-missing'),
    );
    await waitUntil(
      'the email channel to fail',
      () => hub.logged('alert channel failed').length > 0,
    );
    assert.ok(hub.hasProblem('alert-channel-failing:email'), 'the channel failing is shown');
    // The webhook is told of the email trouble meanwhile (owed while it is on its way).
    const owed = async (): Promise<string[]> =>
      (await hub.owed()).map((e) => `${e.channel} ${e.alert.kind} ${e.alert.conditionId}`);
    await waitUntil('the webhook told of the email trouble', () =>
      events(hook).includes('raised alert-channel-failing:email'),
    );
    await waitUntil('what is owed written', async () => (await owed()).length === 1);
    assert.deepEqual(
      await owed(),
      ['email raised archive-missing'],
      'owed on the disk, by email only',
    );

    // The relay comes back; the first retry is a minute after the failure.
    smtp = await startSmtp({ port });
    hub.now = T0 + 30_000;
    await someTicks();
    assert.deepEqual(subjects(smtp), [], 'not tried before its delay');
    hub.now = T0 + MIN + 1_000;
    await waitUntil('the raise by email', () => smtp!.mails.length === 1, 5_000);
    assert.equal(
      smtp.mails[0]!.subject,
      'RDL Sync Site5_Retry: needs attention: the archive out of reach (archive-missing)',
    );
    assert.match(smtp.mails[0]!.text, /^SD card folder \/media\/sd does not exist/);
    await waitUntil(
      'the channel failing to clear',
      () => !hub.hasProblem('alert-channel-failing:email'),
    );
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0);
    const delivered = hub.logged('alert delivered on retry');
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0]!.fields.channel, 'email');
    // The webhook heard of the email trouble, and of its end.
    await waitUntil(
      'the webhook told of the email channel failing and healed',
      () => events(hook, 'alert-channel-failing:email').length === 2,
    );
    assert.deepEqual(events(hook, 'alert-channel-failing:email'), [
      'raised alert-channel-failing:email',
      'cleared alert-channel-failing:email',
    ]);

    // The card goes back: the clear goes to both, once.
    hub.status.clear('archive-missing');
    await waitUntil('the clear by email', () => subjects(smtp).some((s) => s.includes('resolved')));
    await waitUntil('the clear by webhook', () => events(hook).includes('cleared archive-missing'));
    await someTicks();
    assert.deepEqual(events(hook, 'archive-missing'), [
      'raised archive-missing',
      'cleared archive-missing',
    ]);
    assert.deepEqual(subjects(smtp), [
      'RDL Sync Site5_Retry: needs attention: the archive out of reach (archive-missing)',
      'RDL Sync Site5_Retry: resolved: the archive out of reach (archive-missing)',
    ]);
    const logText = JSON.stringify(hub.lines);
    assert.ok(!logText.includes(TOKEN), 'the webhook token is never logged');
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await smtp?.close();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a restart in between: the raise the webhook refused is delivered by the next process, once, and not announced again', async () => {
  let refusing = true;
  const hook = await startWebhookServer(() => (refusing ? 503 : 200));
  const hub = await setup('rdl-retry-restart-', { webhook: hook });
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('the refused raise', () => hub.logged('alert channel failed').length === 1);
    await hub.service.stop();
    assert.equal((await hub.owed()).length, 1, 'owed on the disk when the process stops');

    // The next process (a reboot, systemd): the card is still out.
    refusing = false;
    hub.now = T0 + 5 * MIN;
    hub.service = hub.build();
    await hub.service.start();
    // Its first pass has looked: the card is still out. (Until then what is owed of a condition
    // carried over waits: it may have healed while the service was down.)
    hub.status.update({ lastPassMs: hub.now });
    // Its first request was refused (the server keeps refused requests too): a second one.
    await waitUntil('the raise delivered', () => events(hook, 'archive-missing').length === 2);
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0);
    await someTicks();
    // Refused once, then delivered once: no second raise from the restart.
    assert.deepEqual(events(hook, 'archive-missing'), [
      'raised archive-missing',
      'raised archive-missing',
    ]);
    assert.equal(hook.requests.length, 2);
    const body = hook.requests[1]!.body as { at: string; message: string };
    assert.equal(body.at, new Date(T0).toISOString(), 'the raise of its time, not a new one');
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('cleared before the channel was told: neither the raise nor the clear is sent by it; the channel that was told gets both', async () => {
  const port = await freePort();
  const hook = await startWebhookServer();
  const hub = await setup('rdl-retry-cleared-', { email: port, webhook: hook });
  let smtp: LoopbackSmtp | null = null;
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil(
      'the email channel to fail',
      () => hub.logged('alert channel failed').length > 0,
    );
    // The relay is back, and the card too, before the retry was due.
    smtp = await startSmtp({ port });
    hub.now = T0 + 20_000;
    hub.status.clear('archive-missing');
    await waitUntil('the clear by webhook', () => events(hook).includes('cleared archive-missing'));
    await waitUntil('the drop to be logged', () =>
      hub.lines.some((l) => l.message.startsWith('alert not delivered: its condition cleared')),
    );
    // Another condition, later: the email channel works and owes nothing before it.
    hub.now = T0 + 2 * MIN;
    hub.status.raise({ ...archiveMissing, id: 'quota-full', code: 'quota-full' });
    await waitUntil('the next alert by email', () => smtp!.mails.length > 0);
    await someTicks();
    assert.deepEqual(subjects(smtp), [
      'RDL Sync Site5_Retry: needs attention: Dropbox full (quota-full)',
    ]);
    assert.deepEqual(events(hook, 'archive-missing'), [
      'raised archive-missing',
      'cleared archive-missing',
    ]);
    // The email channel's trouble ended with that mail: the webhook is told, and then nothing is
    // owed. (Read from the disk at once, it was still the webhook's on a busy machine: the file is
    // written after the send.)
    await waitUntil(
      'the webhook told the email channel healed',
      () => events(hook, 'alert-channel-failing:email').length === 2,
    );
    assert.deepEqual(events(hook, 'alert-channel-failing:email'), [
      'raised alert-channel-failing:email',
      'cleared alert-channel-failing:email',
    ]);
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await smtp?.close();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a webhook that never accepts: tries from a minute apart up to an hour, given up after a day, the owed list bounded; the channel failing shows until it delivers again', async () => {
  let refusing = true;
  const hook = await startWebhookServer(() => (refusing ? 503 : 200));
  const hub = await setup('rdl-retry-bounds-', { webhook: hook });
  // Reminders off: a reminder owes an open condition afresh, and this is about giving up.
  hub.settings.alertReminderHours = 0;
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('the first try', () => hook.requests.length === 1);
    await waitUntil('its failure logged', () => hub.logged('alert channel failed').length === 1);
    const delays: number[] = [];
    // Each try is stepped to exactly when it is due; a day of them.
    for (;;) {
      const failed = [...hub.logged('alert channel failed'), ...hub.logged('alert retry failed')];
      const next = failed.at(-1)!.fields.nextTryInS as number;
      if (hub.now + next * 1000 - T0 > 24 * 60 * MIN) break;
      delays.push(next / 60);
      hub.now += next * 1000;
      const before = hook.requests.length;
      await waitUntil('the next try', () => hook.requests.length === before + 1, 5_000);
      await waitUntil('its failure logged', () => {
        const n =
          hub.logged('alert channel failed').length + hub.logged('alert retry failed').length;
        return n === failed.length + 1;
      });
    }
    assert.deepEqual(delays.slice(0, 8), [1, 2, 4, 8, 16, 32, 60, 60], 'minutes between tries');
    assert.ok(delays.length < 40, `${delays.length} tries in a day`);
    assert.ok(hub.hasProblem('alert-channel-failing:webhook'), 'still shown');

    // Past a day: given up, nothing owed, nothing more tried.
    hub.now += 61 * MIN;
    await waitUntil('given up', () =>
      hub.lines.some((l) => l.message === 'alert not delivered: not delivered in time: given up'),
    );
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0);
    const tries = hook.requests.length;
    hub.now += 5 * 60 * MIN;
    await someTicks();
    assert.equal(hook.requests.length, tries, 'no try of what was given up');

    // Many conditions while it refuses: at most 100 owed, the oldest given up first.
    for (let i = 0; i < 130; i++) {
      hub.status.raise({
        ...archiveMissing,
        id: `source-silent:logger${i}`,
        code: 'source-silent',
      });
    }
    await waitUntil(
      'all 130 tried or queued',
      () =>
        hub.lines.filter((l) => l.message.startsWith('alert not delivered: too many')).length ===
        30,
    );
    // The last one raised on the disk: the list as written after all 130. (The 30th "too many"
    // is logged as logger29 is dropped, just before that list is saved; waiting for 100 entries
    // only could read the list saved before it, logger29 to logger128, on a loaded machine.)
    await waitUntil('the last raised owed on the disk', async () =>
      (await hub.owed()).some((e) => e.alert.conditionId === 'source-silent:logger129'),
    );
    const owed = await hub.owed();
    assert.equal(owed.length, 100);
    assert.equal(owed[0]!.alert.conditionId, 'source-silent:logger30');
    const size = (await fs.stat(path.join(hub.configDir, ALERT_OUTBOX_FILE))).size;
    assert.ok(size < 100 * 1024, `outbox ${size} bytes`);

    // The webhook takes alerts again: the owed ones go, the channel failing clears.
    const refused = hook.requests.length;
    refusing = false;
    hub.now += 61 * MIN;
    await waitUntil('all 100 delivered', async () => (await hub.owed()).length === 0, 20_000);
    await waitUntil(
      'the channel failing cleared',
      () => !hub.hasProblem('alert-channel-failing:webhook'),
    );
    const delivered = events(hook)
      .slice(refused)
      .filter((e) => e.startsWith('raised source-silent:'));
    assert.equal(delivered.length, 100, 'each owed alert once');
    assert.equal(new Set(delivered).size, 100);
    assert.equal(delivered[0], 'raised source-silent:logger30', 'oldest first');
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('the digest the relay refused, sent by hand with `rdl-sync report --send` once the relay is back: the daemon does not send it again', async () => {
  const port = await freePort();
  const hub = await setup('rdl-retry-digest-', { email: port });
  hub.settings.digestSchedule = 'daily';
  hub.settings.digestHour = 7;
  const local = (d: number, h: number, m = 0): number => new Date(2026, 11, d, h, m).getTime();
  hub.now = local(3, 6, 59);
  // The CLI's own service on the same settings folder, never started (as `report --send` runs).
  const cli = hub.build();
  let smtp: LoopbackSmtp | null = null;
  try {
    await hub.service.start();
    hub.now = local(3, 7, 0);
    await waitUntil('the digest refused', () => hub.logged('digest not sent').length === 1);
    assert.equal(hub.logged('digest not sent')[0]!.fields.nextTryInS, 60);
    await someTicks();
    assert.equal(hub.logged('digest not sent').length, 1, 'not tried (and warned of) every tick');
    smtp = await startSmtp({ port });
    hub.now = local(3, 7, 0) + 30_000;
    await cli.sendDigest();
    assert.equal(smtp.mails.length, 1);
    hub.now = local(3, 7, 5);
    await someTicks();
    assert.equal(smtp.mails.length, 1, 'the digest of this period was sent already');
    hub.now = local(4, 7, 0);
    await waitUntil('the next day’s digest', () => smtp!.mails.length === 2);
    assert.match(smtp.mails[1]!.subject, /daily digest 2026-12-04/);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await smtp?.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a damaged alerts-outbox.json (a hand edit) does not stop the service: what is readable in it is delivered', async () => {
  const hook = await startWebhookServer();
  const hub = await setup('rdl-retry-damaged-', { webhook: hook });
  const good = {
    channel: 'webhook',
    told: false,
    sinceMs: T0,
    alert: {
      kind: 'raised',
      conditionId: 'quota-full',
      code: 'quota-full',
      severity: 'error',
      sentence: 'Dropbox is full: free space or upgrade the plan.',
      sinceMs: T0,
      atMs: T0,
      tab: 'status',
    },
  };
  await fs.writeFile(
    path.join(hub.configDir, ALERT_OUTBOX_FILE),
    JSON.stringify({ version: 1, owed: [{ channel: 'webhook', alert: {} }, 5, null, good] }),
  );
  try {
    await hub.service.start();
    await waitUntil('the readable one delivered', () => events(hook).includes('raised quota-full'));
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0);
    // A file that is not JSON at all: nothing owed, the service starts and sends.
    await hub.service.stop();
    await fs.writeFile(path.join(hub.configDir, ALERT_OUTBOX_FILE), '{"owed": [');
    hub.service = hub.build();
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('a new alert sent', () => events(hook).includes('raised archive-missing'));
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('the relay fixed in the settings: what email owes is tried at the next tick, not an hour later', async () => {
  const dead = await freePort();
  const smtp = await startSmtp();
  const hub = await setup('rdl-retry-fixed-', { email: dead });
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil(
      'the email channel to fail',
      () => hub.logged('alert channel failed').length > 0,
    );
    // Failing for a while: the next try is an hour away.
    for (let i = 0; i < 7; i++) {
      const before = hub.logged('alert retry failed').length;
      hub.now += 60 * MIN;
      await waitUntil('a retry', () => hub.logged('alert retry failed').length === before + 1);
    }
    assert.equal(hub.logged('alert retry failed').at(-1)!.fields.nextTryInS, 3600);
    // A person puts the right port in (rdl-sync settings set smtpPort ...); the clock stands.
    hub.settings.smtpPort = smtp.port;
    await waitUntil('the raise by email', () => smtp.mails.length === 1, 5_000);
    assert.equal(
      smtp.mails[0]!.subject,
      'RDL Sync Site5_Retry: needs attention: the archive out of reach (archive-missing)',
    );
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await smtp.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

// The engine tells the service of every settings change (engine.ts): the channel is tried then,
// not at the next tick, a minute on, while status and the other channels kept the old failure.
test('the relay fixed in the settings: what email owes is tried when the settings change, not at the next tick', async () => {
  const dead = await freePort();
  const smtp = await startSmtp();
  // A tick that never comes within the test: only the change can bring the try.
  const hub = await setup('rdl-retry-changed-', { email: dead, tickMs: 3_600_000 });
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil(
      'the email channel to fail',
      () => hub.logged('alert channel failed').length > 0,
    );
    hub.settings.smtpPort = smtp.port;
    hub.service.settingsChanged();
    await waitUntil('the raise by email', () => smtp.mails.length === 1, 5_000);
    assert.match(smtp.mails[0]!.subject, /needs attention: the archive out of reach/);
    await waitUntil(
      'the channel no longer failing',
      () => !hub.hasProblem('alert-channel-failing:email'),
      5_000,
    );
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await smtp.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a condition raised and cleared at once, channels healthy: both are sent, in order, as before the outbox', async () => {
  const hook = await startWebhookServer();
  const hub = await setup('rdl-retry-flap-', { webhook: hook });
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    hub.status.clear('archive-missing');
    await waitUntil('the clear', () => events(hook).includes('cleared archive-missing'));
    assert.deepEqual(events(hook), ['raised archive-missing', 'cleared archive-missing']);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a clear the webhook refuses for more than a day is still delivered on the third day: the person is not left believing the condition open', async () => {
  let refusing = false;
  const hook = await startWebhookServer(() => (refusing ? 503 : 200));
  const hub = await setup('rdl-retry-late-clear-', { webhook: hook });
  hub.settings.alertReminderHours = 0;
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('the raise', () => events(hook).includes('raised archive-missing'));
    refusing = true;
    hub.status.clear('archive-missing');
    await waitUntil('the clear refused', () => hub.logged('alert channel failed').length === 1);
    // Hourly tries for two days: each refused.
    for (let hour = 1; hour <= 48; hour++) {
      const before = hook.requests.length;
      hub.now = T0 + hour * 60 * MIN;
      await waitUntil('a try', () => hook.requests.length === before + 1, 5_000);
      await waitUntil('its failure logged', () => hub.logged('alert retry failed').length === hour);
    }
    refusing = false;
    hub.now = T0 + 49 * 60 * MIN;
    await waitUntil('the clear delivered', async () => (await hub.owed()).length === 0, 5_000);
    assert.equal(events(hook).at(-1), 'cleared archive-missing', 'the last request, accepted');
    assert.equal(hub.logged('alert delivered on retry').at(-1)!.fields.kind, 'cleared');
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('secrets that cannot be read: the webhook set up owes what is raised meanwhile and delivers it once the file is fixed', async () => {
  const hook = await startWebhookServer();
  const hub = await setup('rdl-retry-secrets-', { webhook: hook });
  const secretsFile = path.join(hub.configDir, 'alert-secrets.json');
  try {
    // Unreadable even by root: a link to itself (ELOOP), as a file of another owner (EACCES) is
    // for the service's user (secrets-unreadable.test.ts runs that as nobody).
    const good = await fs.readFile(secretsFile, 'utf8');
    await fs.rm(secretsFile);
    await fs.symlink('alert-secrets.json', secretsFile);
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('the secrets shown unreadable', () =>
      hub.hasProblem('alert-secrets-unreadable'),
    );
    await waitUntil('the raise owed by the webhook', async () =>
      (await hub.owed()).some(
        (e) => e.channel === 'webhook' && e.alert.conditionId === 'archive-missing',
      ),
    );
    await someTicks();
    assert.equal(hook.requests.length, 0, 'nothing can reach the webhook meanwhile');

    // The file fixed in one step (a rename over the link); the next tries deliver what was
    // raised meanwhile.
    await fs.writeFile(`${secretsFile}.fixed`, good, { mode: 0o600 });
    await fs.rename(`${secretsFile}.fixed`, secretsFile);
    hub.now = T0 + MIN + 1_000;
    await waitUntil('the raise delivered', () => events(hook, 'archive-missing').length === 1);
    await waitUntil('the secrets problem gone', () => !hub.hasProblem('alert-secrets-unreadable'));
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0);
    await someTicks();
    assert.deepEqual(events(hook, 'archive-missing'), ['raised archive-missing']);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('the webhook URL removed while its format is still set (to set it again): what the webhook owes is kept, and delivered once the URL is back', async () => {
  let refusing = true;
  const hook = await startWebhookServer(() => (refusing ? 503 : 200));
  const hub = await setup('rdl-retry-url-removed-', { webhook: hook });
  const secretsFile = path.join(hub.configDir, 'alert-secrets.json');
  const transitFull: Omit<Problem, 'sinceMs'> = {
    id: 'disk-nearly-full:transit',
    code: 'disk-nearly-full',
    severity: 'attention',
    tab: 'status',
    message: 'The transit disk is nearly full: free space on it',
  };
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    await waitUntil('the raise refused', () => hub.logged('alert channel failed').length === 1);
    // A person removes the secrets file, meaning to set the URL again (or `alert secret
    // webhook-url` with nothing on stdin). A new condition, and the retry comes due meanwhile.
    await fs.rm(secretsFile);
    hub.status.raise(transitFull);
    // Owed without a try: the service has read the secrets since they went (its steps run one
    // at a time). Only then is the clock stepped. Stepped at once, a tick's retry that read the
    // secrets just before the removal and the clock just after tried the URL it still held: an
    // extra refused request, which failed this test once in CI on a busy machine.
    await waitUntil('the new condition owed', async () => (await hub.owed()).length === 2);
    hub.now = T0 + 2 * MIN;
    await someTicks();
    assert.equal(hook.requests.length, 1, 'no try since the URL was removed');
    assert.deepEqual(hub.logged('alert not delivered: the channel is no longer set up'), []);
    assert.deepEqual(
      (await hub.owed()).map((e) => `${e.channel} ${e.alert.kind} ${e.alert.conditionId}`),
      ['webhook raised archive-missing', 'webhook raised disk-nearly-full:transit'],
    );
    // Said in the status (`rdl-sync status`, the window), with what the webhook holds back.
    const failing = (): string | undefined =>
      hub.status.snapshot().problems.find((p) => p.id === 'alert-channel-failing:webhook')?.message;
    assert.equal(
      failing(),
      'Alerts by webhook (generic) are not getting through (its URL is not set: rdl-sync alert secret webhook-url): 2 alerts wait to be sent again; check the alert settings, then rdl-sync alert test',
    );
    // Set again (the webhook works by now): both delivered, in order, once.
    refusing = false;
    await new AlertSecretStore(hub.configDir).set('webhook-url', `${hook.url}/hooks/${TOKEN}`);
    hub.now = T0 + 3 * MIN;
    await waitUntil('what was owed delivered', async () => (await hub.owed()).length === 0);
    await someTicks();
    assert.deepEqual(
      events(hook).slice(1),
      ['raised archive-missing', 'raised disk-nearly-full:transit'],
      'after the refused try',
    );
    // Turned off in the settings: then what it owes is given up, as before.
    refusing = true;
    hub.status.clear('archive-missing');
    await waitUntil('the clear refused', () => hub.logged('alert channel failed').length === 2);
    hub.settings.alertWebhookFormat = 'off';
    hub.now = T0 + 5 * MIN;
    await waitUntil(
      'the clear given up',
      () => hub.logged('alert not delivered: the channel is no longer set up').length === 1,
    );
    // And the webhook, turned off, is no longer shown failing.
    await waitUntil('the webhook no longer failing', () => failing() === undefined);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a flapping condition healed before a failing channel took its raise: the raise is not sent late once the channels are back, its held "Resolved" is shown meanwhile, and neither reaches those channels', async () => {
  // The trial: offline told and resolved; 15 min later SMTP down and the webhook answering 500,
  // offline again (flapping: told at once, its next "Resolved" held for alertFlapMinutes); healed
  // 2 min later; channels restored. Before, the retry delivered the raise 17 s after the heal,
  // and no "Resolved" came for 30 min (nor any sign of one in the status).
  const port = await freePort();
  let smtp: LoopbackSmtp | null = await startSmtp({ port });
  let refusing = false;
  const accepted = new Set<number>();
  const hook = await startWebhookServer((n) => {
    if (refusing) return 500;
    accepted.add(n);
    return 200;
  });
  /** What the webhook took of offline (a refused request told no one). */
  const took = (): string[] =>
    events({ ...hook, requests: hook.requests.filter((_, i) => accepted.has(i)) }, 'offline');
  const hub = await setup('rdl-retry-held-', { email: port, webhook: hook });
  hub.settings.alertFlapMinutes = 30;
  const offline: Omit<Problem, 'sinceMs'> = {
    id: 'offline',
    code: 'offline',
    severity: 'attention',
    tab: 'status',
    message: 'Dropbox has been unreachable for 1 min: check the network; files wait safely',
  };
  const offlineMails = (): string[] => subjects(smtp).filter((s) => s.endsWith('(offline)'));
  try {
    await hub.service.start();
    hub.status.raise(offline);
    hub.now = T0 + 2 * MIN;
    hub.status.clear('offline');
    await waitUntil('told and resolved by webhook', () => took().length === 2);
    await waitUntil('told and resolved by email', () => offlineMails().length === 2);

    // 15 min later both channels fail, and Dropbox goes offline again.
    await smtp.close();
    smtp = null;
    refusing = true;
    hub.now = T0 + 17 * MIN;
    hub.status.raise(offline);
    await waitUntil(
      'the raise refused by both',
      async () => (await hub.owed()).filter((e) => e.alert.conditionId === 'offline').length === 2,
    );
    await waitUntil('both failures logged', () => hub.logged('alert channel failed').length >= 2);
    // Healed 2 min later: the "Resolved" is held.
    hub.now = T0 + 19 * MIN;
    hub.status.clear('offline');
    await someTicks();

    // The channels are restored; their retries come due: the raise of a healed fault is not sent.
    smtp = await startSmtp({ port });
    refusing = false;
    hub.now = T0 + 25 * MIN;
    await waitUntil('the channels recovered', () => !hub.hasProblem('alert-channel-failing:email'));
    await someTicks();
    assert.deepEqual(took(), ['raised offline', 'cleared offline'], 'no late raise');
    assert.deepEqual(offlineMails(), [], 'no late raise by email (the relay restarted)');
    assert.equal(
      hub.logged('alert delivered on retry').filter((l) => l.fields.condition === 'offline').length,
      0,
    );
    // Meanwhile the status (`rdl-sync status`) and the log say that a "Resolved" is held, until when.
    assert.deepEqual(hub.status.snapshot().resolvedHeld, [
      {
        conditionId: 'offline',
        title: 'Dropbox out of reach',
        wentMs: T0 + 19 * MIN,
        dueMs: T0 + 49 * MIN,
      },
    ]);
    assert.equal(hub.logged('alert "Resolved" held by the repeat guard').length, 1);

    // The hold ends (30 min away): the "Resolved" is emitted, and cancels the raise neither
    // channel took: neither is sent (the digest lists it). The status no longer shows it held.
    hub.now = T0 + 49 * MIN + 1_000;
    await waitUntil(
      'both owed raises dropped with their clear',
      () =>
        hub
          .logged(
            'alert not delivered: its condition cleared before this channel was told of it: neither is sent',
          )
          .filter((l) => l.fields.condition === 'offline').length === 2,
    );
    await waitUntil('nothing owed of offline', async () =>
      (await hub.owed()).every((e) => e.alert.conditionId !== 'offline'),
    );
    await someTicks();
    assert.deepEqual(took(), ['raised offline', 'cleared offline']);
    assert.deepEqual(offlineMails(), []);
    assert.equal(hub.status.snapshot().resolvedHeld, undefined);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await smtp?.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a restart while a "Resolved" is held: the next service resolves it at its first look, saying until when the condition came and went (alerts-held.json), not "lasted" until the restart', async () => {
  const hook = await startWebhookServer();
  const hub = await setup('rdl-retry-held-restart-', { webhook: hook });
  hub.settings.alertFlapMinutes = 30;
  const messages = (): string[] =>
    hook.requests
      .map((r) => r.body as { event: string; condition: string; message: string })
      .filter((b) => b.condition === 'archive-missing')
      .map((b) => `${b.event}: ${b.message}`);
  try {
    await hub.service.start();
    hub.status.raise(archiveMissing);
    hub.now = T0 + MIN;
    hub.status.clear('archive-missing');
    hub.now = T0 + 10 * MIN;
    hub.status.raise(archiveMissing);
    await waitUntil('raised, resolved, raised', () => messages().length === 3);
    // Gone again at 09:12: held (flapping), and recorded for the next process (alerts-held.json,
    // written before stop() resolves: it waits for the service's queue).
    hub.now = T0 + 12 * MIN;
    hub.status.clear('archive-missing');
    await someTicks();
    await hub.service.stop();

    // Restarted at 09:20; its first pass ends at 09:21 without the condition.
    hub.now = T0 + 20 * MIN;
    hub.service = hub.build();
    await hub.service.start();
    hub.now = T0 + 21 * MIN;
    hub.status.update({ lastPassMs: hub.now, passRunning: false });
    await waitUntil('the "Resolved"', () => messages().length === 4);
    assert.match(
      messages()[3]!,
      /^cleared: Resolved: the archive out of reach, which began 2026-12-03 09:10 UTC and came and went until 2026-12-03 09:12 UTC \(2 min\)\./,
    );
    assert.equal(messages().length, 4, 'not raised again');
    await waitUntil(
      'nothing held recorded',
      async () =>
        (await fs.readFile(path.join(hub.configDir, 'alerts-held.json'), 'utf8')) === '[]',
    );
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

/**
 * The card pulled and put back (told, resolved), then pulled again once `refuse` made the webhook
 * refuse (its raise owed, the channel failing) and back within alertFlapMinutes: the "Resolved"
 * is held by the repeat guard, and the raise waits with it, neither to be sent.
 */
async function heldRaiseOwed(hub: Hub, hook: LoopbackHttp, refuse: () => void): Promise<void> {
  hub.settings.alertFlapMinutes = 30;
  await hub.service.start();
  hub.status.raise(archiveMissing);
  hub.now = T0 + MIN;
  hub.status.clear('archive-missing');
  await waitUntil('told and resolved', () => events(hook).length === 2);
  refuse();
  hub.now = T0 + 10 * MIN;
  hub.status.raise(archiveMissing);
  await waitUntil('the raise refused, the channel failing', () =>
    hub.hasProblem('alert-channel-failing:webhook'),
  );
  hub.now = T0 + 12 * MIN;
  hub.status.clear('archive-missing');
  await waitUntil('its "Resolved" held', () => hub.status.snapshot().resolvedHeld?.length === 1);
}

test('a channel that owes only what the repeat guard holds on purpose is not shown as "not getting through"; a new alert it fails on is', async () => {
  // The webhook refused the raise of a card pulled again (flapping); the card came back and the
  // raise waits with the held "Resolved" (neither is sent: the outbox drops both when it is due).
  // Before, the status said "Alerts by webhook … are not getting through: 1 alert waits" for the
  // whole hold and after it, of a channel that owed nothing it could send.
  let refusing = false;
  const hook = await startWebhookServer(() => (refusing ? 503 : 200));
  const hub = await setup('rdl-retry-held-only-', { webhook: hook });
  const failing = 'alert-channel-failing:webhook';
  try {
    // The card back: the "Resolved" is held, and what the webhook owes with it.
    await heldRaiseOwed(hub, hook, () => (refusing = true));
    await waitUntil('the channel no longer said failing', () => !hub.hasProblem(failing), 5_000);
    assert.equal((await hub.owed()).length, 1, 'the raise still waits with its held "Resolved"');
    // Its retries come due meanwhile: nothing is sent, nothing is said failing.
    hub.now = T0 + 30 * MIN;
    await someTicks();
    assert.equal(hub.hasProblem(failing), false);
    assert.equal(events(hook).length, 3, 'only the refused raise was tried');
    // The hold ends: the "Resolved" cancels the raise never taken; still nothing failing.
    hub.now = T0 + 43 * MIN;
    await waitUntil('nothing owed', async () => (await hub.owed()).length === 0, 5_000);
    await someTicks();
    assert.equal(hub.hasProblem(failing), false);
    // A new alert it refuses is a failure again.
    hub.status.raise({ ...archiveMissing, id: 'archive-full', code: 'archive-full' });
    await waitUntil('failing again', () => hub.hasProblem(failing), 5_000);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});

test('a failing channel counts only what it may still send: a raise held with its "Resolved" is not among the alerts that wait', async () => {
  // The webhook refused the raise of a card pulled again (flapping), the card came back (that
  // raise now waits with its held "Resolved", neither to be sent), and then it refused the raise
  // of another condition. Before, the status said "2 alerts wait to be sent again": one could be.
  let refusing = false;
  const hook = await startWebhookServer(() => (refusing ? 503 : 200));
  const hub = await setup('rdl-retry-held-count-', { webhook: hook });
  const failing = (): string | undefined =>
    hub.status.snapshot().problems.find((p) => p.id === 'alert-channel-failing:webhook')?.message;
  try {
    await heldRaiseOwed(hub, hook, () => (refusing = true));
    // Another condition, of no leg the card's problem belongs to: refused too.
    hub.status.raise({
      id: 'disk-nearly-full:transit',
      code: 'disk-nearly-full',
      severity: 'attention',
      tab: 'status',
      message: 'The transit disk is nearly full: free space on it',
    });
    await waitUntil('the second raise owed', async () => (await hub.owed()).length === 2);
    await waitUntil('the channel failing on it', () => /alerts? waits?/.test(failing() ?? ''));
    assert.match(failing() ?? '', /: 1 alert waits to be sent again;/);
  } finally {
    await hub.service.stop();
    hub.status.dispose();
    await hook.close();
    await fs.rm(hub.configDir, { recursive: true, force: true });
  }
});
