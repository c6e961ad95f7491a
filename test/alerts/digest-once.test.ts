// One digest, not two, when the service's scheduled digest and `rdl-sync report --send` (a
// person at the hub, or a cron job at the same hour) send at the same moment. Before, nothing
// stood between them: each read "not sent yet" in alerts-state.json and each sent it. Real parts:
// the service as the daemon runs it, in this process on the real clock, `report --send` as a child
// process, and a loopback SMTP relay that is slow to answer the first message (it holds it while
// the other process comes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Logger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { makeDirs } from '../engine/harness.js';
import { exited, spawnCli, killIfRunning } from '../cli/cli-harness.js';
import { startSmtp, waitUntil, type LoopbackSmtp } from './loopback.js';

const DAY = 24 * 3_600_000;

interface Setup {
  dirs: Awaited<ReturnType<typeof makeDirs>>;
  smtp: LoopbackSmtp;
  /** Lets the relay answer the first message. */
  answerFirst: () => void;
  service: AlertService;
  status: StatusModel;
  infos: string[];
}

/** A hub whose daily digest is due (the last one two days ago), email to a slow relay. */
async function setup(prefix: string): Promise<Setup> {
  const dirs = await makeDirs(prefix);
  let answerFirst = (): void => undefined;
  const firstAnswered = new Promise<void>((r) => (answerFirst = r));
  const smtp = await startSmtp({
    answerAfter: (n) => (n === 0 ? firstAnswered : Promise.resolve()),
  });
  const settings = {
    ...defaultSettings(),
    watchDir: dirs.watchDir,
    transitDir: dirs.transitDir,
    archiveDir: dirs.archiveDir,
    archiveMustBeMountPoint: false,
    site: 'Site4_Digest',
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: smtp.port,
    smtpSecurity: 'none' as const,
    digestSchedule: 'daily' as const,
    digestHour: 0,
  };
  await fs.mkdir(dirs.configDir, { recursive: true });
  await fs.writeFile(path.join(dirs.configDir, 'config.json'), JSON.stringify(settings, null, 2));
  await fs.writeFile(
    path.join(dirs.configDir, 'alerts-state.json'),
    JSON.stringify({ lastDigestMs: Date.now() - 2 * DAY }),
  );
  const infos: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => void infos.push(m),
    warn: (m) => void infos.push(m),
    error: (m) => void infos.push(m),
  };
  const status = new StatusModel(() => Date.now());
  const service = new AlertService({
    configDir: dirs.configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock: { now: () => Date.now(), sleep: async () => undefined },
    logger,
    host: 'hub4',
    tuning: { tickMs: 20 },
  });
  return { dirs, smtp, answerFirst, service, status, infos };
}

async function teardown(s: Setup, child: ChildProcess | null): Promise<void> {
  s.answerFirst();
  await killIfRunning(child);
  await s.service.stop();
  s.status.dispose();
  await s.smtp.close();
  await fs.rm(s.dirs.root, { recursive: true, force: true });
}

function reportSend(s: Setup): { child: ChildProcess; out: () => string } {
  const child = spawnCli(['report', '--send', '--config-dir', s.dirs.configDir], {
    home: s.dirs.root,
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, out: () => out };
}

test('`report --send` while the service is sending the scheduled digest: it waits, and sends none', async () => {
  const s = await setup('rdl-digest-once-a-');
  let child: ChildProcess | null = null;
  try {
    await s.service.start();
    await waitUntil('the service’s digest at the relay', () => s.smtp.mails.length === 1);
    const report = reportSend(s);
    child = report.child;
    // Without the lock, the command's own digest reaches the relay meanwhile.
    await waitUntil(
      'the command waiting (or its own digest)',
      () => /waiting for it/.test(report.out()) || s.smtp.mails.length > 1,
      30_000,
    );
    s.answerFirst();
    const { code } = await exited(child);
    assert.equal(code, 0, report.out());
    assert.equal(s.smtp.mails.length, 1, 'one digest, not two');
    assert.match(report.out(), /Another RDL Sync \(pid \d+\) is sending the digest now/);
    assert.match(report.out(), /Not sent again: another RDL Sync sent the digest by email at /);
    assert.ok(s.infos.includes('digest sent'));
  } finally {
    await teardown(s, child);
  }
});

test('the scheduled digest comes due while `report --send` is sending one: the service sends none', async () => {
  const s = await setup('rdl-digest-once-b-');
  let child: ChildProcess | null = null;
  try {
    const report = reportSend(s);
    child = report.child;
    await waitUntil('the command’s digest at the relay', () => s.smtp.mails.length === 1, 30_000);
    await s.service.start();
    // Without the lock, the service's own digest reaches the relay meanwhile.
    await waitUntil(
      'the service seeing the send under way (or its own digest)',
      () =>
        s.infos.includes('digest due: another RDL Sync is sending one now') ||
        s.smtp.mails.length > 1,
    );
    s.answerFirst();
    const { code } = await exited(child);
    assert.equal(code, 0, report.out());
    assert.match(report.out(), /Sent "RDL Sync Site4_Digest: daily digest/);
    // The service's ticks (every 20 ms) look again: the digest of this period went.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.smtp.mails.length, 1, 'one digest, not two');
    assert.ok(!s.infos.includes('digest sent'), 'the service sent no digest of its own');
  } finally {
    await teardown(s, child);
  }
});

// The service's start records itself in alerts-state.json (which process syncs since when) beside
// the last digest's time. Before, that read-and-write ignored digest.lock: a `report --send`
// recording its digest between them had its time overwritten with the older one, and the
// service sent the same digest again at its next due time. The start now waits for the lock to
// write (without holding up the start): not written while another process holds it.
test('a service starting while `report --send` sends: its start is recorded after, the digest’s time kept', async () => {
  const s = await setup('rdl-digest-once-c-');
  const stateFile = path.join(s.dirs.configDir, 'alerts-state.json');
  const state = async (): Promise<{ pid?: number; lastDigestMs?: number }> =>
    JSON.parse(await fs.readFile(stateFile, 'utf8')) as { pid?: number; lastDigestMs?: number };
  let child: ChildProcess | null = null;
  try {
    const report = reportSend(s);
    child = report.child;
    await waitUntil('the command’s digest at the relay', () => s.smtp.mails.length === 1, 30_000);
    const before = await fs.readFile(stateFile, 'utf8');
    await s.service.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      await fs.readFile(stateFile, 'utf8'),
      before,
      'alerts-state.json is not written while the command holds digest.lock',
    );
    s.answerFirst();
    assert.equal((await exited(child)).code, 0, report.out());
    await waitUntil(
      'the service’s start recorded',
      async () => (await state()).pid === process.pid,
    );
    assert.ok(
      ((await state()).lastDigestMs ?? 0) > Date.now() - DAY,
      'the command’s digest stays recorded as sent',
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.smtp.mails.length, 1, 'one digest, not two');
  } finally {
    await teardown(s, child);
  }
});
