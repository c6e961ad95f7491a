// Upload sessions: offsets and replay, lifecycle errors, batches, concurrent sessions, limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { harness, rawPost, sdkError, type Harness } from './helpers.js';
import type { DropboxResponseError } from 'dropbox';

let h: Harness;
let clock = Date.now();
before(async () => {
  h = await harness({ now: () => clock });
});
after(async () => {
  await h.emu.close();
});

const MiB4 = 4 * 1024 * 1024;

async function openSession(first: string, close = false): Promise<string> {
  const r = await h.dbx.filesUploadSessionStart({ contents: Buffer.from(first), close });
  return r.result.session_id;
}

test('a wrong offset is incorrect_offset with correct_offset; a replayed chunk reports offset+length', async () => {
  const id = await openSession('abc');
  const wrong = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 5 },
      contents: Buffer.from('x'),
    }),
  );
  assert.equal(wrong.status, 409);
  assert.deepEqual(wrong.error.error, { '.tag': 'incorrect_offset', correct_offset: 3 });
  assert.match(wrong.error.error_summary, /^incorrect_offset\/\.{0,3}$/);

  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: 3 },
    contents: Buffer.from('defg'),
  });
  const replay = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 3 },
      contents: Buffer.from('defg'),
    }),
  );
  assert.deepEqual(replay.error.error, { '.tag': 'incorrect_offset', correct_offset: 7 });

  const finishWrong = await sdkError(
    h.dbx.filesUploadSessionFinish({
      cursor: { session_id: id, offset: 3 },
      commit: { path: '/s/replay.txt' },
      contents: Buffer.from('defg'),
    }),
  );
  assert.deepEqual(finishWrong.error.error, {
    '.tag': 'lookup_failed',
    lookup_failed: { '.tag': 'incorrect_offset', correct_offset: 7 },
  });
  const done = await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: id, offset: 7 },
    commit: { path: '/s/replay.txt' },
    contents: Buffer.from('h'),
  });
  assert.equal(done.result.size, 8);
  assert.equal(done.result.content_hash, dropboxContentHash(Buffer.from('abcdefgh')));
  assert.equal((await h.emu.readFile('/s/replay.txt')).toString(), 'abcdefgh');
});

test('closed, not_closed (in a batch), not_found, and a consumed session', async () => {
  const closedId = await openSession('12', true);
  const closed = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: closedId, offset: 2 },
      contents: Buffer.from('3'),
    }),
  );
  assert.deepEqual(closed.error.error, { '.tag': 'closed' });

  const openId = await openSession('ab');
  const batch = await h.dbx.filesUploadSessionFinishBatchV2({
    entries: [{ cursor: { session_id: openId, offset: 2 }, commit: { path: '/s/open.txt' } }],
  });
  assert.deepEqual(batch.result.entries[0], {
    '.tag': 'failure',
    failure: { '.tag': 'lookup_failed', lookup_failed: { '.tag': 'not_closed' } },
  });

  const unknown = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: 'pid_upload_session:nope', offset: 0 },
      contents: Buffer.from('x'),
    }),
  );
  assert.deepEqual(unknown.error.error, { '.tag': 'not_found' });

  await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: closedId, offset: 2 },
    commit: { path: '/s/closed.txt' },
  });
  const consumed = await sdkError(
    h.dbx.filesUploadSessionFinish({
      cursor: { session_id: closedId, offset: 2 },
      commit: { path: '/s/closed.txt' },
    }),
  );
  assert.deepEqual(consumed.error.error, {
    '.tag': 'lookup_failed',
    lookup_failed: { '.tag': 'not_found' },
  });
});

test('a session older than seven days is not_found (injected clock)', async () => {
  const id = await openSession('old');
  clock += 7 * 24 * 3600 * 1000 + 1000;
  await h.auth.refreshAccessToken(); // the jump also outlived the access token
  const err = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 3 },
      contents: Buffer.from('x'),
    }),
  );
  assert.deepEqual(err.error.error, { '.tag': 'not_found' });
});

