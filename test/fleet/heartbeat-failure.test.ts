// A heartbeat that cannot be written never disturbs syncing: the file still reaches Dropbox and
// the card, no problem changes the hub's state, the log says so once (not once per beat), the
// Fleet tab's own-heartbeat line says why, and the next beat after the cause clears succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, type Clock, type Logger } from '../../src/engine/ports.js';
import { listFilesRel, withHarness } from '../engine/harness.js';
import { waitFor } from '../cli/cli-harness.js';

test('a failing heartbeat is a quiet log line and a note, never a stop', async () => {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug: () => {},
    info: (message, fields) =>
      void lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) =>
      void lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) =>
      void lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  await withHarness(
    { engine: { logger, fleetHeartbeatMs: 1_000, hostName: 'hub-x' } },
    async (h) => {
      // Every single-request upload is refused: only the heartbeat uses that route.
      h.emulator.addFault({ route: 'files/upload', kind: 'insufficient_space', times: 1_000 });
      await h.engine.start();
      await h.drop('RDL/USB0/a.csv', 'x,1\n');
      await waitFor('three refused heartbeats and the file synced', async () => {
        const tried = h.emulator.stats()['files/upload'] ?? 0;
        const done = (await listFilesRel(h.archiveDir)).includes('RDL/USB0/a.csv');
        return tried >= 3 && done && h.emulator.getFile('/RDL/site1/RDL/USB0/a.csv');
      });
      assert.equal(h.emulator.getFile('/RDL/_fleet/site1.json'), undefined);
      const warned = lines.filter((l) => l.message.startsWith('fleet heartbeat not written'));
      assert.equal(warned.length, 1, 'one line per cause, not one per beat');
      assert.match(String(warned[0]!.fields?.reason), /space|full|quota/i);
      const status = h.engine.getStatus();
      assert.ok(
        !status.problems.some((p) => /heartbeat/i.test(p.message)),
        JSON.stringify(status.problems),
      );
      const fleet = await h.engine.readFleet();
      assert.equal(fleet.ownBeat?.ok, false);
      assert.match(fleet.ownBeat?.detail ?? '', /space|full|quota/i);

      h.emulator.clearFaults();
      await waitFor('a heartbeat once Dropbox takes it', async () =>
        h.emulator.getFile('/RDL/_fleet/site1.json'),
      );
      await waitFor('the recovery logged', async () =>
        lines.some((l) => l.message === 'fleet heartbeat written'),
      );
      assert.equal((await h.engine.readFleet()).sites[0]?.heartbeat.host, 'hub-x');
    },
  );
});

test('no heartbeat while the clock reads 1970: the last true one is not replaced by one dated then', async () => {
  // A Pi booted without network; its clock moves on from 3 January 1970 until NTP sets it.
  const bootedMs = Date.now();
  const clock: Clock = {
    now: () => Date.UTC(1970, 0, 3) + (Date.now() - bootedMs),
    sleep: systemClock.sleep,
  };
  await withHarness({ engine: { clock, fleetHeartbeatMs: 1_000 } }, async (h) => {
    await h.engine.start();
    const ownBeat = await waitFor('the first beat tried', async () => {
      const beat = (await h.engine.readFleet()).ownBeat;
      return beat ?? undefined;
    });
    assert.equal(ownBeat.ok, false);
    assert.match(ownBeat.detail, /the clock is not set yet \(it reads 1970-01-0\d\)/);
    // Before: /RDL/_fleet/site1.json written, dated 1970.
    assert.equal(h.emulator.getFile('/RDL/_fleet/site1.json'), undefined);
  });
});
