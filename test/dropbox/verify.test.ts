// Verification by content hash. The emulator always stores what it receives, so to see a wrong
// hash come back, a wrapper around the real fetch rewrites content_hash in commit answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { nodeHttpFetch } from '../../src/engine/dropbox/http-fetch.js';
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
