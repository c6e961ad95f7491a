// Defect found by the soak run: a file that kept failing was a problem ("failed 3 times") until
// the daemon restarted (a hub reboots itself after 12 h offline); the restarted engine said
// "idle", listed no problem and raised no alert, although the journal still held the failures and
// the file never left transit. Real engines one after the other on the same folders, the
// emulator over HTTP, a name Dropbox refuses (a DEL character).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { History } from '../../src/engine/history/index.js';
import { listFilesRel, withHarness } from './harness.js';

const BAD = 'RDL/USB0/bad\x7f.csv';
const PROBLEM_ID = `file-failing:${BAD}`;

test('a file that kept failing is still a problem after a restart, before and after its next try', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  const retry = { baseMs: 10, capMs: 50, maxAttempts: 3 };
  await withHarness({ engine: { clock, retry } }, async (h) => {
    await h.drop(BAD, 'a DEL character: Dropbox refuses the name');
    await h.drop('RDL/USB0/good.csv', 't,v\n1,2\n');
    const firstTryMs = clock.now();
    for (let i = 0; i < 3; i++) {
      assert.equal((await h.engine.runPassNow()).fileFailures, 1);
      if (i < 2) offsetMs += 10 * 60_000; // past the file's back-off (30 s, then 1 min)
    }
    const before = h.engine.getStatus().problems.find((p) => p.id === PROBLEM_ID);
    assert.ok(before, JSON.stringify(h.engine.getStatus().problems));
    assert.match(before.message, /failed 3 times: Dropbox refused the path/);
    // Since its first failure (the first pass), not the third: 20 min of the clock in between.
    const since = before.sinceMs;
    assert.ok(since >= firstTryMs && since < firstTryMs + 10 * 60_000, `${since - firstTryMs} ms`);
    await h.engine.stop();

    const restarted: Engine = await createEngine({
      configDir: h.configDir,
      home: h.root,
      clock,
      retry,
    });
    try {
      // Its next try is minutes away: this pass only meets it in transit.
      const waiting = await restarted.runPassNow();
      assert.equal(waiting.fileFailures, 0, 'not retried before its delay');
      let s = restarted.getStatus();
      const afterRestart = s.problems.find((p) => p.id === PROBLEM_ID);
      assert.ok(afterRestart, `still a problem after the restart: ${JSON.stringify(s.problems)}`);
      assert.match(afterRestart.message, /failed 3 times: Dropbox refused the path/);
      assert.equal(afterRestart.sinceMs, since, 'the journal kept when it began, not the restart');
      assert.equal(s.state, 'attention');
      assert.equal(s.counts.failed, 1);

      offsetMs += 60 * 60_000;
      assert.equal((await restarted.runPassNow()).fileFailures, 1, 'tried again when due');
      s = restarted.getStatus();
      const later = s.problems.find((p) => p.id === PROBLEM_ID);
      assert.ok(later, `still a problem after its 4th failure: ${JSON.stringify(s.problems)}`);
      assert.match(later.message, /failed 4 times/);
      assert.equal(later.sinceMs, since, 'still since the first failure');
      assert.deepEqual(await listFilesRel(h.transitDir), [BAD], 'the good file left transit');
      assert.ok(h.emulator.getFile('/RDL/site1/RDL/USB0/good.csv'));
    } finally {
      await restarted.stop();
    }
  });
});

test('a file that kept failing is recorded failed once, also when its count of attempts was lost with the journal', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  const retry = { baseMs: 10, capMs: 50, maxAttempts: 3 };
  const failedRecords = async (configDir: string): Promise<number> => {
    const history = await History.open(path.join(configDir, 'history.jsonl'), 5000);
    return history.query({ limit: 100 }).filter((r) => r.rel === BAD && r.outcome === 'failed')
      .length;
  };
  const failThrice = async (engine: Engine): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      offsetMs += 60 * 60_000; // past the file's back-off
      assert.equal((await engine.runPassNow()).fileFailures, 1);
    }
  };
  await withHarness({ engine: { clock, retry } }, async (h) => {
    await h.drop(BAD, 'a DEL character: Dropbox refuses the name');
    await failThrice(h.engine);
    await h.engine.stop();
    assert.equal(await failedRecords(h.configDir), 1);

    // The journal is found damaged at the next start (an SD card's torn block): it starts empty,
    // and the file's attempts are counted from nothing again.
    await fs.writeFile(path.join(h.configDir, 'journal.json'), '{"version":1,"entr');
    const restarted = await createEngine({ configDir: h.configDir, home: h.root, clock, retry });
    try {
      await failThrice(restarted);
      assert.match(
        restarted.getStatus().problems.find((p) => p.id === PROBLEM_ID)?.message ?? '',
        /failed 3 times/,
        'counted from nothing again',
      );
    } finally {
      await restarted.stop();
    }
    assert.equal(await failedRecords(h.configDir), 1, 'the same failure is not recorded twice');
  });
});
