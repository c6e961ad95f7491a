import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { harness } from './helpers.js';

test('the real SDK uploads, commits a session batch, reads metadata and downloads', async () => {
  const { emu, dbx } = await harness();
  try {
    const up = await dbx.filesUpload({
      path: '/Logger/Day1.csv',
      contents: Buffer.from('a,b\n1,2\n'),
    });
    assert.equal(up.result.path_display, '/Logger/Day1.csv');
    assert.equal(up.result.content_hash, dropboxContentHash(Buffer.from('a,b\n1,2\n')));
    assert.equal('.tag' in up.result, false, 'files/upload returns FileMetadata without .tag');

    const start = await dbx.filesUploadSessionStart({ contents: Buffer.from('hello ') });
    const cursor = { session_id: start.result.session_id, offset: 6 };
    await dbx.filesUploadSessionAppendV2({ cursor, close: true, contents: Buffer.from('world') });
    const batch = await dbx.filesUploadSessionFinishBatchV2({
      entries: [{ cursor: { ...cursor, offset: 11 }, commit: { path: '/logger/greeting.txt' } }],
    });
    const entry = batch.result.entries[0]!;
    assert.equal(entry['.tag'], 'success');
    assert.equal(emu.getFile('/LOGGER/GREETING.TXT')?.pathDisplay, '/Logger/greeting.txt');
    assert.equal((await emu.readFile('/logger/greeting.txt')).toString(), 'hello world');

    const meta = await dbx.filesGetMetadata({ path: '/logger/day1.csv' });
    assert.equal(meta.result['.tag'], 'file');
    assert.equal(meta.result.path_display, '/Logger/Day1.csv');

    const down = await dbx.filesDownload({ path: '/logger/greeting.txt' });
    assert.equal(
      (down.result as unknown as { fileBinary: Buffer }).fileBinary.toString(),
      'hello world',
    );

    assert.equal(emu.stats()['files/upload_session/finish_batch_v2'], 1);
    assert.deepEqual(
      emu.listFiles().map((f) => f.pathDisplay),
      ['/Logger/Day1.csv', '/Logger/greeting.txt'],
    );
  } finally {
    await emu.close();
  }
});