test('finish_batch_v2 reports success and failure per entry, in request order', async () => {
  h.emu.putFile('/s/batch/taken.txt', Buffer.from('theirs'));
  const a = await openSession('alpha', true);
  const b = await openSession('beta', true);
  const c = await openSession('gamma', true);
  const res = await h.dbx.filesUploadSessionFinishBatchV2({
    entries: [
      { cursor: { session_id: a, offset: 5 }, commit: { path: '/s/batch/a.txt' } },
      { cursor: { session_id: b, offset: 4 }, commit: { path: '/s/batch/taken.txt' } },
      { cursor: { session_id: c, offset: 99 }, commit: { path: '/s/batch/c.txt' } },
    ],
  });
  const [ea, eb, ec] = res.result.entries;
  assert.equal(ea?.['.tag'], 'success');
  assert.equal((ea as { path_display: string }).path_display, '/s/batch/a.txt');
  assert.deepEqual(eb, {
    '.tag': 'failure',
    failure: { '.tag': 'path', path: { '.tag': 'conflict', conflict: { '.tag': 'file' } } },
  });
  assert.deepEqual(ec, {
    '.tag': 'failure',
    failure: {
      '.tag': 'lookup_failed',
      lookup_failed: { '.tag': 'incorrect_offset', correct_offset: 5 },
    },
  });
  assert.equal(h.emu.stats()['files/upload_session/finish_batch_v2'] !== undefined, true);
  // The failed entry's data stays in its session: the same batch entry with a free path succeeds.
  const retry = await h.dbx.filesUploadSessionFinishBatchV2({
    entries: [
      {
        cursor: { session_id: b, offset: 4 },
        commit: { path: '/s/batch/taken.txt', autorename: true },
      },
    ],
  });
  assert.equal(
    (retry.result.entries[0] as { path_display: string }).path_display,
    '/s/batch/taken (1).txt',
  );
});

test('finish_batch launches an async job; check answers in_progress at most once, then complete', async () => {
  const a = await openSession('async-a', true);
  const launch = await h.dbx.filesUploadSessionFinishBatch({
    entries: [{ cursor: { session_id: a, offset: 7 }, commit: { path: '/s/async/a.txt' } }],
  });
  assert.equal(launch.result['.tag'], 'async_job_id');
  const jobId = (launch.result as { async_job_id: string }).async_job_id;
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const check = await h.dbx.filesUploadSessionFinishBatchCheck({ async_job_id: jobId });
    seen.push(check.result['.tag']);
    if (check.result['.tag'] === 'complete') {
      const entries = (check.result as { entries: { '.tag': string }[] }).entries;
      assert.equal(entries[0]?.['.tag'], 'success');
      break;
    }
  }
  assert.ok(
    seen.at(-1) === 'complete' && seen.filter((s) => s === 'in_progress').length <= 1,
    seen.join(),
  );
  const bad = await sdkError(
    h.dbx.filesUploadSessionFinishBatchCheck({ async_job_id: 'dbjid:unknown' }),
  );
  assert.deepEqual(bad.error.error, { '.tag': 'invalid_async_job_id' });
});

