// The digest on its schedule, with a fake clock: the next due time (local hour, Mondays for
// weekly), and the alert service sending it by email to a loopback SMTP server when due, with
// the counts of the history it is given. Secrets are kept 0600 and redacted once read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { buildDigest, nextDigestDueMs, perSource } from '../../src/engine/alerts/digest.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { clearRegisteredSecrets, redact } from '../../src/engine/log/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { silentLogger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import type { HistoryRecord } from '../../src/engine/status/types.js';
import { startSmtp, tempDir, waitUntil } from './loopback.js';

const HOUR = 3_600_000;

function local(y: number, m: number, d: number, h: number, min = 0): number {
  return new Date(y, m - 1, d, h, min).getTime();
}

test('next digest: the next digestHour after the last one; weekly waits for a Monday', () => {
  // 2026-12-01 is a Tuesday.
  assert.equal(nextDigestDueMs(local(2026, 12, 1, 6), 'daily', 7), local(2026, 12, 1, 7));
  assert.equal(nextDigestDueMs(local(2026, 12, 1, 7), 'daily', 7), local(2026, 12, 2, 7));
  assert.equal(nextDigestDueMs(local(2026, 12, 1, 9), 'daily', 7), local(2026, 12, 2, 7));
  assert.equal(nextDigestDueMs(local(2026, 12, 1, 9), 'weekly', 7), local(2026, 12, 7, 7));
  assert.equal(nextDigestDueMs(local(2026, 12, 7, 6), 'weekly', 7), local(2026, 12, 7, 7));
  assert.equal(nextDigestDueMs(local(2026, 12, 1, 9), 'off', 7), Infinity);
});

function record(id: number, rel: string, size: number, finishedAtMs: number): HistoryRecord {
  const leg = {
    status: 'done' as const,
    atMs: finishedAtMs,
    path: rel,
    alreadyPresent: false,
    contentHash: 'h',
  };
  return {
    id,
    rel,
    size,
    contentHash: 'h',
    startedAtMs: finishedAtMs - 1000,
    finishedAtMs,
    outcome: 'done',
    upload: leg,
    archive: leg,
  };
}

test('per source: files, bytes and newest file of the period only; failures not counted', () => {
  const t0 = local(2026, 12, 1, 0);
  const rows = [
    record(1, 'RDL/USB0/2026-12/a.txt', 100, t0 + HOUR),
    record(2, 'RDL/USB0/2026-12/b.txt', 50, t0 + 2 * HOUR),
    record(3, 'cameras/reolink1/2026-12-01/x.jpg', 7, t0 + 3 * HOUR),
    record(4, 'RDL/USB0/2026-11/old.txt', 999, t0 - HOUR),
    { ...record(5, 'RDL/USB0/2026-12/bad.txt', 5, t0 + 4 * HOUR), outcome: 'failed' as const },
  ];
  assert.deepEqual(perSource(rows, t0, t0 + 24 * HOUR), [
    {
      source: 'cameras/reolink1',
      files: 1,
      bytes: 7,
      newestRel: 'cameras/reolink1/2026-12-01/x.jpg',
      newestMs: t0 + 3 * HOUR,
    },
    {
      source: 'RDL/USB0',
      files: 2,
      bytes: 150,
      newestRel: 'RDL/USB0/2026-12/b.txt',
      newestMs: t0 + 2 * HOUR,
    },
  ]);
});

test('per source, the newest of files synced in one go is the latest by name (by date, for dated names), not the last to finish', () => {
  const t0 = local(2026, 12, 5, 0);
  const day = (d: string): string => `RDL/USB0/2026-12/RDL_2026-12-${d}_USB0.txt`;
  const oneGo = [record(1, day('04'), 10, t0 + HOUR), record(2, day('03'), 10, t0 + HOUR + 5_000)];
  assert.equal(perSource(oneGo, t0, t0 + 24 * HOUR)[0]!.newestRel, day('04'));
  // A file synced a pass later is newer, whatever its name (a late file of an earlier day).
  const later = [...oneGo, record(3, day('01'), 10, t0 + 2 * HOUR)];
  assert.equal(perSource(later, t0, t0 + 24 * HOUR)[0]!.newestRel, day('01'));
});

/** The line of a daily digest of `status` (no history, no alerts) that holds `holding`, trimmed. */
function digestLine(status: StatusModel, nowMs: number, holding: string): string {
  const digest = buildDigest({
    origin: { site: 'Site3', host: 'hub3' },
    schedule: 'daily',
    periodStartMs: nowMs - 24 * HOUR,
    nowMs,
    history: [],
    status: status.snapshot(),
    alerts: [],
    version: '0.0.0',
    uptimeMs: null,
  });
  return (digest.text.split('\n').find((l) => l.includes(holding)) ?? '').trim();
}

