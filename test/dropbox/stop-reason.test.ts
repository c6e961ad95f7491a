// A pass stopped because Dropbox went away (the store stops every upload with the reason
// 'offline') told of a large file still being read for its next chunk: "could not be read
// (offline): check its permissions and the disk". The read listens to the stop, so it rejects
// with the stop's reason, and that was taken for a local read failure: the file then counted as
// failing on its own, and the log and the window blamed the disk. Found by a window trial (the
// emulator stopped during a 40 MB upload).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncError } from '../../src/engine/errors.js';
import { classifyLocalFileError } from '../../src/engine/dropbox/classify.js';

test('a read ended by the stop of the upload keeps the stop’s reason, not "could not be read"', () => {
  const offline = new SyncError({
    kind: 'retry',
    code: 'offline',
    message: 'Dropbox cannot be reached (network down); files wait in transit',
  });
  assert.equal(classifyLocalFileError(offline, { rel: 'big/forty.bin' }), offline);
  // A real read failure is still the file's own.
  const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
  const own = classifyLocalFileError(eio, { rel: 'big/forty.bin' });
  assert.equal(own.code, 'file-unreadable');
  assert.equal(own.kind, 'file-failed');
  assert.match(own.message, /^"big\/forty\.bin" could not be read \(EIO\): check its permissions/);
});
