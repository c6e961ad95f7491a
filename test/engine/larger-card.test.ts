// A file larger than the whole card fails alone, saying it needs a larger card. Once a larger
// card is in, it is copied at the next pass: it waited for its own retry (minutes, hours after
// many tries) while the status still said "it needs a larger card" beside the new card's free
// space (hands-on trial). Real parts: a tmpfs card grown in place, the emulator, the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

const MiB = 1024 * 1024;
const BIG = 'cameras/big.bin';

test('a file larger than the card is copied at the first pass that finds a larger card', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  // A clock moved by hand: a failed file's retry is due after its back-off.
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    monotonic: () => performance.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))),
  };
  const advance = (ms: number): void => void (offsetMs += ms);
  await withHarness(
    { settings: { archiveMustBeMountPoint: true }, engine: { clock } },
    async (h) => {
      mountTmpfs(h.archiveDir, 4 * 1024);
      try {
        await h.drop(BIG, Buffer.alloc(6 * MiB, 3));
        const first = await h.engine.runPassNow();
        assert.equal(first.archived, 0);
        const failing = () =>
          h.engine.getStatus().problems.filter((p) => /needs a larger card/.test(p.message));
        // Told after its third try in a row; each try is due only after its back-off.
        for (let i = 0; i < 3 && failing().length === 0; i++) {
          advance(60 * 60_000);
          await h.engine.runPassNow();
        }
        assert.equal(failing().length, 1, 'said to need a larger card');

        // A larger card: the same mount grown (as a swap for one of twice the size).
        const grown = spawnSync('mount', ['-o', 'remount,size=16m', h.archiveDir]);
        assert.equal(grown.status, 0, String(grown.stderr));
        const next = await h.engine.runPassNow();
        assert.equal(next.archived, 1, 'copied at once, its back-off not waited for');
        assert.equal(next.done, 1);
        assert.equal((await fs.stat(path.join(h.archiveDir, BIG))).size, 6 * MiB);
        assert.deepEqual(failing(), [], 'no longer said to need a larger card');
      } finally {
        unmount(h.archiveDir);
      }
    },
  );
});
