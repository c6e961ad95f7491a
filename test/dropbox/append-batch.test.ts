// Small files through start_batch + append_batch: call counts, a failing entry that falls back
// alone, lost answers and cut bodies without duplicates, 429 waits, and the whole-route 400
// fallback to one upload_session/start per file.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import {
  APPEND_BATCH_BASE_BYTES,
  appendEntryBytes,
  MAX_ARG_HEADER_BYTES,
} from '../../src/engine/dropbox/header-budget.js';
import { DEFAULT_HEADER_LIMIT_BYTES } from '../../tools/emulator/index.js';
import { MAX_BODIES_IN_FLIGHT } from '../../src/engine/dropbox/append-batch.js';
import { COMMIT_AT, TAIL_BATCH_ENTRIES } from '../../src/engine/dropbox/small-batch.js';
import { Channel } from '../../src/engine/channel.js';
import { RESERVE_MAX_AGE_MS, SPARE_SESSIONS } from '../../src/engine/dropbox/session-reserve.js';
import {
  systemClock,
  type Clock,
  type UploadItem,
  type UploadOutcome,
} from '../../src/engine/ports.js';
import {
  allOk,
  landedExactly as checkLanded,
  makeRig,
  MiB,
  pattern,
  patternFiles,
  until,
  type Rig,
} from './helpers.js';

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

const files = (prefix: string, n: number, size: number): Promise<UploadItem[]> =>
  patternFiles(rig, prefix, n, size);
const landedExactly = (prefix: string, items: UploadItem[]): Promise<void> =>
  checkLanded(rig, prefix, items);

const calls = (route: string): number => rig.emu.stats()[`files/upload_session/${route}`] ?? 0;

test('1000 small files: one start_batch, append_batch within the header cap, a few large commits', async () => {
  const size = 10 * 1024;
  const items = await files('bulk', 1000, size);
  const store = rig.store({ chunkSize: 4 * MiB });
  const out = await store.uploadMany(items);
  allOk(out);
  assert.equal(calls('start_batch'), 1);
  // Real-length session ids: each request carries as many cursors as fit in the header cap.
  const idLength = 'pid_upload_session:'.length + 52;
  const perRequest = Math.floor(
    (MAX_ARG_HEADER_BYTES - APPEND_BATCH_BASE_BYTES) / appendEntryBytes('x'.repeat(idLength), size),
  );
  assert.ok(perRequest > 40 && perRequest < 60, `${perRequest} cursors per request`);
  assert.equal(calls('append_batch'), Math.ceil(1000 / perRequest));
  assert.equal(rig.emu.stats()['refused-headers'], undefined, 'no header was too large');
  assert.equal(store.headers.refusals, 0);
  // Files packed before the last one was taken are committed together; the last uploads' files
  // (at most 8 requests in flight) in batches of at least TAIL_BATCH_ENTRIES.
  const inFlightFiles = MAX_BODIES_IN_FLIGHT * perRequest;
  assert.ok(calls('finish_batch_v2') >= 1);
  assert.ok(
    calls('finish_batch_v2') <= 2 + Math.floor(inFlightFiles / TAIL_BATCH_ENTRIES),
    `${calls('finish_batch_v2')} commits`,
  );
  assert.equal(calls('start'), 0);
  for (const [i, o] of out.entries()) {
    assert.ok(o.ok);
    assert.equal(o.contentHash, contentHashOf(pattern(size, i + 1)));
  }
  await landedExactly('bulk', items);
});

