// Group commit of folder fsyncs (fsutil/folder-syncs.ts): one fsync answers everyone who asked
// before it started, and nobody is answered by an fsync that started before they asked (their
// new name might not be in it). Real folders, the real fsyncDir underneath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FolderSyncs } from '../../src/engine/fsutil/folder-syncs.js';
import { fsyncDir } from '../../src/engine/fsutil/fsync.js';
import { removeDir, tempDir } from '../archive/helpers.js';

test('many callers share few fsyncs, and each is answered only by an fsync that started after it asked', async () => {
  const dir = await tempDir('rdl-folder-syncs-');
  try {
    let tick = 0;
    let lastDoneStartedAt = 0;
    const started: number[] = [];
    const syncs = new FolderSyncs(async (d) => {
      const at = ++tick;
      started.push(at);
      await fsyncDir(d);
      lastDoneStartedAt = at;
    });
    const waits: Promise<void>[] = [];
    for (let round = 0; round < 3; round++) {
      // New names made by many movers at once; each then asks for the folder to be synced.
      for (let i = 0; i < 20; i++) await writeFile(join(dir, `f-${round}-${i}`), 'x');
      for (let i = 0; i < 20; i++) {
        const askedAt = ++tick;
        waits.push(
          syncs.sync(dir).then(() => {
            assert.ok(lastDoneStartedAt > askedAt, `answered by an fsync started before asking`);
          }),
        );
      }
      await Promise.all(waits);
    }
    assert.equal(waits.length, 60);
    assert.ok(started.length <= 6, `60 callers took ${started.length} fsyncs`);
    assert.ok(started.length >= 3);
  } finally {
    await removeDir(dir);
  }
});

test('a failed fsync fails the callers it answered, not later ones; folders are independent', async () => {
  const base = await tempDir('rdl-folder-syncs-');
  try {
    const a = join(base, 'a');
    const b = join(base, 'b');
    await mkdir(a);
    await mkdir(b);
    let failNext = true;
    const syncs = new FolderSyncs(async (d) => {
      if (d === a && failNext) {
        failNext = false;
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      }
      await fsyncDir(d);
    });
    const first = syncs.sync(a);
    const other = syncs.sync(b);
    await assert.rejects(first, /EIO/);
    await other;
    await syncs.sync(a); // a fresh fsync, which succeeds
    // A folder that does not exist: the real error reaches the caller.
    await assert.rejects(
      syncs.sync(join(base, 'missing')),
      (e: unknown) => (e as { code?: string }).code === 'ENOENT',
    );
  } finally {
    await removeDir(base);
  }
});
