// The real engine (staging, both legs, the journal, retention) with its archive on a real exFAT or
// FAT32 card mounted at the archive folder (archiveMustBeMountPoint on, as for a card), Dropbox
// being the emulator: a site's day of files, a name the card refuses, two names differing only by
// case, then retention making room on the card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, listFilesRel } from '../engine/harness.js';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { ARCHIVE_WORK_DIR } from '../../src/engine/archive/index.js';
import { CardImage, cardsUnavailable, type CardFormat } from './helpers.js';

const unavailable = cardsUnavailable();
const SITE_ROOT = '/Professional/WIRED/Site3_Lakeshore';

for (const format of ['exfat', 'fat32'] as CardFormat[]) {
  test(
    `engine with a real ${format} card: every file on both legs, a refused name waits in transit and is named, then retention frees the card`,
    { timeout: 180_000 },
    async (t) => {
      if (unavailable) return t.skip(unavailable);
      const h = await startHarness({
        settings: {
          archiveMustBeMountPoint: true,
          site: 'Site3_Lakeshore',
          remoteRootTemplate: '/Professional/WIRED/{site}',
        },
      });
      const card = await CardImage.create(format, 64);
      try {
        await card.mount(h.archiveDir);
        const day = '2026-11-24';
        const files: Record<string, string> = {
          [`RDL/USB0/2026-11/RDL_${day}_USB0.txt`]: 'ts,v\n'.repeat(3000),
          [`internet/internet_${day}.txt`]: 'online 23h\n',
          [`cameras/reolink1/${day}/${day}_10_15.jpg`]: 'jpeg'.repeat(50_000),
          [`cameras/infrared1/${day}/${day}_10_30.csv`]: '1,2,3\n'.repeat(24_000),
          'internet/status.txt': 'lower case\n',
          'internet/STATUS.txt': 'upper case\n',
        };
        for (const [rel, body] of Object.entries(files)) await h.drop(rel, body);
        const refused = `RDL/USB0/${day}T10:00:00.csv`;
        await h.drop(refused, 'a name with colons\n');

        const report = await h.engine.runPassNow();
        assert.equal(report.archiveBlocked, null, report.archiveBlocked?.message);
        assert.equal(report.done, Object.keys(files).length, JSON.stringify(report));
        // On Dropbox (case-insensitive too) each file where its record says, with its bytes.
        const history = h.engine.queryHistory({});
        for (const [rel, body] of Object.entries(files)) {
          const r = history.find((x) => x.rel === rel);
          assert.ok(r?.upload.status === 'done' && r.archive.status === 'done', JSON.stringify(r));
          const remotePath = r.upload.path ?? '';
          assert.ok(remotePath.startsWith(`${SITE_ROOT}/`), remotePath);
          const remote = h.emulator.getFile(remotePath);
          assert.equal(remote?.contentHash, dropboxContentHash(Buffer.from(body)), rel);
        }
        // Both case-twins are on the card, whatever names the card gave them.
        const onCard = (await listFilesRel(h.archiveDir)).filter(
          (p) => !p.startsWith(`${ARCHIVE_WORK_DIR}/`),
        );
        const contents = await Promise.all(
          onCard.map((p) => readFile(join(h.archiveDir, p), 'utf8')),
        );
        assert.deepEqual(
          contents.sort(),
          Object.values(files).sort(),
          'each file on the card once',
        );
        // The refused name: still in transit (nothing lost), failed on the archive leg alone, and
        // the history says why and what to do.
        assert.deepEqual(await listFilesRel(h.transitDir), [refused]);
        const failing = (await h.engine.listFailures()).find((f) => f.rel === refused);
        assert.ok(failing, 'the refused file is listed as failing');
        assert.match(
          JSON.stringify(failing),
          /does not accept the name .*it contains :.*rename the file/,
        );

        // Retention: the card's files are old now; a 0.1 MiB limit has every verified one go,
        // oldest first, by the mtimes the card kept.
        const old = Date.now() / 1000 - 40 * 86_400;
        for (const p of onCard) await utimes(join(h.archiveDir, p), old, old);
        const saved = await h.engine.saveSettings({
          ...h.settings,
          retentionMaxArchiveGiB: 0.1 / 1024,
          retentionMinFreePercent: 0,
        });
        assert.ok(saved.ok, JSON.stringify(saved));
        const retention = await h.engine.runRetention(false);
        assert.ok(retention.removed.length > 0, JSON.stringify(retention));
        assert.equal(retention.kept.length, 0, JSON.stringify(retention.kept));
        const left = (await listFilesRel(h.archiveDir)).filter(
          (p) => !p.startsWith(`${ARCHIVE_WORK_DIR}/`),
        );
        assert.equal(left.length, onCard.length - retention.removed.length);
        assert.deepEqual(await readdir(join(h.archiveDir, ARCHIVE_WORK_DIR)).catch(() => []), []);
      } finally {
        await card.destroy();
        await h.close();
      }
    },
  );
}
