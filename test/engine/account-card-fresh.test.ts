// The status said "Dropbox is full" beside "Dropbox: … 0 B used of 2.2 TB": the account card is
// asked for at most every 10 minutes, a failed ask (a 503) waited 10 minutes more, and neither a
// quota-full answer nor a reconnect asked again (unattended-hub trial). Now Dropbox's "full" and a
// saved connection make the next pass ask, and a failed ask is tried again at the next pass a
// minute on. The real engine and the emulator through the real SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from './harness.js';
import { USAGE_STALE_MIN_BYTES } from '../../src/engine/services/dropbox-account.js';

test('after Dropbox says it is full, the next pass shows the space used as Dropbox counts it', async () => {
  await withHarness({}, async (h) => {
    const first = await h.engine.runPassNow();
    assert.equal(first.uploadBlocked, null);
    assert.equal(h.engine.getStatus().dropbox.usedBytes, 0, 'the card as asked at the first pass');

    const body = Buffer.alloc(600_000, 1);
    await h.drop('cameras/a.jpg', body);
    const uploaded = await h.engine.runPassNow();
    assert.equal(uploaded.done, 1, JSON.stringify(uploaded));

    h.emulator.setQuota(body.length + 1000);
    await h.drop('cameras/b.jpg', body);
    const full = await h.engine.runPassNow();
    assert.equal(full.uploadBlocked?.code, 'quota-full', JSON.stringify(full));

    await h.engine.runPassNow();
    const dropbox = h.engine.getStatus().dropbox;
    assert.equal(dropbox.usedBytes, body.length, JSON.stringify(dropbox));
    assert.equal(dropbox.allocatedBytes, body.length + 1000);
  });
});

test('an account ask that failed is made again a minute later, not ten', async () => {
  let wall = Date.parse('2026-12-01T08:00:00Z');
  let mono = 5_000_000;
  const clock = {
    now: () => wall,
    monotonic: () => mono,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 50))),
  };
  await withHarness({ engine: { clock, retry: { maxAttempts: 1 } } }, async (h) => {
    await h.engine.runPassNow();
    const before = h.engine.getStatus().dropbox.allocatedBytes;
    // Ten minutes on, the account is asked for again, and Dropbox answers with a server error.
    h.emulator.setQuota(5_000_000);
    h.emulator.addFault({
      kind: 'server_error',
      status: 503,
      route: 'users/get_space_usage',
      times: 50,
    });
    wall += 11 * 60_000;
    mono += 11 * 60_000;
    await h.engine.runPassNow();
    assert.equal(h.engine.getStatus().dropbox.allocatedBytes, before, 'the ask failed');
    h.emulator.clearFaults();
    wall += 61_000;
    mono += 61_000;
    await h.engine.runPassNow();
    assert.equal(h.engine.getStatus().dropbox.allocatedBytes, 5_000_000, 'asked again, known');
  });
});

test("a first sync's files show in the space used at the next pass, not ten minutes later", async () => {
  await withHarness({}, async (h) => {
    const body = Buffer.alloc(300_000, 2);
    await h.drop('cameras/first.jpg', body);
    const first = await h.engine.runPassNow();
    assert.equal(first.done, 1, JSON.stringify(first));
    // Asked as that pass began, before its file went.
    assert.equal(h.engine.getStatus().dropbox.usedBytes, 0);
    await h.engine.runPassNow();
    assert.equal(h.engine.getStatus().dropbox.usedBytes, body.length);

    // Once a process: later uploads wait for the usual 10 minutes (no ask per pass).
    h.emulator.resetStats();
    await h.drop('cameras/second.jpg', body);
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    const asked = Object.keys(h.emulator.stats()).filter((route) => route.includes('users/'));
    assert.deepEqual(asked, []);
    assert.equal(h.engine.getStatus().dropbox.usedBytes, body.length);
  });
});

test('once the bytes sent since the card make "used" stale (a tenth of it, 32 MiB at least), the next pass asks again', async () => {
  await withHarness({}, async (h) => {
    const small = Buffer.alloc(300_000, 3);
    await h.drop('cameras/first.jpg', small);
    await h.engine.runPassNow();
    await h.engine.runPassNow(); // the first upload's ask: "used" is the first file
    assert.equal(h.engine.getStatus().dropbox.usedBytes, small.length);

    // A large file well past the stale mark: "used" counts it at the pass after (a trial's status
    // said "1.8 MB used" for minutes after 1.07 GB went up).
    const large = Buffer.alloc(USAGE_STALE_MIN_BYTES + 1_000_000, 4);
    await h.drop('cameras/large.bin', large);
    const sent = await h.engine.runPassNow();
    assert.equal(sent.uploadedBytes, large.length, JSON.stringify(sent));
    await h.engine.runPassNow();
    assert.equal(h.engine.getStatus().dropbox.usedBytes, small.length + large.length);

    // Small files after it ask for nothing (the card is asked at most every 10 minutes).
    h.emulator.resetStats();
    await h.drop('cameras/later.jpg', small);
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    assert.deepEqual(
      Object.keys(h.emulator.stats()).filter((route) => route.includes('users/')),
      [],
    );
  });
});
