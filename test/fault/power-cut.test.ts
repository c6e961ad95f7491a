// Power cuts on a real ext4 file system (power-cut.ts): a SIGKILL keeps the page cache, a power
// cut does not. Loggers never fsync what they write, so the bytes of a fresh file may still be
// in memory when RDL Sync stages, uploads and archives it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs, { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path, { join } from 'node:path';
import { stageFile } from '../../src/engine/stage/index.js';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { fsyncDir } from '../../src/engine/fsutil/index.js';
import { formatBytes } from '../../src/engine/format-bytes.js';
import { createEngine } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal/index.js';
import { dropboxContentHash, startEmulator } from '../../tools/emulator/index.js';
import {
  listFilesRel,
  localHash,
  makeDirs,
  testSettings,
  withHarness,
  writeConfig,
  type Harness,
} from '../engine/harness.js';
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

/** Staged as the engine stages a logger's file: older than the stable time, moved, fsynced. */
async function stageOld(d: PowerCutDisk, rel: string): Promise<{ bytes: Buffer; staged: Stats }> {
  const file = join(d.dir, 'watch', rel);
  const bytes = await loggerWrites(file);
  const old = new Date(Date.now() - 120_000);
  await utimes(file, old, old);
  const s = await stat(file);
  const r = await stageFile({
    watchDir: join(d.dir, 'watch'),
    transitDir: join(d.dir, 'transit'),
    file: { rel, absPath: file, size: s.size, mtimeMs: s.mtimeMs },
  });
  assert.ok(r.status === 'staged' && r.identity?.bytesSynced, 'staged, its bytes synced');
  return { bytes, staged: await stat(join(d.dir, 'transit', rel)) };
}

test('a card link of a file staging synced, unchanged since, keeps its bytes through a power cut without a second fsync of them', async (t) => {
  const d = await disk(t);
  if (!d) return;
  await folders(d.dir, 'watch', 'transit', 'archive');
  const rel = 'RDL_2026-12-01_USB0.txt';
  const { bytes, staged } = await stageOld(d, rel);
  const target = new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false });
  const stored = await target.store({
    rel,
    srcPath: join(d.dir, 'transit', rel),
    size: staged.size,
    dev: staged.dev,
    ino: staged.ino,
    syncedAs: { size: staged.size, mtimeMs: staged.mtimeMs },
    deferFolderSync: true,
  });
  assert.equal(stored.linked, true, 'same file system: a hard link');
  assert.equal(stored.file, undefined, 'its bytes are not synced again: staging did');
  await target.syncFolders([stored.folder!]);

  const after = await d.cut();
  const copy = await readFile(join(after, 'archive', rel));
  assert.equal(copy.length, bytes.length, 'the card copy is whole after the power cut');
  assert.ok(copy.equals(bytes));
});

test('a card link of a file written again after staging synced it is synced itself, and keeps the new bytes through a power cut', async (t) => {
  const d = await disk(t);
  if (!d) return;
  await folders(d.dir, 'watch', 'transit', 'archive');
  const rel = 'RDL_2026-12-01_USB0.txt';
  const { bytes, staged } = await stageOld(d, rel);
  // A writer whose descriptor followed the file into transit overwrites it in place, same size:
  // the new bytes wait in memory (no new blocks, so no journal commit carries them).
  const again = Buffer.from(bytes.map((b) => b ^ 0xff));
  const fh = await fs.open(join(d.dir, 'transit', rel), 'r+');
  await fh.write(again, 0, again.length, 0);
  await fh.close();
  const target = new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false });
  const stored = await target.store({
    rel,
    srcPath: join(d.dir, 'transit', rel),
    size: staged.size,
    dev: staged.dev,
    ino: staged.ino,
    syncedAs: { size: staged.size, mtimeMs: staged.mtimeMs },
    deferFolderSync: true,
  });
  assert.equal(stored.contentHash, dropboxContentHash(again), 'the card holds the new bytes');
  assert.ok(stored.file, 'the mtime moved on: its bytes are synced with the group');
  await target.syncFolders([stored.folder!], [stored.file]);

  const after = await d.cut();
  const copy = await readFile(join(after, 'archive', rel));
  // With staging's word taken for it: the old bytes, under a copy said to hold the new ones.
  assert.ok(copy.equals(again), 'the card copy holds the bytes it was said to hold');
});

