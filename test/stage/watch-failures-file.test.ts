// The saved failures of the watch folder's files (src/engine/stage/watch-failures-file.ts): what
// is saved reads back the same, a damaged file costs only the counts, and the file stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SyncError } from '../../src/engine/errors.js';
import type { StageFailure } from '../../src/engine/pipeline/stage-step.js';
import {
  MAX_SAVED_WATCH_FAILURES,
  loadWatchFailures,
  saveWatchFailures,
} from '../../src/engine/stage/watch-failures-file.js';

function failure(attempts: number): StageFailure {
  return {
    attempts,
    nextTryMs: 1_000 + attempts,
    // Failing since before the last failure once there were several (the problem's since-when).
    lastError: { atMs: 500 + attempts, ...(attempts > 1 ? { sinceMs: 100 } : {}) },
    error: new SyncError({
      kind: 'file-failed',
      code: 'file-unreadable',
      message: `failed ${attempts}`,
    }),
  };
}

test('saved failures read back the same, private; a damaged file reads as none and says so', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-watch-failures-file-'));
  try {
    const file = path.join(dir, 'watch-failures.json');
    assert.equal((await loadWatchFailures(file)).size, 0, 'none saved yet');
    await saveWatchFailures(
      file,
      new Map([
        ['a/one.csv', failure(1)],
        ['b/two.csv', failure(4)],
      ]),
    );
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    const back = await loadWatchFailures(file);
    assert.deepEqual(
      [...back].map(([rel, f]) => [
        rel,
        f.attempts,
        f.nextTryMs,
        f.lastError.atMs,
        f.lastError.sinceMs,
        f.error.code,
        f.error.message,
        f.error.kind,
      ]),
      [
        ['b/two.csv', 4, 1_004, 504, 100, 'file-unreadable', 'failed 4', 'file-failed'],
        ['a/one.csv', 1, 1_001, 501, undefined, 'file-unreadable', 'failed 1', 'file-failed'],
      ],
    );

    const warned: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (msg: string) => warned.push(msg),
      error: () => {},
    };
    for (const damaged of ['{"version":1,"failures":[{"rel":"x"', '{"version":2}', '\0\0\0']) {
      await fs.writeFile(file, damaged);
      warned.length = 0;
      assert.equal((await loadWatchFailures(file, logger as never)).size, 0, damaged);
      assert.match(warned.join('\n'), /damaged: counting from 0 again/);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('only the most tried are kept, up to the limit: a folder of thousands of failing files stays one small file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-watch-failures-cap-'));
  try {
    const file = path.join(dir, 'watch-failures.json');
    const many = new Map<string, StageFailure>();
    for (let i = 0; i < MAX_SAVED_WATCH_FAILURES + 500; i++)
      many.set(`d/${String(i).padStart(5, '0')}.csv`, failure(i === 2_321 ? 9 : 1));
    await saveWatchFailures(file, many);
    const back = await loadWatchFailures(file);
    assert.equal(back.size, MAX_SAVED_WATCH_FAILURES);
    assert.equal(
      [...back.values()].filter((f) => f.attempts === 9).length,
      1,
      'the most tried kept',
    );
    assert.ok((await fs.stat(file)).size < 400_000, 'small');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// JSON.parse's message quotes the text beside the fault; the log gets the place instead.
test("a damaged file's log line names where it broke, never its text", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-watch-failures-quote-'));
  try {
    const file = path.join(dir, 'watch-failures.json');
    await fs.writeFile(file, '{"version":1,"failures":[{"rel": RDL/USB0/secret-name.txt}]}');
    const reasons: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (_msg: string, fields?: Record<string, unknown>) => reasons.push(fields?.reason),
      error: () => {},
    };
    assert.equal((await loadWatchFailures(file, logger as never)).size, 0);
    assert.deepEqual(reasons, ['not JSON (the parser stopped at line 1, column 34)']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
