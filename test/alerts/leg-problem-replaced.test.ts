// One problem of a leg replaced by another (the card full, then pulled; Dropbox out of reach, then
// answering "access revoked"): the leg still does not work, so the person is not told "Resolved"
// of the first; the second is announced in its own words, saying it replaces the first, and the
// leg's real recovery says "Resolved" once. Before, "Resolved: the archive disk full" went out
// (desktop and every channel) as the card was pulled. Real parts: the status reducer fed the
// pass's end events, the status model, the alert service with a webhook on loopback and a desktop
// listener, alerts.jsonl for a restart; the test's clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ALERT_OUTBOX_FILE } from '../../src/engine/alerts/outbox.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import type { Alert } from '../../src/engine/alerts/types.js';
import { archiveFull, archiveMissing, archiveReadOnly } from '../../src/engine/archive/problems.js';
import { SyncError } from '../../src/engine/errors.js';
import { clearRegisteredSecrets } from '../../src/engine/log/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { AlertHub, MIN } from './alert-hub.js';
import type { LegId } from '../../src/engine/legs/ids.js';
import { startWebhookServer, tempDir, waitUntil, type LoopbackHttp } from './loopback.js';

const place = { root: '/media/card', card: true };
const full = archiveFull(place, 120_000, { margin: 1_048_576 });
const pulled = archiveMissing(place, 'not-mounted');
const readOnly = archiveReadOnly(place, 'EROFS');
const unreachable = new SyncError({ kind: 'retry', code: 'network', message: 'no route to host' });
const revoked = new SyncError({
  kind: 'blocked',
  code: 'auth-revoked',
  message: 'Dropbox access was revoked: reconnect Dropbox in Settings; files wait safely',
});

/** A hub's status and alert service (alert-hub.ts), its alerts read from the webhook. */
class Hub extends AlertHub {
  /** What the desktop (the tray's listener) was handed. */
  readonly desktop: Alert[] = [];

  constructor(
    configDir: string,
    readonly hook: LoopbackHttp,
    settings = { ...defaultSettings(), site: 'Site9_Replace' },
  ) {
    super(configDir, settings, 'hub-replace');
  }

  override async start(): Promise<void> {
    await super.start((a) => this.desktop.push(a));
  }

  /** A pass ends, each leg blocked by `blocked` (null: it works), `minutes` after the last. */
  override passEnds(blocked: Partial<Record<LegId, SyncError | null>>, minutes = 5): void {
    super.passEnds(blocked, minutes, 3);
  }

  /** What the webhook was sent: "<event> <condition>", in order. */
  events(): string[] {
    return this.hook.requests.map((r) => {
      const b = r.body as { event: string; condition: string };
      return `${b.event} ${b.condition}`;
    });
  }

  /** Waits until the webhook was sent `event` (`times` times). */
  async heard(event: string, times = 1): Promise<void> {
    await waitUntil(event, () => this.events().filter((e) => e === event).length >= times, 20_000);
  }

  message(i: number): string {
    return (this.hook.requests[i]!.body as { message: string }).message;
  }

  async stop(): Promise<void> {
    await this.service.stop();
  }
}

async function hubWithHook(
  prefix: string,
  answer?: (n: number) => number,
): Promise<{ hub: Hub; done: () => Promise<void> }> {
  const configDir = await tempDir(prefix);
  clearRegisteredSecrets();
  const hook = await startWebhookServer(answer);
  await new AlertSecretStore(configDir).set('webhook-url', `${hook.url}/hooks/replace`);
  const hub = new Hub(configDir, hook);
  hub.settings.alertWebhookFormat = 'generic';
  hub.settings.alertFlapMinutes = 30;
  return {
    hub,
    done: async () => {
      await hub.service?.stop();
      hub.status.dispose();
      await hook.close();
      await fs.rm(configDir, { recursive: true, force: true });
    },
  };
}

test('the card full, then pulled, then back read-only, then working: no "Resolved" until the archive works, each new problem says it replaces the last, one "Resolved" at the end', async () => {
  const { hub, done } = await hubWithHook('rdl-replaced-archive-');
  try {
    await hub.start();
    hub.passEnds({ upload: null, archive: full });
    await hub.heard('raised archive-full');
    hub.passEnds({ upload: null, archive: pulled });
    await hub.heard('raised archive-missing');
    hub.passEnds({ upload: null, archive: readOnly });
    await hub.heard('raised archive-readonly');
    assert.deepEqual(hub.events(), [
      'raised archive-full',
      'raised archive-missing',
      'raised archive-readonly',
    ]);
    assert.match(hub.message(1), /^SD card not mounted at \/media\/card: insert it/);
    assert.match(
      hub.message(1),
      /It replaces the earlier alert \(the archive disk full\): the archive still does not work, now for this reason\.$/,
    );
    assert.match(hub.message(2), /It replaces the earlier alert \(the archive out of reach\)/);
    // The card works again: "Resolved" once, of the problem it had last.
    hub.passEnds({ upload: null, archive: null });
    await hub.heard('cleared archive-readonly');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(hub.events().slice(3), ['cleared archive-readonly']);
    assert.match(hub.message(3), /^Resolved: the archive disk read-only, which began/);
    // The desktop was told the same, and no "Resolved" before the end.
    assert.deepEqual(
      hub.desktop.map((a) => `${a.kind} ${a.conditionId}`),
      hub.events(),
    );
  } finally {
    await done();
  }
});

