// Pausing while a pass runs pauses now, not after the pass: a person who pauses before pulling
// the card or while the hub's mobile link is wanted for something else expects the bytes to stop
// moving. Until this, the window said "Paused until you resume" while the pass went on
// uploading (a 64 MiB file at 1 MiB/s went on for a minute). The real engine, started with its
// scheduler, and the emulator with its link shaped slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness, type Harness } from './harness.js';
import { RecordingLogger } from '../dropbox/helpers.js';
import { waitFor } from '../cli/cli-harness.js';

const MiB = 1024 * 1024;
const CLIP = 'cameras/ir/clip.bin';

/** The CLI tests' poll, with room for a slow link. */
const until = (what: string, ok: () => boolean): Promise<true> =>
  waitFor(what, async () => ok(), 60_000);

function uploadedBytes(h: Harness): number {
  return (
    h.engine.getStatus().transfers.find((t) => t.leg === 'upload' && t.rel === CLIP)?.bytesDone ??
    -1
  );
}

test('a pause during a pass stops the upload under way; resuming finishes the file', async () => {
  const logger = new RecordingLogger();
  await withHarness(
    {
      settings: { chunkSizeMiB: 4, intervalSeconds: 3600, archiveEnabled: false },
      engine: { logger },
    },
    async (h) => {
      await h.drop(CLIP, Buffer.alloc(24 * MiB, 7));
      // 2 MB/s: the whole file takes about 13 s; the pause comes within its first chunk or two.
      h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 });
      await h.engine.start();
      await until('the upload to start moving', () => uploadedBytes(h) > 0);

      await h.engine.pause(null);
      await until('the pass to end after the pause', () => !h.engine.getStatus().passRunning);
      const s = h.engine.getStatus();
      assert.equal(s.paused, true);
      assert.deepEqual(s.transfers, [], 'no transfer is shown as under way while paused');
      // Cut short by a pause is not a fault: no problem, not offline, not "syncing".
      assert.deepEqual(
        s.problems.map((p) => p.message),
        [],
      );
      assert.equal(s.state, 'paused');
      // The pass ended because of the pause, not because the file was done: it is not on
      // Dropbox, and it waits in transit.
      assert.equal(h.emulator.getFile(`/RDL/site1/${CLIP}`), undefined);
      await fs.access(path.join(h.transitDir, ...CLIP.split('/')));
      const appendsAtPause = h.emulator.stats()['files/upload_session/append_v2'];
      // Nothing moves while paused: no pass is scheduled (a pass would take a few seconds to
      // move a chunk at this rate; a full second is plenty to see one start).
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(h.emulator.stats()['files/upload_session/append_v2'], appendsAtPause);
      assert.equal(h.engine.getStatus().passRunning, false);
      // The log says why nothing moves, and that the pause cut a pass short.
      const paused = logger.lines.filter((l) => l.startsWith('info paused '));
      assert.equal(paused.length, 1, logger.lines.join('\n'));
      assert.match(paused[0]!, /"until":"resumed by hand","passCutShort":true/);
      assert.ok(logger.lines.some((l) => /^info pass .*"stopped":true/.test(l)));

      h.emulator.shapeLink({ latencyMs: 0, bytesPerSecond: 0 });
      // The pause cut the upload, not Dropbox: resumed, the window never says it is unreachable
      // (it did until the file's first answer: the cut read as the leg's passing trouble).
      const states: string[] = [];
      const off = h.engine.onStatus((st) => states.push(`${st.state}: ${st.sentence}`));
      await h.engine.resume();
      states.push(`${h.engine.getStatus().state}: ${h.engine.getStatus().sentence}`);
      await until('the file on Dropbox after resuming', () =>
        Boolean(h.emulator.getFile(`/RDL/site1/${CLIP}`)),
      );
      off();
      assert.deepEqual(
        states.filter((l) => l.startsWith('offline')),
        [],
        'not offline after resuming',
      );
      assert.equal(h.emulator.getFile(`/RDL/site1/${CLIP}`)?.size, 24 * MiB);
      assert.ok(logger.lines.some((l) => l.startsWith('info resumed')));
      // It went on from what Dropbox had stored: at most the chunk cut short is sent again (a
      // few KiB of JSON calls besides).
      const received = h.emulator.stats()['received-bytes'] ?? Infinity;
      assert.ok(received <= 28 * MiB + 64 * 1024, `${received} bytes received for a 24 MiB file`);
    },
  );
});

