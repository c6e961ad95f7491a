// The sentence of files failing the same way (alerts/file-groups.ts): one file keeps its own;
// several name the oldest with its reason, then the others (five, then a count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileFailingProblem } from '../../src/engine/pipeline/problems.js';
import { groupFailingFiles } from '../../src/engine/alerts/file-groups.js';
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
    '7 files keep failing the same way (disallowed-name): RDL/f1.csv failed 3 times: Dropbox refuses the name; so do RDL/f2.csv, RDL/f3.csv, RDL/f4.csv, RDL/f5.csv, RDL/f6.csv and 1 more. Other files are not affected; each is listed in rdl-sync status',
  );
});
