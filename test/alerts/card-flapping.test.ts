// A loose SD card reader: the card flips between problems (not mounted <-> mounted read-only) or
// between missing and working, many times in an hour. Each flip used to send one message on every
// channel (a replacing raise, or a raise and a "Resolved"), dozens a day for one trouble with the
// card. Now, once the archive has come back to a state it was already in twice within the unsettled
// window, one message says it keeps changing (and through what), the flips after it are held, and
// one message says where it settled once it has been steady. Real parts: a tmpfs mounted, unmounted
// and mounted read-only at the archive folder and looked at by the real ArchiveTarget; the status
// reducer fed the pass's end; the alert service sending by email (SMTP on loopback), webhook (HTTP
// on loopback) and command (a script); the test's clock.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { ArchiveTarget } from '../../src/engine/archive/archive-target.js';
import { clearRegisteredSecrets } from '../../src/engine/log/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { AlertHub, MIN } from './alert-hub.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import {
  alertLogHook,
  startSmtp,
  startWebhookServer,
  tempDir,
  waitUntil,
  type LoopbackHttp,
  type LoopbackSmtp,
} from './loopback.js';

type CardState = 'working' | 'missing' | 'read-only';

/** A card at `dir`, put in the state the test says with real mounts. */
class FlakyCard {
  private mounted = false;
  constructor(readonly dir: string) {}

  set(state: CardState): void {
    if (this.mounted) unmount(this.dir);
    this.mounted = state !== 'missing';
    if (state !== 'missing') mountTmpfs(this.dir, 256 * 1024, state === 'read-only');
  }

  remove(): void {
    if (this.mounted) unmount(this.dir);
    this.mounted = false;
  }
}

/** A hub (alert-hub.ts) with all three channels and a card. */
class Hub extends AlertHub {
  readonly target: ArchiveTarget;

  constructor(
    configDir: string,
    readonly card: FlakyCard,
    readonly smtp: LoopbackSmtp,
    readonly hook: LoopbackHttp,
    readonly commandLog: () => Promise<string>,
    settings: Settings,
  ) {
    super(configDir, settings, 'hub-flaky');
    this.target = new ArchiveTarget({ root: card.dir, mustBeMountPoint: true });
  }

  /** `minutes` go by, the card is found in `state` by a real look, and the pass ends. */
  async pass(state: CardState | null, minutes: number): Promise<void> {
    if (state) this.card.set(state);
    // The look at the card happens at the pass's end, on its clock.
    this.clock.wall += minutes * MIN;
    this.clock.mono += minutes * MIN;
    const { problem } = await this.target.check();
    this.passEnds({ upload: null, archive: problem }, 0, 0);
    await this.settled();
  }

  /** Every channel has sent what it was handed (the outbox is empty) and a few ticks went by. */
  async settled(): Promise<void> {
    await new Promise((r) => setTimeout(r, 100));
    await waitUntil(
      `the channels to send what they owe`,
      async () => {
        const owed = await fs
          .readFile(path.join(this.configDir, 'alerts-outbox.json'), 'utf8')
          .catch(() => '[]');
        return owed.trim() === '[]' || owed.trim() === '' || !/"alert"/.test(owed);
      },
      3000,
    );
    await new Promise((r) => setTimeout(r, 100));
  }

  /** "<event> <condition>" per webhook request, in order. */
  webhookEvents(): string[] {
    return this.hook.requests.map((r) => {
      const b = r.body as { event: string; condition: string };
      return `${b.event} ${b.condition}`;
    });
  }

  async commandEvents(): Promise<string[]> {
    return (await this.commandLog()).split('\n').filter((l) => l !== '');
  }

  webhookMessages(): string[] {
    return this.hook.requests.map((r) => (r.body as { message: string }).message);
  }
}