test('more files than one start_batch: the next ids are asked for while the last are packed, none wasted beyond the spare ones', async () => {
  const items = await files('prefetch', 1300, 200);
  const client = rig.connection.client;
  const realStart = client.filesUploadSessionStartBatch.bind(client);
  const realAppend = client.filesUploadSessionAppendBatch.bind(client);
  // The order in which the store asks: start_batch calls (how many ids) and append_batch calls
  // (which of the start_batch answers their sessions came from).
  const log: string[] = [];
  const idsFrom = new Map<string, number>();
  let starts = 0;
  client.filesUploadSessionStartBatch = async (arg, req) => {
    const call = ++starts;
    log.push(`start ${call} ${arg.num_sessions}`);
    const res = await realStart(arg, req);
    for (const id of res.result.session_ids) idsFrom.set(id, call);
    return res;
  };
  client.filesUploadSessionAppendBatch = async (arg, req) => {
    const from = new Set(arg.entries.map((e) => idsFrom.get(e.cursor.session_id)));
    log.push(`append ${[...from].join('+')}`);
    return realAppend(arg, req);
  };
  let out;
  try {
    out = await rig.store({ chunkSize: 4 * MiB }).uploadMany(items);
  } finally {
    client.filesUploadSessionStartBatch = realStart;
    client.filesUploadSessionAppendBatch = realAppend;
  }
  allOk(out);
  // As many sessions as files, in the fewest calls, and SPARE_SESSIONS more for the next pass.
  assert.deepEqual(
    log.filter((l) => l.startsWith('start')),
    ['start 1 1000', `start 2 ${300 + SPARE_SESSIONS}`],
  );
  // The second start_batch went out while the first call's last SESSION_PREFETCH_AT sessions were
  // still being packed: several appends of them follow it (asked only once they ran out, just the
  // one pack already filled would).
  const second = log.indexOf(`start 2 ${300 + SPARE_SESSIONS}`);
  const firstsAfter = log.slice(second).filter((l) => l.startsWith('append 1')).length;
  assert.ok(second >= 0 && firstsAfter >= 3, log.join(', '));
  assert.equal(calls('start'), 0);
  await landedExactly('prefetch', items);
});

test('prepare(): the sessions are opened before the files come and used by the upload; what it left, by the next', async () => {
  const items = await files('prepared', 7, 500);
  const store = rig.store();
  store.prepare(items.map((i) => i.size));
  await until(() => calls('start_batch') === 1, 'the sessions asked for ahead');
  store.prepare(items.map((i) => i.size)); // asked again before any upload: nothing more is opened
  allOk(await store.uploadMany(items));
  assert.equal(calls('start_batch'), 1, 'the upload used the sessions opened ahead');
  assert.equal(calls('append_batch'), 1);
  assert.equal(calls('start'), 0);
  await landedExactly('prepared', items);
  // Asked with SPARE_SESSIONS for the pass after: the next upload needs no start_batch.
  const more = await files('prepared-later', 3, 500);
  allOk(await store.uploadMany(more));
  assert.equal(calls('start_batch'), 1);
  await landedExactly('prepared-later', more);
});

test('prepare(): a large file opens no batch session ahead (it opens its own when it goes)', async () => {
  const store = rig.store({ chunkSize: 4 * MiB });
  const before = calls('start_batch');
  store.prepare([4 * MiB + 1, 64 * MiB]);
  // The hint is synchronous: had it asked, the call would be on its way by now.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(calls('start_batch'), before);
  store.prepare([4 * MiB + 1, 500]);
  await until(() => calls('start_batch') === before + 1, 'one session for the one small file');
});

test('prepare(): sessions asked for ahead and left unused for over an hour are replaced, not used', async () => {
  const items = await files('prepared-stale', 4, 500);
  let offset = 0;
  // Time passing (the monotonic clock, as every age in the engine): the wall clock may step.
  const clock: Clock = { ...systemClock, monotonic: () => performance.now() + offset };
  const store = rig.store({ clock });
  store.prepare(items.map((i) => i.size));
  await until(() => calls('start_batch') === 1, 'the first sessions asked for ahead');
  offset += RESERVE_MAX_AGE_MS + 60_000;
  store.prepare(items.map((i) => i.size));
  await until(() => calls('start_batch') === 2, 'fresh sessions instead of the stale ones');
  allOk(await store.uploadMany(items));
  assert.equal(calls('start_batch'), 2, 'the fresh ones were used');
  assert.equal(calls('start'), 0);
  await landedExactly('prepared-stale', items);
  // Stale when the upload comes (asked for ahead, and the spare ones the upload above left): not
  // used, the upload asks for its own.
  const later = await files('prepared-stale-later', 2, 500);
  store.prepare(
    later.map((i) => i.size),
    true, // a lower bound (the walk goes on): asked for whatever is spare
  );
  await until(() => calls('start_batch') === 3, 'sessions asked for ahead again');
  offset += RESERVE_MAX_AGE_MS + 60_000;
  allOk(await store.uploadMany(later));
  assert.equal(calls('start_batch'), 4, 'the stale ones were left alone');
  await landedExactly('prepared-stale-later', later);
});

