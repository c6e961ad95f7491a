// A concurrent upload streams each append's body from the file (no chunk held whole), with the
// content_hash computed ahead: what happens when the file does not hold what was hashed. Real
// SDK over real HTTP to the emulator, which checks every body against its content_hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, truncate } from 'node:fs/promises';
import { makeRig, MapSessionStore, MiB, pattern } from './helpers.js';

async function waitForBytes(
  rig: Awaited<ReturnType<typeof makeRig>>,
  bytes: number,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((rig.emu.stats()['received-bytes'] ?? 0) < bytes) {
    if (Date.now() > deadline) throw new Error(`fewer than ${bytes} bytes arrived in 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a file changed after it was hashed and before it was sent fails alone as changed, nothing stored', async () => {
  const rig = await makeRig();
  try {
    const size = 24 * MiB;
    const item = await rig.file('changing/big.bin', pattern(size, 3));
    const other = await rig.file('changing/small.csv', 'a,b\n1,2\n');
    // 2 MiB/s: the first (lone) 4 MiB chunk takes 2 s, while the blocks up to 20 MiB are hashed
    // ahead at once; bytes at 12 MiB are changed then, before their chunk is read to be sent.
    rig.emu.shapeLink({ bytesPerSecond: 2 * MiB });
    const store = rig.store({ chunkSize: 8 * MiB, sessions: new MapSessionStore() });
    const upload = store.uploadMany([item, other]);
    await waitForBytes(rig, 1 * MiB);
    const fh = await open(item.localPath, 'r+');
    try {
      await fh.write(Buffer.alloc(1000, 0xee), 0, 1000, 12 * MiB);
    } finally {
      await fh.close();
    }
    const outs = await upload;
    const big = outs.find((o) => o.rel === item.rel);
    assert.ok(big && !big.ok, 'the changed file did not upload');
    assert.equal(big.error.code, 'hash-mismatch');
    assert.equal(big.error.kind, 'file-failed');
    assert.match(big.error.message, /changed while it was being uploaded/);
    assert.equal(rig.emu.getFile('/RDL/site1/changing/big.bin'), undefined);
    const small = outs.find((o) => o.rel === other.rel);
    assert.ok(small?.ok, 'the other file went up');
  } finally {
    await rig.close();
  }
});

test('a file cut short while it is sent fails alone as unreadable, not as a network failure', async () => {
  const rig = await makeRig();
  try {
    const size = 24 * MiB;
    const item = await rig.file('shrinking/big.bin', pattern(size, 4));
    rig.emu.shapeLink({ bytesPerSecond: 2 * MiB });
    const store = rig.store({ chunkSize: 8 * MiB, sessions: new MapSessionStore() });
    const upload = store.uploadMany([item]);
    await waitForBytes(rig, 1 * MiB);
    await truncate(item.localPath, 6 * MiB);
    const [out] = await upload;
    assert.ok(out && !out.ok, 'the cut file did not upload');
    assert.equal(out.error.kind, 'file-failed');
    assert.equal(out.error.code, 'file-unreadable');
    assert.match(out.error.message, /became shorter while it was being sent/);
    assert.equal(rig.emu.getFile('/RDL/site1/shrinking/big.bin'), undefined);
  } finally {
    await rig.close();
  }
});
