// The field case: transit and archive on one 32 GB card. The archive copy is a hard link, so a
// backlog costs its bytes once, not twice. Measured on a real ext4 file system (a loop-mounted
// image, as on a Pi's card; statfs: used blocks and used inodes) for 1 GiB of logger files, and
// printed in the test log: the copy the archive made before (same file system, a second copy of
// every byte), the hard link now, and a card on another file system (a tmpfs: a real copy, as it
// must be).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { formatBytes } from '../../src/engine/format-bytes.js';
import { hashFileDropbox } from '../../src/engine/fsutil/index.js';
import {
  canMount,
  canMountExt4,
  mountExt4Image,
  mountTmpfs,
  removeDir,
  tempDir,
  unmount,
} from './helpers.js';
import { startHarness, listFilesRel } from '../engine/harness.js';

const MiB = 1024 * 1024;
const FILE_SIZE = 4 * MiB;
const FILES = 256; // 1 GiB

interface Usage {
  bytes: number;
  inodes: number;
}

async function usage(dir: string): Promise<Usage> {
  const s = await statfs(dir);
  return { bytes: (s.blocks - s.bfree) * s.bsize, inodes: s.files - s.ffree };
}

/** 1 GiB of distinct files below `transit` (one random block, each file stamped with its index). */
async function fillTransit(transit: string): Promise<string[]> {
  const block = randomBytes(FILE_SIZE);
  const dir = join(transit, 'RDL', 'USB0', '2026-11');
  await mkdir(dir, { recursive: true });
  const rels: string[] = [];
  for (let i = 0; i < FILES; i++) {
    block.writeUInt32BE(i, 0);
    const name = `RDL_2026-11-${String(i).padStart(3, '0')}_USB0.txt`;
    await writeFile(join(dir, name), block);
    rels.push(`RDL/USB0/2026-11/${name}`);
  }
  return rels;
}

async function archiveAll(
  target: ArchiveTarget,
  transit: string,
  rels: string[],
): Promise<boolean[]> {
  const linked: boolean[] = [];
  for (const rel of rels) {
    const srcPath = join(transit, ...rel.split('/'));
    const r = await target.store({ rel, srcPath, size: FILE_SIZE });
    linked.push(r.linked === true);
  }
  return linked;
}

function report(t: TestContext, what: string, before: Usage, after: Usage): void {
  t.diagnostic(
    `${what}: disk used ${formatBytes(before.bytes)} -> ${formatBytes(after.bytes)} (+${formatBytes(after.bytes - before.bytes)}), inodes ${before.inodes} -> ${after.inodes} (+${after.inodes - before.inodes})`,
  );
}

/** A link from outside the card fails as across mounts: forces the copy the archive made before. */
function copyAlways(card: string) {
  return {
    link: async (from: string, to: string): Promise<void> => {
      if (!from.startsWith(`${card}/`)) {
        throw Object.assign(new Error('forced copy'), { code: 'EXDEV' });
      }
      await link(from, to);
    },
  };
}

