// upload_session/append_batch through the real SDK: the body split by entry lengths, per-entry
// failures that leave the other entries applied, whole-request refusals, and a lost answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { files } from 'dropbox';
import { DEFAULT_HEADER_LIMIT_BYTES, dropboxContentHash } from '../../tools/emulator/index.js';

import { harness, sdkError, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.emu.close();
});

async function openSessions(n: number): Promise<string[]> {
  const r = await h.dbx.filesUploadSessionStartBatch({ num_sessions: n });
  return r.result.session_ids;
}

function entry(id: string, offset: number, bytes: Buffer): files.UploadSessionAppendBatchArgEntry {
  return { cursor: { session_id: id, offset }, length: bytes.length, close: true };
}

async function commitAll(ids: string[], sizes: number[], dir: string) {
  const r = await h.dbx.filesUploadSessionFinishBatchV2({
    entries: ids.map((id, i) => ({
      cursor: { session_id: id, offset: sizes[i] ?? 0 },
      commit: { path: `${dir}/f${i}.bin` },
    })),
  });
  return r.result.entries;
}

async function download(path: string): Promise<Buffer> {
  const r = await h.dbx.filesDownload({ path });
  return (r.result as unknown as { fileBinary: Buffer }).fileBinary;
}

test('start_batch opens sessions; append_batch splits one body among them in order', async () => {
  const ids = await openSessions(3);
  assert.equal(ids.length, 3);
  const bodies = [Buffer.from('first'), Buffer.alloc(0), Buffer.from('third file bytes')];
  const all = Buffer.concat(bodies);
  h.emu.resetStats();
  const res = await h.dbx.filesUploadSessionAppendBatch({
    entries: ids.map((id, i) => entry(id, 0, bodies[i] ?? Buffer.alloc(0))),
    content_hash: dropboxContentHash(all),
    contents: all,
  });
  assert.deepEqual(res.result.entries, [
    { '.tag': 'success' },
    { '.tag': 'success' },
    { '.tag': 'success' },
  ]);
  assert.equal(h.emu.stats()['files/upload_session/append_batch'], 1);
  const committed = await commitAll(
    ids,
    bodies.map((b) => b.length),
    '/ab/ok',
  );
  committed.forEach((r, i) => {
    assert.equal(r['.tag'], 'success');
    if (r['.tag'] === 'success') assert.equal(r.content_hash, dropboxContentHash(bodies[i]!));
  });
  assert.equal((await download('/ab/ok/f2.bin')).toString(), 'third file bytes');
});

test('per-entry incorrect_offset, closed and not_found fail alone; the other entries apply', async () => {
  const [good, wrongOffset, closed] = await openSessions(3);
  assert.ok(good && wrongOffset && closed);
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: closed, offset: 0 },
    close: true,
    contents: Buffer.from('zz'),
  });
  const parts = [Buffer.from('A'), Buffer.from('BB'), Buffer.from('CCC'), Buffer.from('DDDD')];
  const all = Buffer.concat(parts);
  const res = await h.dbx.filesUploadSessionAppendBatch({
    entries: [
      entry(good, 0, parts[0]!),
      entry(wrongOffset, 7, parts[1]!),
      entry(closed, 2, parts[2]!),
      entry('pid_upload_session:nope', 0, parts[3]!),
    ],
    contents: all,
  });
  assert.deepEqual(res.result.entries, [
    { '.tag': 'success' },
    { '.tag': 'failure', failure: { '.tag': 'incorrect_offset', correct_offset: 0 } },
    { '.tag': 'failure', failure: { '.tag': 'closed' } },
    { '.tag': 'failure', failure: { '.tag': 'not_found' } },
  ]);
  const [committed] = await commitAll([good], [1], '/ab/partial');
  assert.equal(committed?.['.tag'], 'success');
  assert.equal((await download('/ab/partial/f0.bin')).toString(), 'A');
});

test('lengths that do not add up to the body, or a wrong content_hash, apply nothing', async () => {
  const [id] = await openSessions(1);
  assert.ok(id);
  const mismatch = await sdkError(
    h.dbx.filesUploadSessionAppendBatch({
      entries: [{ cursor: { session_id: id, offset: 0 }, length: 3, close: true }],
      contents: Buffer.from('four'),
    }),
  );
  assert.equal(mismatch.status, 409);
  assert.deepEqual(mismatch.error.error, { '.tag': 'length_mismatch' });

  const badHash = await sdkError(
    h.dbx.filesUploadSessionAppendBatch({
      entries: [entry(id, 0, Buffer.from('four'))],
      content_hash: dropboxContentHash(Buffer.from('five')),
      contents: Buffer.from('four'),
    }),
  );
  assert.equal(badHash.status, 409);
  assert.deepEqual(badHash.error.error, { '.tag': 'content_hash_mismatch' });

  // Neither request touched the session: it still takes its bytes at offset 0.
  const ok = await h.dbx.filesUploadSessionAppendBatch({
    entries: [entry(id, 0, Buffer.from('four'))],
    contents: Buffer.from('four'),
  });
  assert.deepEqual(ok.result.entries, [{ '.tag': 'success' }]);
});

test('more than 1000 entries is a 400 naming the limit', async () => {
  const entries = Array.from({ length: 1001 }, () => ({
    cursor: { session_id: 'pid_upload_session:x', offset: 0 },
    length: 0,
    close: true,
  }));
  h.emu.setHeaderLimit(1024 * 1024); // so the entry count, not the header size, is refused
  let err;
  try {
    err = await sdkError<string>(
      h.dbx.filesUploadSessionAppendBatch({ entries, contents: Buffer.alloc(0) }),
    );
  } finally {
    h.emu.setHeaderLimit(DEFAULT_HEADER_LIMIT_BYTES);
  }
  assert.equal(err.status, 400);
  assert.match(String(err.error), /1001 items, more than the maximum of 1000/);
});