async function flakyHub(
  t: TestContext,
  prefix: string,
): Promise<{ hub: Hub; done: () => Promise<void> }> {
  const base = await tempDir(prefix);
  const configDir = path.join(base, 'config');
  const cardDir = path.join(base, 'card');
  await fs.mkdir(configDir);
  await fs.mkdir(cardDir);
  clearRegisteredSecrets();
  const smtp = await startSmtp();
  const hook = await startWebhookServer();
  const command = await alertLogHook(base);
  await new AlertSecretStore(configDir).set('webhook-url', `${hook.url}/hooks/flaky`);
  const settings = {
    ...defaultSettings(),
    site: 'Site7_Flaky',
    archiveDir: cardDir,
    archiveMustBeMountPoint: true,
    alertFlapMinutes: 30,
    alertReminderHours: 0,
    alertWebhookFormat: 'generic' as const,
    alertCommand: command.hook,
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: smtp.port,
    smtpSecurity: 'none' as const,
  };
  const card = new FlakyCard(cardDir);
  const hub = new Hub(configDir, card, smtp, hook, command.heard, settings);
  t.after(() => card.remove());
  return {
    hub,
    done: async () => {
      // The card first: a test that failed half-way must not leave a mount behind.
      card.remove();
      await hub.service?.stop();
      hub.status.dispose();
      await smtp.close();
      await hook.close();
      await fs.rm(base, { recursive: true, force: true });
    },
  };
}

/** Messages each channel sent: the same on all three, or the test says which differs. */
async function perChannel(hub: Hub): Promise<{ email: number; webhook: number; command: number }> {
  return {
    email: hub.smtp.mails.length,
    webhook: hub.hook.requests.length,
    command: (await hub.commandEvents()).length,
  };
}

test('a card flipping between not mounted and read-only for 40 min: one message that it keeps changing, none per flip, and one when it has stayed working', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { hub, done } = await flakyHub(t, 'rdl-flaky-ro-');
  try {
    await hub.start();
    await hub.pass('working', 1);
    // Ten flips, four minutes apart (a pass every few minutes finds the card each time).
    const flips: CardState[] = ['missing', 'read-only'];
    for (let i = 0; i < 10; i++) await hub.pass(flips[i % 2]!, 4);
    const during = await perChannel(hub);
    // The first flips are told as ever (each says which alert it replaces); from the second time
    // the card comes back to a state it already had, one message says it keeps changing.
    assert.deepEqual(hub.webhookEvents(), [
      'raised archive-missing',
      'raised archive-readonly',
      'raised archive-missing',
      'raised archive-readonly',
    ]);
    assert.match(
      hub.webhookMessages()[3]!,
      / This keeps changing: 4 changes since 2026-12-06 09:05 UTC \(the archive out of reach, the archive disk read-only\); further changes are not sent until it has been steady for 30 min\.$/,
    );
    assert.deepEqual(during, { email: 4, webhook: 4, command: 4 }, 'messages while it flipped');
    // The card stays in and working: nothing before it has been steady the guard's time, then
    // one "Resolved" naming what it went through.
    await hub.pass('working', 4);
    for (let i = 0; i < 6; i++) await hub.pass(null, 4);
    assert.equal(hub.webhookEvents().length, 4, 'nothing before 30 min steady');
    await hub.pass(null, 8);
    await waitUntil('the resolved', () => hub.webhookEvents().length === 5);
    assert.equal(hub.webhookEvents()[4], 'cleared archive-readonly');
    assert.match(
      hub.webhookMessages()[4]!,
      /^Resolved: the archive, which kept changing from 2026-12-06 09:05 UTC until 2026-12-06 09:45 UTC \(11 changes: the archive out of reach, the archive disk read-only, working\), and has been working since then\./,
    );
    assert.deepEqual(await perChannel(hub), { email: 5, webhook: 5, command: 5 });
    assert.match(hub.smtp.mails[4]!.subject, /resolved/);
  } finally {
    await done();
  }
});

test('a card coming and going every 40 min for 6 h: a message when it starts to flap, none per flip, and one when it has stayed in', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { hub, done } = await flakyHub(t, 'rdl-flaky-gone-');
  try {
    await hub.start();
    await hub.pass('working', 1);
    for (let i = 0; i < 9; i++) {
      await hub.pass('missing', 5);
      await hub.pass(null, 15);
      await hub.pass('working', 5);
      await hub.pass(null, 15);
    }
    const during = await perChannel(hub);
    // Gone, back (told as ever), gone again: the second time it comes back to a state it had,
    // told with the note, and nothing more while it goes on coming and going.
    assert.deepEqual(hub.webhookEvents(), [
      'raised archive-missing',
      'cleared archive-missing',
      'raised archive-missing',
    ]);
    assert.match(
      hub.webhookMessages()[2]!,
      / This keeps changing: 3 changes since 2026-12-06 09:06 UTC \(the archive out of reach, working\); further changes are not sent until it has been steady for 30 min\.$/,
    );
    assert.deepEqual(
      during,
      { email: 3, webhook: 3, command: 3 },
      'messages while it came and went',
    );
    // It stays in: one "Resolved", saying how many times it came and went.
    for (let i = 0; i < 5; i++) await hub.pass(null, 15);
    await waitUntil('the resolved', () => hub.webhookEvents().length === 4);
    assert.equal(hub.webhookEvents()[3], 'cleared archive-missing');
    assert.match(
      hub.webhookMessages()[3]!,
      /^Resolved: the archive, which kept changing from 2026-12-06 09:06 UTC until 2026-12-06 14:46 UTC \(18 changes: the archive out of reach, working\), and has been working since then\./,
    );
    for (let i = 0; i < 4; i++) await hub.pass(null, 15);
    assert.deepEqual(await perChannel(hub), { email: 4, webhook: 4, command: 4 });
  } finally {
    await done();
  }
});

