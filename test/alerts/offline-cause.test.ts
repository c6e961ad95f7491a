// "Dropbox unreachable" has causes with different fixes: the hub's network ("check the network"),
// an outage on Dropbox's side, or its "too many requests". A running process told the first and
// then never the change: a person drove to a hub whose network was fine while Dropbox was down.
// Now a change of cause is announced once, in the new words; figures (minutes, files) are not,
// and a cause already told is not told again before the reminder. The real engine (started, so
// its alert service runs), the emulator through the real SDK, the alert command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Alert } from '../../src/engine/alerts/types.js';
import type { Clock } from '../../src/engine/ports.js';
import { systemClock } from '../../src/engine/ports.js';
import { withHarness } from '../engine/harness.js';
import { waitFor } from '../cli/cli-harness.js';

const FILES = 5;

test('a running process announces once that "offline" changed cause (network → Dropbox outage), not its figures, and not a cause already told', async () => {
  let now = Date.now();
  const clock: Clock = { now: () => now, sleep: () => systemClock.sleep(1) };
  await withHarness(
    {
      settings: { offlineAlertMinutes: 1, alertFlapMinutes: 0, intervalSeconds: 86_400 },
      engine: { clock },
    },
    async (h) => {
      const heard = path.join(h.root, 'heard.log');
      const hook = path.join(h.root, 'on-alert.sh');
      await fs.writeFile(
        hook,
        `#!/bin/sh\nbody=$(cat)\necho "$RDL_ALERT_EVENT $RDL_ALERT_CONDITION $body" >> "${heard}"\n`,
        { mode: 0o755 },
      );
      const emulatorUrl = h.settings.dropboxEndpoint;
      const use = async (endpoint: string): Promise<void> => {
        const saved = await h.engine.saveSettings({
          ...h.engine.getSettings(),
          alertCommand: hook,
          dropboxEndpoint: endpoint,
        });
        assert.ok(saved.ok, JSON.stringify(saved));
      };
      const offline: Alert[] = [];
      h.engine.alerts.onAlert((a) => {
        if (a.conditionId === 'offline') offline.push(a);
      });
      const offlineCause = (): string | undefined =>
        h.engine.getStatus().problems.find((p) => p.id === 'offline')?.cause;
      const heardOffline = async (): Promise<string[]> =>
        (await fs.readFile(heard, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => l.startsWith('raised offline'));

      // The hub's link is down: nothing answers.
      await use('http://127.0.0.1:9');
      for (let i = 0; i < FILES; i++) await h.drop(`RDL/USB0/f${i}.csv`, `t,v\n${i},1\n`);
      await h.engine.start();
      await h.engine.runPassNow();
      now += 61_000;
      await h.engine.runPassNow();
      assert.deepEqual(
        offline.map((a) => a.kind),
        ['raised'],
      );
      // The cause as the error knew it: nothing listens on that port (ECONNREFUSED).
      assert.match(
        offline[0]!.sentence,
        /unreachable for .*: the connection to 127\.0\.0\.1:9 was refused \(ECONNREFUSED\); check the hub's firewall/,
      );
      now += 10 * 60_000;
      await h.engine.runPassNow();
      assert.equal(offline.length, 1, 'longer, the same cause: nothing new to tell');

      // The link is back, but Dropbox fails every request with server errors (its outage).
      await use(emulatorUrl);
      h.emulator.addFault({ kind: 'server_error', times: 1_000_000, noRetryAfter: true });
      await h.engine.runPassNow();
      assert.equal(offlineCause(), 'server');
      assert.deepEqual(
        offline.map((a) => a.kind),
        ['raised', 'raised'],
      );
      assert.match(offline[1]!.sentence, /failing with server errors .*on Dropbox's side/);
      assert.doesNotMatch(offline[1]!.sentence, /check the hub's/);
      now += 10 * 60_000;
      await h.engine.runPassNow();
      assert.equal(offline.length, 2, 'figures are no new cause');

      // Back to the network again within the reminder time: it was told already.
      h.emulator.clearFaults();
      await use('http://127.0.0.1:9');
      await h.engine.runPassNow();
      assert.equal(offlineCause(), 'network');
      assert.equal(offline.length, 2, 'a cause already told is not told again before the reminder');

      // Both announcements reached the people, through the command channel.
      const lines = await waitFor('both raises through the alert command', async () => {
        const l = await heardOffline();
        return l.length >= 2 ? l : null;
      });
      assert.match(lines[0]!, /ECONNREFUSED\); check the hub's firewall/);
      assert.match(lines[1]!, /server errors/);
    },
  );
});