test('concurrent sessions: 4 MiB rules, any order, closed and complete before finish', async () => {
  const start = await h.dbx.filesUploadSessionStartBatch({
    num_sessions: 2,
    session_type: { '.tag': 'concurrent' },
  });
  const [id, spare] = start.result.session_ids;
  assert.ok(id && spare);
  const block = Buffer.alloc(MiB4, 'A');
  const badSize = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 0 },
      contents: Buffer.alloc(10),
    }),
  );
  assert.deepEqual(badSize.error.error, { '.tag': 'concurrent_session_invalid_data_size' });
  const badOffset = await sdkError(
    h.dbx.filesUploadSessionAppendV2({ cursor: { session_id: id, offset: 10 }, contents: block }),
  );
  assert.deepEqual(badOffset.error.error, { '.tag': 'concurrent_session_invalid_offset' });

  // Last range first, closing; then the first range.
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: MiB4 },
    close: true,
    contents: Buffer.from('A'),
  });
  const missing = await sdkError(
    h.dbx.filesUploadSessionFinish({
      cursor: { session_id: id, offset: MiB4 + 1 },
      commit: { path: '/s/conc.bin' },
    }),
  );
  assert.deepEqual(missing.error.error, { '.tag': 'concurrent_session_missing_data' });
  const notClosed = await sdkError(
    h.dbx.filesUploadSessionFinish({
      cursor: { session_id: spare, offset: 0 },
      commit: { path: '/s/spare.bin' },
    }),
  );
  assert.deepEqual(notClosed.error.error, { '.tag': 'concurrent_session_not_closed' });

  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: 0 },
    contents: block,
  });
  const done = await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: id, offset: MiB4 + 1 },
    commit: { path: '/s/conc.bin' },
  });
  assert.equal(done.result.size, MiB4 + 1);
  assert.equal(
    done.result.content_hash,
    '8f553da8d00d0bf509d8470e242888be33019c20c0544811f5b2b89e98360b92',
  );

  const withData = await sdkError(
    h.dbx.filesUploadSessionStart({
      session_type: { '.tag': 'concurrent' },
      contents: Buffer.from('x'),
    }),
  );
  assert.deepEqual(withData.error.error, { '.tag': 'concurrent_session_data_not_allowed' });
  const withClose = await sdkError(
    h.dbx.filesUploadSessionStart({
      session_type: { '.tag': 'concurrent' },
      close: true,
      contents: Buffer.alloc(0),
    }),
  );
  assert.deepEqual(withClose.error.error, { '.tag': 'concurrent_session_close_not_allowed' });
});

test('per-request content_hash on append is checked, and a mismatch stores nothing', async () => {
  const id = await openSession('');
  const err = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 0 },
      contents: Buffer.from('data'),
      content_hash: dropboxContentHash(Buffer.from('other')),
    }),
  );
  assert.deepEqual(err.error.error, { '.tag': 'content_hash_mismatch' });
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: 0 },
    contents: Buffer.from('data'),
    content_hash: dropboxContentHash(Buffer.from('data')),
  });
});

test('payload_too_large is decided from Content-Length before the body is read', async () => {
  const token = await h.accessToken();
  const res = await rawPost(h.emu, '/2/files/upload', {
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/octet-stream',
      'Dropbox-API-Arg': JSON.stringify({ path: '/s/huge.bin' }),
      'Content-Length': 150 * 1024 * 1024 + 1,
    },
    body: Buffer.alloc(16),
  }).catch((err: unknown) => ({ status: -1, text: String(err), headers: {} }));
  assert.equal(res.status, 409, res.text);
  assert.equal(JSON.parse(res.text).error['.tag'], 'payload_too_large');
});

test('appending beyond 2^41 - 2^22 bytes is too_large', async () => {
  const tooFar = 2 ** 41 - 2 ** 22;
  // A concurrent session accepts any 4 MiB-aligned offset, so no terabytes need to be sent.
  const conc = await h.dbx.filesUploadSessionStart({
    session_type: { '.tag': 'concurrent' },
    contents: Buffer.alloc(0),
  });
  const err = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: conc.result.session_id, offset: tooFar },
      close: true,
      contents: Buffer.from('x'),
    }),
  );
  assert.deepEqual(err.error.error, { '.tag': 'too_large' });
});