test('a pause as a pass begins cuts it short without logging a failure', async () => {
  const logger = new RecordingLogger();
  await withHarness({ settings: { intervalSeconds: 3600 }, engine: { logger } }, async (h) => {
    for (let i = 0; i < 5; i++) await h.drop(`RDL/USB0/f${i}.csv`, `t,v\n${i},1\n`);
    // Paused the moment the first pass is under way: it ends in its scan of the watch folder,
    // where the abort is thrown (the tray's Pause clicked as a pass starts, or during the scan
    // of a large watch folder).
    let paused = false;
    const off = h.engine.onStatus((s) => {
      if (!s.passRunning || paused) return;
      paused = true;
      void h.engine.pause(null);
    });
    try {
      await h.engine.start();
      await until('the pause', () => paused);
      await until('the pass to end', () => !h.engine.getStatus().passRunning);
    } finally {
      off();
    }
    const s = h.engine.getStatus();
    assert.equal(s.state, 'paused');
    assert.deepEqual(
      s.problems.map((p) => p.message),
      [],
    );
    // Cut before it staged anything: the files still wait in the watch folder.
    assert.equal((await fs.readdir(path.join(h.watchDir, 'RDL', 'USB0'))).length, 5);
    // "error pass failed {"reason":"paused"}" was logged twice (the pass runner, the scheduler).
    assert.deepEqual(
      logger.lines.filter((l) => l.startsWith('error ')),
      [],
    );

    await h.engine.resume();
    await until('the files on Dropbox after resuming', () =>
      Array.from({ length: 5 }).every((_, i) =>
        Boolean(h.emulator.getFile(`/RDL/site1/RDL/USB0/f${i}.csv`)),
      ),
    );
  });
});

test('a new end time for a pause already in force leaves a "Sync now" pass running, and the log says so', async () => {
  const logger = new RecordingLogger();
  await withHarness(
    {
      settings: { chunkSizeMiB: 4, intervalSeconds: 3600, archiveEnabled: false },
      engine: { logger },
    },
    async (h) => {
      await h.drop(CLIP, Buffer.alloc(12 * MiB, 7));
      h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 });
      await h.engine.pause(null);
      await h.engine.start();
      h.engine.syncNow(); // runs while paused: a person asked
      await until('the upload to start moving', () => uploadedBytes(h) > 0);

      await h.engine.pause(3_600_000); // the tray's "Pause 1 h", already paused
      const line = logger.lines.filter((l) => l.startsWith('info paused ')).at(-1) ?? '';
      assert.match(line, /"until":"\d{4}-/);
      // It said "passCutShort" while the pass went on to the end of the file.
      assert.doesNotMatch(line, /passCutShort/);
      assert.equal(h.engine.getStatus().passRunning, true);
      h.emulator.shapeLink({ latencyMs: 0, bytesPerSecond: 0 });
      await until('the file on Dropbox', () => Boolean(h.emulator.getFile(`/RDL/site1/${CLIP}`)));
    },
  );
});

test('a settings change while paused starts no pass', async () => {
  await withHarness({ settings: { intervalSeconds: 3600 } }, async (h) => {
    await h.engine.pause(null);
    await h.engine.start();
    await h.drop('RDL/USB0/a.csv', 't,v\n1,2\n');
    const passes: number[] = [];
    const off = h.engine.onStatus((s) => {
      if (s.passRunning) passes.push(1);
    });
    try {
      // A change (one rebuild), then a save of the same settings (the window's Save).
      assert.equal(
        (await h.engine.saveSettings({ ...h.engine.getSettings(), stableSeconds: 1 })).ok,
        true,
      );
      assert.equal((await h.engine.saveSettings(h.engine.getSettings())).ok, true);
    } finally {
      off();
    }
    // Before, each began a full pass while paused, as "Sync now" does, and the file was uploaded.
    assert.deepEqual(passes, [], 'no pass began');
    assert.equal(h.engine.getStatus().passRunning, false);
  });
});

test('an engine started while paused says so in its log', async () => {
  const logger = new RecordingLogger();
  await withHarness({ settings: { intervalSeconds: 3600 }, engine: { logger } }, async (h) => {
    await h.engine.pause(null); // as a pause saved before a reboot: set, then the engine starts
    assert.deepEqual(
      logger.lines.filter((l) => l.startsWith('info paused ')),
      [],
      'no scheduler yet: nothing said',
    );
    await h.engine.start();
    const paused = logger.lines.filter((l) => l.startsWith('info paused '));
    assert.equal(paused.length, 1, logger.lines.join('\n'));
    assert.match(paused[0]!, /resumed by hand/);
    assert.doesNotMatch(paused[0]!, /passCutShort/);
  });
});
