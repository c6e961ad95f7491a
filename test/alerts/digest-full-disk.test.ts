// A digest sent while the settings disk is full (a hub's one card, the field's most common pain):
// sent is sent, whether or not alerts-state.json can record it. Before, the failed record read as
// a digest that failed: the service raised "Alerts by the digest email are not getting through
// (ENOSPC …)", announced through the other channels about a digest the people had in their
// mailbox, and `rdl-sync report --send` exited 1 after sending it (a cron job would send it
// again). Real parts: the settings folder on a real tmpfs filled to the byte, a loopback SMTP
// relay, the service in this process on the real clock, `report --send` as a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Logger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { makeDirs } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';
import { canMount, fill, fillToTheByte, mountTmpfs, unmount } from '../archive/helpers.js';
import { startSmtp, waitUntil, type LoopbackSmtp } from './loopback.js';

const DAY = 24 * 3_600_000;

interface Hub {
  dirs: Awaited<ReturnType<typeof makeDirs>>;
  smtp: LoopbackSmtp;
  settings: ReturnType<typeof defaultSettings>;
}

/** A hub whose daily digest is due (the last one two days ago); its settings disk then fills. */
async function fullHub(prefix: string): Promise<Hub> {
  const dirs = await makeDirs(prefix);
  await fs.mkdir(dirs.configDir, { recursive: true });
  mountTmpfs(dirs.configDir, 512);
  const smtp = await startSmtp();
  const settings = {
    ...defaultSettings(),
    watchDir: dirs.watchDir,
    transitDir: dirs.transitDir,
    archiveDir: dirs.archiveDir,
    archiveMustBeMountPoint: false,
    site: 'Site5_Full',
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub5@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: smtp.port,
    smtpSecurity: 'none' as const,
    digestSchedule: 'daily' as const,
    digestHour: 0,
  };
  await fs.writeFile(path.join(dirs.configDir, 'config.json'), JSON.stringify(settings, null, 2));
  await fs.writeFile(
    path.join(dirs.configDir, 'alerts-state.json'),
    JSON.stringify({ lastDigestMs: Date.now() - 2 * DAY }),
  );
  await fs.mkdir(path.join(dirs.configDir, 'logs'));
  await fillToTheByte(await fill(dirs.configDir));
  return { dirs, smtp, settings };
}

async function teardown(hub: Hub): Promise<void> {
  await hub.smtp.close();
  unmount(hub.dirs.configDir);
  await fs.rm(hub.dirs.root, { recursive: true, force: true });
}

test('the service’s digest sent on a full settings disk: no "not getting through", not sent again', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const hub = await fullHub('rdl-digest-full-service-');
  const lines: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => void lines.push(m),
    warn: (m) => void lines.push(m),
    error: (m) => void lines.push(m),
  };
  const status = new StatusModel(() => Date.now());
  const service = new AlertService({
    configDir: hub.dirs.configDir,
    status,
    settings: () => hub.settings,
    history: () => [],
    clock: { now: () => Date.now(), sleep: async () => undefined },
    logger,
    host: 'hub5',
    tuning: { tickMs: 20 },
  });
  try {
    await service.start();
    await waitUntil('the digest at the relay', () => hub.smtp.mails.length === 1);
    await waitUntil('the service to have finished with it', () =>
      lines.some((l) => /^digest (sent|not sent)/.test(l)),
    );
    // Many ticks later (a retry of a "failed" digest came after a minute: it is not owed at all).
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      status
        .snapshot()
        .problems.map((p) => p.id)
        .filter((id) => id.startsWith('alert-channel-failing')),
      [],
      'no channel is failing',
    );
    assert.equal(hub.smtp.mails.length, 1);
    assert.ok(
      lines.some((l) => /^digest sent but not recorded as sent in alerts-state\.json/.test(l)),
      lines.join('\n'),
    );
    assert.match(hub.smtp.mails[0]!.subject, /^RDL Sync Site5_Full: daily digest/);
  } finally {
    await service.stop();
    status.dispose();
    await teardown(hub);
  }
});

test('`report --send` on a full settings disk: sent, exit 0, and it says what the full disk costs', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const hub = await fullHub('rdl-digest-full-report-');
  try {
    const r = await runCli(['report', '--send', '--config-dir', hub.dirs.configDir], {
      home: hub.dirs.root,
    });
    assert.equal(hub.smtp.mails.length, 1, r.stdout + r.stderr);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Sent "RDL Sync Site5_Full: daily digest [^"]+" by email\./);
    assert.match(
      r.stdout,
      /Warning: the digest could not be recorded as sent \(ENOSPC[^)]*\): the service may send it again/,
    );
  } finally {
    await teardown(hub);
  }
});
