// The pass as an event stream (pipeline/events.ts), on real parts: what a file goes through, what
// a blocked leg looks like, and back-off per leg (DESIGN.md: "each leg backs off on its own: a
// file Dropbox refuses still reaches the card").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DropboxLeg } from '../../src/engine/legs/dropbox-leg.js';
import { notConnected } from '../../src/engine/pipeline/problems.js';
import type { PassEvent } from '../../src/engine/pipeline/events.js';
import { EARLY_PREPARE_AT } from '../../src/engine/pipeline/pass.js';
import { SPARE_SESSIONS } from '../../src/engine/dropbox/session-reserve.js';
import { startPassRig, storyOf, withRig } from './pass-rig.js';

function blockedLegs(events: PassEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'leg-blocked' ? [`${e.leg}:${e.error.code}`] : []));
}

test('a file through both legs: staged → leg-started ×2 → leg-done ×2 → file-done', async () => {
  await withRig(async (r) => {
    await r.drop('USB0/a.csv', 'time,value\n1,2\n');
    const { report, events } = await r.pass();
    assert.equal(report.done, 1);
    const story = storyOf(events, 'USB0/a.csv');
    assert.equal(story[0], 'staged');
    assert.equal(story.at(-1), 'file-done');
    assert.deepEqual(story.slice(1, -1).sort(), [
      'leg-done:archive',
      'leg-done:upload',
      'leg-started:archive',
      'leg-started:upload',
    ]);
    for (const leg of ['upload', 'archive'])
      assert.ok(
        story.indexOf(`leg-started:${leg}`) < story.indexOf(`leg-done:${leg}`),
        `${leg}: started before done`,
      );
    assert.deepEqual(blockedLegs(events), []);
    const end = events.at(-1);
    assert.equal(end?.type, 'pass-ended');
    assert.deepEqual(end?.type === 'pass-ended' && end.blocked, { upload: null, archive: null });
    // Both legs reported the same verified hash.
    const hashes = new Set(events.flatMap((e) => (e.type === 'leg-done' ? [e.contentHash] : [])));
    assert.equal(hashes.size, 1);
  });
});

test('a missing card blocks the archive leg only: leg-blocked for archive, the upload still runs', async () => {
  await withRig(async (r) => {
    await fs.rm(r.archiveDir, { recursive: true });
    await r.drop('USB0/b.csv', 'b\n');
    const { report, events } = await r.pass();
    assert.deepEqual(blockedLegs(events), ['archive:archive-missing']);
    assert.deepEqual(storyOf(events, 'USB0/b.csv'), [
      'staged',
      'leg-started:upload',
      'leg-done:upload',
    ]);
    assert.equal(report.done, 0, 'nothing finishes without the card copy');
    const checked = events.find((e) => e.type === 'leg-checked' && e.leg === 'archive');
    assert.equal(checked?.type === 'leg-checked' && checked.card?.present, false);
    const end = events.at(-1);
    assert.equal(end?.type === 'pass-ended' && end.blocked.upload, null);
    assert.equal(end?.type === 'pass-ended' && end.pending, 1);
  });
});

test('back-off is per leg: a file Dropbox refuses still reaches the card on the next pass', async () => {
  await withRig(async (r) => {
    // A name with a DEL character is fine on Linux and one Dropbox never stores: refused for it
    // alone.
    const rel = 'USB0/del\x7f.csv';
    const card = r.archiveDir;
    await fs.rename(card, `${card}.away`); // card out for the first pass
    await r.drop(rel, 'refused by Dropbox\n');
    const first = await r.pass();
    assert.deepEqual(storyOf(first.events, rel), [
      'staged',
      'leg-started:upload',
      'leg-failed:upload',
    ]);
    assert.deepEqual(blockedLegs(first.events), ['archive:archive-missing']);
    await fs.rename(`${card}.away`, card);

    const second = await r.pass(); // no time passes: Dropbox's back-off for this file still runs
    assert.deepEqual(storyOf(second.events, rel), ['leg-started:archive', 'leg-done:archive']);
    assert.equal(
      await fs.readFile(path.join(card, 'USB0', 'del\x7f.csv'), 'utf8'),
      'refused by Dropbox\n',
    );
    const entry = r.journal.entry(rel);
    assert.equal(entry?.retry?.upload?.attempts, 1);
    assert.equal(entry?.retry?.upload?.lastError?.code, 'malformed-path');
    assert.equal(entry?.retry?.upload?.lastError?.message.includes('del\x7f.csv'), true);
    assert.equal(entry?.retry?.archive, undefined, 'the card leg has no back-off of its own');
    assert.ok(entry?.archive, 'card copy recorded');
    assert.equal(entry?.attempts, 0, "the file's own wait is untouched");
  });
});

