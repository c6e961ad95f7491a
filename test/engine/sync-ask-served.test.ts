// `rdl-sync sync` beside a running engine waits until that engine's status says the pass it asked
// for has ended (`syncAskServedMs`). Only a pass that ran through serves an ask: one cut short by
// a pause has not tried everything, so the ask waits for the next pass (here the one a resume
// starts), and the command would otherwise report a pass that never looked at the files. A real
// engine, started as the daemon starts it (following its settings file), the emulator over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/engine.js';
import type { StatusSnapshot } from '../../src/engine/status/types.js';
import { withHarness } from './harness.js';

async function until(
  engine: Engine,
  what: string,
  ok: (s: StatusSnapshot) => boolean,
): Promise<StatusSnapshot> {
  for (let i = 0; i < 400; i++) {
    const s = engine.getStatus();
    if (ok(s)) return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(engine.getStatus())}`);
}

test('the status names a sync ask once its pass has ended; a pass cut short by a pause leaves it to the next', async () => {
  // An hour between passes: the only passes are the first and the ones asked for or resumed.
  await withHarness(
    { settings: { intervalSeconds: 3600 }, engine: { watchConfig: true } },
    async (h) => {
      await h.engine.start();
      const first = await until(
        h.engine,
        'the first pass',
        (s) => !!s.lastPassMs && !s.passRunning,
      );
      assert.equal(first.syncAskServedMs, null, 'served before anyone asked');

      // The ask as `rdl-sync sync` saves it; the engine reads the saved state every 2 s.
      const firstAsk = await h.engine.askSyncNow();
      const served = await until(
        h.engine,
        'the first ask served',
        (s) => s.syncAskServedMs != null,
      );
      assert.equal(served.syncAskServedMs, firstAsk);
      assert.ok(served.lastPassMs! > first.lastPassMs!, 'served without a pass of its own');

      // A pass that runs for a while (a file over a slow link), cut short by a pause.
      await h.drop('RDL/USB0/slow.csv', 't,v\n1,2\n');
      h.emulator.shapeLink({ latencyMs: 1000 });
      const secondAsk = await h.engine.askSyncNow();
      await until(h.engine, 'the asked pass running', (s) => s.passRunning === true);
      await h.engine.pause(null);
      await until(h.engine, 'the pass cut short', (s) => !s.passRunning);
      assert.equal(h.engine.getStatus().syncAskServedMs, firstAsk, 'a pass cut short served it');
      assert.equal(h.emulator.getFile('/RDL/site1/RDL/USB0/slow.csv'), undefined);

      // Resumed, the next pass serves it, and has moved the file when it says so.
      h.emulator.resetLink();
      await h.engine.resume();
      await until(h.engine, 'the second ask served', (s) => s.syncAskServedMs === secondAsk);
      assert.ok(h.emulator.getFile('/RDL/site1/RDL/USB0/slow.csv'), 'served before the file moved');
    },
  );
});