test('1 GiB on one ext4 card: hard link costs no blocks and no inodes; a copy (as before) costs 1 GiB; another card gets a real copy', async (t) => {
  if (!(await canMountExt4()))
    return t.skip('this machine does not allow loop-mounting an ext4 image (needs root)');
  const base = await tempDir('rdl-diskuse-');
  const card = join(base, 'card');
  const other = join(base, 'other-card');
  await mkdir(card);
  await mkdir(other);
  let unmountCard = async (): Promise<void> => {};
  try {
    unmountCard = await mountExt4Image(card, 2600);
    const folder = join(card, 'logging-folder');
    const transit = join(folder, '3_transit');
    const archive = join(folder, '4_synced');
    const rels = await fillTransit(transit);
    await mkdir(archive);

    // Now: the archive on the same card links.
    const start = await usage(card);
    const linking = new ArchiveTarget({ root: archive, mustBeMountPoint: false });
    const linked = await archiveAll(linking, transit, rels);
    const afterLink = await usage(card);
    report(t, `hard link, ${FILES} files of 4 MiB on one card`, start, afterLink);
    assert.ok(linked.every(Boolean), 'every file linked');
    assert.ok(afterLink.bytes - start.bytes < MiB, 'no data blocks added');
    assert.equal(afterLink.inodes - start.inodes, 3, 'only the three new folders, no file inodes');
    const sample = join(archive, ...rels[7]!.split('/'));
    assert.equal((await stat(sample)).nlink, 2, 'transit and archive share the inode');
    assert.equal(
      await hashFileDropbox(sample),
      await hashFileDropbox(join(transit, ...rels[7]!.split('/'))),
    );

    // Before: what a copy on the same card costs (the archive's behaviour until this change).
    await rm(archive, { recursive: true });
    await mkdir(archive);
    const beforeCopy = await usage(card);
    const copying = new ArchiveTarget({
      root: archive,
      mustBeMountPoint: false,
      fsOps: copyAlways(archive),
    });
    const copied = await archiveAll(copying, transit, rels);
    const afterCopy = await usage(card);
    report(
      t,
      `copy (before this change), ${FILES} files of 4 MiB on one card`,
      beforeCopy,
      afterCopy,
    );
    assert.ok(
      copied.every((l) => !l),
      'every file copied',
    );
    assert.ok(afterCopy.bytes - beforeCopy.bytes >= FILES * FILE_SIZE, 'a second GiB');
    assert.ok(afterCopy.inodes - beforeCopy.inodes >= FILES, 'a second inode per file');
    await rm(archive, { recursive: true });

    // Across file systems: a real copy, verified (link() meets the real EXDEV here).
    mountTmpfs(other, 1100 * 1024);
    const otherBefore = await usage(other);
    const otherCard = new ArchiveTarget({ root: other, mustBeMountPoint: true });
    const crossed = await archiveAll(otherCard, transit, rels);
    const otherAfter = await usage(other);
    report(t, `another card (cross-device copy), ${FILES} files of 4 MiB`, otherBefore, otherAfter);
    assert.ok(crossed.every((l) => !l));
    assert.ok(otherAfter.bytes - otherBefore.bytes >= FILES * FILE_SIZE);
    assert.equal(
      await hashFileDropbox(join(other, ...rels[200]!.split('/'))),
      await hashFileDropbox(join(transit, ...rels[200]!.split('/'))),
    );
  } finally {
    unmount(other);
    await unmountCard();
    await removeDir(base);
  }
});

test('field layout on one card through the whole pipeline: archived by hard link, no second copy, transit emptied', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const card = await tempDir('rdl-onecard-');
  mountTmpfs(card, 64 * 1024);
  const folder = join(card, 'logging-folder');
  const watchDir = join(folder, '2_tosync');
  const transitDir = join(folder, '3_transit');
  const archiveDir = join(folder, '4_synced');
  await mkdir(archiveDir, { recursive: true });
  const h = await startHarness({ settings: { watchDir, transitDir, archiveDir } });
  try {
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const rel = `RDL/USB0/2026-11/RDL_2026-11-0${i}_USB0.txt`;
      bodies.set(rel, randomBytes(1 * MiB + i));
    }
    for (const [rel, body] of bodies) {
      // Into this card's watch folder (the harness's drop() writes to its own).
      const p = join(watchDir, ...rel.split('/'));
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, body);
    }
    const before = await usage(card);
    // A file is staged once it was seen unchanged on two scans: a few passes, bounded.
    const reports = [];
    for (let pass = 0; pass < 5 && reports.reduce((n, r) => n + r.done, 0) < 6; pass++)
      reports.push(await h.engine.runPassNow());
    assert.equal(
      reports.reduce((n, r) => n + r.done, 0),
      6,
      JSON.stringify([reports, h.engine.getStatus().problems]),
    );
    const after = await usage(card);
    report(t, 'pipeline, 6 files of 1 MiB on one card', before, after);
    assert.ok(after.bytes - before.bytes < 256 * 1024, 'the archive added no copy of the bytes');
    assert.deepEqual(await listFilesRel(transitDir), []);
    assert.deepEqual(await listFilesRel(archiveDir), [...bodies.keys()].sort());
    for (const rel of bodies.keys()) {
      const p = join(archiveDir, ...rel.split('/'));
      assert.equal(
        (await stat(p)).nlink,
        1,
        'the transit name is gone, the archive keeps the file',
      );
      assert.equal(await hashFileDropbox(p), h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash);
    }
    assert.deepEqual(await readdir(watchDir), ['RDL'], 'the logger’s folders stay');
  } finally {
    await h.close();
    unmount(card);
    await removeDir(card);
  }
});
