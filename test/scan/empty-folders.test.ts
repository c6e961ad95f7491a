// Emptied date folders pile up in the watch folder (one per camera a day); a walk must not open
// each of them on every pass, yet must never miss a file that later lands in one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmptyFolderMemo, walkTree } from '../../src/engine/fsutil/walk.js';
import { StabilityScanner } from '../../src/engine/scan/stability-scanner.js';
import { removeDir, tempDir } from './helpers.js';

/** A memo that reads folders "later" than now, as if their ctimes were already old. */
function memoReadingLater(): { memo: EmptyFolderMemo; skipped: () => number } {
  const memo = new EmptyFolderMemo(() => Date.now() + 60_000);
  let skipped = 0;
  const skip = memo.skip.bind(memo);
  memo.skip = (stats) => {
    const yes = skip(stats);
    if (yes) skipped++;
    return yes;
  };
  return { memo, skipped: () => skipped };
}

async function files(root: string, memo: EmptyFolderMemo): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkTree(root, { emptyFolders: memo })) {
    if (e.kind === 'file') out.push(e.rel);
  }
  return out.sort();
}

async function dateFolders(root: string, n: number): Promise<string[]> {
  const rels: string[] = [];
  for (let d = 1; d <= n; d++) {
    const rel = `cameras/reolink1/2026-01-${String(d).padStart(2, '0')}`;
    await mkdir(join(root, rel), { recursive: true });
    rels.push(rel);
  }
  return rels;
}

test('empty folders are remembered and skipped while unchanged; a file that lands in one is found', async () => {
  const root = await tempDir();
  try {
    const days = await dateFolders(root, 30);
    await writeFile(join(root, 'cameras/reolink1/2026-01-30/today.jpg'), 'jpg');
    const { memo, skipped } = memoReadingLater();

    assert.deepEqual(await files(root, memo), ['cameras/reolink1/2026-01-30/today.jpg']);
    assert.equal(memo.size, 29, 'the 29 empty date folders are remembered, not the full one');
    assert.equal(skipped(), 0);

    assert.deepEqual(await files(root, memo), ['cameras/reolink1/2026-01-30/today.jpg']);
    assert.equal(skipped(), 29, 'the second walk opens none of the empty folders');

    // Written in place (the cameras) and renamed in (the RDL logger) both change the folder.
    await writeFile(join(root, days[3] as string, 'late.jpg'), 'jpg');
    await writeFile(join(root, 'outside.txt'), 'x');
    await rename(join(root, 'outside.txt'), join(root, days[7] as string, 'moved.txt'));
    assert.deepEqual(await files(root, memo), [
      'cameras/reolink1/2026-01-04/late.jpg',
      'cameras/reolink1/2026-01-08/moved.txt',
      'cameras/reolink1/2026-01-30/today.jpg',
    ]);
    assert.equal(memo.size, 27, 'the two filled folders are no longer remembered');

    // A folder gone (and one made in its place) is not mistaken for the remembered one.
    await rmdir(join(root, days[10] as string));
    await mkdir(join(root, days[10] as string));
    await writeFile(join(root, days[10] as string, 'new.csv'), 'y');
    assert.ok((await files(root, memo)).includes('cameras/reolink1/2026-01-11/new.csv'));
  } finally {
    await removeDir(root);
  }
});

test('a folder read within seconds of its last change is not remembered (coarse timestamps)', async () => {
  const root = await tempDir();
  try {
    await dateFolders(root, 5);
    // The real wall clock: these folders changed just now, so a file created in the same
    // timestamp tick could leave the ctime unchanged: nothing may be trusted yet.
    const memo = new EmptyFolderMemo();
    assert.deepEqual(await files(root, memo), []);
    assert.equal(memo.size, 0);
  } finally {
    await removeDir(root);
  }
});

test('a walk stopped part-way forgets nothing it knew and learns nothing half-seen', async () => {
  const root = await tempDir();
  try {
    await dateFolders(root, 10);
    const { memo } = memoReadingLater();
    await files(root, memo);
    assert.equal(memo.size, 10);
    for await (const e of walkTree(root, { emptyFolders: memo })) {
      void e;
      break;
    }
    assert.equal(memo.size, 10);
    await rm(join(root, 'cameras'), { recursive: true });
    await files(root, memo);
    assert.equal(memo.size, 0, 'folders that are gone are forgotten after a whole walk');
  } finally {
    await removeDir(root);
  }
});

test('the scanner skips old empty folders and still finds a file written into one', async () => {
  const root = await tempDir();
  try {
    await dateFolders(root, 3);
    // Let the folders' ctimes age past the settle margin, for real.
    await new Promise((r) => setTimeout(r, 5_500));
    const scanner = new StabilityScanner({ watchDir: root, stableSeconds: 0, ignorePatterns: [] });
    assert.equal((await scanner.scan()).stable.length, 0);
    assert.equal((await scanner.scan()).stable.length, 0);
    await writeFile(join(root, 'cameras/reolink1/2026-01-02/x.jpg'), 'jpg');
    let found: string[] = [];
    for (let i = 0; i < 3 && found.length === 0; i++) {
      found = (await scanner.scan()).stable.map((f) => f.rel);
    }
    assert.deepEqual(found, ['cameras/reolink1/2026-01-02/x.jpg']);
  } finally {
    await removeDir(root);
  }
});
