// The archive remembers the folders it made or found during a pass (one stat per file instead of a
// root check and a mkdir and lstat per level). These tests prove the memory never lets a write go
// where the full checks would have refused it, and never stops a write the full checks allow:
// a card swapped, a card pulled, a folder removed mid-pass — with real mounts and real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { isSyncError } from '../../src/engine/errors.js';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from './helpers.js';

async function rig(): Promise<{ base: string; card: string; src: string }> {
  const base = await tempDir('rdl-known-folders-');
  const card = join(base, 'card');
  const src = join(base, 'transit');
  await mkdir(card);
  await mkdir(src);
  return { base, card, src };
}

async function sourceFile(dir: string, name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

async function storeFile(target: ArchiveTarget, rel: string, srcPath: string) {
  return target.store({ rel, srcPath, size: (await stat(srcPath)).size });
}

test('card swapped mid-pass: the remembered folder is not the new card’s; it is made there and the file lands on the new card', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 1024);
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    await target.check();
    await storeFile(target, 'RDL/USB0/a.csv', await sourceFile(r.src, 'a.csv', 'first card'));
    unmount(r.card);
    mountTmpfs(r.card, 1024); // another card, same mount point, no check() in between
    const b = await storeFile(target, 'RDL/USB0/b.csv', await sourceFile(r.src, 'b.csv', 'second'));
    assert.equal(b.path, join(r.card, 'RDL/USB0/b.csv'));
    assert.equal(await readFile(b.path, 'utf8'), 'second');
    // (The copy to a card on another file system goes through the reserved work folder.)
    const files = (await tree(r.card)).filter((p) => !p.startsWith('.rdl-sync-tmp'));
    assert.deepEqual(files, ['RDL', 'RDL/USB0', 'RDL/USB0/b.csv']);
  } finally {
    unmount(r.card);
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('card pulled mid-pass, the same folders present in the bare mount point: archive-missing, nothing written there', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 1024);
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: true, reserveBytes: 0 });
    await target.check();
    await storeFile(target, 'RDL/USB0/a.csv', await sourceFile(r.src, 'a.csv', 'on the card'));
    unmount(r.card);
    // Someone made the same folders in the bare mount point: the remembered path exists again,
    // but it is another directory, so the root checks run and refuse.
    await mkdir(join(r.card, 'RDL', 'USB0'), { recursive: true });
    const src = await sourceFile(r.src, 'b.csv', 'must wait');
    await assert.rejects(storeFile(target, 'RDL/USB0/b.csv', src), (e: unknown) => {
      assert.ok(isSyncError(e));
      assert.deepEqual([e.kind, e.code], ['blocked', 'archive-missing']);
      assert.match(e.message, /not mounted/);
      return true;
    });
    assert.deepEqual(await tree(r.card), ['RDL', 'RDL/USB0'], 'nothing landed in the mount point');
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('card unmounted (lazily) between the root check and the write: archive-missing, nothing left in the bare mount point, the file lands once it is back', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const r = await rig();
  mountTmpfs(r.card, 1024);
  let unmounted = false;
  try {
    // The first folder made after the root check: the card goes away just before it (an
    // automounter's lazy unmount, a pulled reader), as the crash torture's card-unmount fault did.
    const target = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: true,
      reserveBytes: 0,
      fsOps: {
        mkdir: async (p) => {
          if (!unmounted) {
            unmounted = true;
            unmount(r.card);
          }
          await mkdir(p, 0o755);
        },
      },
    });
    await target.check();
    const src = await sourceFile(r.src, 'a.csv', 'belongs on the card');
    await assert.rejects(storeFile(target, 'RDL/USB0/a.csv', src), (e: unknown) => {
      assert.ok(isSyncError(e));
      assert.deepEqual([e.kind, e.code], ['blocked', 'archive-missing']);
      assert.match(e.message, /went away during a copy/);
      return true;
    });
    assert.ok(unmounted);
    assert.deepEqual(await tree(r.card), [], 'nothing left in the bare mount point');
    // The card again: the next check and store put the file on it.
    mountTmpfs(r.card, 1024);
    await target.check();
    const stored = await storeFile(target, 'RDL/USB0/a.csv', src);
    assert.equal(stored.path, join(r.card, 'RDL/USB0/a.csv'));
    assert.equal(await readFile(stored.path, 'utf8'), 'belongs on the card');
    unmount(r.card);
    assert.deepEqual(await tree(r.card), [], 'still nothing in the bare mount point');
  } finally {
    unmount(r.card);
    await removeDir(r.base);
  }
});

test('a remembered folder removed between its check and the link (ENOENT): made again once, the file lands', async () => {
  const r = await rig();
  try {
    let links = 0;
    const target = new ArchiveTarget({
      root: r.card,
      mustBeMountPoint: false,
      reserveBytes: 0,
      fsOps: {
        link: async (from, to) => {
          // The second file's first link: its folder goes away just before (a person tidying).
          if (++links === 2) await rm(join(r.card, 'RDL'), { recursive: true });
          await link(from, to);
        },
      },
    });
    await target.check();
    await storeFile(target, 'RDL/USB0/a.csv', await sourceFile(r.src, 'a.csv', 'one'));
    const b = await storeFile(target, 'RDL/USB0/b.csv', await sourceFile(r.src, 'b.csv', 'two'));
    assert.equal(await readFile(b.path, 'utf8'), 'two');
    assert.equal(links, 3, 'one failed link, one after the folder was made again');
    assert.deepEqual(await tree(r.card), ['RDL', 'RDL/USB0', 'RDL/USB0/b.csv']);
  } finally {
    await removeDir(r.base);
  }
});

test('a folder removed between files (no mount check): the next file finds it gone and makes it again', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    await target.check();
    await storeFile(target, 'RDL/USB0/a.csv', await sourceFile(r.src, 'a.csv', 'one'));
    await rm(join(r.card, 'RDL'), { recursive: true });
    await storeFile(target, 'RDL/USB0/b.csv', await sourceFile(r.src, 'b.csv', 'two'));
    assert.deepEqual(await tree(r.card), ['RDL', 'RDL/USB0', 'RDL/USB0/b.csv']);
    // The root itself removed: never made again, whatever was remembered.
    await rm(r.card, { recursive: true });
    await assert.rejects(
      storeFile(target, 'RDL/USB0/c.csv', await sourceFile(r.src, 'c.csv', 'three')),
      (e: unknown) => isSyncError(e) && e.code === 'archive-missing',
    );
    assert.deepEqual(await tree(r.base), [
      'transit',
      'transit/a.csv',
      'transit/b.csv',
      'transit/c.csv',
    ]);
  } finally {
    await removeDir(r.base);
  }
});

test('a hard link must name the transit inode the caller saw: a file replaced under us is refused, nothing kept', async () => {
  const r = await rig();
  try {
    const target = new ArchiveTarget({ root: r.card, mustBeMountPoint: false, reserveBytes: 0 });
    const src = await sourceFile(r.src, 'a.csv', 'seen');
    const seen = await stat(src);
    // Replaced by another file of the same size before the archive links it (renamed over it, so
    // the new inode cannot reuse the old one's number).
    const other = await sourceFile(r.src, 'other', 'SEEN');
    await rename(other, src);
    assert.notEqual((await stat(src)).ino, seen.ino);
    await assert.rejects(
      target.store({ rel: 'a.csv', srcPath: src, size: seen.size, dev: seen.dev, ino: seen.ino }),
      (e: unknown) => isSyncError(e) && e.code === 'hash-mismatch',
    );
    assert.deepEqual(await tree(r.card), []);
  } finally {
    await removeDir(r.base);
  }
});