test('back-off is per leg: a file the card refuses still reaches Dropbox when it comes back', async () => {
  await withRig(async (r) => {
    const rel = 'USB0/c.csv';
    // A regular file where the card needs the folder USB0: this file alone cannot be copied.
    await fs.writeFile(path.join(r.archiveDir, 'USB0'), 'not a folder');
    const dropbox = r.deps.legs[0]!;
    r.deps.legs[0] = new DropboxLeg(null, notConnected()); // Dropbox away for the first pass
    await r.drop(rel, 'refused by the card\n');
    const first = await r.pass();
    assert.deepEqual(storyOf(first.events, rel), [
      'staged',
      'leg-started:archive',
      'leg-failed:archive',
    ]);
    assert.deepEqual(blockedLegs(first.events), ['upload:auth-missing']);
    r.deps.legs[0] = dropbox;

    const second = await r.pass(); // the card's back-off for this file still runs
    assert.deepEqual(storyOf(second.events, rel), ['leg-started:upload', 'leg-done:upload']);
    assert.ok(r.emulator.getFile('/RDL/site1/USB0/c.csv'), 'on Dropbox');
    const entry = r.journal.entry(rel);
    assert.equal(entry?.retry?.archive?.attempts, 1);
    assert.equal(entry?.retry?.upload, undefined);

    // The card healed and the back-off over: the file finishes, exactly once on each side.
    await fs.rm(path.join(r.archiveDir, 'USB0'));
    r.advance(60 * 60_000);
    const third = await r.pass();
    assert.deepEqual(storyOf(third.events, rel), [
      'leg-started:archive',
      'leg-done:archive',
      'file-done',
    ]);
    assert.equal(third.report.done, 1);
  });
});

test('the legs hear how many files the scan found before staging; Dropbox opens their sessions then, once', async () => {
  await withRig(async (r) => {
    for (const n of [1, 2, 3]) await r.drop(`USB0/p${n}.csv`, `time,value\n${n},${n}\n`);
    const upload = r.deps.legs.find((leg) => leg.id === 'upload');
    assert.ok(upload?.prepare, 'the Dropbox leg can get ready');
    const heard: Array<{ files: number; staged: number }> = [];
    const real = upload.prepare.bind(upload);
    upload.prepare = (sizes) => {
      const files = sizes.length;
      // What transit holds at the moment of the hint (looked at synchronously: staging waits).
      let staged: number;
      try {
        staged = readdirSync(path.join(r.transitDir, 'USB0')).length;
      } catch {
        staged = 0; // not even its folder yet
      }
      heard.push({ files, staged });
      real(sizes);
    };
    const { report } = await r.pass();
    assert.equal(report.done, 3);
    assert.deepEqual(heard, [{ files: 3, staged: 0 }]);
    const stats = r.emulator.stats();
    assert.equal(
      stats['files/upload_session/start_batch'],
      1,
      'the sessions opened ahead were used',
    );
    assert.equal(stats['files/upload_session/start'] ?? 0, 0);
    // Nothing new in the watch folder: no hint, no sessions opened for nothing.
    await r.pass();
    assert.equal(heard.length, 1);
    assert.equal(r.emulator.stats()['files/upload_session/start_batch'], 1);
  });
});

test('a big pass: Dropbox opens sessions once the walk met EARLY_PREPARE_AT files, before the scan ends', async () => {
  await withRig(async (r) => {
    const n = EARLY_PREPARE_AT + 40;
    for (let i = 0; i < n; i++) await r.drop(`USB0/b${i}.csv`, `${i}\n`);
    const upload = r.deps.legs.find((leg) => leg.id === 'upload');
    assert.ok(upload?.prepare, 'the Dropbox leg can get ready');
    const order: string[] = [];
    const realPrepare = upload.prepare.bind(upload);
    upload.prepare = (sizes) => {
      order.push(`prepare ${sizes.length}`);
      realPrepare(sizes);
    };
    const realScan = r.deps.scanner.scan.bind(r.deps.scanner);
    r.deps.scanner = {
      scan: async (signal, onSighting) => {
        const out = await realScan(signal, onSighting);
        order.push('scan ended');
        return out;
      },
    };
    const { report } = await r.pass();
    assert.equal(report.done, n);
    // Asked during the walk (not after it and the open-files check), then told the final count.
    assert.deepEqual(order, [`prepare ${EARLY_PREPARE_AT}`, 'scan ended', `prepare ${n}`]);
    const stats = r.emulator.stats();
    // The early sessions (asked with SPARE_SESSIONS for the pass after) were enough for them all.
    assert.ok(n <= EARLY_PREPARE_AT + SPARE_SESSIONS);
    assert.equal(stats['files/upload_session/start_batch'], 1);
    assert.equal(stats['files/upload_session/start'] ?? 0, 0);
  });
});

test('a big pass whose files are all still settling: the early count is withdrawn (the legs hear 0)', async () => {
  const r = await startPassRig({ stableSeconds: 3600 });
  try {
    for (let i = 0; i < EARLY_PREPARE_AT; i++) await r.drop(`USB0/w${i}.csv`, `${i}\n`);
    const upload = r.deps.legs.find((leg) => leg.id === 'upload');
    assert.ok(upload?.prepare, 'the Dropbox leg can get ready');
    const heard: number[] = [];
    const realPrepare = upload.prepare.bind(upload);
    upload.prepare = (sizes) => {
      heard.push(sizes.length);
      realPrepare(sizes);
    };
    const { report } = await r.pass();
    assert.equal(report.staged, 0, 'just written: none is finished yet');
    // Heard during the walk, then told that none of them come.
    assert.deepEqual(heard, [EARLY_PREPARE_AT, 0]);
  } finally {
    await r.close();
  }
});