test('prepare(): when opening sessions ahead fails, that counts as the first call: the next ones are asked for, nothing is lost', async () => {
  const items = await files('prepare-failed', 5, 500);
  const store = rig.store();
  rig.emu.addFault({
    route: 'files/upload_session/start_batch',
    kind: 'server_error',
    times: 100,
    noRetryAfter: true,
  });
  store.prepare(items.map((i) => i.size));
  await until(
    () => rig.logger.lines.some((l) => l.includes('asked for ahead could not be opened')),
    'the failed head start',
  );
  rig.emu.clearFaults();
  rig.emu.resetStats();
  allOk(await store.uploadMany(items));
  // The failed call is not tried again behind the policy's back: its file goes alone (as when
  // the upload's own first start_batch fails), the others get the next call's sessions.
  assert.equal(calls('start_batch'), 1, 'asked again for the others');
  assert.equal(calls('start'), 1, 'one file alone');
  assert.equal(calls('append_batch'), 1, 'the others still batched');
  await landedExactly('prepare-failed', items);
});

test('an entry the server refuses (unknown session) falls back alone; the others commit', async () => {
  const items = await files('entry', 5, 300);
  const client = rig.connection.client;
  const real = client.filesUploadSessionStartBatch.bind(client);
  // The third session "expires" before its append: the server answers not_found for it alone.
  client.filesUploadSessionStartBatch = async (arg, req) => {
    const res = await real(arg, req);
    res.result.session_ids[2] = 'pid_upload_session:expired';
    return res;
  };
  try {
    const out = await rig.store().uploadMany(items);
    allOk(out);
  } finally {
    client.filesUploadSessionStartBatch = real;
  }
  assert.equal(calls('append_batch'), 1);
  assert.equal(calls('start'), 1, 'only the refused file went the one-file way');
  await landedExactly('entry', items);
});

for (const kind of ['reset_mid_body', 'drop_response'] as const) {
  test(`${kind} on append_batch: the retry stores every file once with the right bytes`, async () => {
    const items = await files(kind, 20, 2000);
    rig.emu.addFault({ route: 'files/upload_session/append_batch', kind });
    const out = await rig.store().uploadMany(items);
    allOk(out);
    assert.equal(calls('append_batch'), 2);
    assert.equal(calls('start'), 0, 'a replayed entry is recognised as stored, not re-sent');
    assert.equal(calls('finish_batch_v2'), 1);
    await landedExactly(kind, items);
  });
}

test('a reset halfway through a body of many buffers of different sizes (an empty file among them): the retry sends the same bytes', async () => {
  const sizes = [1, 0, 8192, 300, 12_345, 4096, 1, 65_536, 7, 2000, 0, 33_333];
  const items: UploadItem[] = [];
  for (const [i, size] of sizes.entries())
    items.push(
      await rig.file(`partsreset/f${String(i).padStart(2, '0')}.bin`, pattern(size, 60 + i)),
    );
  rig.emu.addFault({ route: 'files/upload_session/append_batch', kind: 'reset_mid_body' });
  const out = await rig.store().uploadMany(items);
  allOk(out);
  assert.equal(calls('append_batch'), 2, 'one body, cut and sent again');
  // A file that landed different would have been replaced by an upload of its own.
  assert.equal(calls('start'), 0);
  assert.equal(calls('finish'), 0);
  assert.equal(calls('finish_batch_v2'), 1);
  await landedExactly('partsreset', items);
});

