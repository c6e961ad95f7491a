// A link down for days must not flood the log. Before, every pass while Dropbox was unreachable
// wrote about 7 lines (each retry of each call, a "pass ended with a blocked leg" line and the
// pass's line): at the default 10 s interval 7 MB a day, so the 5 MB rotation had pushed the
// moment the link went down out of the log within a day and a half. The real engine and logger
// (a log file read back), the emulator behind a TCP relay that is taken down and brought back on
// the same port, and the engine's clock moved by hand between passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../../src/engine/log/logger.js';
import { REPEAT_REMINDER_MS } from '../../src/engine/log/repeats.js';
import { withHarness } from './harness.js';
import { Relay } from '../dropbox/tcp-relay.js';

async function lines(file: string): Promise<string[]> {
  return (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
}

test('offline for hours: the outage is logged when it begins, then once every half hour with what was held back; the first lines after it are logged at once', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    // Retries' back-off passes quickly, so a pass while offline takes milliseconds.
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))),
  };
  let logFile = '';
  let relay: Relay | null = null;
  try {
    await withHarness({ engine: { clock } }, async (h) => {
      relay = new Relay(Number(new URL(h.settings.dropboxEndpoint).port));
      await relay.open();
      logFile = path.join(h.root, 'logs', 'rdl-sync.log');
      // The harness's engine logs nowhere: this one writes the file the daemon writes, at the
      // daemon's level.
      await h.engine.stop();
      const { createEngine } = await import('../../src/engine/engine.js');
      const engine = await createEngine({
        configDir: h.configDir,
        home: h.root,
        clock,
        logger: createLogger({ file: logFile, level: 'info' }),
      });
      try {
        const endpoint = `http://127.0.0.1:${relay.port}`;
        assert.ok((await engine.saveSettings({ ...h.settings, dropboxEndpoint: endpoint })).ok);
        await h.drop('RDL/a.csv', 'a');
        assert.equal((await engine.runPassNow()).done, 1, 'through the relay while it is up');

        const upTo = (await lines(logFile)).length;
        await relay.close();
        await h.drop('RDL/b.csv', 'b');
        const passes = 30; // five minutes of a 10 s interval
        for (let i = 0; i < passes; i++) {
          offsetMs += 10_000;
          const r = await engine.runPassNow();
          assert.equal(r.uploadBlocked?.code, 'offline');
        }
        const all = await lines(logFile);
        const during = all.slice(upTo);
        const retries = during.filter((l) => l.includes('failed, retrying'));
        const passLines = during.filter((l) => /\]\s+pass \{/.test(l));
        assert.equal(retries.length, 1, `one retry line for the outage:\n${retries.join('\n')}`);
        assert.match(retries[0]!, /\[warn\].*"code":"network"/);
        // The pass that staged b.csv and copied it to the card, and the first that moved nothing.
        assert.equal(passLines.length, 2, passLines.join('\n'));
        assert.match(passLines[0]!, /"staged":1,"uploaded":0,"archived":1/);
        assert.match(passLines[1]!, /"staged":0.*"uploadBlocked":"offline"/);
        assert.equal(during.filter((l) => l.includes('pass ended with a blocked leg')).length, 0);

        offsetMs += REPEAT_REMINDER_MS;
        await engine.runPassNow();
        const reminder = (await lines(logFile)).slice(all.length);
        const reminderPass = reminder.filter((l) => /\]\s+pass \{/.test(l));
        assert.equal(reminderPass.length, 1, reminder.join('\n'));
        assert.match(
          reminderPass[0]!,
          /"uploadBlocked":"offline","archiveBlocked":null,"passesNotLogged":28\}/,
        );
        const reminderRetry = reminder.filter((l) => l.includes('failed, retrying'));
        assert.equal(reminderRetry.length, 1, reminder.join('\n'));
        assert.match(reminderRetry[0]!, /"heldBack":\d+/);

        await relay.open(); // the link is back, on the same port
        const back = await engine.runPassNow();
        assert.equal(back.done, 1, 'b.csv goes once the link is back');
        const before = (await lines(logFile)).length;
        await relay.close(); // and down again: logged at once, not held back as a repeat
        await h.drop('RDL/c.csv', 'c');
        offsetMs += 10_000;
        await engine.runPassNow();
        offsetMs += 10_000;
        await engine.runPassNow();
        const again = (await lines(logFile)).slice(before);
        assert.equal(
          again.filter((l) => l.includes('failed, retrying')).length,
          1,
          again.join('\n'),
        );
        // The pass that staged c.csv, and the first since that moved nothing.
        assert.equal(again.filter((l) => /\]\s+pass \{/.test(l)).length, 2, again.join('\n'));
      } finally {
        await engine.stop();
      }
    });
  } finally {
    await (relay as Relay | null)?.close();
  }
});
