// Spare upload sessions: each start_batch asks SPARE_SESSIONS beyond its files, and the ids a
// pass leaves unused serve the next pass, so its first append waits for no start_batch. Checked
// against the emulator through the real SDK: which call's ids each append carried, the age rule,
// a Dropbox that forgot the spare sessions sooner than documented (nothing lost), and the short
// wait that keeps a few counted files in one body once nothing else makes them wait.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { RESERVE_MAX_AGE_MS, SPARE_SESSIONS } from '../../src/engine/dropbox/session-reserve.js';
import { systemClock, type Clock, type UploadItem } from '../../src/engine/ports.js';
import type { DropboxRemoteStore } from '../../src/engine/dropbox/remote-store.js';
import { PACK_HOLD_MS } from '../../src/engine/dropbox/append-batch.js';
import { Channel } from '../../src/engine/channel.js';
import {
  allOk,
  landedExactly as checkLanded,
  makeRig,
  patternFiles,
  until,
  type Rig,
} from './helpers.js';

/** The emulator's clock runs this far ahead of the client's (to expire its sessions). */
let emulatorAheadMs = 0;
let rig: Rig;
before(async () => {
  rig = await makeRig({ now: () => Date.now() + emulatorAheadMs });
});
after(async () => {
  await rig.close();
});
beforeEach(() => {
  emulatorAheadMs = 0;
  rig.emu.clearFaults();
  rig.emu.resetStats();
});

const calls = (route: string): number => rig.emu.stats()[`files/upload_session/${route}`] ?? 0;

let seed = 1;
/** New files of 300 bytes, each with bytes no other file of this test file has. */
async function files(prefix: string, n: number): Promise<UploadItem[]> {
  const items = await patternFiles(rig, prefix, n, 300, seed);
  seed += n;
  return items;
}
const landedExactly = (prefix: string, items: UploadItem[]): Promise<void> =>
  checkLanded(rig, prefix, items);

/** Which upload's start_batch answered each session id: `<tag><call>`, e.g. 'a1'. */
const idsFrom = new Map<string, string>();

/**
 * Runs one upload, recording its start_batch calls (how many ids each asked for) and, per
 * append_batch, which start_batch answers (of this or an earlier upload) its sessions came from.
 */
async function upload(
  store: DropboxRemoteStore,
  items: UploadItem[],
  tag: string,
): Promise<{ starts: number[]; appends: string[] }> {
  const client = rig.connection.client;
  const realStart = client.filesUploadSessionStartBatch.bind(client);
  const realAppend = client.filesUploadSessionAppendBatch.bind(client);
  const starts: number[] = [];
  const appends: string[] = [];
  client.filesUploadSessionStartBatch = async (arg, req) => {
    const call = starts.push(arg.num_sessions);
    const res = await realStart(arg, req);
    for (const id of res.result.session_ids) idsFrom.set(id, `${tag}${call}`);
    return res;
  };
  client.filesUploadSessionAppendBatch = async (arg, req) => {
    const from = new Set(arg.entries.map((e) => idsFrom.get(e.cursor.session_id) ?? '?'));
    appends.push([...from].join('+'));
    return realAppend(arg, req);
  };
  try {
    allOk(await store.uploadMany(items));
  } finally {
    client.filesUploadSessionStartBatch = realStart;
    client.filesUploadSessionAppendBatch = realAppend;
  }
  return { starts, appends };
}

