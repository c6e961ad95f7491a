// A folder in transit replaced by a symbolic link: the recursive mkdir took the link for the
// folder and the move put the file wherever it pointed. With the daemon running as root and the
// transit folder writable by the logger's user (a migrated hub's 3_transit belongs to pi), that
// user could plant a file of theirs in /etc/profile.d as root (security trial). Staging now makes
// each level below the transit folder itself and refuses a link, naming it; the file stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { stageFile } from '../../src/engine/stage/index.js';
import { transitTempDir } from '../../src/engine/stage/transit-names.js';
import { isSyncError } from '../../src/engine/errors.js';
import type { ScannedFile } from '../../src/engine/scan/index.js';
import { removeDir, tempDir } from '../archive/helpers.js';
import { put } from '../scan/helpers.js';

async function scanned(watch: string, rel: string, content: string): Promise<ScannedFile> {
  const absPath = await put(watch, rel, content);
  const s = fs.statSync(absPath);
  return { rel, absPath, size: s.size, mtimeMs: s.mtimeMs };
}

for (const linked of ['SYM', 'A/SYM'])
  test(`a symbolic link at transit/${linked} is never moved through; the file stays, the link is named`, async () => {
    const base = await tempDir('rdl-linked-level-');
    try {
      const watch = join(base, 'watch');
      const transit = join(base, 'transit');
      const elsewhere = join(base, 'etc-profile.d');
      await mkdir(elsewhere, { recursive: true });
      await mkdir(join(transit, 'A'), { recursive: true });
      await symlink(elsewhere, join(transit, linked));
      const file = await scanned(watch, `${linked}/evil.sh`, 'echo owned\n');

      const refused = await stageFile({ watchDir: watch, transitDir: transit, file });
      assert.equal(refused.status, 'failed', JSON.stringify(refused));
      const error = refused.status === 'failed' ? refused.error : null;
      assert.ok(isSyncError(error), String(error));
      assert.equal(error.kind, 'file-failed');
      assert.equal(
        error.message,
        `The folder ${join(transit, linked)} in transit is a symbolic link: RDL Sync never moves a file through a link there (it would land wherever the link points); remove the link (rm ${join(transit, linked)}); the file stays where it is`,
      );
      assert.deepEqual(await readdir(elsewhere), [], 'nothing landed where the link points');
      assert.equal(await readFile(file.absPath, 'utf8'), 'echo owned\n', 'the file stays');

      // The link removed, the same file is staged into a real folder.
      await rm(join(transit, linked));
      const r = await stageFile({ watchDir: watch, transitDir: transit, file });
      assert.equal(r.status, 'staged', JSON.stringify(r));
      assert.ok(fs.lstatSync(join(transit, linked)).isDirectory());
      assert.equal(await readFile(join(transit, linked, 'evil.sh'), 'utf8'), 'echo owned\n');
    } finally {
      await removeDir(base);
    }
  });

test('a transit folder that is itself a link (a person chose it) is followed as before', async () => {
  const base = await tempDir('rdl-linked-root-');
  try {
    const watch = join(base, 'watch');
    const real = join(base, 'big-disk', 'transit');
    await mkdir(real, { recursive: true });
    const transit = join(base, 'transit');
    await symlink(real, transit);
    const file = await scanned(watch, 'USB0/2026-12/data.csv', 'a,b\n');
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'staged', JSON.stringify(r));
    assert.equal(await readFile(join(real, 'USB0/2026-12/data.csv'), 'utf8'), 'a,b\n');
  } finally {
    await removeDir(base);
  }
});

test('across disks, a link in place of the temporary folder in transit is not written through', async () => {
  const base = await tempDir('rdl-linked-tmp-');
  try {
    const watch = join(base, 'watch');
    const transit = join(base, 'transit');
    const elsewhere = join(base, 'etc');
    await mkdir(elsewhere, { recursive: true });
    await mkdir(transit);
    await symlink(elsewhere, transitTempDir(transit));
    const file = await scanned(watch, 'USB0/data.csv', 'a,b\n');
    // Across disks the watch folder's name cannot be linked or renamed into transit.
    const exdev = Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
    const acrossDisks = {
      link: (from: string | Buffer, to: string) =>
        String(from).startsWith(`${watch}/`) ? Promise.reject(exdev) : link(from, to),
      rename: (from: string | Buffer, to: string) =>
        String(from).startsWith(`${watch}/`) ? Promise.reject(exdev) : rename(from, to),
    };
    const r = await stageFile({ watchDir: watch, transitDir: transit, file, fsOps: acrossDisks });
    assert.equal(r.status, 'failed', JSON.stringify(r));
    assert.match(
      r.status === 'failed' ? r.error.message : '',
      /is a symbolic link: RDL Sync never/,
    );
    assert.deepEqual(await readdir(elsewhere), [], 'no temporary copy where the link points');
    assert.equal(await readFile(file.absPath, 'utf8'), 'a,b\n', 'the file stays');
  } finally {
    await removeDir(base);
  }
});
