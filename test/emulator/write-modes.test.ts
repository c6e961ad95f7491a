// WriteMode semantics of section 2.1 and behaviours 1-5 of section 7, through the real SDK.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { harness, sdkError, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.emu.close();
});

const bytes = (s: string) => Buffer.from(s);

test('add onto different content is path/conflict/file under `reason`, with an upload_session_id', async () => {
  await h.dbx.filesUpload({ path: '/w/conflict.txt', contents: bytes('one') });
  const err = await sdkError(
    h.dbx.filesUpload({ path: '/w/conflict.txt', contents: bytes('two') }),
  );
  assert.equal(err.status, 409);
  assert.deepEqual(err.error.error.reason, { '.tag': 'conflict', conflict: { '.tag': 'file' } });
  assert.match(String(err.error.error.upload_session_id), /^pid_upload_session:/);
  assert.match(err.error.error_summary, /^path\/conflict\/file\/\.{0,3}$/);
  assert.equal((await h.emu.readFile('/w/conflict.txt')).toString(), 'one');
});

test('identical content is a no-op returning the same id and rev; strict_conflict makes it a conflict', async () => {
  const first = await h.dbx.filesUpload({ path: '/w/same.txt', contents: bytes('same') });
  const again = await h.dbx.filesUpload({ path: '/W/SAME.txt', contents: bytes('same') });
  assert.equal(again.result.rev, first.result.rev);
  assert.equal(again.result.id, first.result.id);
  assert.equal(again.result.path_display, '/w/same.txt');
  const err = await sdkError(
    h.dbx.filesUpload({ path: '/w/same.txt', contents: bytes('same'), strict_conflict: true }),
  );
  assert.equal(err.status, 409);
  assert.equal((err.error.error.reason as { '.tag': string })['.tag'], 'conflict');
});

test('autorename picks " (1)", then " (2)", and reports the new path', async () => {
  await h.dbx.filesUpload({ path: '/w/data.csv', contents: bytes('v0') });
  const r1 = await h.dbx.filesUpload({
    path: '/w/data.csv',
    contents: bytes('v1'),
    autorename: true,
  });
  const r2 = await h.dbx.filesUpload({
    path: '/w/data.csv',
    contents: bytes('v2'),
    autorename: true,
  });
  assert.equal(r1.result.path_display, '/w/data (1).csv');
  assert.equal(r2.result.path_display, '/w/data (2).csv');
  assert.equal((await h.emu.readFile('/w/data (2).csv')).toString(), 'v2');
});

test('overwrite replaces (same id, new rev); update needs the current rev', async () => {
  const v1 = await h.dbx.filesUpload({ path: '/w/u.txt', contents: bytes('v1') });
  const v2 = await h.dbx.filesUpload({
    path: '/w/u.txt',
    contents: bytes('v2'),
    mode: { '.tag': 'overwrite' },
  });
  assert.equal(v2.result.id, v1.result.id);
  assert.notEqual(v2.result.rev, v1.result.rev);
  const stale = await sdkError(
    h.dbx.filesUpload({
      path: '/w/u.txt',
      contents: bytes('v3'),
      mode: { '.tag': 'update', update: v1.result.rev },
    }),
  );
  assert.equal(stale.status, 409);
  const copy = await h.dbx.filesUpload({
    path: '/w/u.txt',
    contents: bytes('v3'),
    mode: { '.tag': 'update', update: v1.result.rev },
    autorename: true,
  });
  assert.equal(copy.result.path_display, '/w/u (conflicted copy).txt');
  const v4 = await h.dbx.filesUpload({
    path: '/w/u.txt',
    contents: bytes('v4'),
    mode: { '.tag': 'update', update: v2.result.rev },
  });
  assert.equal((await h.emu.readFile('/w/u.txt')).toString(), 'v4');
  assert.notEqual(v4.result.rev, v2.result.rev);
});

test('a folder at the target is conflict/folder; a file in the parent chain is conflict/file_ancestor', async () => {
  await h.dbx.filesCreateFolderV2({ path: '/w/dir' });
  const folder = await sdkError(h.dbx.filesUpload({ path: '/w/dir', contents: bytes('x') }));
  assert.deepEqual(folder.error.error.reason, {
    '.tag': 'conflict',
    conflict: { '.tag': 'folder' },
  });
  await h.dbx.filesUpload({ path: '/w/plain', contents: bytes('x') });
  const ancestor = await sdkError(
    h.dbx.filesUpload({ path: '/w/plain/child.txt', contents: bytes('y') }),
  );
  assert.deepEqual(ancestor.error.error.reason, {
    '.tag': 'conflict',
    conflict: { '.tag': 'file_ancestor' },
  });
});

test('paths are case-insensitive and case-preserving; parents are created', async () => {
  const r = await h.dbx.filesUpload({ path: '/Site/RDL/USB0/Log.CSV', contents: bytes('1') });
  assert.equal(r.result.path_lower, '/site/rdl/usb0/log.csv');
  const meta = await h.dbx.filesGetMetadata({ path: '/site/rdl' });
  assert.equal(meta.result['.tag'], 'folder');
  assert.equal(meta.result.path_display, '/Site/RDL');
  const other = await h.dbx.filesUpload({ path: '/SITE/rdl/other.csv', contents: bytes('2') });
  assert.equal(other.result.path_display, '/Site/RDL/other.csv');
  assert.equal(h.emu.getFile('/SITE/RDL/USB0/LOG.csv')?.pathDisplay, '/Site/RDL/USB0/Log.CSV');
});

test('Dropbox-ignored names are refused with disallowed_name', async () => {
  for (const name of ['desktop.ini', 'Thumbs.db', '.DS_Store', '.dropbox']) {
    const err = await sdkError(h.dbx.filesUpload({ path: `/w/${name}`, contents: bytes('x') }));
    assert.equal(err.status, 409, name);
    assert.deepEqual(err.error.error.reason, { '.tag': 'disallowed_name' }, name);
  }
});

test('a supplied content_hash is verified; a wrong one stores nothing', async () => {
  const ok = await h.dbx.filesUpload({
    path: '/w/hashed.bin',
    contents: bytes('payload'),
    content_hash: dropboxContentHash(bytes('payload')),
  });
  assert.equal(ok.result.content_hash, dropboxContentHash(bytes('payload')));
  const err = await sdkError(
    h.dbx.filesUpload({
      path: '/w/bad.bin',
      contents: bytes('payload'),
      content_hash: 'ab'.repeat(32),
    }),
  );
  assert.equal(err.status, 409);
  assert.equal(err.error.error['.tag'], 'content_hash_mismatch');
  assert.equal(h.emu.getFile('/w/bad.bin'), undefined);
});

test('client_modified is stored and echoed; putFile sets up a conflicting file', async () => {
  const r = await h.dbx.filesUpload({
    path: '/w/dated.txt',
    contents: bytes('d'),
    client_modified: '2024-02-29T12:00:00Z',
  });
  assert.equal(r.result.client_modified, '2024-02-29T12:00:00Z');
  h.emu.putFile('/w/preexisting.txt', bytes('theirs'));
  const err = await sdkError(
    h.dbx.filesUpload({ path: '/w/preexisting.txt', contents: bytes('ours') }),
  );
  assert.equal(err.status, 409);
});
