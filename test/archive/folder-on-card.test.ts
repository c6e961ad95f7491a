// The archive a folder on a mounted card (`archiveDir /media/pi/CARD/backup`, the mount-point
// check on): it read "SD card not mounted at …/backup: insert it" at every pass with the card in.
// A folder below a card mounted under /mnt (or /media, /run/media) is the card's while it is
// mounted; with the card out, the same path on the disk below is refused, and nothing is written
// there. A real tmpfs mounted under /mnt as the card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from './helpers.js';

test('a folder on a card mounted under /mnt is the archive while the card is in; out, refused', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  await mkdir('/mnt', { recursive: true });
  const place = await mkdtemp('/mnt/rdl-card-test-');
  const card = join(place, 'CARD');
  const backup = join(card, 'backup');
  const src = await tempDir('rdl-folder-on-card-');
  await mkdir(card);
  mountTmpfs(card, 4096);
  try {
    await mkdir(backup);
    const target = new ArchiveTarget({ root: backup, mustBeMountPoint: true });
    assert.equal((await target.check()).problem, null, 'the card is in');
    const file = join(src, 'a.csv');
    await writeFile(file, 'ts,v\n1,2\n');
    await target.store({ rel: 'RDL/USB0/a.csv', srcPath: file, size: (await stat(file)).size });
    assert.equal(await readFile(join(backup, 'RDL', 'USB0', 'a.csv'), 'utf8'), 'ts,v\n1,2\n');

    // The card out, and the same folder made on the disk below (by another program, an old
    // syncer): that folder is not the card.
    unmount(card);
    await mkdir(backup, { recursive: true });
    const out = await new ArchiveTarget({ root: backup, mustBeMountPoint: true }).check();
    assert.equal(out.problem?.code, 'archive-missing');
    assert.match(out.problem?.message ?? '', /^SD card not mounted at .*\/CARD\/backup: insert it/);
    const refused = new ArchiveTarget({ root: backup, mustBeMountPoint: true });
    await assert.rejects(
      refused.store({ rel: 'RDL/USB0/b.csv', srcPath: file, size: (await stat(file)).size }),
      (e: unknown) => (e as { code?: string }).code === 'archive-missing',
    );
    assert.deepEqual(await readdir(backup), [], 'nothing written below the mount point');
  } finally {
    unmount(card);
    await removeDir(place);
    await removeDir(src);
  }
});
