// A transit disk that is full (a long outage fills it: nothing leaves it while Dropbox is away)
// with many finished files waiting in the watch folder. Each refusal of a file for want of room
// costs several system calls (a move tried, the temporary folder made, statfs twice); a pass must
// not pay them for every waiting file, every pass, when the disk has no room for any of them.
// Real folders, transit on a real tmpfs filled to the last block, the real stage step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { scanAndStage, STAGE_CONCURRENCY } from '../../src/engine/pipeline/stage-step.js';
import type { PassDeps, StageOutcome } from '../../src/engine/pipeline/deps.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { startPassRig } from './pass-rig.js';

test('with transit full, a pass tries to stage only until the disk has refused a file: the rest wait without a try', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const rig = await startPassRig();
  mountTmpfs(rig.transitDir, 256);
  try {
    // Filled to the last block by a file of someone else's.
    const filler = path.join(rig.transitDir, 'filler.bin');
    for (let i = 0; i < 100; i++) {
      try {
        await fs.appendFile(filler, Buffer.alloc(4096));
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    const files = 4 * STAGE_CONCURRENCY;
    for (let i = 0; i < files; i++) await rig.drop(`RDL/f${i}.csv`, Buffer.alloc(1024, 1));
    const outcomes: StageOutcome['status'][] = [];
    const deps: PassDeps = {
      ...rig.deps,
      stage: async (file) => {
        const outcome = await rig.deps.stage(file);
        outcomes.push(outcome.status);
        return outcome;
      },
    };
    const result = await scanAndStage(deps, rig.memory);
    assert.equal(result.staged, 0);
    assert.equal(result.held.length, files, 'every file waits in the watch folder');
    assert.ok(outcomes.length > 0 && outcomes.every((s) => s === 'no-room'), outcomes.join());
    // The first files are tried side by side before any answer; none after the first refusal.
    assert.ok(
      outcomes.length <= STAGE_CONCURRENCY,
      `${outcomes.length} of ${files} files tried on a full disk`,
    );
    const problem = rig.events.find((e) => e.type === 'problem');
    assert.match(
      problem?.type === 'problem' ? problem.problem.message : '',
      new RegExp(`does not fit .*\\(${files - 1} more files wait for room\\)`),
    );
    assert.equal((await fs.readdir(path.join(rig.watchDir, 'RDL'))).length, files);
  } finally {
    unmount(rig.transitDir);
    await rig.close();
  }
});

test('with transit full, one more file waiting is said in the singular', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const rig = await startPassRig();
  mountTmpfs(rig.transitDir, 64);
  try {
    const filler = path.join(rig.transitDir, 'filler.bin');
    for (let i = 0; i < 100; i++) {
      try {
        await fs.appendFile(filler, Buffer.alloc(4096));
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        break;
      }
    }
    await rig.drop('RDL/a.csv', Buffer.alloc(8192, 1));
    await rig.drop('RDL/b.csv', Buffer.alloc(8192, 2));
    const result = await scanAndStage(rig.deps, rig.memory);
    assert.equal(result.staged, 0);
    const problem = rig.events.find((e) => e.type === 'problem');
    const message = problem?.type === 'problem' ? problem.problem.message : '';
    assert.match(message, /does not fit .*\(1 more file waits for room\)/);
    // No pass has ended in this rig: nothing is claimed of the files in transit.
    assert.doesNotMatch(message, /still sync/);
  } finally {
    unmount(rig.transitDir);
    await rig.close();
  }
});
