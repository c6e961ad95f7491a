import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFolders } from '../../src/engine/fsutil/index.js';
import { canMount, removeDir, tempDir, unmount } from '../archive/helpers.js';

test('makeFolders makes every missing level with the mode given, and accepts folders already there', async () => {
  const base = await tempDir('rdl-make-folders-');
  try {
    const deep = join(base, 'a', 'b', 'c');
    const umask = process.umask(0);
    try {
      await makeFolders(deep, 0o750);
      await makeFolders(deep, 0o750);
    } finally {
      process.umask(umask);
    }
    for (const level of [join(base, 'a'), join(base, 'a', 'b'), deep]) {
      const s = await stat(level);
      assert.ok(s.isDirectory(), level);
      assert.equal(s.mode & 0o777, 0o750, level);
    }
    await writeFile(join(base, 'file'), '');
    await assert.rejects(makeFolders(join(base, 'file', 'x')), { code: 'ENOTDIR' });
  } finally {
    await removeDir(base);
  }
});

test("makeFolders on a disk with no free inodes fails with ENOSPC, the refused level's own error (Node 20 said ENOENT)", async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const base = await tempDir('rdl-make-folders-');
  const disk = join(base, 'disk');
  await mkdir(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=4', 'tmpfs', disk]);
  try {
    for (let i = 0; i < 20; i++) {
      try {
        await writeFile(join(disk, `filler-${i}`), '');
      } catch {
        break;
      }
    }
    await assert.rejects(makeFolders(join(disk, 'RDL', '2026-12-03'), 0o755), { code: 'ENOSPC' });
    await assert.rejects(makeFolders(join(disk, 'one'), 0o755), { code: 'ENOSPC' });
  } finally {
    unmount(disk);
    await removeDir(base);
  }
});
