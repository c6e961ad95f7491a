// What a daemon waiting for a settings file it cannot use tells (AlertService.notifySettingsInvalid):
// the real alert service and a real alert command, on a clock the test sets. Told once, again only
// after alertReminderHours (a wait of weeks is not one message and then silence), and in new
// words when the file now holds other mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { silentLogger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { alertLogHook, tempDir } from './loopback.js';

const HOUR = 3_600_000;

test('told once; a reminder after alertReminderHours; new mistakes in new words', async () => {
  const dir = await tempDir('rdl-settings-notice-');
  try {
    const { hook, heard } = await alertLogHook(dir, 'heard.log');
    const configDir = path.join(dir, 'config');
    await fs.mkdir(configDir);
    let now = Date.UTC(2026, 11, 1, 8);
    const settings = { ...defaultSettings(dir), alertCommand: hook, alertReminderHours: 24 };
    const service = new AlertService({
      configDir,
      status: new StatusModel(() => now),
      settings: () => settings,
      history: () => [],
      clock: { now: () => now, sleep: async () => undefined },
      logger: silentLogger,
      host: 'hub9',
    });
    const file = path.join(configDir, 'config.json');
    const typo = [{ field: 'stableSeconds', message: 'Stable time must be a number (got "ten")' }];

    assert.equal((await service.notifySettingsInvalid(file, typo)).outcome, 'sent');
    now += 23 * HOUR;
    assert.equal((await service.notifySettingsInvalid(file, typo)).outcome, 'already-told');
    assert.equal(await heard(), 'raised settings-invalid\n');
    now += 2 * HOUR;
    assert.equal((await service.notifySettingsInvalid(file, typo)).outcome, 'reminded');
    assert.equal(await heard(), 'raised settings-invalid\nreminder settings-invalid\n');

    // Edited again, into another mistake: the fix told before is not this one.
    const other = [{ field: 'intervalSeconds', message: 'Interval must be at least 1 (got -1)' }];
    const notice = await service.notifySettingsInvalid(file, other);
    assert.equal(notice.outcome, 'sent');
    assert.deepEqual(
      notice.results.map((r) => [r.channel, r.ok]),
      [['command', true]],
    );
    assert.equal((await heard()).split('\n').filter(Boolean).length, 3);
    await service.stop();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
