// A crash (a power cut) during large copies onto a nearly full card leaves partial copies in the
// archive's reserved folder, and those can be what fills the card. They were removed only when the
// card's check found no problem: a card they had filled was reported full at every pass, so the
// archive leg waited for a person to free space that RDL Sync itself held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildArchive } from '../../src/engine/assemble.js';
import { ARCHIVE_WORK_DIR } from '../../src/engine/archive/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { RecordingLogger } from '../dropbox/helpers.js';
import { canMount, fill, fillToTheByte, smallTmpfs } from './helpers.js';

function archiveOn(card: string, logger: RecordingLogger) {
  return buildArchive(
    { ...defaultSettings(), archiveDir: card, archiveMustBeMountPoint: true },
    logger,
  );
}

/** What a cut copy leaves: a partial file in the reserved folder, here filling the card. */
async function partialFillingTheCard(card: string): Promise<void> {
  const work = join(card, ARCHIVE_WORK_DIR);
  await mkdir(work);
  const filler = await fill(work);
  await fillToTheByte(filler);
  await rename(filler, join(work, 'partial-0011223344556677'));
}

test('a card filled by partial copies a crash left: they are removed at start and the card takes files again', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = smallTmpfs(t, 'rdl-leftover-card-', 4096);
  await partialFillingTheCard(card);
  const logger = new RecordingLogger();
  const check = await archiveOn(card, logger).check();
  assert.equal(check.problem, null, check.problem?.message);
  assert.ok((check.freeBytes ?? 0) > 3 * 1024 * 1024, `free: ${check.freeBytes}`);
  assert.deepEqual(await readdir(card), []);
  assert.ok(logger.lines.some((l) => /removed partial copies left in the archive/.test(l)));
});

test('a card full of the user’s own files is still reported full once the leftovers are gone', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = smallTmpfs(t, 'rdl-leftover-card-', 4096);
  await mkdir(join(card, ARCHIVE_WORK_DIR));
  await writeFile(join(card, ARCHIVE_WORK_DIR, 'partial-8899aabbccddeeff'), 'cut short');
  await fillToTheByte(await fill(card));
  const check = await archiveOn(card, new RecordingLogger()).check();
  assert.equal(check.problem?.code, 'archive-full');
  assert.deepEqual(await readdir(card), ['filler'], 'the user’s file stays, the leftover went');
});
