// The sentence of files failing the same way (alerts/file-groups.ts): one file keeps its own;
// several name the files (five, then a count), then the oldest one's reason; the group's
// "Resolved" names every file it had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileFailingProblem } from '../../src/engine/pipeline/problems.js';
import { groupFailingFiles } from '../../src/engine/alerts/file-groups.js';
import { AlertPolicy } from '../../src/engine/alerts/policy.js';
import type { Problem } from '../../src/engine/status/types.js';

function failing(rel: string, sinceMs: number, code = 'disallowed-name'): Problem {
  return { ...fileFailingProblem(rel, 3, { code, message: 'Dropbox refuses the name' }), sinceMs };
}

test('one failing file: its own sentence, under the group id', () => {
  const [p] = groupFailingFiles([failing('RDL/a.csv', 1)]);
  assert.equal(p!.id, 'files-failing:disallowed-name');
  assert.equal(
    p!.message,
    'RDL/a.csv failed 3 times: Dropbox refuses the name. Other files are not affected',
  );
});

test('seven failing the same way, one another way, one other problem: three conditions', () => {
  const files = [7, 6, 5, 4, 3, 2, 1].map((n) => failing(`RDL/f${n}.csv`, n));
  const other: Problem = {
    id: 'offline',
    code: 'offline',
    severity: 'attention',
    tab: 'status',
    message: 'Dropbox has been unreachable for 1 h: check the network',
    sinceMs: 0,
  };
  const grouped = groupFailingFiles([other, ...files, failing('RDL/x.csv', 9, 'file-cut-short')]);
  assert.deepEqual(
    grouped.map((p) => p.id),
    ['offline', 'files-failing:disallowed-name', 'files-failing:file-cut-short'],
  );
  const group = grouped[1]!;
  assert.equal(group.sinceMs, 1, 'since the oldest');
  assert.equal(
    group.message,
    '7 files keep failing the same way (disallowed-name): RDL/f1.csv, RDL/f2.csv, RDL/f3.csv, RDL/f4.csv, RDL/f5.csv and 2 more. The first of them, RDL/f1.csv, failed 3 times: Dropbox refuses the name. Other files are not affected; each is listed in rdl-sync status',
  );
  assert.deepEqual(
    (group as { files?: readonly string[] }).files,
    [1, 2, 3, 4, 5, 6, 7].map((n) => `RDL/f${n}.csv`),
    'every file, for its "Resolved"',
  );
  // Two cut short: their sentence does not start "<file> failed", and says so whole.
  const cut = groupFailingFiles([
    {
      ...fileFailingProblem('RDL/x.csv', 3, {
        code: 'file-cut-short',
        message: 'RDL/x.csv is shorter than when copied',
      }),
      sinceMs: 1,
    },
    {
      ...fileFailingProblem('RDL/y.csv', 3, {
        code: 'file-cut-short',
        message: 'RDL/y.csv is shorter than when copied',
      }),
      sinceMs: 2,
    },
  ])[0]!;
  assert.equal(
    cut.message,
    '2 files keep failing the same way (file-cut-short): RDL/x.csv and RDL/y.csv. The first of them: RDL/x.csv is shorter than when copied. Other files are not affected; each is listed in rdl-sync status',
  );
});

test('a group that shrank before it cleared: its "Resolved" names every file it had, not only the last', () => {
  const p = new AlertPolicy({ reminderMs: 24 * 3_600_000, flapMs: 30 * 60_000 });
  const f8 = failing('RDL/USB0/f8.csv', 1, 'folder-unwritable');
  const f9 = failing('RDL/USB0/f9.csv', 2, 'folder-unwritable');
  const raised = p.update({ problems: groupFailingFiles([f8, f9]) }, 10);
  assert.deepEqual(
    raised.map((a) => a.kind),
    ['raised'],
  );
  assert.match(
    raised[0]!.sentence,
    /^2 files keep failing the same way \(folder-unwritable\): RDL\/USB0\/f8\.csv and RDL\/USB0\/f9\.csv\./,
  );
  assert.deepEqual(
    p.update({ problems: groupFailingFiles([f9]) }, 20),
    [],
    'one file left: still the one condition',
  );
  const [resolved] = p.update({ problems: [] }, 30);
  assert.equal(resolved!.kind, 'cleared');
  assert.match(
    resolved!.sentence,
    /^Resolved: files failing to sync \(folder-unwritable\), which began .* and lasted .*: none of its 2 files fails this way now \(RDL\/USB0\/f8\.csv and RDL\/USB0\/f9\.csv\)\. It last read: “RDL\/USB0\/f9\.csv failed 3 times/,
  );
  // One file all along: no list beside its own words.
  p.update({ problems: groupFailingFiles([failing('RDL/a.csv', 40)]) }, 40);
  const [single] = p.update({ problems: [] }, 50);
  assert.doesNotMatch(single!.sentence, /none of its/);
});

test('a failing file whose cause changes (another fix, the same code) is told once more, in the new words', () => {
  const policy = new AlertPolicy({ reminderMs: 24 * 3600_000, flapMs: 30 * 60_000 });
  const rel = 'RDL/USB1/locked.txt';
  const at = (attempts: number, message: string): Problem => ({
    ...fileFailingProblem(rel, attempts, { code: 'file-unreadable', message }),
    sinceMs: 0,
  });
  const unreadable = `Cannot read /hub/watch/${rel} (EACCES): give the user RDL Sync runs as (nobody) read permission on it and its folders`;
  const unmovable = `Cannot move /hub/watch/${rel} out of the watch folder (EACCES): give the user RDL Sync runs as (nobody) write access to the folder /hub/watch/RDL/USB1; the file stays there`;
  const told = (problems: Problem[], nowMs: number): string[] =>
    policy
      .update({ problems: groupFailingFiles(problems) }, nowMs)
      .map((a) => `${a.kind}: ${a.sentence}`);
  assert.equal(told([at(3, unreadable)], 0).length, 1, 'raised');
  assert.deepEqual(told([at(4, unreadable)], 60_000), [], 'the same cause: figures are no news');
  // The person gave read permission; now the folder refuses the move: the fix told is another.
  const again = told([at(5, unmovable)], 120_000);
  assert.equal(again.length, 1, JSON.stringify(again));
  assert.match(again[0]!, /^raised: .*Cannot move .* write access to the folder/);
  assert.deepEqual(told([at(6, unmovable)], 180_000), []);
});

test('a failing file retried with the same cause is not told again, whatever its temporary name or figures', () => {
  const policy = new AlertPolicy({ reminderMs: 24 * 3600_000, flapMs: 30 * 60_000 });
  const rel = 'cameras/cam1/2026-12-05_0412.jpg';
  const at = (attempts: number, temp: string, free: number): Problem => ({
    ...fileFailingProblem(rel, attempts, {
      code: 'archive-write-failed',
      message: `Writing /media/card/.rdl-sync-tmp/partial-${temp} in the SD card failed (EIO, ${free} MB free): check the card`,
    }),
    sinceMs: 0,
  });
  const told = (p: Problem, nowMs: number) =>
    policy.update({ problems: groupFailingFiles([p]) }, nowMs).map((a) => a.kind);
  assert.deepEqual(told(at(3, 'e4fa3e1eab90', 12), 0), ['raised']);
  assert.deepEqual(told(at(4, 'f7dc2e9d1d04', 11), 60_000), []);
  assert.deepEqual(told(at(5, '0b33aa71c2de', 9), 120_000), []);
});
