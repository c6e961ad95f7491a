// The uploader under injected faults: rate limits in both forms, server errors, a connection
// reset mid-body, lost responses after the server applied the write, a crash mid-upload, a full
// quota and no network at all. Every case ends with each file on Dropbox exactly once.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { DropboxRemoteStore } from '../../src/engine/dropbox/remote-store.js';
import { SyncError } from '../../src/engine/errors.js';
import type { UploadItem, UploadOutcome } from '../../src/engine/ports.js';
import { FAST_RETRY, makeRig, MapSessionStore, MiB, pattern, type Rig } from './helpers.js';

let rig: Rig;
before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.emu.clearFaults();
  rig.emu.resetStats();
});

function allOk(out: UploadOutcome[]): void {
  for (const o of out) if (!o.ok) assert.fail(`${o.rel}: ${o.error.code} ${o.error.message}`);
}

/** Every file under `prefix` on the emulator, to prove nothing was duplicated. */
const remoteUnder = (prefix: string): string[] =>
  rig.emu
    .listFiles()
    .map((f) => f.pathDisplay)
    .filter((p) => p.startsWith(`/RDL/site1/${prefix}/`));

async function files(prefix: string, n: number, size = 64): Promise<UploadItem[]> {
  const items = [];
  for (let i = 0; i < n; i++)
    items.push(await rig.file(`${prefix}/f${i}.csv`, pattern(size, i + 1)));
  return items;
}

test('429 storms in JSON and plain-text form, and lock contention, are waited out', async () => {
  const items = await files('storm', 12);
  rig.emu.addFault({
    route: 'files/upload_session/append_batch',
    kind: 'too_many_requests',
    times: 3,
    retryAfterSeconds: 0,
  });
  rig.emu.addFault({
    route: 'files/upload_session/start_batch',
    kind: 'too_many_requests_text',
    times: 2,
    retryAfterSeconds: 0,
  });
  rig.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'too_many_write_operations',
    times: 2,
    retryAfterSeconds: 0,
  });
  const out = await rig.store().uploadMany(items);
  allOk(out);
  assert.equal(remoteUnder('storm').length, 12);
  const s = rig.emu.stats();
  assert.equal(s['files/upload_session/start_batch'], 1 + 2);
  assert.equal(s['files/upload_session/append_batch'], 1 + 3);
  assert.equal(s['files/upload_session/start'], undefined);
  assert.equal(s['files/upload_session/finish_batch_v2'], 3);
  assert.ok(rig.logger.lines.some((l) => l.includes('rate-limited')));
});

test('5xx on appends and on the commit are retried without duplicates', async () => {
  const big = await rig.file('five/big.bin', pattern(10 * MiB, 5));
  const small = await files('five', 3);
  rig.emu.addFault({ route: 'files/upload_session/append_v2', kind: 'server_error', times: 2 });
  rig.emu.addFault({
    route: 'files/upload_session/finish',
    kind: 'server_error',
    status: 503,
    retryAfterSeconds: 0,
  });
  rig.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'server_error',
    status: 502,
  });
  const out = await rig.store().uploadMany([big, ...small]);
  allOk(out);
  assert.equal(
    rig.emu.getFile('/RDL/site1/five/big.bin')?.contentHash,
    contentHashOf(pattern(10 * MiB, 5)),
  );
  assert.equal(remoteUnder('five').length, 4);
});

test('a connection reset mid-body on an append resumes at the right offset', async () => {
  const bytes = pattern(13 * MiB, 11);
  const item = await rig.file('reset/r.bin', bytes);
  rig.emu.addFault({
    route: 'files/upload_session/append_v2',
    kind: 'reset_mid_body',
    afterCalls: 1,
  });
  const out = await rig.store().uploadMany([item]);
  allOk(out);
  assert.equal(rig.emu.getFile('/RDL/site1/reset/r.bin')?.contentHash, contentHashOf(bytes));
  // 4 chunks in a concurrent session: an empty start + 4 appends, one of them sent twice.
  assert.equal(rig.emu.stats()['files/upload_session/append_v2'], 5);
});

test('a lost append answer: the server already has the chunk, the uploader moves on', async () => {
  const bytes = pattern(9 * MiB, 12);
  const item = await rig.file('lostack/a.bin', bytes);
  rig.emu.addFault({ route: 'files/upload_session/append_v2', kind: 'drop_response' });
  allOk(await rig.store().uploadMany([item]));
  assert.equal(rig.emu.getFile('/RDL/site1/lostack/a.bin')?.contentHash, contentHashOf(bytes));
});

