// A burst of small files copied to a card (another file system: no hard links) is saved as ours in
// the journal once per group of copies, not once per copy. Each save is an fsync of the journal,
// 10-30 ms on an SD card: one per copied file (shared only by copies that happened to wait
// together) made such a burst half again as slow. Counted through a real engine, as the saves
// that appear in the journal's append log, never by timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SMALL_GROUP } from '../../src/engine/legs/archive-leg.js';
import { listFilesRel, localHash, withHarness } from './harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

const FILES = 200;

interface LogLine {
  e?: Record<string, { writing?: { archive?: unknown }; archive?: unknown } | null>;
}

test(
  'a burst of small files copied to a card: one journal save per group of copies before they take their names, not one per copy',
  { timeout: 120_000 },
  async (t) => {
    if (!(await canMount())) return t.skip('needs root for a tmpfs card');
    // Not connected to Dropbox: only the archive leg writes (and saves what it is about to write).
    await withHarness(
      { connect: false, settings: { archiveMustBeMountPoint: true } },
      async (h) => {
        for (let i = 0; i < FILES; i++) {
          await h.drop(`USB0/d${i % 4}/RDL_${i}.txt`, `time,value\n${i},${'x'.repeat(i % 97)}\n`);
        }
        // The card is out for the first pass: every file waits in transit, so the next pass hands
        // the leg the whole burst at once.
        await h.engine.runPassNow();
        assert.equal((await listFilesRel(h.transitDir)).length, FILES, 'all staged');
        mountTmpfs(h.archiveDir, 16 * 1024);
        try {
          const log = path.join(h.configDir, 'journal.json.log');
          const before = await fs.readFile(log, 'utf8');
          const header = before.split('\n')[0];
          for (let pass = 0; pass < 5; pass++) {
            if ((await listFilesRel(h.archiveDir)).length === FILES) break;
            await h.engine.runPassNow();
          }
          const onCard = (await listFilesRel(h.archiveDir)).filter((r) => r.startsWith('USB0/'));
          assert.equal(onCard.length, FILES, 'every file copied to the card');
          const sample = 'USB0/d3/RDL_7.txt';
          assert.equal(
            await localHash(path.join(h.archiveDir, sample)),
            await localHash(path.join(h.transitDir, sample)),
          );

          const after = await fs.readFile(log, 'utf8');
          assert.equal(after.split('\n')[0], header, 'the log was not folded into a snapshot');
          const lines = after
            .slice(before.length)
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as LogLine);
          // A save made before copies take their names: it holds copies being written, not yet
          // done on the card.
          const beforePlace = lines.filter((l) =>
            Object.values(l.e ?? {}).some((e) => e?.writing?.archive && !e.archive),
          );
          const noted = new Set(
            beforePlace.flatMap((l) =>
              Object.entries(l.e ?? {}).flatMap(([rel, e]) => (e?.writing?.archive ? [rel] : [])),
            ),
          );
          console.log(
            `${FILES} files copied: ${lines.length} journal saves, ${beforePlace.length} of them before copies took their names`,
          );
          assert.equal(noted.size, FILES, 'every copy was saved as ours before its rename');
          // One per group of at most SMALL_GROUP (a group is what came while the last was
          // stored, so there may be a few more than the fewest); one per copy made 45 here.
          assert.ok(
            beforePlace.length <= Math.ceil(FILES / SMALL_GROUP) + 4,
            `${beforePlace.length} saves before placing ${FILES} copies: one per group expected`,
          );
        } finally {
          await h.engine.stop();
          unmount(h.archiveDir);
        }
      },
    );
  },
);
