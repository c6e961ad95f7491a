// A pass held up by one slow leg looks at the watch folder again at each of the schedule's moments,
// and hands the new files to the legs that are free. A large upload on a slow link (hours for a GiB
// at 1 Mbit/s) otherwise held every file that arrived meanwhile in the watch folder, off the card,
// until it was done. The real engine, scheduler and emulator; the emulator's link shaped slow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

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
    // The engine removes transit's emptied folders while the test walks them: a folder gone
    // mid-walk (ENOENT) only means "look again".
    await until('transit empty', async () => {
      const left = await fs
        .readdir(h.transitDir, { recursive: true, withFileTypes: true })
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return undefined;
          throw err;
        });
      return left !== undefined && left.every((e) => !e.isFile());
    });
    assert.equal(h.emulator.getFile(`/RDL/site1/${BIG}`)?.size, 32 * MiB);
    assert.ok(await exists(path.join(h.archiveDir, ...BIG.split('/'))));
  });
});

test('after an outage, a pass waiting for Dropbox on a link that swallows requests still puts new files on the card at each tick', async () => {
  await withHarness({ settings: { intervalSeconds: 2 } }, async (h) => {
    for (let i = 0; i < 5; i++) await h.drop(`RDL/USB0/before-${i}.txt`, `reading ${i}\n`);
    h.emulator.addFault({ kind: 'server_error', status: 503, times: 1_000_000 });
    await h.engine.start();
    await until('the outage told', () => h.engine.getStatus().state === 'offline', 60_000);
    // Dropbox is back, but each request now takes 20 s: the next pass waits for its word.
    h.emulator.clearFaults();
    h.emulator.shapeLink({ latencyMs: 20_000, bytesPerSecond: 1_000_000 });
    await until('a pass under way', () => h.engine.getStatus().passRunning === true);
    const rel = 'cameras/reolink1/2026-12-05/2026-12-05_10_15.jpg';
    await h.drop(rel, Buffer.alloc(2048, 3));
    await until('the new file on the card', () =>
      exists(path.join(h.archiveDir, ...rel.split('/'))),
    );
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${rel}`),
      undefined,
      'Dropbox has not answered yet',
    );
  });
});

test('a card pulled during a long upload is told at the tick that meets it, and takes files again at a tick once it is back', async () => {
  await withHarness({ settings: { chunkSizeMiB: 4, intervalSeconds: 2 } }, async (h) => {
    await h.drop(BIG, Buffer.alloc(40 * MiB, 7));
    h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 }); // about 21 s
    await h.engine.start();
    const uploading = () =>
      h.engine.getStatus().transfers.some((t) => t.leg === 'upload' && t.rel === BIG);
    await until('the large upload to begin', uploading);
    const pulled = `${h.archiveDir}-pulled`;
    await fs.rename(h.archiveDir, pulled);
    await h.drop('RDL/USB0/while-out.txt', 'reading 1\n');
    await until('the missing card told', () =>
      h.engine.getStatus().problems.some((p) => p.id === 'archive-missing'),
    );
    assert.ok(uploading(), 'told while the upload is still under way');

    await fs.rename(pulled, h.archiveDir);
    await h.drop('RDL/USB0/after.txt', 'reading 2\n');
    await until('both files on the card', async () =>
      (
        await Promise.all(
          ['while-out.txt', 'after.txt'].map((n) =>
            exists(path.join(h.archiveDir, 'RDL', 'USB0', n)),
          ),
        )
      ).every(Boolean),
    );
    assert.ok(uploading(), 'the card took them while the upload is still under way');
    await until('the pass over and the card problem gone', () => {
      const s = h.engine.getStatus();
      return s.passRunning !== true && !s.problems.some((p) => p.id === 'archive-missing');
    });
  });
});

test('files staged at a tick while every leg is busy are counted in transit, not left uncounted in the watch folder', async () => {
  await withHarness(
    { settings: { chunkSizeMiB: 4, intervalSeconds: 2, archiveEnabled: false } },
    async (h) => {
      await h.drop(BIG, Buffer.alloc(32 * MiB, 7));
      h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 });
      await h.engine.start();
      await until('the large upload to begin', () =>
        h.engine.getStatus().transfers.some((t) => t.leg === 'upload' && t.rel === BIG),
      );
      for (let i = 0; i < 3; i++) await h.drop(`RDL/USB0/r-${i}.txt`, `reading ${i}\n`);
      await until('the three counted in transit', () => h.engine.getStatus().counts.transit === 4);
      const s = h.engine.getStatus();
      assert.equal(s.counts.waiting, 0, 'none left in the watch folder');
      assert.equal(s.state, 'syncing');
      assert.equal(
        h.emulator.getFile(`/RDL/site1/${BIG}`),
        undefined,
        'the upload still under way',
      );
    },
  );
});

test('a card full during a long upload is said full to the end of that pass, though a small file would fit at a tick', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  await withHarness({ settings: { chunkSizeMiB: 4, intervalSeconds: 2 } }, async (h) => {
    // A 48 MiB card with 4 MiB free: the 32 MiB file does not fit now (it would on an empty card).
    mountTmpfs(h.archiveDir, 48 * 1024);
    try {
      await fs.writeFile(path.join(h.archiveDir, 'filler.bin'), Buffer.alloc(44 * MiB, 1));
      await h.drop(BIG, Buffer.alloc(32 * MiB, 7));
      h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 });
      await h.engine.start();
      const full = () => h.engine.getStatus().problems.some((p) => p.id === 'archive-full');
      await until('the full card told', full);
      await h.drop('RDL/USB0/small.txt', 'reading 1\n');
      await until('the pass over', () => h.engine.getStatus().passRunning !== true);
      assert.ok(full(), 'still said full as the pass ends: the large file waits for room');
      assert.ok(h.emulator.getFile(`/RDL/site1/${BIG}`), 'the upload was done');
    } finally {
      await h.engine.stop();
      unmount(h.archiveDir);
    }
  });
});

test('transit on a disk of its own, unplugged during a long upload: the tick stages nothing into its mount point, and stages again once it is back', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  await withHarness({ settings: { chunkSizeMiB: 4, intervalSeconds: 2 } }, async (h) => {
    const parked = path.join(h.root, 'parked');
    await fs.mkdir(parked);
    await fs.mkdir(h.transitDir);
    mountTmpfs(h.transitDir, 64 * 1024);
    let at = h.transitDir;
    const move = (from: string, to: string) => {
      const r = spawnSync('mount', ['--move', from, to], { encoding: 'utf8' });
      assert.equal(r.status, 0, `mount --move ${from} ${to}: ${r.stderr}`);
      at = to;
    };
    try {
      await h.drop(BIG, Buffer.alloc(32 * MiB, 7));
      h.emulator.shapeLink({ latencyMs: 20, bytesPerSecond: 2_000_000 }); // about 17 s
      await h.engine.start();
      const uploading = () =>
        h.engine.getStatus().transfers.some((t) => t.leg === 'upload' && t.rel === BIG);
      await until('the large upload to begin', uploading);
      move(h.transitDir, parked);
      await h.drop(SMALL, 'reading 1\n');
      await until('the transit folder told missing', () =>
        h.engine.getStatus().problems.some((p) => p.id === 'transit-missing'),
      );
      assert.equal(h.engine.getStatus().passRunning, true, 'told at a tick of the same pass');
      assert.deepEqual(await fs.readdir(h.transitDir), [], 'nothing staged into the mount point');
      assert.ok(await exists(path.join(h.watchDir, ...SMALL.split('/'))), 'the file waits');

      move(parked, h.transitDir);
      await until('the new file on the card', () =>
        exists(path.join(h.archiveDir, ...SMALL.split('/'))),
      );
      await until('the problem cleared', () =>
        h.engine.getStatus().problems.every((p) => p.id !== 'transit-missing'),
      );
    } finally {
      await h.engine.stop();
      unmount(at);
    }
  });
});
