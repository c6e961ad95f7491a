// Which kept watch-folder failures a scan shows over (stage-step.ts goneFromWatch): only a file
// gone from the folder. Unsettled, below a folder that could not be read, or with the watch folder
// itself unreadable (an unplugged disk, a mount hiccup), the file may well be there: forgetting its
// failure then read as the trouble resolved, and the count began again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncError } from '../../src/engine/errors.js';
import { goneFromWatch } from '../../src/engine/pipeline/stage-step.js';
import type { ScanOutcome } from '../../src/engine/pipeline/deps.js';

const failing = [
  'a/stable.csv',
  'a/unsettled.csv',
  'shut/x.csv',
  'shut/deeper/y.csv',
  'b/gone.csv',
];

function scan(extra: Partial<ScanOutcome> = {}): ScanOutcome {
  return {
    stable: [{ rel: 'a/stable.csv', absPath: '/w/a/stable.csv', size: 1, mtimeMs: 1 }],
    pending: 1,
    pendingFiles: [{ rel: 'a/unsettled.csv', mtimeMs: 1 }],
    ignored: 0,
    errors: [{ rel: 'shut', message: 'Cannot read shut', code: 'unreadable-folder' }],
    ...extra,
  };
}

test('only a file the scan shows gone is over: not one unsettled, nor below an unreadable folder', () => {
  assert.deepEqual(goneFromWatch(failing, scan()), ['b/gone.csv']);
  // "shut" is no prefix of "shutter": a file there is gone like any other.
  assert.deepEqual(goneFromWatch(['shutter/z.csv'], scan()), ['shutter/z.csv']);
  // The pass's own set of files it met stands for the stable list.
  assert.deepEqual(goneFromWatch(failing, scan(), new Set()), ['a/stable.csv', 'b/gone.csv']);
});

test('with the watch folder unreadable, or the whole folder in error, none is over', () => {
  const away = new SyncError({ kind: 'blocked', code: 'watch-unavailable', message: 'gone' });
  assert.deepEqual(goneFromWatch(failing, scan({ stable: [], watchProblem: away })), []);
  const root = scan({ stable: [], errors: [{ rel: '', message: 'x', code: 'unreadable-folder' }] });
  assert.deepEqual(goneFromWatch(failing, root), []);
});
