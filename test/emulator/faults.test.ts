// Injected faults (section 7 items 6, 9, 13): 429 in both forms, 5xx, a reset mid-body that
// applies nothing, a dropped response that did apply, quota, and lock contention.
import { after, before, test } from 'node:test';
import { WriteLock } from '../../tools/emulator/state.js';
import assert from 'node:assert/strict';
import { harness, sdkError, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
  await h.accessToken();
});
after(async () => {
  await h.emu.close();
});

test('429 too_many_requests as JSON with retry_after and a Retry-After header', async () => {
  h.emu.addFault({ route: 'files/upload', kind: 'too_many_requests', retryAfterSeconds: 7 });
  const err = await sdkError(h.dbx.filesUpload({ path: '/f/a.txt', contents: Buffer.from('a') }));
  assert.equal(err.status, 429);
  assert.equal(err.headers.get('retry-after'), '7');
  assert.deepEqual(err.error.error, { reason: { '.tag': 'too_many_requests' }, retry_after: 7 });
  assert.match(err.error.error_summary, /^too_many_requests\/\.{0,3}$/);
  assert.equal(h.emu.getFile('/f/a.txt'), undefined, 'a refused request writes nothing');
  // The rule hit once: the next identical call goes through.
  await h.dbx.filesUpload({ path: '/f/a.txt', contents: Buffer.from('a') });
});

test('429 as plain text with Retry-After, and too_many_write_operations', async () => {
  h.emu.addFault({ route: 'files/get_metadata', kind: 'too_many_requests_text' });
  const text = await sdkError<string>(h.dbx.filesGetMetadata({ path: '/f/a.txt' }));
  assert.equal(text.status, 429);
  assert.equal(typeof text.error, 'string');
  assert.equal(text.headers.get('retry-after'), '1');

  h.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'too_many_write_operations',
    retryAfterSeconds: 2,
  });
  const w = await sdkError(h.dbx.filesUploadSessionFinishBatchV2({ entries: [] }));
  assert.equal(w.status, 429);
  assert.equal(w.headers.get('retry-after'), '2');
  assert.deepEqual(w.error.error, {
    reason: { '.tag': 'too_many_write_operations' },
    retry_after: 2,
  });
});

test('server_error: 500 with an empty body, 503 with Retry-After; afterCalls and times count requests', async () => {
  h.emu.addFault({ route: 'check/user', kind: 'server_error', afterCalls: 1, times: 2 });
  await h.dbx.checkUser({ query: 'first passes' });
  const e1 = await sdkError<string>(h.dbx.checkUser({ query: 'x' }));
  const e2 = await sdkError<string>(h.dbx.checkUser({ query: 'x' }));
  assert.deepEqual([e1.status, e2.status, e1.error], [500, 500, '']);
  assert.equal((await h.dbx.checkUser({ query: 'ok again' })).result.result, 'ok again');

  h.emu.addFault({ route: 'check/user', kind: 'server_error', status: 503, retryAfterSeconds: 3 });
  const e3 = await sdkError(h.dbx.checkUser({ query: 'x' }));
  assert.equal(e3.status, 503);
  assert.equal(e3.headers.get('retry-after'), '3');
});

test('reset_mid_body cuts the connection and applies nothing', async () => {
  const start = await h.dbx.filesUploadSessionStart({ contents: Buffer.from('head') });
  const id = start.result.session_id;
  h.emu.addFault({ route: 'files/upload_session/append_v2', kind: 'reset_mid_body' });
  await assert.rejects(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 4 },
      contents: Buffer.alloc(1024 * 1024, 1),
    }),
    (err: Error) => err.name !== 'DropboxResponseError',
  );
  // The offset did not move: appending at 4 again is accepted.
  await h.dbx.filesUploadSessionAppendV2({
    cursor: { session_id: id, offset: 4 },
    contents: Buffer.from('tail'),
  });
  await h.dbx.filesUploadSessionFinish({
    cursor: { session_id: id, offset: 8 },
    commit: { path: '/f/session.txt' },
  });
  assert.equal((await h.emu.readFile('/f/session.txt')).toString(), 'headtail');

  h.emu.addFault({ route: 'files/upload', kind: 'reset_mid_body' });
  await assert.rejects(
    h.dbx.filesUpload({ path: '/f/reset.bin', contents: Buffer.alloc(200_000, 2) }),
  );
  assert.equal(h.emu.getFile('/f/reset.bin'), undefined);
});

test('drop_response applies the request, then loses the answer', async () => {
  const start = await h.dbx.filesUploadSessionStart({ contents: Buffer.from('12345') });
  const id = start.result.session_id;
  h.emu.addFault({ route: 'files/upload_session/append_v2', kind: 'drop_response' });
  await assert.rejects(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 5 },
      contents: Buffer.from('678'),
    }),
  );
  // The client replays the chunk it never saw acknowledged: the server already has it.
  const replay = await sdkError(
    h.dbx.filesUploadSessionAppendV2({
      cursor: { session_id: id, offset: 5 },
      contents: Buffer.from('678'),
    }),
  );
  assert.deepEqual(replay.error.error, { '.tag': 'incorrect_offset', correct_offset: 8 });

  h.emu.addFault({ route: 'files/upload', kind: 'drop_response' });
  await assert.rejects(
    h.dbx.filesUpload({ path: '/f/dropped.txt', contents: Buffer.from('kept') }),
  );
  assert.equal((await h.emu.readFile('/f/dropped.txt')).toString(), 'kept');
});

