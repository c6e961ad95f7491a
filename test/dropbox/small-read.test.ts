// readSmall reads a small file in one read of its listed size: what it returns must be the file
// as it is now, whether it kept that size, grew or shrank since it was listed, and a file that
// cannot be read is a per-file error naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncError } from '../../src/engine/errors.js';
import { readSmall } from '../../src/engine/dropbox/small-read.js';
import { SYNC_READ_MAX } from '../../src/engine/fsutil/quick-fs.js';
import { pattern } from './helpers.js';

test('readSmall returns the file as it is now: listed size, grown, shrunk, empty, or too large to read at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rdl-small-read-'));
  try {
    const at = (name: string) => ({ rel: `in/${name}`, localPath: join(dir, name) });
    const cases: Array<[string, number, number]> = [
      // [name, size on disk, size it was listed with]
      ['same.bin', 8192, 8192],
      ['grew.bin', 9000, 8192],
      ['grew-by-one.bin', 101, 100],
      ['shrank.bin', 100, 8192],
      ['empty.bin', 0, 0],
      ['was-empty.bin', 50, 0],
      ['emptied.bin', 0, 50],
      ['large.bin', SYNC_READ_MAX + 5, SYNC_READ_MAX + 5],
    ];
    for (const [i, [name, size, listed]] of cases.entries()) {
      const bytes = pattern(size, 70 + i);
      await writeFile(join(dir, name), bytes);
      const got = await readSmall(at(name), listed);
      assert.ok(got.equals(bytes), name);
    }
    const err = await readSmall(at('missing.bin'), 10).catch((e: unknown) => e);
    assert.ok(err instanceof SyncError, String(err));
    assert.match(err.message, /in\/missing\.bin/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