test('429 on append_batch waits the Retry-After the server gave', async () => {
  const items = await files('slow', 3, 100);
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
  rig.emu.addFault({
    route: 'files/upload_session/append_batch',
    kind: 'too_many_requests',
    retryAfterSeconds: 7,
  });
  allOk(await rig.store({ clock }).uploadMany(items));
  assert.ok(
    sleeps.some((ms) => ms >= 7000 && ms < 8000),
    `slept ${sleeps.join(', ')} ms`,
  );
  assert.equal(calls('append_batch'), 2);
  await landedExactly('slow', items);
});

test('a server that answers append_batch with 400 gets one start per file, logged once', async () => {
  // Three 3 MiB files with a 4 MiB body limit: three bodies, all refused.
  const items = await files('old', 3, 3 * MiB);
  rig.emu.addFault({
    route: 'files/upload_session/append_batch',
    kind: 'server_error',
    status: 400,
    times: 3,
  });
  const before = rig.logger.lines.length;
  const out = await rig.store({ chunkSize: 4 * MiB }).uploadMany(items);
  allOk(out);
  const logged = rig.logger.lines.slice(before).filter((l) => l.includes('refused append_batch'));
  assert.equal(logged.length, 1);
  assert.ok(calls('append_batch') >= 1);
  assert.equal(calls('start'), 3);
  await landedExactly('old', items);
});

for (const refusal of ['431', '400', 'reset'] as const) {
  test(`a server refusing headers (${refusal}) gets halved batches, never one-by-one, never offline`, async () => {
    const items = await files(`hdr${refusal}`, 200, 500);
    // Room for about 20 cursors: far below the client's own cap, so the server must refuse.
    rig.emu.setHeaderLimit(3000, refusal);
    const before = rig.logger.lines.length;
    try {
      const store = rig.store();
      const out = await store.uploadMany(items);
      allOk(out);
      assert.ok((rig.emu.stats()['refused-headers'] ?? 0) >= 1, 'the server did refuse');
      // A cut connection is a guess at the cause, said as one; a refusal in words, as a refusal.
      const said = rig.logger.lines
        .slice(before)
        .filter((l) => l.includes('sending smaller batches'));
      assert.ok(said.length >= 1);
      for (const line of said)
        assert.match(
          line,
          refusal === 'reset'
            ? /^warn Dropbox cut off a request with a larger header than any it took, again and again; perhaps the header is too large/
            : /^warn Dropbox refused a request header as too large/,
        );
      assert.ok(store.headers.limit < 3000, `limit now ${store.headers.limit}`);
      assert.equal(calls('start'), 0, 'no file fell back to its own upload');
      assert.equal(calls('finish_batch_v2'), 1, 'committed in one batch');
      await landedExactly(`hdr${refusal}`, items);
      // The next pass starts at the learned size: nothing is refused any more.
      rig.emu.resetStats();
      const more = await files(`hdr${refusal}b`, 60, 500);
      allOk(await store.uploadMany(more));
      assert.equal(rig.emu.stats()['refused-headers'], undefined);
      assert.equal(calls('start'), 0);
    } finally {
      rig.emu.setHeaderLimit(DEFAULT_HEADER_LIMIT_BYTES, '431');
    }
  });
}

test('files still coming: a commit starts once COMMIT_AT are stored, not only when a batch of 1000 is full', async () => {
  const items = await files('streamed', 1200, 300);
  const client = rig.connection.client;
  const realFinish = client.filesUploadSessionFinishBatchV2.bind(client);
  const commits: number[] = [];
  client.filesUploadSessionFinishBatchV2 = async (arg, req) => {
    commits.push(arg.entries.length);
    return realFinish(arg, req);
  };
  // A stream that stays open: every file is here, but more might come (a pass still finding files).
  const source = new Channel<UploadItem>();
  for (const item of items) source.push(item);
  let out: Promise<UploadOutcome[]> | undefined;
  try {
    out = rig.store({ chunkSize: 4 * MiB }).uploadMany(source);
    await until(() => commits.length > 0, 'the first commit');
    // Taken when it started: what was stored by then, at least COMMIT_AT and less than a full
    // batch (the files were all queued: nothing idle made it go early).
    const first = commits[0] ?? 0;
    assert.ok(first >= COMMIT_AT && first < 1000, `first commit of ${first} files`);
    source.end();
    allOk(await out);
  } finally {
    source.end();
    await out?.catch(() => undefined);
    client.filesUploadSessionFinishBatchV2 = realFinish;
  }
  assert.equal(
    commits.reduce((n, c) => n + c, 0),
    items.length,
  );
  await landedExactly('streamed', items);
});

