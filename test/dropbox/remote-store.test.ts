// DropboxRemoteStore against the emulator through the real SDK: sizes around the 4 MiB block and
// chunk boundaries, batching, paths, idempotent re-uploads and both conflict policies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import type { UploadOutcome } from '../../src/engine/ports.js';
import { makeRig, MiB, pattern, type Rig } from './helpers.js';
import { TAIL_BATCH_ENTRIES } from '../../src/engine/dropbox/small-batch.js';

let rig: Rig;
before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});

const delta = (before: Record<string, number>, route: string): number =>
  (rig.emu.stats()[route] ?? 0) - (before[route] ?? 0);

function ok(o: UploadOutcome | undefined): Extract<UploadOutcome, { ok: true }> {
  assert.ok(o, 'missing outcome');
  if (!o.ok) assert.fail(`${o.rel} failed: ${o.error.code} ${o.error.message}`);
  return o;
}

test('files around the block and chunk sizes land whole, with matching hashes', async () => {
  const sizes: Record<string, number> = {
    'sizes/empty.csv': 0,
    'sizes/small.csv': 100,
    'sizes/four-minus.bin': 4 * MiB - 1,
    'sizes/four.bin': 4 * MiB,
    'sizes/four-plus.bin': 4 * MiB + 1,
    'sizes/multi.bin': 12 * MiB + 12_345,
  };
  const data = new Map<string, Buffer>();
  const items = [];
  for (const [rel, size] of Object.entries(sizes)) {
    const bytes = pattern(size, size + 7);
    data.set(rel, bytes);
    items.push(await rig.file(rel, bytes));
  }
  const s0 = rig.emu.stats();
  const progress: Array<{ rel: string; bytesSent: number }> = [];
  const out = await rig.store().uploadMany(items, { onProgress: (p) => progress.push(p) });
  assert.equal(out.length, items.length);
  for (const [i, item] of items.entries()) {
    const o = ok(out[i]);
    const bytes = data.get(item.rel)!;
    assert.equal(o.rel, item.rel);
    assert.equal(o.remotePath, `/RDL/site1/${item.rel}`);
    assert.equal(o.size, bytes.length);
    assert.equal(o.contentHash, contentHashOf(bytes));
    assert.equal(o.alreadyPresent, false);
    const remote = rig.emu.getFile(o.remotePath);
    assert.ok(remote, `${o.remotePath} missing`);
    assert.equal(remote.size, bytes.length);
    assert.equal(remote.contentHash, contentHashOf(bytes));
    assert.equal(remote.rev, o.rev);
  }
  assert.deepEqual(
    await rig.emu.readFile('/RDL/site1/sizes/small.csv'),
    data.get('sizes/small.csv'),
  );
  // 4 small files: sessions from one start_batch, three append_batch bodies of at most 4 MiB
  // ({empty, 100 B}, {4MiB-1}, {4MiB}), one batch commit; two large ones in concurrent
  // sessions (an empty start, then every chunk an append): 4MiB+1 = 2 chunks, 12MiB+ = 4.
  // All before the last file was taken in one commit; the last uploads' (8 requests of about
  // 50) in commits of at least TAIL_BATCH_ENTRIES (append-batch.test.ts checks the bound exactly).
  const commits = delta(s0, 'files/upload_session/finish_batch_v2');
  assert.ok(commits >= 1 && commits <= 2 + Math.floor(400 / TAIL_BATCH_ENTRIES), `${commits}`);
  assert.equal(delta(s0, 'files/upload_session/start_batch'), 1);
  assert.equal(delta(s0, 'files/upload_session/append_batch'), 3);
  assert.equal(delta(s0, 'files/upload_session/start'), 2);
  assert.equal(delta(s0, 'files/upload_session/append_v2'), 2 + 4);
  assert.equal(delta(s0, 'files/upload_session/finish'), 2);
  // Progress reaches the full size of each file.
  for (const item of items) {
    const last = progress.filter((p) => p.rel === item.rel).at(-1);
    assert.equal(last?.bytesSent, sizes[item.rel]);
  }
  assert.equal(rig.sessions.map.size, 0, 'no session state left behind');
});

test('1000 small files: one start_batch, append_batch within the header cap, a few large commits', async () => {
  const items = [];
  for (let i = 0; i < 1000; i++)
    items.push(await rig.file(`many/f${String(i).padStart(4, '0')}.csv`, `row,${i}\n`));
  const s0 = rig.emu.stats();
  const out = await rig.store({ concurrency: 16 }).uploadMany(items);
  assert.equal(out.filter((o) => o.ok).length, 1000);
  // All before the last file was taken in one commit; the last uploads' (8 requests of about
  // 50) in commits of at least TAIL_BATCH_ENTRIES (append-batch.test.ts checks the bound exactly).
  const commits = delta(s0, 'files/upload_session/finish_batch_v2');
  assert.ok(commits >= 1 && commits <= 2 + Math.floor(400 / TAIL_BATCH_ENTRIES), `${commits}`);
  assert.equal(delta(s0, 'files/upload_session/start_batch'), 1);
  // Each request carries as many cursors as fit in a 7 KiB header: about 50 of them.
  const appends = delta(s0, 'files/upload_session/append_batch');
  assert.ok(appends >= 1000 / 60 && appends <= 1000 / 40, `${appends} append_batch calls`);
  assert.equal(delta(s0, 'files/upload_session/start'), 0);
  assert.equal(delta(s0, 'files/upload_session/finish'), 0);
  assert.equal(
    rig.emu.listFiles().filter((f) => f.pathDisplay.startsWith('/RDL/site1/many/')).length,
    1000,
  );
  assert.deepEqual(await rig.emu.readFile('/RDL/site1/many/f0999.csv'), Buffer.from('row,999\n'));
});

