// Content hash vectors from Dropbox's reference page and rclone (all-'A' data), plus the
// resumable state: continuing from saved block digests gives the same hash as one pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BLOCK_SIZE,
  ContentHasher,
  contentHashOf,
  hashFile,
  hasherAt,
} from '../../src/engine/dropbox/content-hash.js';

const vectors: Array<[number, string]> = [
  [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  [1, '1cd6ef71e6e0ff46ad2609d403dc3fee244417089aa4461245a4e4fe23a55e42'],
  [4_194_303, '647c8627d70f7a7d13ce96b1e7710a771a55d41a62c3da490d92e56044d311fa'],
  [4_194_304, 'd4d63bac5b866c71620185392a8a6218ac1092454a2d16f820363b69852befa3'],
  [4_194_305, '8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92'],
  [8_388_608, 'e08b3ba1f538804075c5f939accdeaa9efc7b5c01865c94a41e78ca6550a88e7'],
];

const allA = (n: number): Buffer => Buffer.alloc(n, 'A');

test('content hash matches the published vectors in one update', () => {
  for (const [size, expected] of vectors) {
    assert.equal(contentHashOf(allA(size)), expected, `size ${size}`);
  }
});

test('content hash does not depend on how the bytes are split into updates', () => {
  const data = allA(8_388_608);
  const h = new ContentHasher();
  // Odd piece sizes straddle block boundaries.
  for (let pos = 0; pos < data.length; pos += 1_000_003)
    h.update(data.subarray(pos, pos + 1_000_003));
  assert.equal(h.digest(), vectors[5]![1]);
  assert.equal(h.bytesHashed, data.length);
});

test('digest() can be read mid-stream without disturbing the running hash', () => {
  const h = new ContentHasher().update(allA(4_194_303));
  assert.equal(h.digest(), vectors[2]![1]);
  h.update(allA(2));
  assert.equal(h.digest(), vectors[4]![1]);
});

test('a hasher resumed from saved block digests finishes with the same hash', () => {
  const first = new ContentHasher().update(allA(BLOCK_SIZE + 10));
  const saved = first.completeBlockDigests();
  assert.equal(saved.length, 1);
  const resumed = new ContentHasher(saved);
  assert.equal(resumed.bytesHashed, BLOCK_SIZE);
  resumed.update(allA(BLOCK_SIZE));
  assert.equal(resumed.digest(), vectors[5]![1]);
});

test('a saved digest that is not SHA-256 hex is refused', () => {
  assert.throws(() => new ContentHasher(['zz']), /not a SHA-256 hex digest/);
});

test('hashFile streams a file and matches the in-memory hash; hasherAt rebuilds mid-file state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rdl-hash-'));
  try {
    const data = Buffer.alloc(BLOCK_SIZE * 2 + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
    const path = join(dir, 'f.bin');
    await writeFile(path, data);
    const expected = contentHashOf(data);
    assert.equal(await hashFile(path), expected);

    const full = new ContentHasher().update(data);
    const digests = full.completeBlockDigests();
    // Resume at an unaligned offset: one block from the digests, the rest re-read.
    const offset = BLOCK_SIZE + 777;
    const h = await hasherAt(path, digests, offset);
    assert.equal(h.bytesHashed, offset);
    h.update(data.subarray(offset));
    assert.equal(h.digest(), expected);
    // No saved digests at all: everything up to the offset is re-read.
    const h2 = await hasherAt(path, [], offset);
    h2.update(data.subarray(offset));
    assert.equal(h2.digest(), expected);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hashFile of an empty file is SHA-256 of nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rdl-hash-'));
  try {
    await writeFile(join(dir, 'e'), '');
    assert.equal(await hashFile(join(dir, 'e')), vectors[0]![1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('absorb() takes over a chunk hasher at a block boundary and falls back to update() elsewhere', () => {
  const data = allA(8_388_608);
  const aligned = new ContentHasher().update(data.subarray(0, BLOCK_SIZE));
  const chunk = new ContentHasher().update(data.subarray(BLOCK_SIZE));
  aligned.absorb(chunk, data.subarray(BLOCK_SIZE));
  assert.equal(aligned.digest(), vectors[5]![1]);
  assert.equal(aligned.completeBlockDigests().length, 2);

  const unaligned = new ContentHasher().update(data.subarray(0, 10));
  const rest = data.subarray(10);
  unaligned.absorb(new ContentHasher().update(rest), rest);
  assert.equal(unaligned.digest(), vectors[5]![1]);

  // A partial last block carries over too.
  const h = new ContentHasher().update(allA(BLOCK_SIZE));
  h.absorb(new ContentHasher().update(allA(1)), allA(1));
  assert.equal(h.digest(), vectors[4]![1]);
});