test('a card link found already there (a kill after the link, before its outcome was saved), its file written again since, is synced before it counts', async (t) => {
  const d = await disk(t);
  if (!d) return;
  await folders(d.dir, 'watch', 'transit', 'archive');
  const rel = 'RDL_2026-12-01_USB0.txt';
  const { bytes, staged } = await stageOld(d, rel);
  const store = (target: ArchiveTarget) =>
    target.store({
      rel,
      srcPath: join(d.dir, 'transit', rel),
      size: staged.size,
      dev: staged.dev,
      ino: staged.ino,
      deferFolderSync: true,
    });
  // The killed run: its link is on the card (synced), its outcome never reached the journal.
  const first = await store(
    new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false }),
  );
  await new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false }).syncFolders(
    [first.folder!],
    first.file ? [first.file] : [],
  );
  // The writer that kept its descriptor overwrites the file in place, same size: the new bytes
  // wait in memory, and the link shares them.
  const again = Buffer.from(bytes.map((b) => b ^ 0xff));
  const fh = await fs.open(join(d.dir, 'transit', rel), 'r+');
  await fh.write(again, 0, again.length, 0);
  await fh.close();
  // The next process finds the link there, holding these very bytes.
  const target = new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false });
  const stored = await store(target);
  assert.equal(stored.contentHash, dropboxContentHash(again), 'the card holds the new bytes');
  await target.syncFolders([stored.folder!], stored.file ? [stored.file] : []);

  const after = await d.cut();
  const copy = await readFile(join(after, 'archive', rel));
  // Without its sync: the old bytes, under a copy said to hold the new ones.
  assert.ok(copy.equals(again), 'the card copy holds the bytes it was said to hold');
});

test('small files linked to the card in a group keep their bytes through a power cut once the group is synced', async (t) => {
  const d = await disk(t);
  if (!d) return;
  await folders(d.dir, 'transit', 'archive');
  const target = new ArchiveTarget({ root: join(d.dir, 'archive'), mustBeMountPoint: false });
  const written = new Map<string, Buffer>();
  const stored = [];
  for (let i = 0; i < 5; i++) {
    const rel = `cam-${i}.jpg`;
    written.set(rel, await loggerWrites(join(d.dir, 'transit', rel)));
    stored.push(
      await target.store({
        rel,
        srcPath: join(d.dir, 'transit', rel),
        size: written.get(rel)!.length,
        deferFolderSync: true,
      }),
    );
  }
  await target.syncFolders(
    stored.flatMap((r) => (r.folder ? [r.folder] : [])),
    stored.flatMap((r) => (r.file ? [r.file] : [])),
  );
  const after = await d.cut();
  for (const [rel, bytes] of written) {
    const copy = await readFile(join(after, 'archive', rel));
    assert.equal(copy.length, bytes.length, `${rel} is whole on the card after the power cut`);
  }
});

/** Files on the emulator below the harness's site root, as rels. */
function remoteRels(h: Harness): string[] {
  return h.emulator
    .listFiles()
    .map((f) => f.pathDisplay)
    .filter((p) => p.startsWith('/RDL/site1/'))
    .map((p) => p.slice('/RDL/site1/'.length))
    .sort();
}

