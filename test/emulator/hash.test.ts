import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentHasher, dropboxContentHash } from '../../tools/emulator/hash.js';

// Section 5 of dropbox-api-facts.md (rclone's vectors, all-'A' data).
const VECTORS: [number, string][] = [
  [0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  [1, '1cd6ef71e6e0ff46ad2609d403dc3fee244417089aa4461245a4e4fe23a55e42'],
  [4194303, '647c8627d70f7a7d13ce96b1e7710a771a55d41a62c3da490d92e56044d311fa'],
  [4194304, 'd4d63bac5b866c71620185392a8a6218ac1092454a2d16f820363b69852befa3'],
  [4194305, '8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92'],
  [8388608, 'e08b3ba1f538804075c5f939accdeaa9efc7b5c01865c94a41e78ca6550a88e7'],
];

test('content hash matches the published vectors in one piece', () => {
  for (const [size, expected] of VECTORS) {
    assert.equal(dropboxContentHash(Buffer.alloc(size, 'A')), expected, `${size} bytes`);
  }
});

test('content hash is the same when fed in odd-sized pieces across block boundaries', () => {
  for (const [size, expected] of VECTORS) {
    const data = Buffer.alloc(size, 'A');
    const hasher = new ContentHasher();
    for (let pos = 0; pos < size; pos += 1_000_003)
      hasher.update(data.subarray(pos, pos + 1_000_003));
    assert.equal(hasher.digest(), expected, `${size} bytes in pieces`);
  }
});

test('a copied hasher continues independently of the original', () => {
  const a = new ContentHasher().update(Buffer.alloc(4194303, 'A'));
  const b = a.copy();
  b.update(Buffer.from('AA'));
  assert.equal(a.digest(), VECTORS[2]![1]);
  assert.equal(b.digest(), VECTORS[4]![1]);
});
