// A channel's failing problem was cleared only by a send of the syncing process that went through.
// The relay down for one alert whose condition then cleared (raise and clear cancel: nothing is
// owed), the relay fixed, `rdl-sync alert test` printing "ok": the daemon's status still said
// alerts by email fail, for as long as no new alert came. Now the test's outcome reaches the
// process that syncs (alert-test.json) and it clears the problem at its next tick; the CLI says it
// will. Real parts: the service as a daemon runs it (its run lock and published status), an SMTP
// relay on loopback that is down and comes back on the same port, and the real `rdl-sync alert
// test` in its own process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { acquireRunLock } from '../../src/engine/run-lock.js';
import { StatusFilePublisher } from '../../src/engine/status/status-file.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { silentLogger, type Logger } from '../../src/engine/ports.js';
import { makeDirs } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';
import { freePort, startSmtp, waitUntil, type LoopbackSmtp } from './loopback.js';

const FAILING = 'alert-channel-failing:email';

test('an alert test from another process that goes through clears the channel failing in the syncing process', async () => {
  const dirs = await makeDirs('rdl-alert-test-elsewhere-');
  const port = await freePort();
  let smtp: LoopbackSmtp | null = null;
  const settings: Settings = {
    ...defaultSettings(dirs.root),
    watchDir: dirs.watchDir,
    transitDir: dirs.transitDir,
    archiveDir: dirs.archiveDir,
    archiveMustBeMountPoint: false,
    site: 'Site6_Relay',
    alertFlapMinutes: 0,
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: port,
    smtpSecurity: 'none',
  };
  await fs.mkdir(dirs.configDir, { recursive: true });
  await fs.writeFile(path.join(dirs.configDir, 'config.json'), JSON.stringify(settings));
  const lines: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    info: (message) => void lines.push(message),
    warn: (message) => void lines.push(message),
  };
  const status = new StatusModel(() => Date.now());
  const service = new AlertService({
    configDir: dirs.configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock: { now: () => Date.now(), sleep: async () => undefined },
    logger,
    host: 'hub-relay',
    tuning: { tickMs: 50 },
  });
  const lock = await acquireRunLock(dirs.configDir, 'daemon');
  const publisher = new StatusFilePublisher(
    dirs.configDir,
    () => status.snapshot(),
    () => Date.now(),
    silentLogger,
    10,
  );
  const unpublish = status.onChange(() => publisher.schedule());
  const shown = (): boolean => status.snapshot().problems.some((p) => p.id === FAILING);
  try {
    await service.start();
    status.raise({
      id: 'archive-missing',
      code: 'archive-missing',
      severity: 'attention',
      tab: 'status',
      message: 'SD card folder /media/sd does not exist: insert the card; files wait safely',
    });
    await waitUntil('the relay down to show', shown, 10_000);
    // The condition ends before the relay is back: its raise and clear cancel, nothing is owed.
    status.clear('archive-missing');
    smtp = await startSmtp({ port });
    await new Promise((r) => setTimeout(r, 400)); // several ticks
    assert.ok(shown(), 'with nothing owed, no send of its own clears it');
    assert.equal(smtp.mails.length, 0);
    await publisher.write(false);

    const cli = await runCli(['alert', 'test', '--config-dir', dirs.configDir], {
      home: dirs.root,
    });
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^ok {6}email to ops@example\.org/m);
    assert.match(
      cli.stdout,
      new RegExp(
        `^The running RDL Sync \\(pid ${process.pid}\\) still shows email .* failing: within a minute it takes this test into account and sends what it owes\\.$`,
        'm',
      ),
    );
    assert.equal(smtp.mails.length, 1, 'the test alert itself');
    await waitUntil('the channel failing to clear', () => !shown(), 10_000);
    assert.ok(lines.includes('a test alert from another process went through'));
    const outcome = JSON.parse(
      await fs.readFile(path.join(dirs.configDir, 'alert-test.json'), 'utf8'),
    ) as { ok: string[]; pid: number };
    assert.deepEqual(outcome.ok, ['email']);
    assert.notEqual(outcome.pid, process.pid);

    // A test that fails clears nothing: the relay down again, the problem raised again by a send.
    await smtp.close();
    smtp = null;
    status.raise({
      id: 'archive-missing',
      code: 'archive-missing',
      severity: 'attention',
      tab: 'status',
      message: 'SD card folder /media/sd does not exist: insert the card; files wait safely',
    });
    await waitUntil('the relay down to show again', shown, 10_000);
    const failed = await runCli(['alert', 'test', '--config-dir', dirs.configDir], {
      home: dirs.root,
    });
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /^FAILED {2}email/m);
    assert.doesNotMatch(failed.stdout, /still shows/);
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(shown(), 'a failed test leaves the problem');
  } finally {
    unpublish();
    await service.stop();
    await lock.release();
    await smtp?.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
