// A concurrent upload session holds no chunk whole: each append's body is read from the file
// piece by piece as the socket takes it, into a piece buffer reused only once the socket has the
// piece, and a retried append reads its bytes again: an append that waits for a retry while later
// ones are stored must still send its own bytes when it goes again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { APPENDS_IN_FLIGHT } from '../../src/engine/dropbox/session-upload.js';
import { RangeBodies } from '../../src/engine/dropbox/chunk-reader.js';
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

/** Two pieces in the same memory (small buffers may share one pool: compare where they start). */
function sameMemory(x: Uint8Array, y: Uint8Array): boolean {
  return x.buffer === y.buffer && x.byteOffset === y.byteOffset;
}

test('range bodies: two piece buffers per body being read, each reused once its piece was taken', async () => {
  const rig = await makeRig();
  try {
    const bytes = pattern(10_000, 5);
    const item = await rig.file('pieces.bin', bytes);
    const fh = await open(item.localPath, 'r');
    try {
      const bodies = new RangeBodies(fh, bytes.length, undefined, 1024);
      assert.equal(bodies.body(0, 3000).streamedLength, 3000);
      // Two bodies read side by side (two appends in flight).
      const ia = bodies.body(0, 3000).pieces()[Symbol.asyncIterator]();
      const ib = bodies.body(4096, 5904).pieces()[Symbol.asyncIterator]();
      const a1 = await ia.next();
      const b1 = await ib.next();
      assert.ok(!a1.done && !b1.done);
      assert.ok(Buffer.from(a1.value).equals(bytes.subarray(0, 1024)));
      assert.ok(Buffer.from(b1.value).equals(bytes.subarray(4096, 5120)));
      assert.ok(!sameMemory(a1.value, b1.value), 'each body has buffers of its own');
      // The next piece was read ahead into the body's other buffer while this one was sent.
      const a2 = await ia.next();
      assert.ok(!a2.done);
      assert.ok(!sameMemory(a2.value, a1.value), 'read ahead into the other buffer');
      assert.ok(Buffer.from(a2.value).equals(bytes.subarray(1024, 2048)));
      const a3 = await ia.next();
      assert.ok(!a3.done);
      assert.ok(sameMemory(a3.value, a1.value), 'then the first buffer again, its piece taken');
      assert.ok(Buffer.from(a3.value).equals(bytes.subarray(2048, 3000)));
      assert.equal((await ia.next()).done, true);
      // The finished body gave its buffers back: a third body takes them instead of new ones.
      const ic = bodies.body(8192, 100).pieces()[Symbol.asyncIterator]();
      const c1 = await ic.next();
      assert.ok(!c1.done);
      assert.ok(sameMemory(c1.value, a1.value) || sameMemory(c1.value, a2.value));
      assert.ok(Buffer.from(c1.value).equals(bytes.subarray(8192, 8292)));
      assert.equal(bodies.allocated, 4, 'two buffers for each of the two bodies at once');
      await ic.return?.(undefined);
      await ib.return?.(undefined);
      await bodies.close();
      await assert.rejects(
        async () => bodies.body(0, 10).pieces()[Symbol.asyncIterator]().next(),
        /upload has ended/,
      );
      assert.equal(APPENDS_IN_FLIGHT, 2);
    } finally {
      await fh.close();
    }
  } finally {
    await rig.close();
  }
});