test('Unicode, spaces and deep folders arrive at the same relative path', async () => {
  const rels = [
    'Straße/naïve ☃ file.csv',
    'a b/c d/e f/g h/i j/deep name.csv',
    'emoji/😀 data.txt',
    'UPPER/Mixed Case.CSV',
  ];
  const items = [];
  for (const rel of rels) items.push(await rig.file(rel, `content of ${rel}`));
  const out = await rig.store().uploadMany(items);
  for (const [i, rel] of rels.entries()) {
    const o = ok(out[i]);
    assert.equal(o.remotePath, `/RDL/site1/${rel}`);
    assert.equal(rig.emu.getFile(`/RDL/site1/${rel}`)?.pathDisplay, `/RDL/site1/${rel}`);
  }
});

test('an empty remote root puts files at the top of the app folder', async () => {
  const item = await rig.file('rootless/top.csv', 'x');
  const out = await rig.store({ remoteRoot: '' }).uploadMany([item]);
  assert.equal(ok(out[0]).remotePath, '/rootless/top.csv');
});

test('uploading identical content again is a no-op: same rev, alreadyPresent, no copies', async () => {
  const small = await rig.file('again/small.csv', 'same bytes');
  const large = await rig.file('again/large.bin', pattern(9 * MiB, 3));
  const store = rig.store();
  const first = await store.uploadMany([small, large]);
  const revs = first.map((o) => ok(o).rev);
  const second = await rig.store().uploadMany([small, large]);
  for (const [i, o] of second.entries()) {
    const s = ok(o);
    assert.equal(s.alreadyPresent, true, s.rel);
    assert.equal(s.rev, revs[i]);
    assert.equal(rig.emu.getFile(s.remotePath)?.rev, revs[i]);
  }
  const names = rig.emu
    .listFiles()
    .map((f) => f.pathDisplay)
    .filter((p) => p.includes('/again/'));
  assert.deepEqual(names, ['/RDL/site1/again/large.bin', '/RDL/site1/again/small.csv']);
});

test('conflict with keep-both: "x (1).csv", and a second run does not make "x (2).csv"', async () => {
  rig.emu.putFile('/RDL/site1/conf/x.csv', Buffer.from('someone else'));
  rig.emu.putFile('/RDL/site1/conf/big.bin', Buffer.from('someone else, big'));
  const items = [
    await rig.file('conf/x.csv', 'ours'),
    await rig.file('conf/big.bin', pattern(5 * MiB, 9)),
  ];
  for (let run = 0; run < 2; run++) {
    const out = await rig.store({ conflictPolicy: 'rename' }).uploadMany(items);
    assert.equal(ok(out[0]).remotePath, '/RDL/site1/conf/x (1).csv');
    assert.equal(ok(out[1]).remotePath, '/RDL/site1/conf/big (1).bin');
    assert.equal(ok(out[0]).alreadyPresent, run === 1);
  }
  assert.deepEqual(await rig.emu.readFile('/RDL/site1/conf/x.csv'), Buffer.from('someone else'));
  assert.deepEqual(await rig.emu.readFile('/RDL/site1/conf/x (1).csv'), Buffer.from('ours'));
  assert.equal(rig.emu.getFile('/RDL/site1/conf/x (2).csv'), undefined);
  assert.equal(rig.emu.getFile('/RDL/site1/conf/big (2).bin'), undefined);
});

test('conflict with overwrite replaces the other content once, then is a no-op', async () => {
  rig.emu.putFile('/RDL/site1/over/y.csv', Buffer.from('old'));
  const item = await rig.file('over/y.csv', 'new content');
  const first = ok((await rig.store({ conflictPolicy: 'overwrite' }).uploadMany([item]))[0]);
  assert.equal(first.remotePath, '/RDL/site1/over/y.csv');
  assert.deepEqual(await rig.emu.readFile('/RDL/site1/over/y.csv'), Buffer.from('new content'));
  const second = ok((await rig.store({ conflictPolicy: 'overwrite' }).uploadMany([item]))[0]);
  assert.equal(second.alreadyPresent, true);
  assert.equal(second.rev, first.rev);
  assert.equal(rig.emu.getFile('/RDL/site1/over/y (1).csv'), undefined);
});

test('a vanished local file fails alone; the others upload', async () => {
  const gone = await rig.file('vanish/gone.csv', 'soon gone');
  const big = await rig.file('vanish/gone-big.bin', pattern(5 * MiB, 4));
  const stays = await rig.file('vanish/stays.csv', 'here');
  await rm(gone.localPath);
  await rm(big.localPath);
  const out = await rig.store().uploadMany([gone, stays, big]);
  assert.equal(out[0]?.ok, false);
  assert.equal(out[0]?.ok === false && out[0].error.code, 'file-vanished');
  assert.equal(out[2]?.ok === false && out[2].error.code, 'file-vanished');
  assert.match(out[0]?.ok === false ? out[0].error.message : '', /vanish\/gone\.csv/);
  ok(out[1]);
});

test('account() reports the account and its space usage', async () => {
  const info = await rig.store().account();
  assert.match(info.accountId, /^dbid:/);
  assert.ok(info.allocatedBytes > 0);
  assert.ok(info.usedBytes > 0, 'earlier tests stored bytes');
  assert.equal(typeof info.email, 'string');
});
