// A large upload over a slow link that resets (a hub on flaky WiFi): each reset costs at most
// one chunk sent again, because on a slow link chunks are sized to the link and go one at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APPENDS_IN_FLIGHT,
  CHUNK_SECONDS_TARGET,
  LinkPace,
  PIPELINE_BELOW_SECONDS,
} from '../../src/engine/dropbox/session-upload.js';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import { makeRig, MapSessionStore, MiB, pattern } from './helpers.js';

test('link pace: a lone 4 MiB chunk first; then a fast link gets full chunks two at a time, a slow one link-sized chunks one at a time', () => {
  let now = 0;
  const fast = new LinkPace(16 * MiB, () => now);
  assert.equal(fast.chunkBytes(), 4 * MiB, 'first chunk: the smallest a concurrent session takes');
  assert.equal(fast.appendsInFlight(), 1, 'and alone, before the link is known');
  fast.sent();
  now += 400; // 4 MiB in 0.4 s: about 100 Mbit/s
  fast.stored(4 * MiB);
  assert.equal(fast.appendsInFlight(), APPENDS_IN_FLIGHT);
  assert.equal(fast.chunkBytes(1), 16 * MiB, 'beside an append in flight: a full chunk');
  assert.equal(
    fast.chunkBytes(0),
    8 * MiB,
    'a pipeline starting from nothing: half a chunk first, so the pair ends half a chunk apart',
  );

  now = 0;
  const slow = new LinkPace(16 * MiB, () => now);
  slow.sent();
  now += 33_500; // 4 MiB in 33.5 s: 1 Mbit/s
  slow.stored(4 * MiB);
  assert.equal(slow.chunkBytes(), 4 * MiB, 'a chunk takes about 30 s, not 134 s');
  assert.equal(slow.appendsInFlight(), 1);

  now = 0;
  const middling = new LinkPace(16 * MiB, () => now);
  middling.sent();
  now += 4_000; // 1 MiB/s
  middling.stored(4 * MiB);
  const chunk = middling.chunkBytes();
  assert.ok(chunk % (4 * MiB) === 0 && chunk <= 16 * MiB && chunk >= 4 * MiB);
  assert.ok(chunk / MiB <= CHUNK_SECONDS_TARGET, 'no chunk longer than the target on the wire');
  assert.equal(
    middling.appendsInFlight(),
    chunk / MiB > PIPELINE_BELOW_SECONDS ? 1 : APPENDS_IN_FLIGHT,
  );
});

test('a reset of the link in the middle of a large upload costs at most one chunk sent again', async () => {
  const rig = await makeRig();
  try {
    const size = 28 * MiB;
    const bytes = pattern(size, 21);
    const item = await rig.file('slow/reset.bin', bytes);
    const chunkSize = 12 * MiB;
    // 2 MiB/s: a 12 MiB chunk takes 6 s, so after the first 4 MiB they go one at a time. Two in
    // flight (0-12 and 12-24 MiB) would lose 14 MiB to a reset at 14 MiB, more than a chunk.
    rig.emu.shapeLink({ bytesPerSecond: 2 * MiB });
    rig.emu.resetStats();
    const store = rig.store({ chunkSize, sessions: new MapSessionStore() });
    const upload = store.uploadMany([item]);
    // Reset in the middle of the second chunk (4-16 MiB).
    const deadline = Date.now() + 60_000;
    while ((rig.emu.stats()['received-bytes'] ?? 0) < 14 * MiB && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const cut = rig.emu.resetLink();
    assert.ok(cut >= 1, 'an upload was on the wire when the link reset');
    const [out] = await upload;
    assert.ok(out?.ok, out?.ok === false ? out.error.message : 'no outcome');
    assert.equal(rig.emu.getFile('/RDL/site1/slow/reset.bin')?.contentHash, contentHashOf(bytes));
    const s = rig.emu.stats();
    const resent = (s['received-bytes'] ?? 0) - size;
    assert.equal(s['link-resets'], 1);
    assert.ok(resent > 0, 'the cut chunk was sent again');
    assert.ok(resent <= chunkSize, `${(resent / MiB).toFixed(2)} MiB sent again for one reset`);
  } finally {
    await rig.close();
  }
});