test('quota: insufficient_space on commit, reflected in get_space_usage; also as an injected fault', async () => {
  const usage = await h.dbx.usersGetSpaceUsage();
  const used = usage.result.used;
  h.emu.setQuota(used + 10);
  assert.equal((await h.dbx.usersGetSpaceUsage()).result.allocation['.tag'], 'individual');
  assert.equal(
    ((await h.dbx.usersGetSpaceUsage()).result.allocation as { allocated: number }).allocated,
    used + 10,
  );
  const err = await sdkError(h.dbx.filesUpload({ path: '/f/big.bin', contents: Buffer.alloc(11) }));
  assert.equal(err.status, 409);
  assert.deepEqual(err.error.error.reason, { '.tag': 'insufficient_space' });
  assert.match(err.error.error_summary, /^path\/insufficient_space\/\.{0,3}$/);
  await h.dbx.filesUpload({ path: '/f/fits.bin', contents: Buffer.alloc(10) });
  assert.equal((await h.dbx.usersGetSpaceUsage()).result.used, used + 10);
  h.emu.setQuota(2 ** 41);

  const s = await h.dbx.filesUploadSessionStart({ contents: Buffer.from('q'), close: true });
  h.emu.addFault({ route: 'files/upload_session/finish_batch_v2', kind: 'insufficient_space' });
  const batch = await h.dbx.filesUploadSessionFinishBatchV2({
    entries: [
      { cursor: { session_id: s.result.session_id, offset: 1 }, commit: { path: '/f/q.txt' } },
    ],
  });
  assert.deepEqual(batch.result.entries[0], {
    '.tag': 'failure',
    failure: { '.tag': 'path', path: { '.tag': 'insufficient_space' } },
  });
});

test('lock contention: commits inside the window lose; a batch takes the lock once for all entries', async () => {
  const c = await harness({ lockWindowMs: 60_000 });
  try {
    const sessions = [];
    for (let i = 0; i < 3; i++) {
      const s = await c.dbx.filesUploadSessionStart({
        contents: Buffer.from(`file ${i}`),
        close: true,
      });
      sessions.push(s.result.session_id);
    }
    const batch = await c.dbx.filesUploadSessionFinishBatchV2({
      entries: sessions.map((id, i) => ({
        cursor: { session_id: id, offset: 6 },
        commit: { path: `/lock/${i}.txt` },
      })),
    });
    assert.deepEqual(
      batch.result.entries.map((e) => e['.tag']),
      ['success', 'success', 'success'],
    );

    const single = await sdkError(
      c.dbx.filesUpload({ path: '/lock/late.txt', contents: Buffer.from('x') }),
    );
    assert.equal(single.status, 409);
    assert.deepEqual(single.error.error.reason, { '.tag': 'too_many_write_operations' });

    const s = await c.dbx.filesUploadSessionStart({ contents: Buffer.from('y'), close: true });
    const second = await c.dbx.filesUploadSessionFinishBatchV2({
      entries: [
        { cursor: { session_id: s.result.session_id, offset: 1 }, commit: { path: '/lock/y.txt' } },
      ],
    });
    assert.deepEqual(second.result.entries[0], {
      '.tag': 'failure',
      failure: { '.tag': 'too_many_write_operations' },
    });
  } finally {
    await c.emu.close();
  }
});

test('reset_mid_body on an RPC batch commits nothing; on a download the body stops halfway', async () => {
  const s = await h.dbx.filesUploadSessionStart({ contents: Buffer.from('batched'), close: true });
  const entries = [
    {
      cursor: { session_id: s.result.session_id, offset: 7 },
      commit: { path: '/f/rpc-reset.txt' },
    },
  ];
  h.emu.addFault({ route: 'files/upload_session/finish_batch_v2', kind: 'reset_mid_body' });
  await assert.rejects(h.dbx.filesUploadSessionFinishBatchV2({ entries }));
  assert.equal(h.emu.getFile('/f/rpc-reset.txt'), undefined);
  const retried = await h.dbx.filesUploadSessionFinishBatchV2({ entries });
  assert.equal(retried.result.entries[0]?.['.tag'], 'success', 'the session was not consumed');

  h.emu.putFile('/f/download.bin', Buffer.alloc(300_000, 3));
  h.emu.addFault({ route: 'files/download', kind: 'reset_mid_body' });
  await assert.rejects(h.dbx.filesDownload({ path: '/f/download.bin' }));
  const whole = await h.dbx.filesDownload({ path: '/f/download.bin' });
  assert.equal((whole.result as unknown as { fileBinary: Buffer }).fileBinary.length, 300_000);
});

test('a chunked body that grows past 150 MiB is payload_too_large and stores nothing', async () => {
  const token = await h.accessToken();
  const { request } = await import('node:http');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${h.emu.url}/2/files/upload`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/octet-stream',
          'Dropbox-API-Arg': '{"path":"/f/chunked.bin"}',
          'Transfer-Encoding': 'chunked',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('no answer')));
    const piece = Buffer.alloc(4 * 1024 * 1024);
    let left = 38; // 152 MiB
    const pump = () => {
      while (left > 0) {
        left--;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(answer.status, 409, answer.text);
  assert.equal(JSON.parse(answer.text).error['.tag'], 'payload_too_large');
  assert.equal(h.emu.getFile('/f/chunked.bin'), undefined);
});

test('a batch commit keeps the namespace lock until its last entry, however long it takes', async () => {
  let now = 1_000;
  const lock = new WriteLock(50, () => now);
  assert.equal(lock.tryAcquire(), true);
  let inside: boolean | undefined;
  await lock.holdDuring(async () => {
    // Far past the window, but the batch (which lets other requests in meanwhile) still runs.
    now += 10_000;
    inside = lock.tryAcquire();
  });
  assert.equal(inside, false);
  assert.equal(lock.tryAcquire(), true, 'free once the batch ended and its window passed');
  const off = new WriteLock(0, () => now);
  await off.holdDuring(async () => assert.equal(off.tryAcquire(), true, 'no contention modelled'));
});
