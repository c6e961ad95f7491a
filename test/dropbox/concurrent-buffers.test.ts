// A concurrent upload session holds one chunk buffer per append in flight, and a buffer is reused
// only once its append has settled, whatever order the answers come in: an append that waits for
// a retry while later ones are stored must still send its own bytes when it goes again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkBuffers, APPENDS_IN_FLIGHT } from '../../src/engine/dropbox/session-upload.js';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import { makeRig, MapSessionStore, MiB, pattern } from './helpers.js';

test('an append retried after later appends were stored still sends its own bytes', async () => {
  const rig = await makeRig();
  try {
    const size = 72 * MiB + 123;
    const bytes = pattern(size, 33);
    const item = await rig.file('big/out-of-order.bin', bytes);
    // The second append (the first of the pipelined pair) answers 503 and is retried after a
    // second; meanwhile its partner and the chunks after it go through and are stored, so their
    // buffers are refilled with later chunks while the retried one is still waiting.
    rig.emu.addFault({
      route: 'files/upload_session/append_v2',
      kind: 'server_error',
      status: 503,
      afterCalls: 1,
      retryAfterSeconds: 1,
    });
    rig.emu.resetStats();
    const store = rig.store({ chunkSize: 8 * MiB, sessions: new MapSessionStore() });
    const [out] = await store.uploadMany([item]);
    assert.ok(out?.ok, out?.ok === false ? out.error.message : 'no outcome');
    const stored = rig.emu.getFile('/RDL/site1/big/out-of-order.bin');
    assert.equal(stored?.size, size);
    assert.equal(stored?.contentHash, contentHashOf(bytes));
    const appends = rig.emu.stats()['files/upload_session/append_v2'] ?? 0;
    assert.ok(appends >= 10, `the file went up in many appends (${appends}), one of them twice`);
  } finally {
    await rig.close();
  }
});

test('chunk buffers: allocated on first need, reused once given back', () => {
  const pool = new ChunkBuffers(1024);
  const a = pool.take();
  const b = pool.take();
  assert.notEqual(a, b);
  assert.equal(pool.allocated, 2);
  pool.give(a);
  assert.equal(pool.take(), a, 'a returned buffer is used again');
  assert.equal(pool.allocated, 2, 'no third buffer for two appends in flight');
  assert.equal(APPENDS_IN_FLIGHT, 2);
});