test('a commit whose files all landed lets the next one go before its files are reported', async () => {
  const items = await files('early-line', 1200, 300);
  const client = rig.connection.client;
  const realFinish = client.filesUploadSessionFinishBatchV2.bind(client);
  const commits: Array<{ files: number; reportedBefore: number }> = [];
  let reported = 0;
  const stored = new Set<string>(); // in their sessions, ready to commit (told as progress)
  client.filesUploadSessionFinishBatchV2 = async (arg, req) => {
    commits.push({ files: arg.entries.length, reportedBefore: reported });
    // The first commit answers once the next one is due (COMMIT_AT more stored, or every file):
    // what is tested is what happens at its answer, whatever the machine's speed made due by then.
    if (commits.length === 1) {
      const due = Math.min(items.length, arg.entries.length + COMMIT_AT);
      await until(() => stored.size >= due, 'the next commit to be due');
    }
    return realFinish(arg, req);
  };
  try {
    const out: UploadOutcome[] = [];
    await rig.store({ chunkSize: 4 * MiB }).uploadMany(items, {
      onProgress: (p) => {
        if (p.bytesSent === p.size) stored.add(p.rel);
      },
      onOutcome: (o) => {
        reported++;
        out.push(o);
      },
    });
    allOk(out);
    assert.equal(out.length, items.length);
  } finally {
    client.filesUploadSessionFinishBatchV2 = realFinish;
  }
  assert.ok(commits.length >= 2, JSON.stringify(commits));
  // (One commit at a time is the commit lane's rule in calls.ts, below this; not tested here.)
  // The second commit was asked for before the first one's files had all been reported.
  const second = commits[1]!;
  assert.ok(
    second.reportedBefore < commits[0]!.files,
    `second commit after ${second.reportedBefore} of ${commits[0]!.files} reports`,
  );
  await landedExactly('early-line', items);
});

