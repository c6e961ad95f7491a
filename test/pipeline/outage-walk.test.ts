// A long Dropbox outage with the SD card working: every pass walked the whole transit folder (an
// lstat and a journal look-up per file) to find each file still waiting for Dropbox, 0.7-1.3 s of
// CPU a pass with 20,000 queued on a desktop, for weeks. Now a pass offline tries Dropbox with one
// file and leaves the rest of transit unwalked while it is still out, with the queue's counts
// carried over; files arriving meanwhile are archived in the pass that finds them, a complete walk
// still comes every FULL_WALK_EVERY_MS, and when the link returns the whole queue goes. The real
// pass, real folders, and the emulator behind a loopback relay that is taken down and brought back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { History } from '../../src/engine/history/index.js';
import type { PassDeps } from '../../src/engine/pipeline/deps.js';
import type { PassEvent } from '../../src/engine/pipeline/events.js';
import { newPassMemory, runPass } from '../../src/engine/pipeline/pass.js';
import {
  FILES_TO_TELL_AN_OUTAGE,
  FULL_WALK_EVERY_MS,
} from '../../src/engine/pipeline/quiet-outage.js';
import { Relay } from '../dropbox/tcp-relay.js';
import { startPassRig, passDepsFor } from './pass-rig.js';

const QUEUED = 40;

test('a pass while Dropbox is out does not walk the queue again, archives new files at once, and the whole queue goes when Dropbox is back', async () => {
  const rig = await startPassRig();
  const relay = new Relay(Number(new URL(rig.settings.dropboxEndpoint).port));
  const history = await History.open(path.join(rig.root, 'outage-history.jsonl'), 1000);
  try {
    await relay.open();
    const settings = { ...rig.settings, dropboxEndpoint: `http://127.0.0.1:${relay.port}` };
    const events: PassEvent[] = [];
    let offsetMs = 0;
    const clock = {
      now: () => Date.now() + offsetMs,
      monotonic: () => performance.now() + offsetMs,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))),
    };
    const built = passDepsFor(settings, rig.emulator, rig.refreshToken, {
      journal: rig.journal,
      history,
      clock,
      emit: (e) => events.push(e),
    });
    // The files each pass's walk of transit met (the engine's own listing, counted as it yields).
    let walked = 0;
    const deps: PassDeps = {
      ...built,
      async *listTransit(onError, known) {
        for await (const f of built.listTransit(onError, known)) {
          walked++;
          yield f;
        }
      },
    };
    const memory = newPassMemory();
    const pass = async () => {
      walked = 0;
      const from = events.length;
      const report = await runPass(deps, memory, new AbortController().signal);
      const counts = events.slice(from).filter((e) => e.type === 'counts');
      return { report, walked, counts: counts.at(-1), allCounts: counts };
    };
    const onCard = async (rel: string) =>
      fs
        .stat(path.join(rig.archiveDir, ...rel.split('/')))
        .then(() => true)
        .catch(() => false);

    await relay.close(); // the hub's link goes down
    let bytes = 0;
    for (let i = 0; i < QUEUED; i++) {
      const content = `t,v\n${i},${'x'.repeat(i)}\n`;
      bytes += Buffer.byteLength(content);
      await rig.drop(`RDL/USB0/2026-01/f${String(i).padStart(2, '0')}.txt`, content);
    }
    const first = await pass();
    assert.equal(first.report.uploadBlocked?.code, 'offline');
    assert.equal(first.report.archived, QUEUED, 'the card copy goes on');

    // Passes later in the outage: Dropbox is tried with a few files, the rest of transit is left.
    for (let i = 0; i < 3; i++) {
      offsetMs += 60_000;
      const p = await pass();
      assert.equal(p.report.uploadBlocked?.code, 'offline');
      assert.ok(
        p.walked <= FILES_TO_TELL_AN_OUTAGE,
        `pass ${i} walked ${p.walked} of ${QUEUED} files in transit`,
      );
      // The queue is still told whole: the status, the offline alert and the disk warning read it.
      assert.equal(p.report.remainingInTransit, QUEUED);
      assert.equal(p.report.transitBytes, bytes);
      assert.equal(p.counts?.type === 'counts' && p.counts.transit, QUEUED);
      // Every count of the pass, also the one as the file Dropbox is tried with joins the flow
      // (it read one too many, shown for as long as the pass then waited for Dropbox).
      assert.deepEqual(
        p.allCounts.map((c) => c.type === 'counts' && c.transit),
        p.allCounts.map(() => QUEUED),
      );
      assert.deepEqual(p.counts?.type === 'counts' && p.counts.pending, {
        upload: QUEUED,
        archive: 0,
      });
    }

    // A file arriving during the outage is archived in the pass that finds it, and counted.
    await rig.drop('cameras/reolink1/2026-01-05/2026-01-05_10_15.jpg', 'jpeg bytes');
    const arrival = await pass();
    assert.equal(arrival.report.staged, 1);
    assert.equal(arrival.report.archived, 1);
    assert.ok(await onCard('cameras/reolink1/2026-01-05/2026-01-05_10_15.jpg'));
    assert.ok(arrival.walked < FILES_TO_TELL_AN_OUTAGE, 'tried with the new file first');
    assert.equal(arrival.report.remainingInTransit, QUEUED + 1);
    // Counted on top of the carried queue from the moment it is staged, while Dropbox is tried.
    assert.deepEqual(
      arrival.allCounts.map((c) => c.type === 'counts' && c.transit),
      arrival.allCounts.map(() => QUEUED + 1),
    );
    assert.equal(arrival.report.transitBytes, bytes + 'jpeg bytes'.length);

    // A file put into transit by hand is met by the complete walk that still comes in time.
    const byHand = path.join(rig.transitDir, 'RDL', 'USB0', '2026-01', 'by-hand.txt');
    await fs.writeFile(byHand, 'put here by a person\n');
    offsetMs += FULL_WALK_EVERY_MS;
    const full = await pass();
    assert.equal(full.walked, QUEUED + 2, 'a complete walk of transit');
    assert.ok(await onCard('RDL/USB0/2026-01/by-hand.txt'), 'archived by the complete walk');
    assert.equal(full.report.remainingInTransit, QUEUED + 2);

    // Dropbox is back: the very next pass walks on and takes the whole queue.
    await relay.open();
    offsetMs += 60_000;
    const back = await pass();
    assert.equal(back.report.uploadBlocked, null);
    assert.equal(back.report.uploaded, QUEUED + 2);
    assert.equal(back.report.done, QUEUED + 2);
    assert.equal(back.report.remainingInTransit, 0);
    assert.equal(rig.emulator.listFiles().length, QUEUED + 2);
    assert.equal(back.counts?.type === 'counts' && back.counts.transit, 0);
  } finally {
    await relay.close();
    await history.close();
    await rig.close();
  }
});
