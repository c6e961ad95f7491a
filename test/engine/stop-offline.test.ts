// A stop while Dropbox cannot be reached ends the pass at once. The account check beside the pass
// and the upload sessions asked for ahead retried without the pass's signal, so a stop waited out
// their back-off: the daemon (SIGTERM, systemd's stop) sat until its 5 s deadline and exited
// without closing its journal, writing its last status or giving back its lock. Here the back-off
// is a minute a try, so a stop that waited for it could not end within the test's deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { withHarness, listFilesRel } from './harness.js';

test(
  'a stop while Dropbox is unreachable gives up the retries beside the pass: the pass ends aborted, the lock is given back',
  { timeout: 30_000 },
  async () => {
    await withHarness(
      { engine: { retry: { baseMs: 60_000, capMs: 60_000, maxAttempts: 6 } } },
      async (h) => {
        const unreachable = { ...h.settings, dropboxEndpoint: 'http://127.0.0.1:9' };
        assert.ok((await h.engine.saveSettings(unreachable)).ok);
        await h.drop('RDL/a.csv', 'a');
        const pass = h.engine.runPassNow().then(
          (r) => r,
          (e: unknown) => e,
        );
        // The pass has begun (the account check and the sessions asked ahead are under way) and
        // its first requests were refused: their next try is a minute away.
        for (let i = 0; i < 200 && !h.engine.getStatus().passRunning; i++)
          await new Promise((r) => setTimeout(r, 10));
        assert.equal(h.engine.getStatus().passRunning, true);
        await new Promise((r) => setTimeout(r, 300));

        await h.engine.stop();
        const ended = await pass;
        assert.ok(
          ended instanceof Error || (ended as { aborted?: boolean }).aborted === true,
          `the pass ended by the stop: ${JSON.stringify(ended)}`,
        );
        const left = await fs.readdir(h.configDir);
        assert.ok(
          !left.some((f) => f.startsWith('engine.lock')),
          `lock given back: ${left.join(', ')}`,
        );
        const files = [...(await listFilesRel(h.watchDir)), ...(await listFilesRel(h.transitDir))];
        assert.deepEqual(files, ['RDL/a.csv'], 'the file waits, in the watch folder or in transit');
      },
    );
  },
);