test('the last uploads: their files join one final commit rather than wait behind a commit started just before them', async () => {
  // Every file is known (the tail from the start) and they fit one finish_batch. The requests
  // after the first TAIL_BATCH_ENTRIES files stay on their way while those are stored: a commit of
  // the stored ones would hold the rest until its answer, then take a round trip of their own;
  // one commit of all of them is the shorter way.
  const items = await files('tail', 600, 300);
  const client = rig.connection.client;
  const realAppend = client.filesUploadSessionAppendBatch.bind(client);
  const realFinish = client.filesUploadSessionFinishBatchV2.bind(client);
  const commits: number[] = [];
  let appended = 0;
  client.filesUploadSessionAppendBatch = async (arg, req) => {
    const before = appended;
    appended += arg.entries.length;
    // Answered once a commit has started or after a bound (the time in which a commit of what
    // was stored would have started), whichever is first.
    if (before >= TAIL_BATCH_ENTRIES) {
      for (let i = 0; i < 50 && commits.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return realAppend(arg, req);
  };
  client.filesUploadSessionFinishBatchV2 = async (arg, req) => {
    commits.push(arg.entries.length);
    return realFinish(arg, req);
  };
  try {
    allOk(await rig.store({ chunkSize: 4 * MiB }).uploadMany(items));
  } finally {
    client.filesUploadSessionAppendBatch = realAppend;
    client.filesUploadSessionFinishBatchV2 = realFinish;
  }
  assert.ok(calls('append_batch') > 1, `${calls('append_batch')} append_batch`);
  assert.deepEqual(commits, [items.length]);
  await landedExactly('tail', items);
});

test("the last uploads' commit is noted while their append_batch is on its way, not in the commit's turn; every commit noted before it is sent", async () => {
  const items = await files('noted', TAIL_BATCH_ENTRIES + 60, 300);
  const client = rig.connection.client;
  const realAppend = client.filesUploadSessionAppendBatch.bind(client);
  const realFinish = client.filesUploadSessionFinishBatchV2.bind(client);
  const noted = new Set<string>();
  const sessionOf = new Map<string, string>(); // session id -> rel, from the append order
  let appended = 0;
  let lastNotedBeforeAnswer: boolean | undefined;
  const unnotedAtCommit: string[] = [];
  client.filesUploadSessionAppendBatch = async (arg, req) => {
    const rels = items.slice(appended, appended + arg.entries.length).map((i) => i.rel);
    arg.entries.forEach((e, i) => sessionOf.set(e.cursor.session_id, rels[i]!));
    appended += arg.entries.length;
    if (appended === items.length) {
      // The last request is answered once its files are noted, or after a bound.
      for (let i = 0; i < 50 && !rels.every((r) => noted.has(r)); i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      lastNotedBeforeAnswer = rels.every((r) => noted.has(r));
    }
    return realAppend(arg, req);
  };
  client.filesUploadSessionFinishBatchV2 = async (arg, req) => {
    for (const e of arg.entries) {
      const rel = sessionOf.get(e.cursor.session_id);
      if (rel === undefined || !noted.has(rel)) unnotedAtCommit.push(rel ?? e.cursor.session_id);
    }
    return realFinish(arg, req);
  };
  try {
    // Packed in the order given (one file read after another), so append order names the files.
    allOk(
      await rig.store({ chunkSize: 4 * MiB }).uploadMany(items, {
        onCommitting: async (c) => {
          await new Promise((resolve) => setTimeout(resolve, 5)); // a journal save's time
          for (const f of c) noted.add(f.rel);
        },
      }),
    );
  } finally {
    client.filesUploadSessionAppendBatch = realAppend;
    client.filesUploadSessionFinishBatchV2 = realFinish;
  }
  assert.deepEqual(unnotedAtCommit, [], 'every commit noted before it is sent');
  assert.equal(
    lastNotedBeforeAnswer,
    true,
    'the last files noted while their upload was on its way',
  );
  await landedExactly('noted', items);
});

test("access revoked between the sessions' start and their append is said as such, not as a server that refuses append_batch", async () => {
  // Its own rig: the revoke would outlive this test. Tokens of a minute: the SDK refreshes before
  // each call once less than 5 minutes are left, so the append's own call meets the refusal.
  const own = await makeRig({ accessTokenTtlSeconds: 60 });
  try {
    const items = await Promise.all(
      [0, 1, 2].map((i) => own.file(`revoked/f${i}.csv`, `t,v\n${i},${i}\n`)),
    );
    const store = own.store();
    store.prepare(items.map((i) => i.size));
    await until(
      () => (own.emu.stats()['files/upload_session/start_batch'] ?? 0) === 1,
      'the sessions asked for ahead',
    );
    // The person disconnects the app: refreshing the token is refused by the token endpoint
    // with a 400 (invalid_grant), thrown by the append's call as if the append were refused.
    own.emu.revokeRefreshToken(own.refreshToken);
    const out = await store.uploadMany(items).then(
      (o) => o,
      (e: unknown) => e,
    );
    const codes = Array.isArray(out)
      ? (out as UploadOutcome[]).map((o) => (o.ok ? 'ok' : o.error.code))
      : [(out as { code?: string }).code];
    assert.ok(codes.length > 0 && codes.every((c) => c === 'auth-revoked'), codes.join(', '));
    const said = own.logger.lines.filter((l) => l.includes('refused append_batch'));
    assert.deepEqual(said, [], 'no server refusing append_batch was read into it');
    assert.equal(own.emu.stats()['files/upload_session/start'] ?? 0, 0, 'no file sent alone');
  } finally {
    await own.close();
  }
});