test('a transit file a power cut cut short (shorter, its time unchanged) never replaces the whole copy on Dropbox, nor counts as done', async () => {
  await withHarness({}, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-01_USB0.txt';
    const whole = Buffer.from('2026-12-01 00:00:00,21.5,40\n'.repeat(2000));
    await h.drop(rel, whole);
    // The card is away: the upload is done, the file waits in transit for the card.
    const away = `${h.archiveDir}.away`;
    await fs.rename(h.archiveDir, away);
    let report = await h.engine.runPassNow();
    assert.equal(report.uploaded, 1, JSON.stringify(report));
    const uploaded = dropboxContentHash(whole);
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, uploaded);

    // The power goes: what ext4 had not written yet is gone. The inode and its time are as
    // committed, the size is what had reached the disk (here nothing, as delayed allocation leaves it).
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    const stamp = path.join(h.root, 'stamp');
    await fs.writeFile(stamp, '');
    execFileSync('touch', ['-r', transitPath, stamp]); // keeps the nanoseconds, unlike utimes
    await fs.truncate(transitPath, 0);
    execFileSync('touch', ['-r', stamp, transitPath]);
    await fs.rename(away, h.archiveDir);
    for (let i = 0; i < 3; i++) report = await h.engine.runPassNow();

    assert.deepEqual(remoteRels(h), [rel], 'no second copy on Dropbox');
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash,
      uploaded,
      'the whole file on Dropbox is not replaced by what the power cut left',
    );
    assert.equal(report.done, 0, 'not done: the card has no whole copy');
    assert.deepEqual(await listFilesRel(h.archiveDir), [], 'the cut-short file is not archived');
    assert.equal((await fs.stat(transitPath)).size, 0, 'the transit copy stays for a person');
    const problem = h.engine.getStatus().problems.find((p) => p.message.includes(rel));
    assert.ok(problem, 'status names the file');
    assert.match(problem.message, /power/i);
    assert.match(problem.message, new RegExp(`${whole.length}|${formatBytes(whole.length)}`));
    // Only Dropbox has the whole file (the archive never got it), and the harness archives to a
    // plain folder, as a hub's 4_synced: no SD card, and no archive, to fetch it from.
    assert.match(problem.message, /back in transit \(from Dropbox\)/);
    assert.doesNotMatch(problem.message, /SD card/);

    // A person puts the whole file back (from Dropbox): it goes on, and nothing is doubled.
    await fs.writeFile(transitPath, whole);
    for (let i = 0; i < 3 && report.done === 0; i++) report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    assert.deepEqual(remoteRels(h), [rel]);
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, uploaded);
    assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), uploaded);
    assert.ok(
      !h.engine.getStatus().problems.some((p) => p.message.includes(rel)),
      'the problem is gone',
    );
  });
});

test('a transit file cut short before any whole copy was made is not sent looking for one on Dropbox or the archive', async () => {
  await withHarness({}, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-05_USB0.txt';
    const whole = Buffer.from('2026-12-05 00:00:00,21.5,40\n'.repeat(200));
    // Dropbox full and the card away: the file waits in transit with no copy anywhere.
    h.emulator.setQuota(0);
    const away = `${h.archiveDir}.away`;
    await fs.rename(h.archiveDir, away);
    await h.drop(rel, whole);
    await h.engine.runPassNow();
    assert.deepEqual(remoteRels(h), []);
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    const stamp = path.join(h.root, 'stamp');
    await fs.writeFile(stamp, '');
    execFileSync('touch', ['-r', transitPath, stamp]);
    await fs.truncate(transitPath, 100);
    execFileSync('touch', ['-r', stamp, transitPath]);
    await h.engine.runPassNow();
    const problem = h.engine.getStatus().problems.find((p) => p.message.includes(rel));
    assert.ok(problem, 'status names the file');
    assert.match(problem.message, /No copy of the whole file was made before/);
    assert.doesNotMatch(problem.message, /from Dropbox|from the archive/);
    await fs.rename(away, h.archiveDir);
  });
});

test('a file marked finished and then cut short by a power cut only leaves transit: no second copy of what was left', async () => {
  await withHarness({}, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-02_USB0.txt';
    const whole = Buffer.from('2026-12-02 00:00:00,19.0,55\n'.repeat(1000));
    await h.drop(rel, whole);
    let report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    const hash = dropboxContentHash(whole);
    const finishedAtMs = h.engine.queryHistory({})[0]!.finishedAtMs;
    await h.engine.stop();

    // The power went after the finished mark was saved and before the transit copy was removed,
    // and took the end of the transit copy's bytes (its inode and time as committed).
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    await fs.mkdir(path.dirname(transitPath), { recursive: true });
    await fs.writeFile(transitPath, whole);
    const s = await fs.stat(transitPath);
    const journal = await Journal.open(path.join(h.configDir, 'journal.json'));
    const done = { contentHash: hash, atMs: Date.now(), alreadyPresent: false };
    journal.put(rel, {
      size: s.size,
      mtimeMs: s.mtimeMs,
      dev: s.dev,
      ino: s.ino,
      contentHash: hash,
      upload: { ...done, path: `/RDL/site1/${rel}` },
      archive: { ...done, path: path.join(h.archiveDir, ...rel.split('/')) },
      finishedAtMs,
      attempts: 0,
      nextTryMs: 0,
    });
    await journal.close();
    const stamp = path.join(h.root, 'stamp');
    await fs.writeFile(stamp, '');
    execFileSync('touch', ['-r', transitPath, stamp]);
    await fs.truncate(transitPath, 1000);
    execFileSync('touch', ['-r', stamp, transitPath]);

    const again = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      report = await again.runPassNow();
      assert.deepEqual(remoteRels(h), [rel], 'no name (1) copy of what was left on Dropbox');
      assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, hash);
      assert.deepEqual(await listFilesRel(h.archiveDir), [rel], 'none on the card either');
      assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), hash);
      assert.deepEqual(await listFilesRel(h.transitDir), [], 'the leftover left transit');
      assert.equal(again.queryHistory({}).length, 1, 'one history record');
    } finally {
      await again.stop();
    }
  });
});