test('a replayed closing entry after a lost answer is answered closed, as Dropbox does', async () => {
  const ids = await openSessions(2);
  const parts = [Buffer.from('hello'), Buffer.from('world!!')];
  const all = Buffer.concat(parts);
  const arg = {
    entries: ids.map((id, i) => entry(id, 0, parts[i]!)),
    content_hash: dropboxContentHash(all),
    contents: all,
  };
  h.emu.addFault({ route: 'files/upload_session/append_batch', kind: 'drop_response' });
  await assert.rejects(h.dbx.filesUploadSessionAppendBatch(arg));
  const replay = await h.dbx.filesUploadSessionAppendBatch(arg);
  assert.deepEqual(replay.result.entries, [
    { '.tag': 'failure', failure: { '.tag': 'closed' } },
    { '.tag': 'failure', failure: { '.tag': 'closed' } },
  ]);
  const committed = await commitAll(ids, [5, 7], '/ab/replay');
  assert.deepEqual(
    committed.map((r) => r['.tag'] === 'success' && r.size),
    [5, 7],
  );
  assert.equal((await download('/ab/replay/f1.bin')).toString(), 'world!!');
});

test('a body cut off mid-way applies no entry', async () => {
  const ids = await openSessions(2);
  const all = Buffer.alloc(64 * 1024, 7);
  const arg = {
    entries: ids.map((id) => ({
      cursor: { session_id: id, offset: 0 },
      length: 32 * 1024,
      close: true,
    })),
    contents: all,
  };
  h.emu.addFault({ route: 'files/upload_session/append_batch', kind: 'reset_mid_body' });
  await assert.rejects(h.dbx.filesUploadSessionAppendBatch(arg));
  const again = await h.dbx.filesUploadSessionAppendBatch(arg);
  assert.deepEqual(again.result.entries, [{ '.tag': 'success' }, { '.tag': 'success' }]);
});

test('session ids are as long as real ones (about 71 characters)', async () => {
  const [id] = await openSessions(1);
  assert.ok(id !== undefined && id.length >= 70, `id length ${id?.length}`);
});

for (const refusal of ['431', '400', 'reset'] as const) {
  test(`headers above the limit are refused (${refusal}) before anything is applied`, async () => {
    const ids = await openSessions(40);
    const body = Buffer.alloc(40, 1);
    const arg = {
      entries: ids.map((id) => entry(id, 0, Buffer.alloc(1))),
      content_hash: dropboxContentHash(body),
      contents: body,
    };
    h.emu.setHeaderLimit(2048, refusal);
    h.emu.resetStats();
    try {
      const failure = await h.dbx.filesUploadSessionAppendBatch(arg).then(
        () => assert.fail('a 3 KB header passed a 2 KiB limit'),
        (e: unknown) => e as { status?: number; error?: unknown },
      );
      if (refusal === 'reset') assert.equal(failure.status, undefined, 'no HTTP answer at all');
      else assert.equal(failure.status, Number(refusal));
      if (refusal === '400')
        assert.match(String(failure.error), /Request Header Or Cookie Too Large/);
      assert.equal(h.emu.stats()['refused-headers'], 1);
      // Small enough: the same sessions take the same bytes (nothing was applied before).
      h.emu.setHeaderLimit(64 * 1024, refusal);
      const ok = await h.dbx.filesUploadSessionAppendBatch(arg);
      assert.equal(ok.result.entries.filter((r) => r['.tag'] === 'success').length, 40);
    } finally {
      h.emu.setHeaderLimit(DEFAULT_HEADER_LIMIT_BYTES, '431');
    }
  });
}

test('entries larger than the emulator reads back at once, and ones across its reads, keep their bytes', async () => {
  // 4 MiB is what the emulator reads of a received body at a time: the second entry starts
  // inside the first read and ends in the third; the others sit on either side of a boundary.
  const MiB = 1024 * 1024;
  const sizes = [3 * MiB + 5, 5 * MiB + 7, 11, 4 * MiB, 1];
  const bodies = sizes.map((n, i) => {
    const b = Buffer.alloc(n);
    for (let k = 0; k < n; k += 4096) b[k] = (i * 31 + k / 4096) & 0xff;
    b[n - 1] = i + 1;
    return b;
  });
  const ids = await openSessions(bodies.length);
  const all = Buffer.concat(bodies);
  const res = await h.dbx.filesUploadSessionAppendBatch({
    entries: ids.map((id, i) => entry(id, 0, bodies[i] ?? Buffer.alloc(0))),
    content_hash: dropboxContentHash(all),
    contents: all,
  });
  assert.deepEqual(
    res.result.entries.map((e) => e['.tag']),
    sizes.map(() => 'success'),
  );
  const committed = await commitAll(ids, sizes, '/windows');
  for (const [i, body] of bodies.entries()) {
    const c = committed[i] as files.UploadSessionFinishBatchResultEntrySuccess;
    assert.equal(c['.tag'], 'success');
    assert.equal(c.content_hash, dropboxContentHash(body), `entry ${i}: hash`);
    assert.ok((await download(`/windows/f${i}.bin`)).equals(body), `entry ${i}: bytes`);
  }
});
