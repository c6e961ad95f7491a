// Verification by content hash. The emulator always stores what it receives, so to see a wrong
// hash come back, a wrapper around the real fetch rewrites content_hash in commit answers, or
// damages a body on its way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import { BodyParts, nodeHttpFetch } from '../../src/engine/net/http-fetch.js';
import { DropboxRemoteStore } from '../../src/engine/dropbox/remote-store.js';
import { FAST_RETRY, makeRig, MapSessionStore, MiB, pattern, type Rig } from './helpers.js';

let rig: Rig;
before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});

const WRONG = '0'.repeat(64);

/** Real fetch whose commit answers claim other bytes than were stored: once per file, or always. */
function lyingFetch(mode: 'once-per-file' | 'always'): typeof fetch {
  const lied = new Set<string>();
  const lie = (m: { path_lower?: string; content_hash?: string }): void => {
    if (m.content_hash === undefined || m.path_lower === undefined) return;
    if (mode === 'once-per-file' && lied.has(m.path_lower)) return;
    lied.add(m.path_lower);
    m.content_hash = WRONG;
  };
  return async (input, init) => {
    const res = await nodeHttpFetch(input, init);
    if (!res.ok || !/upload_session\/finish(_batch_v2)?$/.test(String(input))) return res;
    const body = (await res.json()) as { entries?: object[] } & object;
    for (const m of body.entries ?? [body]) lie(m);
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
  };
}

function storeWith(fetchImpl: typeof fetch): DropboxRemoteStore {
  return new DropboxRemoteStore({
    connection: createDropboxConnection({
      appKey: rig.emu.appKey,
      refreshToken: rig.refreshToken,
      endpoint: rig.emu.url,
      fetchImpl,
    }),
    remoteRoot: '/verify',
    chunkSize: 4 * MiB,
    concurrency: 2,
    conflictPolicy: 'rename',
    sessions: new MapSessionStore(),
    retry: FAST_RETRY,
  });
}

test('one wrong hash in a commit answer: the file is sent again and replaces that revision', async () => {
  const small = await rig.file('v1/small.csv', 'abc');
  const big = await rig.file('v1/big.bin', pattern(5 * MiB, 21));
  rig.emu.resetStats();
  const out = await storeWith(lyingFetch('once-per-file')).uploadMany([small, big]);
  // big: its own finish + a replacing one; small: batch commit + a replacing finish.
  assert.equal(rig.emu.stats()['files/upload_session/finish'], 3);
  for (const o of out) {
    assert.ok(o.ok, o.ok ? '' : o.error.message);
    assert.equal(o.remotePath, `/verify/${o.rel}`, 'replaced in place, no keep-both copy');
    assert.equal(rig.emu.getFile(o.remotePath)?.rev, o.rev);
  }
  assert.deepEqual(
    rig.emu
      .listFiles()
      .map((f) => f.pathDisplay)
      .filter((p) => p.startsWith('/verify/v1/')),
    ['/verify/v1/big.bin', '/verify/v1/small.csv'],
  );
});

test('wrong hashes every time: the file fails alone with hash-mismatch', async () => {
  const item = await rig.file('v2/bad.csv', 'never verified');
  const [o] = await storeWith(lyingFetch('always')).uploadMany([item]);
  assert.equal(o?.ok, false);
  assert.equal(o?.ok === false && o.error.code, 'hash-mismatch');
  assert.equal(o?.ok === false && o.error.kind, 'file-failed');
  assert.match(o?.ok === false ? o.error.message : '', /v2\/bad\.csv/);
});

/** Real fetch that damages one byte of the second file in the first append_batch body it sends. */
function damagingFetch(): { fetch: typeof fetch; damaged: () => boolean } {
  let damaged = false;
  const fetchImpl: typeof fetch = (input, init) => {
    const body = init?.body as unknown;
    if (!damaged && /append_batch$/.test(String(input)) && body instanceof BodyParts) {
      damaged = true;
      // A damaged copy: the file's own buffer stays as it was read and hashed.
      const parts = [...body.parts];
      const bad = Buffer.from(parts[1]!);
      bad[0] = bad[0]! ^ 0xff;
      parts[1] = bad;
      return nodeHttpFetch(input, { ...init, body: new BodyParts(parts) as never });
    }
    return nodeHttpFetch(input, init);
  };
  return { fetch: fetchImpl, damaged: () => damaged };
}

test('an append_batch body damaged on the way: that file is found at its commit and replaced in place with the right bytes', async () => {
  const items = [];
  for (let i = 0; i < 5; i++) items.push(await rig.file(`v3/f${i}.csv`, pattern(3000, 40 + i)));
  rig.emu.resetStats();
  const damaging = damagingFetch();
  const out = await storeWith(damaging.fetch).uploadMany(items);
  assert.ok(damaging.damaged(), 'the body was damaged');
  assert.equal(rig.emu.stats()['files/upload_session/append_batch'], 1);
  // The damaged file alone: a replacing upload and its own commit.
  assert.equal(rig.emu.stats()['files/upload_session/finish'], 1);
  for (const [i, o] of out.entries()) {
    assert.ok(o.ok, o.ok ? '' : o.error.message);
    assert.equal(o.remotePath, `/verify/v3/f${i}.csv`, 'replaced in place, no keep-both copy');
    const landed = rig.emu.getFile(o.remotePath);
    assert.equal(landed?.contentHash, contentHashOf(pattern(3000, 40 + i)), o.rel);
    assert.equal(landed?.rev, o.rev);
  }
  assert.equal(
    rig.emu.listFiles().filter((f) => f.pathDisplay.startsWith('/verify/v3/')).length,
    5,
  );
});
