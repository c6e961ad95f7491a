// "Sync now" is what a person presses after fixing what a file failed on (a permission, a name,
// a folder). Before, the files waiting out their back-off (30 s, 1 min, … up to an hour) stayed
// waiting: the fix showed no effect for up to an hour. Now the next pass tries each file that
// failed before the ask, once; passes nobody asked for keep the back-off. A real engine, the
// emulator over HTTP, a name Dropbox refuses (a DEL character) and a folder made immutable
// (chattr +i, which holds root too) so its file cannot leave the watch folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../src/engine/engine.js';
import {
  FILE_FAILING_PREFIX,
  fileRetryDelayMs,
  retryDue,
  triedAgainWhenAsked,
} from '../../src/engine/pipeline/problems.js';
import { CUT_SHORT } from '../../src/engine/pipeline/file-version.js';
import { ZEROED } from '../../src/engine/pipeline/zeroed.js';
import { withHarness } from './harness.js';

const BAD = 'RDL/USB0/bad\x7f.csv';
const LOCKED = 'RDL/held/locked.csv';

/** The failed attempts the journal holds for `rel` (0: none). */
async function attemptsOf(engine: Engine, rel: string): Promise<number> {
  return (await engine.listFailures()).find((f) => f.rel === rel)?.attempts ?? 0;
}

/** Presses "Sync now" on an engine that is not started (its pass runs in the background). */
async function syncNowAndWait(engine: Engine): Promise<void> {
  const before = engine.getStatus().lastPassMs ?? 0;
  engine.syncNow();
  for (let i = 0; i < 600; i++) {
    const s = engine.getStatus();
    if ((s.lastPassMs ?? 0) > before && !s.passRunning) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the pass "Sync now" asked for never ended');
}

test('"Sync now" tries the files waiting after a failure at once, each once; other passes keep their back-off', async () => {
  await withHarness({}, async (h) => {
    await h.drop(BAD, 'a DEL character: Dropbox refuses the name');
    const locked = await h.drop(LOCKED, 't,v\n1,2\n');
    const heldDir = path.dirname(locked);
    execFileSync('chattr', ['+i', heldDir]);
    try {
      await h.engine.runPassNow();
      assert.equal(await attemptsOf(h.engine, BAD), 1);
      assert.ok(fs.existsSync(locked), 'an immutable folder keeps its file');
      // A pass nobody asked for, within the back-off (30 s): neither file is tried.
      assert.equal((await h.engine.runPassNow()).fileFailures, 0);
      assert.equal(await attemptsOf(h.engine, BAD), 1);
    } finally {
      execFileSync('chattr', ['-i', heldDir]);
    }
    // The person fixed the folder. A pass nobody asked for still waits out the back-off…
    await h.engine.runPassNow();
    assert.ok(fs.existsSync(locked), 'moved before its back-off ended, unasked');
    assert.equal(h.emulator.getFile(`/RDL/site1/${LOCKED}`), undefined);

    // …"Sync now" does not: the fixed file goes at once, the refused one is tried once more.
    await syncNowAndWait(h.engine);
    assert.ok(!fs.existsSync(locked), 'the fixed file left the watch folder');
    assert.ok(h.emulator.getFile(`/RDL/site1/${LOCKED}`), 'the fixed file is on Dropbox');
    assert.equal(await attemptsOf(h.engine, BAD), 2);

    // Each ask tries it once more, and so reaches the "failed 3 times" a person is told of.
    await syncNowAndWait(h.engine);
    assert.equal(await attemptsOf(h.engine, BAD), 3);
    const problem = h.engine.getStatus().problems.find((p) => p.id === `file-failing:${BAD}`);
    assert.match(problem?.message ?? '', /failed 3 times/);

    // A failure after the ask backs off as before: the passes that follow do not try it.
    for (let i = 0; i < 2; i++) await h.engine.runPassNow();
    assert.equal(await attemptsOf(h.engine, BAD), 3);
  });
});

test('an ask makes a failure from before it due, never a settle wait or a later failure', () => {
  const now = 1_000_000_000;
  const failed = (atMs: number, attempts = 2) => ({
    attempts,
    nextTryMs: atMs + fileRetryDelayMs(attempts),
    lastError: { atMs },
  });
  assert.equal(retryDue(failed(now - 1000), now), false, 'unasked: its back-off holds');
  assert.equal(retryDue(failed(now - 1000), now, 0, now - 500), true, 'failed before the ask');
  assert.equal(retryDue(failed(now - 1000), now, 0, now - 1000), true, 'failed at the ask');
  assert.equal(retryDue(failed(now - 400), now, 0, now - 500), false, 'failed after the ask');
  // Legs that disagreed the first time wait only for the file to settle (attempts 1, a settle
  // wait): an ask does not cut that short, a writer may still be at it.
  const settleMs = 120_000;
  const redone = { attempts: 1, nextTryMs: now - 1000 + settleMs, lastError: { atMs: now - 1000 } };
  assert.equal(retryDue(redone, now, settleMs, now), false, 'still settling');
  assert.equal(retryDue(redone, now + settleMs, settleMs, now), true, 'settled');
  // A file that changed in transit (attempts 0, no failure) settles whatever the ask.
  const changed = { attempts: 0, nextTryMs: now + settleMs };
  assert.equal(retryDue(changed, now, settleMs, now), false, 'a change is no failure');
});

test('the words that point to "Sync now" go with the files an ask tries again, not with those held for a person', () => {
  const id = `${FILE_FAILING_PREFIX}RDL/USB0/a.csv`;
  assert.equal(triedAgainWhenAsked(id, 'file-unreadable'), true);
  assert.equal(triedAgainWhenAsked(id, 'hash-mismatch'), true);
  assert.equal(triedAgainWhenAsked('files-failing:file-unreadable', 'file-unreadable'), true);
  // legDue holds these whatever the ask (leg-state.ts): pointing to "Sync now" would mislead.
  assert.equal(triedAgainWhenAsked(id, CUT_SHORT), false);
  assert.equal(triedAgainWhenAsked(id, ZEROED), false);
  assert.equal(triedAgainWhenAsked('archive-missing', 'archive-missing'), false);
});
