// list_folder paging and change cursors, create_folder_v2, delete_v2, deleted metadata.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, sdkError, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.emu.close();
});

test('list_folder pages with a small limit until has_more is false, sorted by path_lower', async () => {
  for (const name of ['c', 'A', 'b', 'E', 'd'])
    h.emu.putFile(`/list/${name}.txt`, Buffer.from(name));
  const seen: string[] = [];
  let page = await h.dbx.filesListFolder({ path: '/LIST', limit: 2 });
  seen.push(...page.result.entries.map((e) => e.name));
  let pages = 1;
  while (page.result.has_more) {
    page = await h.dbx.filesListFolderContinue({ cursor: page.result.cursor });
    seen.push(...page.result.entries.map((e) => e.name));
    pages++;
    assert.ok(pages < 10, 'paging terminates');
  }
  assert.deepEqual(seen, ['A.txt', 'b.txt', 'c.txt', 'd.txt', 'E.txt']);
  assert.equal(pages, 3);

  // Later continues report changes since the cursor: a new file and a deleted one.
  const cursor = page.result.cursor;
  const nothing = await h.dbx.filesListFolderContinue({ cursor });
  assert.deepEqual(nothing.result.entries, []);
  h.emu.putFile('/list/f.txt', Buffer.from('f'));
  await h.dbx.filesDeleteV2({ path: '/list/b.txt' });
  const changes = await h.dbx.filesListFolderContinue({ cursor });
  assert.deepEqual(
    changes.result.entries.map((e) => [e['.tag'], e.path_display]),
    [
      ['file', '/list/f.txt'],
      ['deleted', '/list/b.txt'],
    ],
  );
});

test('recursive listing includes nested folders and files; a file path is not_folder', async () => {
  h.emu.putFile('/tree/x/y/z.bin', Buffer.from('z'));
  const all = await h.dbx.filesListFolder({ path: '/tree', recursive: true });
  assert.deepEqual(
    all.result.entries.map((e) => `${e['.tag']}:${e.path_lower}`),
    ['folder:/tree/x', 'folder:/tree/x/y', 'file:/tree/x/y/z.bin'],
  );
  const notFolder = await sdkError(h.dbx.filesListFolder({ path: '/tree/x/y/z.bin' }));
  assert.deepEqual(notFolder.error.error, { '.tag': 'path', path: { '.tag': 'not_folder' } });
  const missing = await sdkError(h.dbx.filesListFolder({ path: '/nowhere' }));
  assert.deepEqual(missing.error.error, { '.tag': 'path', path: { '.tag': 'not_found' } });
});

test('a forgotten cursor is reset', async () => {
  const page = await h.dbx.filesListFolder({ path: '', limit: 1 });
  h.emu.resetCursors();
  const err = await sdkError(h.dbx.filesListFolderContinue({ cursor: page.result.cursor }));
  assert.equal(err.status, 409);
  assert.deepEqual(err.error.error, { '.tag': 'reset' });
});

test('create_folder_v2 conflicts, autorenames, and returns FolderMetadata without .tag', async () => {
  const made = await h.dbx.filesCreateFolderV2({ path: '/Made/Here' });
  assert.deepEqual(Object.keys(made.result.metadata).sort(), [
    'id',
    'name',
    'path_display',
    'path_lower',
  ]);
  const again = await sdkError(h.dbx.filesCreateFolderV2({ path: '/made/here' }));
  assert.deepEqual(again.error.error, {
    '.tag': 'path',
    path: { '.tag': 'conflict', conflict: { '.tag': 'folder' } },
  });
  const renamed = await h.dbx.filesCreateFolderV2({ path: '/made/here', autorename: true });
  assert.equal(renamed.result.metadata.path_display, '/Made/here (1)');
});

test('delete_v2 removes a folder with its contents; include_deleted shows it as deleted', async () => {
  h.emu.putFile('/gone/a.txt', Buffer.from('a'));
  h.emu.putFile('/gone/sub/b.txt', Buffer.from('b'));
  const del = await h.dbx.filesDeleteV2({ path: '/GONE' });
  assert.equal(del.result.metadata['.tag'], 'folder');
  assert.equal(h.emu.getFile('/gone/sub/b.txt'), undefined);
  const plain = await sdkError(h.dbx.filesGetMetadata({ path: '/gone/a.txt' }));
  assert.deepEqual(plain.error.error, { '.tag': 'path', path: { '.tag': 'not_found' } });
  const ghost = await h.dbx.filesGetMetadata({ path: '/gone/a.txt', include_deleted: true });
  assert.equal(ghost.result['.tag'], 'deleted');
  const twice = await sdkError(h.dbx.filesDeleteV2({ path: '/gone' }));
  assert.match(twice.error.error_summary, /^path_lookup\/not_found\/\.{0,3}$/);
});

test('get_current_account and check/user answer for the token', async () => {
  const account = await h.dbx.usersGetCurrentAccount();
  assert.match(account.result.account_id, /^dbid:/);
  assert.equal(account.result.root_info['.tag'], 'user');
  assert.equal((await h.dbx.checkUser({ query: 'echo' })).result.result, 'echo');
});
