// A move into transit cut short by a kill (between the transit name's link and the removal of the
// watch-folder name: one inode under both names) whose transit copy the next process met first,
// by its walk of transit, before staging took the watch-folder name (a writer held it open then).
// The journal then knows the name, and staging's guard for a name the journal knows
// (stage-step.ts journalFreesName) held the watch-folder name back while its transit copy was
// there; once that copy was done and gone, the guard freed the name and the same file was staged
// as new: read and sent again, and recorded done twice. Staging's own check of a taken transit
// name (stage-file.ts finishCutMove) knows this very file and finishes its move.
//
// Real parts: the files, what a kill leaves (the hard link on one disk; across disks, transit on
// its own tmpfs, the complete copy with the original's mtime), a real open descriptor the kernel
// reports (/proc), the Dropbox emulator through the real SDK, the journal and history on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { History } from '../../src/engine/history/index.js';
import { Journal } from '../../src/engine/journal/index.js';
import { passDepsFor } from '../pipeline/pass-rig.js';
import { newPassMemory, runPass } from '../../src/engine/pipeline/pass.js';
import { canDetectWriters } from '../../src/engine/scan/open-writers.js';
import { systemClock } from '../../src/engine/ports.js';
import { listFilesRel, makeDirs, testSettings } from '../engine/harness.js';
import { mountTmpfs, unmount } from '../archive/helpers.js';

for (const acrossDisks of [false, true])
  test(`a move cut short (${acrossDisks ? 'across disks' : 'one disk'}) that the next process meets in transit first is finished, not staged and sent again`, async (t) => {
    if (!canDetectWriters()) return t.skip('open writers cannot be detected here (no /proc)');
    await cutMoveMetInTransitFirst(acrossDisks);
  });

async function cutMoveMetInTransitFirst(acrossDisks: boolean): Promise<void> {
  const dirs = await makeDirs('rdl-cut-move-known-');
  const emulator = await startEmulator({});
  const held: Array<fs.FileHandle> = [];
  if (acrossDisks) {
    await fs.mkdir(dirs.transitDir, { recursive: true });
    mountTmpfs(dirs.transitDir, 4096);
  }
  try {
    const settings = testSettings(dirs, emulator);
    const rel = 'RDL/USB0/2026-12/RDL_2026-12-03_USB0.txt';
    const body = 'time,value\n2026-12-03 00:00,1\n2026-12-03 00:10,2\n';
    const watchPath = path.join(dirs.watchDir, rel);
    const transitPath = path.join(dirs.transitDir, rel);
    await fs.mkdir(path.dirname(watchPath), { recursive: true });
    await fs.mkdir(path.dirname(transitPath), { recursive: true });
    await fs.writeFile(watchPath, body);
    if (acrossDisks) {
      // What a kill after the verified copy took its transit name leaves: a complete copy, with
      // the original's mtime, and the original.
      await fs.copyFile(watchPath, transitPath);
      const { atime, mtime } = await fs.stat(watchPath);
      await fs.utimes(transitPath, atime, mtime);
      assert.notEqual((await fs.stat(transitPath)).dev, (await fs.stat(watchPath)).dev);
    } else {
      // What a kill between the link and the unlink leaves: both names, one inode.
      await fs.link(watchPath, transitPath);
    }

    const journal = await Journal.open(path.join(dirs.configDir, 'journal.json'));
    const history = await History.open(path.join(dirs.configDir, 'history.jsonl'), 1000);
    const deps = passDepsFor(settings, emulator, emulator.issueRefreshToken(), {
      journal,
      history,
      clock: systemClock,
    });
    const memory = newPassMemory();
    let staged = 0;
    const stage = deps.stage;
    deps.stage = async (file) => {
      const outcome = await stage(file);
      if (outcome.status === 'staged') staged++;
      return outcome;
    };

    // The next process's first pass: a writer holds the file open, so staging leaves the
    // watch-folder name; the walk of transit meets the transit name (the journal now knows it).
    // Across disks the transit copy is another inode: held too, so it is not finished this pass.
    held.push(await fs.open(watchPath, 'r+'));
    if (acrossDisks) held.push(await fs.open(transitPath, 'r+'));
    await runPass(deps, memory, new AbortController().signal);
    assert.ok(journal.knows(rel), 'the walk of transit gave the name an entry');
    for (const h of held.splice(0)) await h.close();

    for (let i = 0; i < 8; i++) {
      await runPass(deps, memory, new AbortController().signal);
      const left = [
        ...(await listFilesRel(dirs.transitDir)),
        ...(await listFilesRel(dirs.watchDir)),
      ];
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await journal.close();
    await history.close();

    assert.deepEqual(await listFilesRel(dirs.transitDir), [], 'transit drained');
    assert.deepEqual(await listFilesRel(dirs.watchDir), [], 'the watch folder drained');
    const records = (await fs.readFile(path.join(dirs.configDir, 'history.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { rel: string; outcome: string });
    const done = records.filter((r) => r.rel === rel && r.outcome === 'done');
    assert.equal(done.length, 1, 'the file is recorded done once');
    assert.equal(staged, 1, 'staged once: the cut move finished, never staged anew');
    assert.deepEqual(
      emulator.listFiles().map((f) => f.pathDisplay),
      [`/RDL/site1/${rel}`],
      'on Dropbox once, nothing beside it',
    );
    assert.equal((await emulator.readFile(`/RDL/site1/${rel}`)).toString('utf8'), body);
    assert.equal(await fs.readFile(path.join(dirs.archiveDir, rel), 'utf8'), body, 'on the card');
    assert.deepEqual(
      (await listFilesRel(dirs.archiveDir)).filter((f) => f !== rel),
      [],
      'nothing beside it on the card',
    );
  } finally {
    for (const h of held) await h.close().catch(() => {});
    if (acrossDisks) unmount(dirs.transitDir);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
}