test('the sessions a pass leaves unused serve the next: a few files go without a start_batch (appends and one commit)', async () => {
  const store = rig.store();
  const first = await files('spare-a', 3);
  const a = await upload(store, first, 'a');
  assert.deepEqual(a.starts, [3 + SPARE_SESSIONS], 'asked for the spare sessions with its own');
  await landedExactly('spare-a', first);

  rig.emu.resetStats();
  const second = await files('spare-b', 5);
  const b = await upload(store, second, 'b');
  assert.deepEqual(b.starts, [], 'no start_batch: the spare sessions were enough');
  assert.ok(b.appends.length > 0, 'appended');
  assert.ok(
    b.appends.every((x) => x === 'a1'),
    `every append used the first pass's spare sessions: ${b.appends.join(', ')}`,
  );
  assert.equal(calls('finish_batch_v2'), 1);
  assert.equal(calls('start'), 0);
  await landedExactly('spare-b', second);

  // More files than are spare: the spare ones go first, the rest are asked for at once (their
  // number, and SPARE_SESSIONS again for the pass after).
  rig.emu.resetStats();
  const third = await files('spare-c', 200);
  const c = await upload(store, third, 'c');
  const left = SPARE_SESSIONS - 5;
  assert.deepEqual(c.starts, [third.length - left + SPARE_SESSIONS]);
  assert.ok(c.appends[0]?.startsWith('a1'), `first append from the spare ones: ${c.appends}`);
  assert.ok(
    c.appends.some((x) => x.includes('c1')),
    'then the new ones',
  );
  await landedExactly('spare-c', third);

  rig.emu.resetStats();
  const fourth = await files('spare-d', SPARE_SESSIONS);
  const d = await upload(store, fourth, 'd');
  assert.deepEqual(d.starts, [], `${SPARE_SESSIONS} kept again`);
  assert.ok(
    d.appends.every((x) => x === 'c1'),
    d.appends.join(', '),
  );
  await landedExactly('spare-d', fourth);
});

test('spare sessions older than an hour are not used, by the monotonic clock: a wall-clock step changes nothing', async () => {
  let passed = 0; // time gone by
  let stepped = 0; // what NTP (or a person) did to the wall clock
  const clock: Clock = {
    ...systemClock,
    now: () => systemClock.now() + stepped,
    monotonic: () => performance.now() + passed,
  };
  const store = rig.store({ clock });
  const first = await files('aged-a', 2);
  assert.deepEqual((await upload(store, first, 'e')).starts, [2 + SPARE_SESSIONS]);

  // A Pi without a clock battery learns the date a day later: the spare ids are as young as before.
  stepped += 24 * 3600 * 1000;
  const second = await files('aged-b', 3);
  const b = await upload(store, second, 'f');
  assert.deepEqual(b.starts, [], 'a wall-clock step does not age them');
  assert.ok(b.appends.length > 0 && b.appends.every((x) => x === 'e1'), b.appends.join(', '));

  passed += RESERVE_MAX_AGE_MS + 60_000;
  const third = await files('aged-c', 4);
  const c = await upload(store, third, 'ee');
  assert.deepEqual(c.starts, [4 + SPARE_SESSIONS], 'asked anew');
  assert.ok(c.appends.length > 0 && c.appends.every((x) => x === 'ee1'), 'none of the old ids');
  await landedExactly('aged-b', second);
  await landedExactly('aged-c', third);
});

test('a Dropbox that forgot the spare sessions sooner than documented: their files go one by one, the next upload asks for fresh ones, nothing lost', async () => {
  const store = rig.store();
  const first = await files('forgot-a', 1);
  assert.deepEqual((await upload(store, first, 'g')).starts, [1 + SPARE_SESSIONS]);

  // Past the emulator's session lifetime (7 days): it answers not_found for each spare id. The
  // client's own clock has not moved, so by its rule the ids are still young.
  emulatorAheadMs = 8 * 24 * 3600 * 1000;
  rig.emu.resetStats();
  const second = await files('forgot-b', 10);
  const b = await upload(store, second, 'h');
  assert.ok(b.appends.length > 0 && b.appends.every((x) => x === 'g1'), 'the spare ids were tried');
  assert.equal(calls('start'), second.length, 'each refused file went the one-file way');
  await landedExactly('forgot-b', second);

  // Forgotten, not handed on: the next upload asks for fresh sessions and batches again.
  rig.emu.resetStats();
  const third = await files('forgot-c', 6);
  const c = await upload(store, third, 'i');
  assert.deepEqual(c.starts, [6 + SPARE_SESSIONS]);
  assert.ok(c.appends.length > 0 && c.appends.every((x) => x === 'i1'), c.appends.join(', '));
  assert.equal(calls('start'), 0);
  await landedExactly('forgot-c', third);
});

