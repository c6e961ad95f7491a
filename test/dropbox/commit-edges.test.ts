// Commits as real Dropbox answers them, through the SDK against the emulator: empty-body 503s on
// finish (also after the commit was applied), a file where a folder should be and the reverse,
// names Dropbox cannot store, uploads that do not notify the desktop clients, and encrypted
// team folders.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UploadItem, UploadOutcome } from '../../src/engine/ports.js';
import { FAST_RETRY, makeRig, MiB, pattern, requestsMade, type Rig } from './helpers.js';

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

const stat = (route: string): number => rig.emu.stats()[route] ?? 0;

async function files(prefix: string, n: number): Promise<UploadItem[]> {
  const out = [];
  for (let i = 0; i < n; i++)
    out.push(await rig.file(`${prefix}/${i % 2 ? 'odd' : 'even'}/f${i}.csv`, pattern(900, i + 3)));
  return out;
}

function okCount(out: UploadOutcome[]): number {
  return out.filter((o) => o.ok).length;
}

test('finish answering empty 503s for a long time: the pass ends normally, the files wait for a retry', async () => {
  const small = await files('down', 12);
  const big = await rig.file('down/big.bin', pattern(5 * MiB, 9));
  rig.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'server_error',
    status: 503,
    noRetryAfter: true,
    times: 1000,
  });
  const out = await rig
    .store({ retry: { ...FAST_RETRY, maxAttempts: 3 } })
    .uploadMany([...small, big]);
  const failed = out.filter((o) => !o.ok);
  assert.equal(failed.length, 12, 'the small files wait; nothing was thrown');
  for (const o of failed) {
    if (!o.ok) {
      assert.equal(o.error.kind, 'retry');
      assert.equal(o.error.code, 'server-error');
    }
  }
  assert.ok(out.at(-1)?.ok, 'the large file, committed on its own, is not held back');
  assert.equal(stat('files/get_metadata'), 0, 'no metadata call per file');
  assert.ok(stat('files/list_folder') <= 2, 'one listing per folder at most');
});

for (const times of [1, 10]) {
  test(`a commit applied but answered with an empty 503 (${times}x) is recognised by folder listings`, async () => {
    const items = await files(`landed${times}`, 20);
    rig.emu.addFault({
      route: 'files/upload_session/finish_batch_v2',
      kind: 'unavailable_after_apply',
      times,
    });
    const out = await rig.store({ retry: { ...FAST_RETRY, maxAttempts: 3 } }).uploadMany(items);
    assert.equal(okCount(out), 20);
    for (const o of out) if (o.ok) assert.equal(o.alreadyPresent, false, 'it was our commit');
    assert.equal(stat('files/get_metadata'), 0, 'no metadata call per file');
    assert.equal(stat('files/list_folder'), 2, 'one listing for each of the two folders');
    assert.equal(
      rig.emu.listFiles().filter((f) => f.pathDisplay.includes(`/landed${times}/`)).length,
      20,
    );
  });
}

test('a file where a folder should be (case-insensitively) fails that file alone in a few calls', async () => {
  rig.emu.putFile('/RDL/site1/data', Buffer.from('a file named data'));
  rig.emu.putFile('/RDL/site1/Logs/Day1', Buffer.from('not a folder'));
  const blockedA = await rig.file('Data/x.csv', 'x');
  const blockedB = await rig.file('logs/day1/y.csv', 'y');
  const fine = await rig.file('other/z.csv', 'z');
  rig.emu.resetStats();
  const out = await rig.store().uploadMany([blockedA, blockedB, fine]);
  for (const o of out.slice(0, 2)) {
    assert.equal(o.ok, false);
    if (!o.ok) {
      assert.equal(o.error.kind, 'file-failed');
      assert.match(o.error.message, /Dropbox has a file where one of its folders should be/);
    }
  }
  assert.ok(out[2]?.ok);
  const total = requestsMade(rig.emu);
  assert.ok(total <= 10, `${total} requests in all, not hundreds of keep-both lookups`);
});

test('a folder where the file should be fails that file alone', async () => {
  rig.emu.putFile('/RDL/site1/Report.CSV/inner.txt', Buffer.from('inside a folder'));
  const item = await rig.file('report.csv', 'r');
  rig.emu.resetStats();
  const [o] = await rig.store().uploadMany([item]);
  assert.equal(o?.ok, false);
  if (o && !o.ok) assert.match(o.error.message, /Dropbox has a folder with its name/);
  assert.equal(stat('files/get_metadata'), 1);
});

test('names with a backslash, a .. part or more than 255 characters fail alone before any request', async () => {
  const good = await rig.file('names/fine.csv', 'ok');
  const items: UploadItem[] = [
    { ...good, rel: 'names/back\\slash.csv' },
    { ...good, rel: 'names/../escape.csv' },
    { ...good, rel: `names/${'n'.repeat(256)}.csv` },
    good,
  ];
  const out = await rig.store().uploadMany(items);
  assert.deepEqual(
    out.map((o) => (o.ok ? 'ok' : o.error.code)),
    ['malformed-path', 'malformed-path', 'malformed-path', 'ok'],
  );
  const paths = rig.emu.listFiles().map((f) => f.pathDisplay);
  assert.ok(!paths.some((p) => p.includes('slash') || p.includes('escape')), paths.join(', '));
});

test('uploads are muted: no desktop notification for any file, small or large', async () => {
  const items = [...(await files('mute', 6)), await rig.file('mute/big.bin', pattern(5 * MiB, 4))];
  const out = await rig.store().uploadMany(items);
  assert.equal(okCount(out), 7);
  assert.equal(stat('notifications'), 0);
  // The emulator does count them for an unmuted upload, so the zero above means something.
  await rig.connection.client.filesUpload({ path: '/unmuted.txt', contents: Buffer.from('x') });
  assert.equal(stat('notifications'), 1);
});

// The remote folder's trouble, not each file's: the upload stops as a whole (as for a full
// Dropbox), with its own message. As a failure of each file it was "keep failing the same way
// (unknown) … Other files are not affected" while every file failed.
test('encryption_not_supported stops the upload as the remote folder’s problem, with its own message', async () => {
  const items = await files('crypt', 2);
  rig.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'encryption_not_supported',
  });
  await assert.rejects(rig.store().uploadMany(items), (e: unknown) => {
    const err = e as { kind: string; code: string; message: string };
    assert.equal(err.kind, 'blocked');
    assert.equal(err.code, 'remote-encrypted');
    assert.match(
      err.message,
      /end-to-end encrypted folder, which apps cannot write to; choose a remote folder outside it/,
    );
    return true;
  });
  rig.emu.clearFaults();
});
