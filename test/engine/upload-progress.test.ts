// A large file on a slow link shows as a transfer under way from its start, with its bytes
// moving, not only once a chunk has landed: on a hub's mobile link the first chunk alone takes
// minutes, and `rdl-sync status` and the window listed no transfer at all meanwhile (found by
// the soak run). The real engine and emulator, the emulator's link shaped slow; the status is
// read while the pass runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from './harness.js';

const MiB = 1024 * 1024;

test('a large upload on a slow link shows in the transfers from its start and moves within its first chunk', async () => {
  await withHarness({ settings: { chunkSizeMiB: 4 } }, async (h) => {
    await h.drop('cameras/ir/clip.bin', Buffer.alloc(12 * MiB, 7));
    // 4 MB/s: the first chunk (4 MiB, sent alone to measure the link) takes about a second.
    h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 4_000_000 });
    const seen: number[] = [];
    let passing = true;
    const pass = h.engine.runPassNow().finally(() => (passing = false));
    const deadline = Date.now() + 60_000;
    while (passing && Date.now() < deadline) {
      const t = h.engine
        .getStatus()
        .transfers.find((x) => x.leg === 'upload' && x.rel === 'cameras/ir/clip.bin');
      if (t && seen.at(-1) !== t.bytesDone) seen.push(t.bytesDone);
      await new Promise((r) => setTimeout(r, 10));
    }
    const r = await pass;
    assert.equal(r.done, 1);
    assert.equal(h.emulator.getFile('/RDL/site1/cameras/ir/clip.bin')?.size, 12 * MiB);
    assert.ok(seen.length > 0, 'the upload was listed while it ran');
    assert.equal(seen[0], 0, `listed before its first chunk landed: ${seen.join(', ')}`);
    assert.ok(
      seen.some((b) => b > 0 && b < 4 * MiB),
      `bytes moving within the first chunk: ${seen.join(', ')}`,
    );
  });
});

test('on a slow link a large upload moves within each piece it reads, told a few times a second at most', async () => {
  await withHarness({ settings: { chunkSizeMiB: 4 } }, async (h) => {
    const size = 8 * MiB;
    await h.drop('cameras/ir/slow.bin', Buffer.alloc(size, 3));
    // 1 MB/s: each 1 MiB piece read from the file takes a second on the wire.
    h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 1_000_000 });
    const seen: number[] = [];
    let passing = true;
    const startedMs = Date.now();
    const pass = h.engine.runPassNow().finally(() => (passing = false));
    while (passing && Date.now() < startedMs + 60_000) {
      const t = h.engine
        .getStatus()
        .transfers.find((x) => x.leg === 'upload' && x.rel === 'cameras/ir/slow.bin');
      if (t && seen.at(-1) !== t.bytesDone) seen.push(t.bytesDone);
      await new Promise((r) => setTimeout(r, 5));
    }
    const elapsedMs = Date.now() - startedMs;
    assert.equal((await pass).done, 1);
    const list = seen.map((b) => (b / MiB).toFixed(2)).join(', ');
    // Before: whole pieces only (0, 1, 2, 3 MiB ... each after a second or more of nothing).
    assert.ok(
      seen.some((b) => b > 0 && b < size && b % MiB !== 0),
      `bytes moving within a piece: ${list}`,
    );
    // Not a flood: one word per PROGRESS_EVERY_MS (250 ms), and one per chunk landed, at most.
    const most = Math.ceil(elapsedMs / 250) + 2 + 2;
    assert.ok(seen.length <= most, `${seen.length} progress values in ${elapsedMs} ms: ${list}`);
  });
});
