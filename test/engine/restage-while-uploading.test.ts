// A pass held up by one slow leg looks at the watch folder again at each of the schedule's moments,
// and hands the new files to the legs that are free. A large upload on a slow link (hours for a GiB
// at 1 Mbit/s) otherwise held every file that arrived meanwhile in the watch folder, off the card,
// until it was done. The real engine, scheduler and emulator; the emulator's link shaped slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';

const MiB = 1024 * 1024;
const BIG = 'cameras/ir/clip.bin';
const SMALL = 'RDL/USB0/2026-12/RDL_2026-12-05_USB0.txt';

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

test('a file that arrives during a long upload reaches the card at the next tick, and Dropbox after the upload', async () => {
  await withHarness({ settings: { chunkSizeMiB: 4, intervalSeconds: 2 } }, async (h) => {
    await h.drop(BIG, Buffer.alloc(32 * MiB, 7));
    // 2 MB/s: the large file takes about 17 s, many ticks of the 2 s schedule.
    h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 });
    await h.engine.start();
    const uploading = () =>
      h.engine.getStatus().transfers.some((t) => t.leg === 'upload' && t.rel === BIG);
    await until('the large upload to begin', uploading);
    await h.drop(SMALL, 'reading 1\nreading 2\n');
    const onCard = path.join(h.archiveDir, ...SMALL.split('/'));
    await until('the new file on the card', () => exists(onCard));
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${BIG}`),
      undefined,
      'the large upload is still under way when the new file is on the card',
    );
    assert.ok(uploading(), 'the large upload is still listed');
    assert.equal(await fs.readFile(onCard, 'utf8'), 'reading 1\nreading 2\n');
    assert.ok(
      !(await exists(path.join(h.watchDir, ...SMALL.split('/')))),
      'the new file left the watch folder for transit',
    );

    // The upload ends its pass; the next pass gives the new file to Dropbox, and both leave transit.
    await until('both files on Dropbox', () =>
      Boolean(h.emulator.getFile(`/RDL/site1/${BIG}`) && h.emulator.getFile(`/RDL/site1/${SMALL}`)),
    );
    await until('transit empty', async () => {
      const left = await fs.readdir(h.transitDir, { recursive: true, withFileTypes: true });
      return left.every((e) => !e.isFile());
    });
    assert.equal(h.emulator.getFile(`/RDL/site1/${BIG}`)?.size, 32 * MiB);
    assert.ok(await exists(path.join(h.archiveDir, ...BIG.split('/'))));
  });
});
