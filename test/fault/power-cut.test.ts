// Power cuts on a real ext4 file system (power-cut.ts): a SIGKILL keeps the page cache, a power
// cut does not. Loggers never fsync what they write, so the bytes of a fresh file may still be
// in memory when RDL Sync stages, uploads and archives it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stageFile } from '../../src/engine/stage/index.js';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { fsyncDir } from '../../src/engine/fsutil/index.js';
import { canMountExt4, mountPowerCutDisk, type PowerCutDisk } from './power-cut.js';

async function disk(t: TestContext): Promise<PowerCutDisk | null> {
  if (!(await canMountExt4())) {
    t.skip('needs root and loop-mounted ext4');
    return null;
  }
  const d = await mountPowerCutDisk();
  t.after(() => d.cleanup());
  return d;
}

/** Folders made and synced up to the root, as an installed hub has them. */
async function folders(root: string, ...names: string[]): Promise<void> {
  for (const name of names) {
    await mkdir(join(root, name), { recursive: true });
    for (let dir = join(root, name); dir.length > root.length; dir = join(dir, '..')) {
      await fsyncDir(dir);
    }
  }
  await fsyncDir(root);
}

/** A file as a logger writes it: one write, closed, never fsynced. */
async function loggerWrites(file: string): Promise<Buffer> {
  const bytes = randomBytes(300_000);
  await writeFile(file, bytes);
  return bytes;
}

test('a staged file keeps its bytes through a power cut (the logger never synced them)', async (t) => {
  const d = await disk(t);
  if (!d) return;
  await folders(d.dir, 'watch/RDL/USB0', 'transit');
  const rel = 'RDL/USB0/RDL_2026-12-01_USB0.txt';
  const bytes = await loggerWrites(join(d.dir, 'watch', rel));
  const s = await stat(join(d.dir, 'watch', rel));
  const r = await stageFile({
    watchDir: join(d.dir, 'watch'),
    transitDir: join(d.dir, 'transit'),
    file: { rel, absPath: join(d.dir, 'watch', rel), size: s.size, mtimeMs: s.mtimeMs },
  });
  assert.equal(r.status, 'staged');

  const after = await d.cut();
  const staged = await readFile(join(after, 'transit', rel));
  // Without the fsync: 0 bytes, under the name the engine had made durable.
  assert.equal(staged.length, bytes.length, 'the transit copy is whole after the power cut');
  assert.ok(staged.equals(bytes));
});

test('the card copy linked to a transit file keeps its bytes through a power cut', async (t) => {
  const d = await disk(t);
  if (!d) return;
  await folders(d.dir, 'transit', 'archive');
  const rel = '2026-12-01_12_00.jpg';
  // Bytes that reached transit unsynced: a writer that went on after staging.
  const bytes = await loggerWrites(join(d.dir, 'transit', rel));
  const target = new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false });
  const stored = await target.store({
    rel,
    srcPath: join(d.dir, 'transit', rel),
    size: bytes.length,
  });
  assert.equal(stored.linked, true, 'same file system: a hard link');

  const after = await d.cut();
  const copy = await readFile(join(after, 'archive', rel));
  // Without the fsync: 0 bytes, while the leg had said the copy was verified.
  assert.equal(copy.length, bytes.length, 'the card copy is whole after the power cut');
  assert.ok(copy.equals(bytes));
});