test('the archive line: a folder in the archive that refuses files is named beside "present and writable"', () => {
  const now = local(2026, 12, 1, 7);
  const status = new StatusModel(() => now);
  status.update({
    archive: {
      ...status.current.archive,
      enabled: true,
      path: '/media/card',
      present: true,
      writable: true,
      freeBytes: 2 ** 30,
    },
  });
  const archiveLine = (): string => digestLine(status, now, 'Archive /media/card');
  assert.match(archiveLine(), /: present and writable, 1\.1 GB free; 0 files waiting to copy$/);
  for (const rel of ['RDL/USB0/f8.csv', 'RDL/USB0/f9.csv'])
    status.raise({
      id: `file-failing:${rel}`,
      code: 'folder-unwritable',
      severity: 'attention',
      tab: 'status',
      message: `${rel} failed 3 times: the folder /media/card/RDL/USB0 refuses new files`,
    });
  assert.match(
    archiveLine(),
    /: present and writable, but 2 files fail there: a folder in it refuses new files \(see the open problems\), 1\.1 GB free;/,
  );
  // Out of its reader, and in it but not answering: told apart (different hands fix each).
  status.update({ archive: { ...status.current.archive, present: false, freeBytes: null } });
  assert.match(archiveLine(), /: MISSING; 0 files waiting to copy$/);
  status.update({ archive: { ...status.current.archive, notAnswering: true } });
  assert.match(archiveLine(), /: NOT ANSWERING \(see the open problems\); 0 files waiting/);
  // No archive folder yet (a new install, a machine that only views the fleet): not "MISSING".
  status.update({ archive: { ...status.current.archive, path: '', present: false } });
  assert.equal(digestLine(status, now, 'Archive'), 'Archive: no archive folder set yet');
});

test('the Dropbox line: connected is not reached; an outage and its cause are said', () => {
  const now = local(2026, 12, 1, 7);
  const status = new StatusModel(() => now);
  status.update({
    dropbox: { ...status.current.dropbox, connected: true, accountName: 'Lab' },
    counts: { ...status.current.counts, uploadPending: 3 },
  });
  const dropboxLine = (): string => digestLine(status, now, 'Dropbox: ');
  assert.equal(dropboxLine(), 'Dropbox: connected as Lab; 3 files waiting to upload');
  status.update({ offline: true, offlineCause: 'server' });
  assert.equal(
    dropboxLine(),
    'Dropbox: connected as Lab, but failing with server errors now (on its side); 3 files waiting to upload',
  );
  status.update({ offlineCause: 'network' });
  assert.match(dropboxLine(), /^Dropbox: connected as Lab, but out of reach now;/);
});

test('the service sends the daily digest when due, and not again until the next day', async () => {
  const configDir = await tempDir('rdl-digest-');
  const smtp = await startSmtp();
  let now = local(2026, 12, 1, 6, 30);
  const status = new StatusModel(() => now);
  // The service logs 'digest sent' once it has recorded the digest in alerts-state.json.
  const infos: string[] = [];
  const logger = { ...silentLogger, info: (m: string) => void infos.push(m) };
  const settings = {
    ...defaultSettings(),
    site: 'Site9_Digest',
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: smtp.port,
    smtpSecurity: 'none' as const,
    digestSchedule: 'daily' as const,
    digestHour: 7,
  };
  const history = [
    record(1, 'RDL/USB0/2026-12/a.txt', 120, local(2026, 12, 1, 5)),
    record(2, 'internet/2026-11-30.txt', 30, local(2026, 12, 1, 6)),
  ];
  const service = new AlertService({
    configDir,
    status,
    settings: () => settings,
    history: () => history,
    clock: { now: () => now, sleep: async () => undefined },
    logger,
    host: 'hub9',
    tuning: { tickMs: 20 },
  });
  try {
    await service.start();
    // Before 07:00: the ticks run, nothing is sent.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(smtp.mails.length, 0);
    now = local(2026, 12, 1, 7, 0);
    await waitUntil('the digest', () => smtp.mails.length === 1);
    // The SMTP server holds the mail before the service has heard the relay's answer, let alone
    // recorded the digest in alerts-state.json: wait (bounded) for the service to finish sending.
    await waitUntil('the digest to be recorded as sent', () => infos.includes('digest sent'));
    const d = smtp.mails[0]!;
    assert.equal(d.subject, 'RDL Sync Site9_Digest: daily digest 2026-12-01');
    assert.match(d.text, /RDL\/USB0: 1 file, 120 bytes/);
    assert.match(d.text, /internet: 1 file, 30 bytes/);
    assert.match(d.text, /Total: 2 files, 150 bytes/);
    assert.ok(d.html?.includes('<h3>Disk free</h3>'));
    // Later the same day: no second digest.
    now = local(2026, 12, 1, 23, 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(smtp.mails.length, 1);
    const state = JSON.parse(
      await fs.readFile(path.join(configDir, 'alerts-state.json'), 'utf8'),
    ) as { lastDigestMs: number };
    assert.equal(state.lastDigestMs, local(2026, 12, 1, 7, 0));
  } finally {
    await service.stop();
    status.dispose();
    await smtp.close();
    await fs.rm(configDir, { recursive: true, force: true });
  }
});

test('alert secrets: a 0600 file, redacted once loaded, removed when emptied', async () => {
  const configDir = await tempDir('rdl-secrets-');
  try {
    clearRegisteredSecrets();
    const store = new AlertSecretStore(configDir);
    await store.set('smtp-password', 'Sup3r-Secret-Smtp');
    await store.set('webhook-url', 'https://hooks.example.org/services/T000/B000/XyZsecret123');
    assert.equal((await fs.stat(store.file)).mode & 0o777, 0o600);
    clearRegisteredSecrets();
    const loaded = await new AlertSecretStore(configDir).load();
    assert.equal(loaded.smtpPassword, 'Sup3r-Secret-Smtp');
    assert.equal(redact('pw Sup3r-Secret-Smtp'), 'pw [redacted]');
    assert.ok(!redact('POST /services/T000/B000/XyZsecret123 failed').includes('XyZsecret123'));
    await assert.rejects(store.set('webhook-url', 'http://example.org/x'), /must start with https/);
    await store.set('smtp-password', '');
    await store.set('webhook-url', '');
    await assert.rejects(fs.stat(store.file), /ENOENT/);
  } finally {
    clearRegisteredSecrets();
    await fs.rm(configDir, { recursive: true, force: true });
  }
});