test('after a failed finish the data stays in the session: retry with an empty body at the new offset', async () => {
  h.emu.putFile('/s/retry/target.txt', Buffer.from('theirs'));
  const id = await openSession('our ');
  const failed = await sdkError(
    h.dbx.filesUploadSessionFinish({
      cursor: { session_id: id, offset: 4 },
      commit: { path: '/s/retry/target.txt' },
      contents: Buffer.from('bytes'),
    }),
  );
  assert.deepEqual(failed.error.error, {
    '.tag': 'path',
    path: { '.tag': 'conflict', conflict: { '.tag': 'file' } },
  });
  const retried = await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: id, offset: 9 },
    commit: { path: '/s/retry/ours.txt' },
  });
  assert.equal(retried.result.content_hash, dropboxContentHash(Buffer.from('our bytes')));

  // files/upload keeps a refused body in a session whose id comes back with the error.
  const refused = await sdkError(
    h.dbx.filesUpload({ path: '/s/retry/target.txt', contents: Buffer.from('again') }),
  );
  const sessionId = String(refused.error.error.upload_session_id);
  const saved = await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: sessionId, offset: 5 },
    commit: { path: '/s/retry/again.txt' },
  });
  assert.equal(saved.result.content_hash, dropboxContentHash(Buffer.from('again')));
});

test('racing requests on one session: exactly one append and one finish win, the data stays intact', async () => {
  const id = await openSession('');
  const chunk = Buffer.alloc(1024 * 1024, 9);
  const appends = await Promise.allSettled([
    h.dbx.filesUploadSessionAppendV2({ cursor: { session_id: id, offset: 0 }, contents: chunk }),
    h.dbx.filesUploadSessionAppendV2({ cursor: { session_id: id, offset: 0 }, contents: chunk }),
  ]);
  assert.equal(appends.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = appends.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.deepEqual(lost.reason.error.error, {
    '.tag': 'incorrect_offset',
    correct_offset: chunk.length,
  });

  const finish = () =>
    h.dbx.filesUploadSessionFinish({
      cursor: { session_id: id, offset: chunk.length },
      commit: { path: '/s/race.bin' },
    });
  const finishes = await Promise.allSettled([finish(), finish()]);
  assert.equal(finishes.filter((r) => r.status === 'fulfilled').length, 1);
  const second = finishes.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.equal(second.reason.error.error['.tag'], 'lookup_failed');
  assert.deepEqual(await h.emu.readFile('/s/race.bin'), chunk);
});

test('concurrent sessions refuse an append over bytes they hold (400), whatever its cut; the bytes stay', async () => {
  const start = await h.dbx.filesUploadSessionStartBatch({
    num_sessions: 1,
    session_type: { '.tag': 'concurrent' },
  });
  const [id] = start.result.session_ids;
  assert.ok(id);
  const first = Buffer.alloc(2 * MiB4, 'A');
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: MiB4 },
    contents: first,
  });
  // The same range again, and a range cut elsewhere that overlaps it (as a resume that re-cuts).
  const overlaps: [number, number][] = [
    [MiB4, 2 * MiB4],
    [0, 2 * MiB4],
    [2 * MiB4, 2 * MiB4],
  ];
  for (const [offset, length] of overlaps) {
    const refused: DropboxResponseError<unknown> = await sdkError(
      h.dbx.filesUploadSessionAppendV2({
        cursor: { session_id: id, offset },
        contents: Buffer.alloc(length, 'B'),
      }),
    );
    assert.equal(refused.status, 400, `append at ${offset} of ${length}`);
    assert.match(
      String(refused.error),
      new RegExp(`Different data already uploaded at offset ${Math.max(offset, MiB4)}`),
    );
  }
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: 0 },
    contents: Buffer.alloc(MiB4, 'C'),
  });
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: 3 * MiB4 },
    close: true,
    contents: Buffer.from('end'),
  });
  const done = await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: id, offset: 3 * MiB4 + 3 },
    commit: { path: '/s/refused-overlap.bin' },
  });
  const whole = Buffer.concat([Buffer.alloc(MiB4, 'C'), first, Buffer.from('end')]);
  assert.equal(done.result.content_hash, dropboxContentHash(whole));
});
