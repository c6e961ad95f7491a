// The archive folder removed while a pass copies to it (a user trial: `rm -rf` of the archive
// folder on another disk, mid-pass). A recursive removal takes the folder's contents first, the
// copies' temporaries among them, and the folder itself last: the copies in flight failed with
// ENOENT while the folder still stood, and each was charged as its file's own failure ("failed
// (ENOENT)", code unknown, counted toward the failing threshold and its alert). It is the archive
// that went away: the leg is blocked with the archive's missing problem, no file is charged, and
// once the folder is back every file is copied, once. Real folders, on a tmpfs of their own so
// the archive copies (as to a card or another disk) instead of linking; the status is what the
// engine's reducer folds from the pass's events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { canMount, mountTmpfs, unmount } from './helpers.js';
import { startPassRig } from '../pipeline/pass-rig.js';
import { listFilesRel } from '../engine/harness.js';
import type { PassEvent } from '../../src/engine/pipeline/events.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { StatusReducer } from '../../src/engine/status/reducer.js';
import { systemClock } from '../../src/engine/ports.js';

/** Large enough that the archive's two large copies are both mid-way when the folder goes. */
const FILE_BYTES = 8 * 1024 * 1024;
const RELS = ['RDL/USB0/a.bin', 'RDL/USB0/b.bin', 'RDL/USB1/c.bin', 'cameras/d.bin'];

/** As `rm -rf` does it: everything below the folder now, the folder itself `afterMs` later. */
function removeLikeRmRf(dir: string, afterMs: number): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  setTimeout(() => rmSync(dir, { recursive: true, force: true }), afterMs);
}

test('the archive folder removed mid-copy (contents first, the folder last, as rm -rf does): the leg is blocked as archive-missing, no file is charged a failure, and every file is copied once when the folder is back', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const disk = mkdtempSync(join(tmpdir(), 'rdl-archive-disk-'));
  mountTmpfs(disk, 128 * 1024);
  const archiveDir = join(disk, 'archive');
  mkdirSync(archiveDir);
  const r = await startPassRig({ archiveDir });
  try {
    const status = new StatusModel(() => systemClock.now());
    const reducer = new StatusReducer(status, systemClock, () => 60 * 60_000);
    const emit = r.deps.emit;
    // Once two copies are both mid-way: nothing else can be started and finish in between.
    const midway = new Set<string>();
    let removed = false;
    r.deps.emit = (e: PassEvent) => {
      emit(e);
      reducer.apply(e);
      if (removed || e.type !== 'leg-progress' || e.leg !== 'archive') return;
      midway.add(e.rel);
      if (midway.size < 2) return;
      removed = true;
      removeLikeRmRf(archiveDir, 150);
    };
    for (const rel of RELS) await r.drop(rel, randomBytes(FILE_BYTES));

    const first = await r.pass();
    assert.ok(removed, 'the folder was removed mid-copy');
    assert.equal(
      first.report.archiveBlocked?.code,
      'archive-missing',
      first.report.archiveBlocked?.message,
    );
    const failed = first.events.filter((e) => e.type === 'leg-failed');
    assert.deepEqual(
      failed.map((e) =>
        e.type === 'leg-failed' ? `${e.rel}: ${e.error.code} ${e.error.message}` : '',
      ),
      [],
      'no file charged for the archive going away',
    );
    assert.deepEqual(
      RELS.filter((rel) => r.journal.entry(rel)?.retry?.archive),
      [],
      'no archive failure kept in the journal',
    );
    const problems = status.snapshot().problems;
    assert.deepEqual(
      problems.map((p) => p.code),
      ['archive-missing'],
      problems.map((p) => p.message).join('\n'),
    );
    assert.match(problems[0]!.message, new RegExp(`${archiveDir} (went away|does not exist)`));
    assert.equal(first.report.done, 0, 'nothing left transit without its archive copy');
    assert.deepEqual(await listFilesRel(r.transitDir), [...RELS].sort());

    // The folder again: the next pass copies every file, once each.
    mkdirSync(archiveDir);
    const second = await r.pass();
    assert.equal(second.report.archiveBlocked, null, second.report.archiveBlocked?.message);
    const copied = second.events.flatMap((e) =>
      e.type === 'leg-done' && e.leg === 'archive' ? [e.rel] : [],
    );
    assert.deepEqual(copied.sort(), [...RELS].sort());
    assert.deepEqual(await listFilesRel(archiveDir), [...RELS].sort(), 'no numbered copies');
    assert.deepEqual(await listFilesRel(r.transitDir), []);
    assert.equal(status.snapshot().problems.length, 0);
  } finally {
    await r.close();
    unmount(disk);
    rmSync(disk, { recursive: true, force: true });
  }
});
