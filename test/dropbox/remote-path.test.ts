// Remote path mapping and the keep-both names, which must be deterministic for idempotency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dropboxTimestamp,
  keepBothName,
  normaliseRemoteRoot,
  remotePathFor,
} from '../../src/engine/dropbox/remote-path.js';
import { SyncError } from '../../src/engine/errors.js';

test('remote path = root + / + rel with / separators, Unicode kept', () => {
  assert.equal(
    remotePathFor('/RDL/site1', 'USB0/2026-11-24.csv'),
    '/RDL/site1/USB0/2026-11-24.csv',
  );
  assert.equal(remotePathFor('', 'a/b.csv'), '/a/b.csv');
  assert.equal(remotePathFor('/R', 'dir/sub/naïve ☃.csv'), '/R/dir/sub/naïve ☃.csv');
});

test('the card’s rule: no empty, . or .. part and no backslash ever reaches a Dropbox path', () => {
  for (const rel of ['', '//', '/leading', 'a//b', 'a/./b', '../escape.csv', 'a/../../b', 'a/..']) {
    assert.throws(
      () => remotePathFor('/R', rel),
      (e: unknown) =>
        e instanceof SyncError &&
        e.kind === 'file-failed' &&
        /empty, "\." or "\.\." part/.test(e.message),
      rel,
    );
  }
  assert.throws(
    () => remotePathFor('/R', 'dir\\sub\\x.csv'),
    (e: unknown) => e instanceof SyncError && /backslash/.test(e.message),
  );
});

test('a name longer than 255 characters fails alone, 255 is fine (counted in characters)', () => {
  assert.equal(remotePathFor('/R', `d/${'é'.repeat(255)}`), `/R/d/${'é'.repeat(255)}`);
  assert.throws(
    () => remotePathFor('/R', `d/${'x'.repeat(256)}.csv`),
    (e: unknown) =>
      e instanceof SyncError && /260 characters; Dropbox allows at most 255/.test(e.message),
  );
});

test('remote root: trailing slashes dropped, must start with /', () => {
  assert.equal(normaliseRemoteRoot('/RDL/site1/'), '/RDL/site1');
  assert.equal(normaliseRemoteRoot(''), '');
  assert.throws(() => normaliseRemoteRoot('RDL'), /must start with \/.*\/RDL\/site1/);
});

test('keep-both names: "name (n).ext", dotfiles and extensionless names', () => {
  assert.equal(keepBothName('/R/x.csv', 1), '/R/x (1).csv');
  assert.equal(keepBothName('/R/archive.tar.gz', 2), '/R/archive.tar (2).gz');
  assert.equal(keepBothName('/R/README', 3), '/R/README (3)');
  assert.equal(keepBothName('/R/.env', 1), '/R/.env (1)');
  assert.equal(keepBothName('/R/dir.v2/data', 1), '/R/dir.v2/data (1)');
});

test('Dropbox timestamps are UTC whole seconds without a fraction', () => {
  assert.equal(dropboxTimestamp(Date.UTC(2026, 10, 24, 7, 5, 9, 999)), '2026-11-24T07:05:09Z');
});