test('a card that flips, then stays not mounted: one message that it stayed so, replacing the read-only people were told of', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { hub, done } = await flakyHub(t, 'rdl-flaky-stays-');
  try {
    await hub.start();
    await hub.pass('working', 1);
    const flips: CardState[] = ['missing', 'read-only', 'missing', 'read-only', 'missing'];
    for (const state of flips) await hub.pass(state, 4);
    assert.equal(hub.webhookEvents().length, 4, 'the fifth flip held');
    // Not mounted for 28 min: still held; at 32 min one message, in the problem's own words.
    for (let i = 0; i < 7; i++) await hub.pass(null, 4);
    assert.equal(hub.webhookEvents().length, 4, 'nothing before 30 min steady');
    await hub.pass(null, 4);
    await waitUntil('the settled message', () => hub.webhookEvents().length === 5);
    assert.equal(hub.webhookEvents()[4], 'raised archive-missing');
    const words = hub.webhookMessages()[4]!;
    assert.match(words, /^SD card not mounted at /);
    assert.match(
      words,
      /It replaces the earlier alert \(the archive disk read-only\): the archive still does not work, now for this reason\. It has stayed so since 2026-12-06 09:21 UTC, after 5 changes since 2026-12-06 09:05 UTC \(the archive out of reach, the archive disk read-only\)\.$/,
    );
    // Nothing more while it stays so. Put right: one "Resolved" once it has worked for the guard's
    // time (a change so soon after the trouble is held as part of it).
    for (let i = 0; i < 3; i++) await hub.pass(null, 10);
    assert.equal(hub.webhookEvents().length, 5);
    await hub.pass('working', 4);
    for (let i = 0; i < 3; i++) await hub.pass(null, 8);
    assert.equal(hub.webhookEvents().length, 5, 'nothing before 30 min working');
    await hub.pass(null, 8);
    await waitUntil('the resolved', () => hub.webhookEvents().length === 6);
    assert.equal(hub.webhookEvents()[5], 'cleared archive-missing');
    assert.match(
      hub.webhookMessages()[5]!,
      /^Resolved: the archive, which kept changing from 2026-12-06 09:05 UTC until 2026-12-06 10:27 UTC \(6 changes: the archive out of reach, the archive disk read-only, working\), and has been working since then\./,
    );
    assert.deepEqual(await perChannel(hub), { email: 6, webhook: 6, command: 6 });
  } finally {
    await done();
  }
});

test('a restart after the message that the card keeps changing: the next process does not tell it again, and resolves it once when the card works', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { hub, done } = await flakyHub(t, 'rdl-flaky-restart-');
  try {
    await hub.start();
    await hub.pass('working', 1);
    // Gone, back, gone: the note is on a raise of its own words (no "It replaces" before it).
    for (const state of ['missing', 'working', 'missing'] as CardState[]) await hub.pass(state, 4);
    assert.deepEqual(hub.webhookEvents(), [
      'raised archive-missing',
      'cleared archive-missing',
      'raised archive-missing',
    ]);
    assert.match(
      hub.webhookMessages()[2]!,
      /^SD card not mounted at .* This keeps changing: 3 changes since /,
    );
    await hub.service.stop();
    // The next process finds the card still not mounted: told already (the note is no other
    // words), so nothing.
    await hub.start();
    await hub.pass(null, 2);
    await hub.pass(null, 4);
    assert.equal(hub.webhookEvents().length, 3, 'not told again after the restart');
    await hub.pass('working', 4);
    await waitUntil('the resolved', () => hub.webhookEvents().length === 4);
    assert.equal(hub.webhookEvents()[3], 'cleared archive-missing');
    assert.deepEqual(await perChannel(hub), { email: 4, webhook: 4, command: 4 });
  } finally {
    await done();
  }
});
