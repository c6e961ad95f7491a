// A channel shown failing whose owed alerts all left without a send (their condition healed
// before it was told of them) still said "1 alert waits to be sent again", and nothing tried it
// again: after the person fixed the setting (trial: an alert command typed with an argument, then
// without), the problem stood in the old setting's words until some later alert went through.
// Now the count is what it owes, and a settings change clears a failing channel owing nothing
// (the next alert tries the new settings). Real parts: the alert service as the daemon runs it,
// a real alert command (a script on disk), its outbox on disk; the clock is the test's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { clearRegisteredSecrets } from '../../src/engine/log/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { silentLogger } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import type { Problem } from '../../src/engine/status/types.js';
import { tempDir, waitUntil } from './loopback.js';

const T0 = Date.UTC(2026, 11, 6, 9, 0);
const FAILING = 'alert-channel-failing:command';

const archiveMissing: Omit<Problem, 'sinceMs'> = {
  id: 'archive-missing',
  code: 'archive-missing',
  severity: 'attention',
  tab: 'status',
  message: 'SD card folder /media/sd does not exist: insert the card; files wait safely',
};

test('a failing channel owing nothing says no alert waits, and a settings change clears it', async () => {
  const configDir = await tempDir('rdl-failing-owes-nothing-');
  clearRegisteredSecrets();
  const script = path.join(configDir, 'page-me');
  const received = path.join(configDir, 'received.json');
  await fs.writeFile(script, `#!/bin/sh\ncat >> '${received}'\n`, { mode: 0o755 });
  const settings = {
    ...defaultSettings(),
    site: 'Site5_Owes',
    alertFlapMinutes: 0,
    alertCommand: `${script} --urgent`,
  };
  let now = T0;
  const status = new StatusModel(() => now);
  const service = new AlertService({
    configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock: { now: () => now, sleep: async () => undefined },
    logger: silentLogger,
    host: 'hub-owes',
    tuning: { tickMs: 20 },
  });
  const failing = (): string | undefined =>
    status.snapshot().problems.find((p) => p.id === FAILING)?.message;
  try {
    await service.start();
    status.raise(archiveMissing);
    await waitUntil('the command to fail', () => failing()?.includes('1 alert waits') === true);

    // Healed before the command was ever told: its raise leaves the outbox unsent.
    now += 1_000;
    status.clear('archive-missing');
    await waitUntil('the count to follow what it owes', () => {
      const m = failing();
      return m !== undefined && !/alerts? waits?/.test(m);
    });
    assert.match(failing()!, /^Alerts by command .* --urgent are not getting through \(/);

    // The person fixes the setting: the failure was of the old one, and nothing is owed.
    settings.alertCommand = script;
    service.settingsChanged();
    await waitUntil('the failing channel to clear', () => failing() === undefined);

    // The next alert goes through the new command.
    now += 1_000;
    status.raise({ ...archiveMissing, message: 'SD card folder /media/sd2 does not exist' });
    await waitUntil('the alert by the fixed command', async () =>
      (await fs.readFile(received, 'utf8').catch(() => '')).includes('archive-missing'),
    );
    assert.equal(failing(), undefined);
  } finally {
    await service.stop();
    await fs.rm(configDir, { recursive: true, force: true });
  }
});
