// The file-system legs together, as the pipeline drives them: scan -> stage -> archive -> done,
// including a restart after a crash mid-way (temporaries left in transit and on the card).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import {
  stageFile,
  listTransit,
  removeFromTransit,
  cleanupTransitTemps,
  TRANSIT_TEMP_DIR,
} from '../../src/engine/stage/index.js';
import { ArchiveTarget, ARCHIVE_WORK_DIR } from '../../src/engine/archive/index.js';
import { DEFAULT_IGNORE_PATTERNS } from '../../src/engine/settings/schema.js';
import { removeDir, tempDir } from '../archive/helpers.js';
import { put } from '../scan/helpers.js';

async function pass(
  scanner: StabilityScanner,
  watch: string,
  transit: string,
  archive: ArchiveTarget,
) {
  const scan = await scanner.scan();
  for (const file of scan.stable) await stageFile({ watchDir: watch, transitDir: transit, file });
  const done: string[] = [];
  for await (const f of listTransit(transit)) {
    await archive.store({ rel: f.rel, srcPath: f.absPath, size: f.size });
    await removeFromTransit(transit, f.rel);
    done.push(f.rel);
  }
  return done.sort();
}

test('files travel watch -> transit -> card exactly once, also after a crash left temporaries', async () => {
  const base = await tempDir('rdl-legs-');
  try {
    const [watch, transit, card] = ['watch', 'transit', 'card'].map((d) => join(base, d)) as [
      string,
      string,
      string,
    ];
    await Promise.all([mkdir(watch), mkdir(transit), mkdir(card)]);
    const files: Record<string, string> = {
      'USB0/2026-11-24.csv': 'a,b\n1,2\n',
      'USB0/img/cam 1.jpg': 'jpegbytes',
      'top.csv': 'x',
    };
    for (const [rel, body] of Object.entries(files)) await put(watch, rel, body);
    await put(watch, 'USB0/.~lock.csv#', 'lock');
    await put(watch, 'USB0/wip.tmp', 'partial');

    // Crash leftovers from a previous run: a half copy in transit, one on the card, and a file
    // that was archived but whose transit copy was not yet removed.
    await put(transit, `${TRANSIT_TEMP_DIR}/stage-deadbeef`, 'half');
    await put(card, `${ARCHIVE_WORK_DIR}/partial-deadbeefdeadbeef`, 'half');
    await put(transit, 'old/earlier.csv', 'earlier');
    await put(card, 'old/earlier.csv', 'earlier');

    const archive = new ArchiveTarget({ root: card, mustBeMountPoint: false, reserveBytes: 0 });
    assert.equal(await cleanupTransitTemps(transit), 1);
    assert.equal(await archive.cleanupTemps(), 1);

    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: DEFAULT_IGNORE_PATTERNS,
    });
    const done = await pass(scanner, watch, transit, archive);
    assert.deepEqual(done, [
      'USB0/2026-11-24.csv',
      'USB0/img/cam 1.jpg',
      'old/earlier.csv',
      'top.csv',
    ]);
    for (const [rel, body] of Object.entries(files))
      assert.equal(await readFile(join(card, rel), 'utf8'), body);

    // Second pass: nothing left to do, nothing duplicated.
    assert.deepEqual(await pass(scanner, watch, transit, archive), []);
    const onCard = (await readdir(card, { recursive: true })).map(String).sort();
    assert.deepEqual(onCard, [
      'USB0',
      'USB0/2026-11-24.csv',
      'USB0/img',
      'USB0/img/cam 1.jpg',
      'old',
      'old/earlier.csv',
      'top.csv',
    ]);
    assert.deepEqual(await readdir(transit), []);
    // Ignored files stay in the watch folder, and so do its subfolders.
    assert.deepEqual((await readdir(watch, { recursive: true })).map(String).sort(), [
      'USB0',
      'USB0/.~lock.csv#',
      'USB0/img',
      'USB0/wip.tmp',
    ]);

    // The same name arrives again with new content: kept both on the card.
    await writeFile(join(watch, 'top.csv'), 'y, newer');
    assert.deepEqual(await pass(scanner, watch, transit, archive), ['top.csv']);
    assert.equal(await readFile(join(card, 'top (1).csv'), 'utf8'), 'y, newer');
    assert.equal(await readFile(join(card, 'top.csv'), 'utf8'), 'x');
  } finally {
    await removeDir(base);
  }
});