test('the card pulled during a pass while it was full: one raise in its own words, the "full" never resolved, and within the repeat guard the card full again is told at once', async () => {
  const { hub, done } = await hubWithHook('rdl-replaced-midpass-');
  try {
    await hub.start();
    hub.passEnds({ upload: null, archive: full });
    await hub.heard('raised archive-full');
    // A copy in the next pass finds the card gone: shown at once, before the pass ends.
    hub.clock.wall += MIN;
    hub.reducer.apply({ type: 'leg-blocked', leg: 'archive', error: pulled });
    await hub.heard('raised archive-missing');
    hub.passEnds({ upload: null, archive: pulled }, 1);
    // Put back, still full, 10 min after full was first told (inside alertFlapMinutes).
    hub.passEnds({ upload: null, archive: full }, 3);
    await hub.heard('raised archive-full', 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(hub.events(), [
      'raised archive-full',
      'raised archive-missing',
      'raised archive-full',
    ]);
    assert.match(hub.message(2), /It replaces the earlier alert \(the archive out of reach\)/);
    assert.deepEqual(
      hub.status
        .snapshot()
        .problems.map((p) => p.id)
        .filter((id) => id.startsWith('archive-')),
      ['archive-full'],
    );
  } finally {
    await done();
  }
});

test('a restart after a replacement: the replaced problem is not carried over, so the next process resolves only the problem the archive had last', async () => {
  const { hub, done } = await hubWithHook('rdl-replaced-restart-');
  try {
    await hub.start();
    hub.passEnds({ upload: null, archive: full });
    hub.passEnds({ upload: null, archive: pulled });
    await hub.heard('raised archive-missing');
    await hub.stop();
    // The next process: its first pass finds the card back and working.
    await hub.start();
    hub.passEnds({ upload: null, archive: null });
    await hub.heard('cleared archive-missing');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(hub.events(), [
      'raised archive-full',
      'raised archive-missing',
      'cleared archive-missing',
    ]);
  } finally {
    await done();
  }
});

test('Dropbox out of reach, then answering "access revoked": no "Resolved: Dropbox out of reach" while uploads still stop; the reconnect resolves it once', async () => {
  const { hub, done } = await hubWithHook('rdl-replaced-upload-');
  try {
    await hub.start();
    hub.passEnds({ upload: unreachable, archive: null });
    hub.passEnds({ upload: unreachable, archive: null }, 31);
    await hub.heard('raised offline');
    hub.reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: hub.clock.wall });
    hub.passEnds({ upload: revoked, archive: null });
    await hub.heard('raised auth-revoked');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(hub.events(), ['raised offline', 'raised auth-revoked']);
    assert.match(
      hub.message(1),
      /It replaces the earlier alert \(Dropbox out of reach\): uploads to Dropbox still do not work, now for this reason\.$/,
    );
    hub.reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: hub.clock.wall });
    hub.passEnds({ upload: null, archive: null });
    await hub.heard('cleared auth-revoked');
    assert.deepEqual(hub.events().slice(2), ['cleared auth-revoked']);
  } finally {
    await done();
  }
});

test('a webhook down while the card was full and then pulled: once back it is sent the alert saying the card is out of reach and replaces "full", not the stale "full" first', async () => {
  let refusing = true;
  const accepted = new Set<number>();
  const { hub, done } = await hubWithHook('rdl-replaced-owed-', (n) => {
    if (refusing) return 503;
    accepted.add(n);
    return 200;
  });
  const took = (): string[] => hub.events().filter((_, i) => accepted.has(i));
  try {
    await hub.start();
    hub.passEnds({ upload: null, archive: full });
    await hub.heard('raised archive-full');
    hub.passEnds({ upload: null, archive: pulled });
    await waitUntil('the next alert tried', () => hub.events().length >= 2, 20_000);
    // Both refusals recorded before the clock moves: a refusal handled after a fixed step (a
    // loaded machine) set the next try after the stepped clock, which then never came.
    const backoff = async () => {
      try {
        const text = await fs.readFile(path.join(hub.configDir, ALERT_OUTBOX_FILE), 'utf8');
        return (
          JSON.parse(text) as { backoff: { webhook?: { failures: number; nextAtMs: number } } }
        ).backoff.webhook;
      } catch {
        return undefined;
      }
    };
    await waitUntil(
      'both refusals recorded',
      async () => ((await backoff())?.failures ?? 0) >= 2,
      20_000,
    );
    // Back: its retry comes due and it delivers what it owes.
    refusing = false;
    hub.clock.wall = Math.max(hub.clock.wall, (await backoff())!.nextAtMs) + 1;
    await waitUntil('the retry delivered', () => took().length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(took(), ['raised archive-missing']);
    assert.match(
      (hub.hook.requests[[...accepted][0]!]!.body as { message: string }).message,
      /It replaces the earlier alert \(the archive disk full\)/,
    );
  } finally {
    await done();
  }
});
