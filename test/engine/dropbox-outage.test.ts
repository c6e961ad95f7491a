// Dropbox failing with server errors for every request (an outage on its side, which has lasted
// hours) is a wait for the whole Dropbox leg, as a network outage is: before, every queued file
// got its own failure count, a "failed 3 times" problem each, and a back-off of up to an hour, so
// the queue stayed behind after Dropbox had recovered. A few files Dropbox fails on while it
// answers otherwise still fail alone. The real engine and the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../src/engine/ports.js';
import { systemClock } from '../../src/engine/ports.js';
import { withHarness } from './harness.js';

const FILES = 30;

test('an outage with server errors for every request holds the queue as one wait, and it all goes at once when Dropbox is back', async () => {
  let now = Date.now();
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  await withHarness({ engine: { clock } }, async (h) => {
    for (let i = 0; i < FILES; i++) await h.drop(`RDL/USB0/f${i}.csv`, `t,v\n${i},1\n`);
    h.emulator.addFault({ kind: 'server_error', times: 1_000_000, noRetryAfter: true });
    await h.engine.runPassNow();
    assert.equal(h.engine.getStatus().state, 'offline');
    assert.match(
      h.engine.getStatus().sentence,
      /^Dropbox is failing with server errors \(on its side\); retrying\. 30 files waiting safely\.$/,
    );
    // Passes 10 minutes apart until the outage has lasted long enough to be told (bounded).
    for (let pass = 0; pass < 30; pass++) {
      await h.engine.runPassNow();
      if (h.engine.getStatus().problems.some((p) => p.id === 'offline')) break;
      now += 10 * 60_000;
    }
    const s = h.engine.getStatus();
    // No file is failing on its own, and the problem says whose trouble it is.
    assert.equal(s.counts.failed, 0);
    assert.deepEqual(
      s.problems.filter((p) => p.id.startsWith('file-failing:')).map((p) => p.id),
      [],
    );
    assert.equal(s.counts.transit, FILES);
    assert.equal(s.counts.archivePending, 0, 'the SD-card copy went on');
    const outage = s.problems.find((p) => p.id === 'offline');
    assert.ok(outage, JSON.stringify(s.problems));
    assert.match(
      outage.message,
      /failing with server errors for 60 min: this is on Dropbox's side/,
    );
    assert.doesNotMatch(outage.message, /check the network/);

    // Dropbox is back: the very next pass takes the whole queue (no file waits out a back-off).
    h.emulator.clearFaults();
    const r = await h.engine.runPassNow();
    assert.equal(r.done, FILES);
    assert.equal(h.engine.getStatus().counts.transit, 0);
    assert.equal(
      h.engine.getStatus().problems.some((p) => p.id === 'offline'),
      false,
    );
  });
});

test('large files Dropbox fails on while it answers other calls fail alone', async () => {
  await withHarness({ settings: { chunkSizeMiB: 4 } }, async (h) => {
    for (let i = 0; i < 3; i++)
      await h.drop(`cameras/clip${i}.bin`, Buffer.alloc(5 * 1024 * 1024, i));
    // Every append of a large file fails; the account (and everything else) answers.
    h.emulator.addFault({
      route: 'files/upload_session/append_v2',
      kind: 'server_error',
      times: 1_000_000,
      noRetryAfter: true,
    });
    const r = await h.engine.runPassNow();
    assert.equal(r.uploadBlocked, null, 'the leg is not held for the whole of Dropbox');
    assert.equal(r.fileFailures, 3);
    assert.equal(h.engine.getStatus().counts.failed, 3);
  });
});

test('a storm of "too many requests" for every request is one wait too, named as what it is, and the queue goes at once when it ends; the card copy goes on', async () => {
  let now = Date.now();
  // Retry-After is honoured through the clock: waited out at once here.
  const clock: Clock = { now: () => now, sleep: () => systemClock.sleep(1) };
  await withHarness({ engine: { clock } }, async (h) => {
    for (let i = 0; i < FILES; i++) await h.drop(`RDL/USB0/f${i}.csv`, `t,v\n${i},1\n`);
    h.emulator.addFault({ kind: 'too_many_requests', times: 1_000_000, retryAfterSeconds: 1 });
    for (let pass = 0; pass < 30; pass++) {
      await h.engine.runPassNow();
      if (h.engine.getStatus().problems.some((p) => p.id === 'offline')) break;
      now += 10 * 60_000;
    }
    const s = h.engine.getStatus();
    assert.equal(s.counts.failed, 0, 'no file failing on its own, nor backing off on its own');
    assert.deepEqual(
      s.problems.filter((p) => p.id.startsWith('file-failing:')).map((p) => p.id),
      [],
    );
    assert.equal(s.counts.archivePending, 0, 'the SD-card copy went on');
    assert.match(s.sentence, /^Dropbox asks RDL Sync to slow down \(too many requests\); retrying/);
    const storm = s.problems.find((p) => p.id === 'offline');
    assert.ok(storm, JSON.stringify(s.problems));
    assert.match(storm.message, /asking RDL Sync to slow down \(too many requests\) for 60 min/);
    assert.doesNotMatch(storm.message, /check the network|server errors/);

    h.emulator.clearFaults();
    const r = await h.engine.runPassNow();
    assert.equal(r.done, FILES, 'no file waits out a back-off of its own');
    assert.deepEqual(h.engine.getStatus().problems, []);
  });
});
