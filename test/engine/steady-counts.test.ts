// The counts the window shows ("In transit", "SD card still to do", "Failing") hold steady
// through a pass over an unchanged queue: they dropped for a moment in every pass (found by the
// desktop hunt) because a pass counted only the files it had met so far in its walk of transit.
// The real engine; the status read at every change it announces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import type { StageCounts } from '../../src/engine/status/types.js';
import { withHarness, type Harness } from './harness.js';

const FILES = 1_300; // more than one settle group (500), so counts are told during the walk
const REFUSED = 40; // names Dropbox refuses (a DEL): failing on the upload leg

async function queue(h: Harness): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    const name = i < REFUSED ? `bad\x7f${i}.csv` : `f${i}.csv`;
    await h.drop(`RDL/USB0/${String(i % 13)}/${name}`, `t,v\n${i},1\n`);
  }
}

/** The lowest value each count took while `pass` ran. */
async function lowestDuring(h: Harness, pass: () => Promise<unknown>) {
  const seen: StageCounts[] = [];
  const off = h.engine.onStatus((s) => seen.push({ ...s.counts }));
  try {
    await pass();
  } finally {
    off();
  }
  const low = (k: 'transit' | 'archivePending' | 'failed') => Math.min(...seen.map((c) => c[k]));
  return {
    seen: seen.length,
    transit: low('transit'),
    archive: low('archivePending'),
    failed: low('failed'),
  };
}

test('the counts hold steady through a pass over an unchanged queue', async () => {
  await withHarness({}, async (h) => {
    await queue(h);
    // The card out: every file waits in transit for it; the refused names fail on Dropbox too.
    await fs.rm(h.archiveDir, { recursive: true });
    await h.engine.runPassNow();
    const after = h.engine.getStatus().counts;
    assert.equal(after.transit, FILES);
    assert.equal(after.archivePending, FILES);
    assert.equal(after.failed, REFUSED);

    const during = await lowestDuring(h, () => h.engine.runPassNow());
    assert.ok(during.seen > 2, `the status changed ${during.seen} times during the pass`);
    assert.deepEqual(
      { transit: during.transit, archive: during.archive, failed: during.failed },
      { transit: FILES, archive: FILES, failed: REFUSED },
      'the lowest counts shown during the second pass',
    );
    const end = h.engine.getStatus().counts;
    assert.deepEqual([end.transit, end.archivePending, end.failed], [FILES, FILES, REFUSED]);

    // The card back: the queue drains, and its counts only go down on the way.
    await fs.mkdir(h.archiveDir);
    const seen: StageCounts[] = [];
    const off = h.engine.onStatus((st) => seen.push({ ...st.counts }));
    await h.engine.runPassNow();
    off();
    for (const k of ['transit', 'archivePending'] as const)
      for (let i = 1; i < seen.length; i++)
        assert.ok(
          seen[i]![k] <= seen[i - 1]![k],
          `${k} rose from ${seen[i - 1]![k]} to ${seen[i]![k]}`,
        );
    const drained = h.engine.getStatus().counts;
    // The refused names stay in transit, failing on Dropbox alone; the card took every file.
    assert.deepEqual(
      [drained.transit, drained.archivePending, drained.failed],
      [REFUSED, 0, REFUSED],
    );
  });
});

test('"Failing" holds through a pass that drains a queue longer than the flow window', async () => {
  // More files than a pass lets into its flow at once (2,000): the walk of transit waits for
  // room while the first files finish, so counts are told before it has met every file. One
  // refused name in each folder: the failing files are spread to the end of the walk.
  const FOLDERS = 46;
  const PER_FOLDER = 50;
  await withHarness({}, async (h) => {
    for (let d = 0; d < FOLDERS; d++)
      for (let i = 0; i < PER_FOLDER; i++) {
        const name = i === 0 ? `bad\x7f${d}.csv` : `f${i}.csv`;
        await h.drop(`RDL/USB0/d${d}/${name}`, `t,v\n${d},${i}\n`);
      }
    await fs.rm(h.archiveDir, { recursive: true });
    await h.engine.runPassNow();
    assert.equal(h.engine.getStatus().counts.failed, FOLDERS);

    // The card back: every good file finishes; the refused names keep failing on Dropbox.
    await fs.mkdir(h.archiveDir);
    const during = await lowestDuring(h, () => h.engine.runPassNow());
    const end = h.engine.getStatus().counts;
    assert.deepEqual([end.transit, end.archivePending, end.failed], [FOLDERS, 0, FOLDERS]);
    // The floor took off every file done, failing or not: "Failing" fell as soon as as many
    // files as were failing had finished, until the walk met the rest of them.
    assert.equal(during.failed, FOLDERS, 'the lowest "Failing" shown while the queue drained');
  });
});
