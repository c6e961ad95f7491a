// Partial copies in the card's reserved folder were removed once per insertion of the card. An
// insertion was noticed only when a check saw the card away: a card swapped, or pulled mid-copy
// and put back, between two checks kept its leftovers until RDL Sync restarted. Now every check
// removes them, never while a copy is in flight. Real mounts: tmpfs cards, and one folder
// bind-mounted twice for the same card put back (the same device number and root inode, as a card
// in the same reader).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArchive } from '../../src/engine/assemble.js';
import { ARCHIVE_WORK_DIR } from '../../src/engine/archive/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { RecordingLogger } from '../dropbox/helpers.js';
import { bindMount, canMount, mountTmpfs, removeDir, tempDir, unmount } from './helpers.js';

function archiveOn(card: string) {
  return buildArchive(
    { ...defaultSettings(), archiveDir: card, archiveMustBeMountPoint: true },
    new RecordingLogger(),
  );
}

/** A leftover of a cut copy, and files of the user's that only look like one. */
async function cardWithLeftover(card: string, leftover: string): Promise<void> {
  await mkdir(join(card, ARCHIVE_WORK_DIR), { recursive: true });
  await writeFile(join(card, ARCHIVE_WORK_DIR, leftover), 'cut short');
  await writeFile(join(card, 'partial-0011223344556677'), 'the user’s own file');
  await mkdir(join(card, 'RDL', ARCHIVE_WORK_DIR), { recursive: true });
  await writeFile(join(card, 'RDL', ARCHIVE_WORK_DIR, 'notes.txt'), 'the user’s too');
}

async function userFilesStay(card: string): Promise<void> {
  assert.deepEqual((await readdir(card)).sort(), ['RDL', 'partial-0011223344556677']);
  assert.deepEqual(await readdir(join(card, 'RDL', ARCHIVE_WORK_DIR)), ['notes.txt']);
}

/** A mount point in a fresh temp folder, unmounted (every layer) and removed when the test ends. */
function mountPoint(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdl-insertion-card-'));
  t.after(() => {
    for (let i = 0; i < 4; i++) unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('another card put in between two checks: its leftovers are removed at the next check, the user’s files stay', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = mountPoint(t);
  mountTmpfs(card, 4096);
  await cardWithLeftover(card, 'partial-aaaaaaaaaaaaaaaa');
  const archive = archiveOn(card);
  assert.equal((await archive.check()).problem, null);
  assert.deepEqual(await readdir(join(card, ARCHIVE_WORK_DIR)).catch(() => []), []);

  // Swapped with no check in between: no check saw the folder without a card.
  unmount(card);
  mountTmpfs(card, 4096);
  await cardWithLeftover(card, 'partial-bbbbbbbbbbbbbbbb');
  assert.equal((await archive.check()).problem, null);
  assert.deepEqual(await readdir(join(card, ARCHIVE_WORK_DIR)).catch(() => []), []);
  await userFilesStay(card);
});

test('the same card put back between two checks (same device, same root): its leftovers are removed', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const cardData = await tempDir('rdl-insertion-data-');
  t.after(() => removeDir(cardData));
  const card = mountPoint(t);
  bindMount(cardData, card);
  const archive = archiveOn(card);
  const before = await stat(card);
  assert.equal((await archive.check()).problem, null);

  // Pulled during a copy (its partial stays on the card) and put back before the next check.
  unmount(card);
  await cardWithLeftover(cardData, 'partial-cccccccccccccccc');
  bindMount(cardData, card);
  const after = await stat(card);
  assert.deepEqual([after.dev, after.ino], [before.dev, before.ino], 'the same card, as seen');
  assert.equal((await archive.check()).problem, null);
  assert.deepEqual(await readdir(join(card, ARCHIVE_WORK_DIR)).catch(() => []), []);
  await userFilesStay(card);
});

test('a copy in flight during a check keeps its temporary: only leftovers are removed', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = mountPoint(t);
  mountTmpfs(card, 4096);
  const source = await tempDir('rdl-insertion-source-');
  t.after(() => removeDir(source));
  const srcPath = join(source, 'a.csv');
  await writeFile(srcPath, 'a,b\n1,2\n');
  const archive = archiveOn(card);
  const stored = await archive.store({
    rel: 'USB0/a.csv',
    srcPath,
    size: (await stat(srcPath)).size,
    // Checked while the copy waits to take its name, its temporary in the reserved folder.
    beforePlace: async () => {
      assert.equal((await readdir(join(card, ARCHIVE_WORK_DIR))).length, 1);
      assert.equal((await archive.check()).problem, null);
      return undefined;
    },
  });
  assert.equal(stored.alreadyPresent, false);
  assert.equal(await readFile(join(card, 'USB0', 'a.csv'), 'utf8'), 'a,b\n1,2\n');

  // Once it is done, what is left there is a leftover, and the next check removes it.
  await writeFile(join(card, ARCHIVE_WORK_DIR, 'partial-dddddddddddddddd'), 'cut short');
  assert.equal((await archive.check()).problem, null);
  assert.deepEqual(await readdir(join(card, ARCHIVE_WORK_DIR)).catch(() => []), []);
  assert.deepEqual(await readdir(card), ['USB0']);
});