/**
 * A clock whose wait of PACK_HOLD_MS (the first body's wait for counted files) ends only when the
 * test says: the tests below see the wait begin and decide when it is over, so no timing of
 * theirs can decide what they assert.
 */
function holdingClock(): { clock: Clock; waits: () => number; release: () => void } {
  let waits = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const clock: Clock = {
    ...systemClock,
    sleep: (ms, signal) => {
      if (ms !== PACK_HOLD_MS) return systemClock.sleep(ms, signal);
      waits++;
      return new Promise((resolve, reject) => {
        void released.then(resolve);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    },
  };
  return { clock, waits: () => waits, release };
}

test('a pass of a few files the scan counted: one append_batch, not the first file alone and then the rest', async () => {
  const { clock, waits } = holdingClock();
  const store = rig.store({ clock });
  await upload(store, await files('hold-warm', 1), 'j'); // spare sessions: the first file could go at once
  rig.emu.resetStats();
  const few = await files('hold', 5);
  store.prepare(
    few.map((i) => i.size),
    false,
  );
  const source = new Channel<UploadItem>();
  source.push(few[0]!);
  const out = store.uploadMany(source);
  try {
    // The first file is packed and the link idle: its body waits for the other four.
    await until(() => waits() === 1, 'the first body to wait');
    for (const item of few.slice(1)) source.push(item);
    source.end();
    allOk(await out);
  } finally {
    source.end();
    await out.catch(() => undefined);
  }
  assert.equal(calls('start_batch'), 0);
  assert.equal(calls('append_batch'), 1, 'the five in one body');
  assert.equal(calls('finish_batch_v2'), 1);
  assert.equal(waits(), 1, 'only the first body waits');
  await landedExactly('hold', few);
});

test('the wait for counted files is bounded: files in hand go when the rest are slow to come', async () => {
  const { clock, waits, release } = holdingClock();
  const store = rig.store({ clock });
  await upload(store, await files('hold-slow-warm', 1), 'k');
  rig.emu.resetStats();
  const items = await files('hold-slow', 4);
  store.prepare(
    items.map((i) => i.size),
    false,
  );
  const client = rig.connection.client;
  const realAppend = client.filesUploadSessionAppendBatch.bind(client);
  const sent: number[] = [];
  client.filesUploadSessionAppendBatch = async (arg, req) => {
    sent.push(arg.entries.length);
    return realAppend(arg, req);
  };
  // Two of the four counted files are here; the other two are stuck (a large file copied first,
  // a slow disk).
  const source = new Channel<UploadItem>();
  for (const item of items.slice(0, 2)) source.push(item);
  const out = store.uploadMany(source);
  try {
    await until(() => waits() === 1, 'the first body to wait');
    assert.deepEqual(sent, [], 'held while the wait lasts');
    release(); // PACK_HOLD_MS are over
    await until(() => sent.length > 0, 'the first body to go');
    assert.deepEqual(sent, [2], 'the files in hand went without the counted rest');
    for (const item of items.slice(2)) source.push(item);
    source.end();
    allOk(await out);
  } finally {
    source.end();
    await out.catch(() => undefined);
    client.filesUploadSessionAppendBatch = realAppend;
  }
  assert.equal(
    sent.reduce((n, c) => n + c, 0),
    items.length,
  );
  await landedExactly('hold-slow', items);
});

test('spare sessions are topped up when they fall short, never left to run out: a hub keeps needing no start_batch', async () => {
  const store = rig.store();
  await upload(store, await files('topped-warm', 1), 'm');
  rig.emu.resetStats();
  const passes = 40;
  for (let p = 0; p < passes; p++) {
    const items = await files(`topped-${p}`, 5);
    // As a pass does: the scan's count first, then the files.
    store.prepare(
      items.map((i) => i.size),
      false,
    );
    allOk(await store.uploadMany(items));
  }
  // 200 files from 128 spare ones: one start_batch when they fell short (asking the shortfall and
  // SPARE_SESSIONS more), not one a pass from then on.
  const starts = calls('start_batch');
  assert.ok(
    starts >= 1 && starts <= Math.ceil((passes * 5) / SPARE_SESSIONS),
    `${starts} start_batch`,
  );
  assert.equal(calls('start'), 0);
});
