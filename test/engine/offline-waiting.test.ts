// What the problems count as "waiting" agrees with the status sentence. The offline problem (the
// alert a person reads) counted only the files in transit: "Dropbox has been unreachable for
// 1 min …; 3 files are waiting safely" beside "Dropbox is unreachable; retrying. 4 files waiting
// safely." when a fourth waited in the watch folder behind a same-named file in transit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { withHarness } from './harness.js';

test('offline: the problem counts the files held in the watch folder, as the status sentence does', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ settings: { offlineAlertMinutes: 1 }, engine: { clock } }, async (h) => {
    const saved = await h.engine.saveSettings({
      ...h.settings,
      dropboxEndpoint: 'http://127.0.0.1:9',
    });
    assert.ok(saved.ok);
    for (const name of ['a', 'b', 'c']) await h.drop(`RDL/USB0/${name}.csv`, `${name}\n`);
    await h.engine.runPassNow();
    // A new version of a.csv: it waits in the watch folder until the first has left transit.
    await h.drop('RDL/USB0/a.csv', 'a, a later version\n');
    offsetMs += 61_000;
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    assert.equal(s.counts.transit, 3, JSON.stringify(s.counts));
    assert.equal(s.counts.waiting, 1, JSON.stringify(s.counts));
    assert.equal(s.state, 'offline');
    assert.match(
      s.sentence,
      /Dropbox is unreachable: the connection to 127\.0\.0\.1:9 was refused \(ECONNREFUSED\); [^.]*\. 4 files waiting safely\./,
    );
    const offline = s.problems.find((p) => p.id === 'offline');
    assert.ok(offline, JSON.stringify(s.problems));
    assert.match(
      offline.message,
      /Dropbox endpoint if one is set; 4 files are waiting safely, and the copy/,
    );
    // The digest (the operators' weekly email) counts the same queue: the legs' counts are
    // transit's, and the file held in the watch folder is said beside them.
    const digest = await h.engine.alerts.digest(s);
    assert.match(digest.text, /Transit queue: 3 files; 1 more waiting in the watch folder\n/);
  });
});

test('a card problem says how many wait in transit and how many more in the watch folder', async () => {
  await withHarness({}, async (h) => {
    for (const name of ['a', 'b']) await h.drop(`RDL/USB0/${name}.csv`, `${name}\n`);
    // The archive folder goes away before the first pass: both files stop in transit.
    await fs.rm(h.archiveDir, { recursive: true });
    await h.engine.runPassNow();
    await h.drop('RDL/USB0/a.csv', 'a, a later version\n');
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    assert.equal(s.counts.transit, 2, JSON.stringify(s.counts));
    assert.equal(s.counts.waiting, 1, JSON.stringify(s.counts));
    const missing = s.problems.find((p) => p.id === 'archive-missing');
    assert.ok(missing, JSON.stringify(s.problems));
    assert.match(
      missing.message,
      /2 files wait safely in transit, 1 more in the watch folder\.$/,
      missing.message,
    );
  });
});