test('the engine starting on a history and a journal damaged by a power cut says so in its log, naming the copies it kept', async () => {
  const dirs = await makeDirs('rdl-powercut-state-');
  const emulator = await startEmulator({});
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
    // A good record, then a block of NULs where the next ones were; a journal of NULs.
    const good = JSON.stringify({
      id: 1,
      rel: 'a.txt',
      outcome: 'done',
      size: 1,
      upload: {},
      archive: {},
    });
    await fs.writeFile(
      path.join(dirs.configDir, 'history.jsonl'),
      Buffer.concat([Buffer.from(`${good}\n`), Buffer.alloc(4096)]),
    );
    await fs.writeFile(path.join(dirs.configDir, 'journal.json'), Buffer.alloc(2048));
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (m: string, f?: Record<string, unknown>) => warnings.push(`${m} ${JSON.stringify(f)}`),
    };
    const engine = await createEngine({ configDir: dirs.configDir, home: dirs.root, logger });
    try {
      const log = warnings.join('\n');
      assert.match(log, /Transfer history had damaged lines.*history\.jsonl\.damaged/);
      assert.match(log, /Journal was damaged.*journal\.json\.corrupt/);
      assert.equal(engine.queryHistory({}).length, 1, 'the good record is kept');
    } finally {
      await engine.stop();
    }
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('a held cut-short file is logged once, not on every pass, and still named in the status on each', async () => {
  const warnings: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (message: string) => warnings.push(message),
    error: () => {},
  };
  await withHarness({ engine: { logger } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-06_USB0.txt';
    const whole = Buffer.from('2026-12-06 00:00:00,20.5,41\n'.repeat(500));
    const away = `${h.archiveDir}.away`;
    await fs.rename(h.archiveDir, away);
    await h.drop(rel, whole);
    await h.engine.runPassNow();
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    const stamp = path.join(h.root, 'stamp');
    await fs.writeFile(stamp, '');
    execFileSync('touch', ['-r', transitPath, stamp]);
    await fs.truncate(transitPath, 0);
    execFileSync('touch', ['-r', stamp, transitPath]);
    await fs.rename(away, h.archiveDir);
    const told = (): number => warnings.filter((w) => /lost the end of its bytes/.test(w)).length;
    // A hub's pass every 10 s: this warning was written on every one (8,640 lines a day).
    for (let i = 0; i < 5; i++) {
      await h.engine.runPassNow();
      assert.ok(
        h.engine.getStatus().problems.some((p) => p.message.includes(rel)),
        `pass ${i + 1}: status names the held file`,
      );
    }
    assert.equal(told(), 1, 'logged once for the hold');

    // The bytes back ends the hold; a later hold of the same file is a new one, logged again.
    await fs.writeFile(transitPath, whole);
    await h.engine.runPassNow();
    await fs.rm(h.archiveDir, { recursive: true });
    await h.drop(rel, whole);
    await h.engine.runPassNow();
    await fs.mkdir(h.archiveDir);
    execFileSync('touch', ['-r', transitPath, stamp]);
    await fs.truncate(transitPath, 10);
    execFileSync('touch', ['-r', stamp, transitPath]);
    for (let i = 0; i < 3; i++) await h.engine.runPassNow();
    assert.equal(told(), 2, 'a new hold is logged once more');
  });
});
