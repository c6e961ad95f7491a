// Retention on a card that stops answering in the middle of its run. Only the check of the card's
// root had the card's deadline: a card that hung after it (at a removal, a hash) held the run, and
// the pass it ends, for ever: no more passes, Dropbox included, the status "Up to date". Now every
// step on the card has the deadline; past it the run ends with the card's own problem, and it
// runs again once the card answers. The real HubHealth on a real FAT32 card stopped by SIGSTOP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HubHealth } from '../../src/engine/health/hub-health.js';
import { History } from '../../src/engine/history/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { systemClock } from '../../src/engine/ports.js';
import { archiveHungSince } from '../../src/engine/archive/card-answers.js';
import { RecordingLogger } from '../dropbox/helpers.js';
import { cardsUnavailable, mountedCard } from '../archive/helpers.js';

const unavailable = cardsUnavailable();

test(
  'retention on a card that stops answering mid-run: the run ends with the card said not answering, and runs once it answers',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    const m = await mountedCard('fat32', 40);
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-retention-hung-'));
    // (Armed before anything of this process is open on the card: see armThawFromOutside.)
    const rescue = m.card.armThawFromOutside(30_000);
    let frozen = false;
    try {
      const settings = {
        ...defaultSettings(root),
        watchDir: path.join(root, 'watch'),
        transitDir: path.join(root, 'transit'),
        archiveDir: m.dir,
        archiveMustBeMountPoint: true,
        retentionEnabled: true,
        // An archive of at most 10 bytes: every file is to go (fusefat tells no free space).
        retentionMaxArchiveGiB: 10 / 1024 ** 3,
        retentionMinFreePercent: 0,
      };
      await fs.mkdir(path.join(m.dir, 'RDL/USB0'), { recursive: true });
      const rels = ['RDL/USB0/a.csv', 'RDL/USB0/b.csv', 'RDL/USB0/c.csv'];
      for (const rel of rels) await fs.writeFile(path.join(m.dir, rel), `${rel}\n`);
      const history = await History.open(path.join(root, 'history.jsonl'), 1000);
      // Dropbox holds every file; the card stops as Dropbox is first asked (between the card's
      // hash of the file and its removal).
      let asked = 0;
      const health = new HubHealth({
        report: () => {},
        history,
        clock: systemClock,
        logger: new RecordingLogger(),
        archiveAnswers: { deadlineMs: 1_000 },
        remoteLookup: async () => ({
          copyOf: async (file, localHash) => {
            if (asked++ === 0) {
              rescue.freeze();
              frozen = true;
            }
            return { path: `/site/${file.rel}`, contentHash: localHash };
          },
        }),
      });
      await assert.rejects(health.retention(settings, false), (e: Error) => {
        assert.match(e.message, new RegExp(`^SD card at ${m.dir} has not answered for \\d+ s`));
        return true;
      });
      assert.ok(frozen, 'the card was stopped during the run');
      assert.equal(rescue.stop(), false, 'the run ended while the card was stopped');
      assert.notEqual(archiveHungSince(m.dir), null);

      m.card.thaw();
      for (let i = 0; i < 100 && archiveHungSince(m.dir) !== null; i++)
        await new Promise((r) => setTimeout(r, 100));
      const report = await health.retention(settings, false);
      // The first file's removal, sent before the card stopped, was made once it answered (its
      // copy on Dropbox verified before), and recorded then: the run gave up on it, the history
      // did not (it had no line for a file gone from the card).
      assert.deepEqual(report.removed.map((f) => f.rel).sort(), rels.slice(1));
      for (const rel of rels)
        await assert.rejects(fs.stat(path.join(m.dir, rel)), { code: 'ENOENT' });
      const removed = history
        .query({})
        .filter((r) => r.outcome === 'archive-removed')
        .map((r) => r.rel)
        .sort();
      assert.deepEqual(removed, rels);
      await history.close();
    } finally {
      rescue.stop();
      m.card.thaw();
      await m.done();
      await fs.rm(root, { recursive: true, force: true });
    }
  },
);