test('a lost finish_batch_v2 answer makes no duplicates and reports success', async () => {
  const items = await files('lostbatch', 20);
  rig.emu.addFault({ route: 'files/upload_session/finish_batch_v2', kind: 'drop_response' });
  const out = await rig.store().uploadMany(items);
  allOk(out);
  assert.equal(remoteUnder('lostbatch').length, 20);
  assert.equal(rig.emu.stats()['files/upload_session/finish_batch_v2'], 2);
  // A second run finds everything already there.
  const again = await rig.store().uploadMany(items);
  assert.ok(again.every((o) => o.ok && o.alreadyPresent));
  assert.equal(remoteUnder('lostbatch').length, 20);
});

test('a lost finish answer (large file, and a keep-both commit) makes no duplicates', async () => {
  const big = await rig.file('lostfinish/big.bin', pattern(6 * MiB, 13));
  rig.emu.putFile('/RDL/site1/lostfinish/x.csv', Buffer.from('theirs'));
  const x = await rig.file('lostfinish/x.csv', 'ours');
  rig.emu.addFault({ route: 'files/upload_session/finish', kind: 'drop_response', times: 2 });
  const out = await rig.store().uploadMany([big, x]);
  allOk(out);
  // Both dropped commits were sent again (or checked) rather than trusted.
  assert.ok((rig.emu.stats()['files/upload_session/finish'] ?? 0) >= 4);
  assert.deepEqual(remoteUnder('lostfinish').sort(), [
    '/RDL/site1/lostfinish/big.bin',
    '/RDL/site1/lostfinish/x (1).csv',
    '/RDL/site1/lostfinish/x.csv',
  ]);
  const second = await rig.store().uploadMany([big, x]);
  allOk(second);
  assert.equal(remoteUnder('lostfinish').length, 3, 'no "x (2).csv" on the second run');
});

test('after a crash mid-upload, a new store resumes from the saved session and sends only the rest', async () => {
  const bytes = pattern(24 * MiB, 14);
  const item = await rig.file('crash/c.bin', bytes);
  const sessions = new MapSessionStore();
  const ac = new AbortController();
  const first = rig.store({ sessions });
  rig.emu.recordTimeline();
  rig.emu.resetStats();
  // Progress counts the bytes the connection has taken, landed or not: crash once 8 MiB have
  // gone, with part of them still in flight. What a resume may skip is only what was stored.
  await assert.rejects(
    first.uploadMany([item], {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.bytesSent >= 8 * MiB && !ac.signal.aborted) ac.abort(new Error('simulated crash'));
      },
    }),
    /simulated crash/,
  );
  const saved = sessions.get('crash/c.bin');
  assert.ok(saved, 'session state was saved');
  const crashedAt = saved.offset;
  assert.ok(crashedAt >= 4 * MiB && crashedAt % (4 * MiB) === 0, `stored prefix ${crashedAt}`);
  assert.equal(saved.blockDigests.length, crashedAt / (4 * MiB));
  assert.equal(rig.emu.getFile('/RDL/site1/crash/c.bin'), undefined);

  // The crashed store's append still in flight may have bytes the server has not read yet (a
  // loaded machine reads them late): cut its connection so the count below is the resume alone.
  rig.emu.resetLink();
  // ...and let its request end on the emulator's side too: until then it may still count bytes
  // it had read before the cut.
  const deadline = Date.now() + 10_000;
  while (rig.emu.timeline(true).requests.some((r) => r.endedMs === undefined)) {
    assert.ok(Date.now() < deadline, "the crashed store's requests ended");
    await new Promise((r) => setTimeout(r, 10));
  }
  // What the server read of the crashed store's bodies: its last appends may have landed whole
  // after the client gave up on them (a closing one closes the session: the resume is then
  // answered `closed` and sends nothing).
  const readBeforeResume = rig.emu.stats()['received-bytes'] ?? 0;
  rig.emu.resetStats();
  const out = await rig.store({ sessions }).uploadMany([item]);
  allOk(out);
  const s = rig.emu.stats();
  assert.equal(s['files/upload_session/start'] ?? 0, 0, 'no new session');
  const resent = s['received-bytes'] ?? 0;
  assert.ok(resent <= bytes.length - crashedAt, `only the rest was sent: ${resent}`);
  assert.ok(
    resent >= bytes.length - readBeforeResume,
    `all the server had not read was sent: ${resent} of ${bytes.length - readBeforeResume}`,
  );
  assert.equal(rig.emu.getFile('/RDL/site1/crash/c.bin')?.contentHash, contentHashOf(bytes));
  assert.equal(sessions.get('crash/c.bin'), undefined, 'state removed after the commit');
});

