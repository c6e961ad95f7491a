// What a commit sends: a finish_batch_v2 carries one CommitInfo per file, so fields at their spec
// default (mode add, autorename false) are left out; Dropbox assumes them when absent. That they
// still mean add and no autorename on the server is what the emulator tests of identical content
// (a no-op) and keep-both names (remote-store.test.ts) check through the real SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commitInfo,
  firstTarget,
  firstTargetOf,
  replaceMismatch,
} from '../../src/engine/dropbox/placement.js';

const MTIME = Date.UTC(2026, 11, 2, 19, 0, 0);

test("a file's first commit sends no field at its default", () => {
  const info = commitInfo(firstTarget('/RDL/site/USB0/rec-1.csv'), MTIME);
  assert.deepEqual(info, {
    path: '/RDL/site/USB0/rec-1.csv',
    client_modified: '2026-12-02T19:00:00Z',
    mute: true,
    strict_conflict: true,
  });
  // 41 bytes less per file than with "mode":{".tag":"add"},"autorename":false, spelled out.
  const spelled = { ...info, mode: { '.tag': 'add' }, autorename: false };
  assert.equal(JSON.stringify(spelled).length - JSON.stringify(info).length, 41);
});

test('modes other than add are sent', () => {
  const file = {
    rel: 'USB0/rec-1.csv',
    target: '/RDL/site/USB0/rec-1.csv',
    size: 8,
    contentHash: 'h',
    mtimeMs: MTIME,
    replace: { remotePath: '/RDL/site/USB0/rec-1.csv', rev: '015f' },
  };
  assert.deepEqual(commitInfo(firstTargetOf(file), MTIME).mode, {
    '.tag': 'update',
    update: '015f',
  });
  const landed = { path_display: '/RDL/site/USB0/rec-1.csv', rev: '0160' };
  const again = replaceMismatch(file, landed as never, 1);
  assert.deepEqual(commitInfo(again, MTIME).mode, { '.tag': 'update', update: '0160' });
  const over = commitInfo({ path: file.target, mode: { '.tag': 'overwrite' }, strict: false }, 0);
  assert.deepEqual(over.mode, { '.tag': 'overwrite' });
  assert.equal('strict_conflict' in over, false);
  assert.equal('autorename' in over, false, 'never autorename: absent is false');
});