test('a saved session that the server no longer knows is restarted cleanly', async () => {
  const bytes = pattern(9 * MiB, 15);
  const item = await rig.file('expired/e.bin', bytes);
  const sessions = new MapSessionStore();
  sessions.set('expired/e.bin', {
    sessionId: 'pid_upload_session:does-not-exist',
    offset: 4 * MiB,
    blockDigests: [],
    size: item.size,
    mtimeMs: item.mtimeMs,
    startedAtMs: Date.now(),
  });
  const progress: number[] = [];
  allOk(
    await rig.store({ sessions }).uploadMany([item], {
      onProgress: (p) => progress.push(p.bytesSent),
    }),
  );
  assert.equal(rig.emu.getFile('/RDL/site1/expired/e.bin')?.contentHash, contentHashOf(bytes));
  // Shown from the saved offset at once, then from 0 again once the session proved unknown (the
  // status model measures the rate afresh then: StatusModel.transferProgress), then to the end.
  assert.equal(progress[0], 4 * MiB, progress.join(', '));
  assert.equal(progress.indexOf(0), 1, progress.join(', '));
  assert.equal(progress.at(-1), item.size);
});

test('a full Dropbox blocks the leg with quota-full', async () => {
  const items = await files('quota', 3);
  rig.emu.addFault({ route: 'files/upload_session/finish_batch_v2', kind: 'insufficient_space' });
  await assert.rejects(
    rig.store().uploadMany(items),
    (e: unknown) => e instanceof SyncError && e.kind === 'blocked' && e.code === 'quota-full',
  );
  rig.emu.setQuota(1);
  const big = await rig.file('quota/big.bin', pattern(5 * MiB, 16));
  await assert.rejects(
    rig.store().uploadMany([big]),
    (e: unknown) =>
      e instanceof SyncError && e.code === 'quota-full' && /Dropbox is full/.test(e.message),
  );
  rig.emu.setQuota(2 * 1024 ** 4);
});

test('no network at all: offline (blocked) once the retries run out', async () => {
  const conn = createDropboxConnection({
    appKey: 'k',
    refreshToken: 'r',
    endpoint: 'http://127.0.0.1:1',
  });
  const store = new DropboxRemoteStore({
    connection: conn,
    remoteRoot: '/x',
    chunkSize: 4 * MiB,
    concurrency: 2,
    conflictPolicy: 'rename',
    sessions: new MapSessionStore(),
    retry: { baseMs: 1, capMs: 5, maxAttempts: 3 },
  });
  const items = await files('offline', 2);
  await assert.rejects(
    store.uploadMany(items),
    (e: unknown) => e instanceof SyncError && e.kind === 'blocked' && e.code === 'offline',
  );
});

test('bad settings are refused with a message naming the fix', () => {
  const base = {
    connection: rig.connection,
    remoteRoot: '/x',
    chunkSize: 4 * MiB,
    concurrency: 2,
    conflictPolicy: 'rename' as const,
    sessions: new MapSessionStore(),
    retry: FAST_RETRY,
  };
  assert.throws(() => new DropboxRemoteStore({ ...base, chunkSize: 5 * MiB }), /multiple of 4 MiB/);
  assert.throws(() => new DropboxRemoteStore({ ...base, remoteRoot: 'RDL' }), /must start with \//);
  assert.throws(() => new DropboxRemoteStore({ ...base, concurrency: 0 }), /at least 1/);
});

test('a sequential session saved by an earlier version is still resumed, not restarted', async () => {
  const bytes = pattern(9 * MiB, 21);
  const item = await rig.file('legacy/l.bin', bytes);
  const first = await rig.connection.client.filesUploadSessionStart({
    close: false,
    contents: bytes.subarray(0, 4 * MiB),
  });
  const sessions = new MapSessionStore();
  sessions.set('legacy/l.bin', {
    sessionId: first.result.session_id,
    offset: 4 * MiB,
    blockDigests: [
      createHash('sha256')
        .update(bytes.subarray(0, 4 * MiB))
        .digest('hex'),
    ],
    size: item.size,
    mtimeMs: item.mtimeMs,
    startedAtMs: Date.now(),
  });
  rig.emu.resetStats();
  allOk(await rig.store({ sessions }).uploadMany([item]));
  assert.equal(rig.emu.stats()['files/upload_session/start'] ?? 0, 0, 'no new session');
  assert.equal(rig.emu.stats()['files/upload_session/append_v2'], 2, 'only the rest');
  assert.equal(rig.emu.getFile('/RDL/site1/legacy/l.bin')?.contentHash, contentHashOf(bytes));
});
