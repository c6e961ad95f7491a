import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSyncError } from '../../src/engine/errors.js';
import {
  remotePathFor,
  renderRemoteRoot,
  siteFolderSuggestion,
} from '../../src/engine/settings/remote-root.js';

const now = new Date(2026, 10, 24, 9, 30); // 24 Nov 2026, local time

test('fills {site}, {host}, {year}, {month}', () => {
  assert.equal(renderRemoteRoot('/RDL/{site}', { site: 'site1' }), '/RDL/site1');
  assert.equal(
    renderRemoteRoot('/Professional/WIRED/{site}/{host}/{year}-{month}', {
      site: 'S',
      host: 'pi4',
      now,
    }),
    '/Professional/WIRED/S/pi4/2026-11',
  );
});

test('collapses doubled slashes and trims', () => {
  assert.equal(renderRemoteRoot('  //RDL//{site}/ ', { site: 'a' }), '/RDL/a');
});

test('a field that would make an empty segment or add folders is refused, as a settings problem', () => {
  const cases: [string, Parameters<typeof renderRemoteRoot>[1], RegExp][] = [
    ['/RDL/{site}', { site: '' }, /uses \{site\} but the site is empty/],
    ['/RDL/{site}', { site: '  ' }, /site is empty/],
    ['/RDL/{site}', { site: 'a/b' }, /contains \/ or \\/],
    ['/RDL/{host}', { site: 'x', host: 'a\\b' }, /host "a\\b" contains/],
    ['/RDL/{site}', { site: '..' }, /may not be ".."/],
    ['RDL/{site}', { site: 'x' }, /must start with \//],
    ['/RDL/{user}', { site: 'x' }, /uses \{user\}; only \{site\}/],
    ['/', { site: 'x' }, /names no folder/],
    ['/RDL/../x', { site: 'x' }, /contains "\.\."/],
  ];
  for (const [template, fields, expected] of cases) {
    assert.throws(
      () => renderRemoteRoot(template, fields),
      (e: unknown) =>
        isSyncError(e) &&
        e.code === 'settings-invalid' &&
        e.kind === 'blocked' &&
        expected.test(e.message),
      template,
    );
  }
  // An unused empty field is fine.
  assert.equal(renderRemoteRoot('/RDL/fixed', { site: '' }), '/RDL/fixed');
});

test('remotePathFor joins root and rel with single slashes', () => {
  assert.equal(
    remotePathFor('/RDL/site1', 'USB0/2026-11-24.csv'),
    '/RDL/site1/USB0/2026-11-24.csv',
  );
  assert.equal(remotePathFor('/RDL/site1/', '/a.csv'), '/RDL/site1/a.csv');
  assert.throws(() => remotePathFor('/RDL', ''), /empty file path/);
  assert.throws(() => remotePathFor('/RDL', 'a/../b'), /\. or \.\. segments/);
});

test('a folder naming neither {site} nor {host} gets the site folder below it as the suggestion', () => {
  assert.equal(siteFolderSuggestion('/Professional/WIRED'), '/Professional/WIRED/{site}');
  assert.equal(siteFolderSuggestion(' /Professional/WIRED// '), '/Professional/WIRED/{site}');
  assert.equal(siteFolderSuggestion('/RDL/{year}'), '/RDL/{year}/{site}');
  assert.equal(siteFolderSuggestion('/Professional/WIRED/{site}'), null);
  assert.equal(siteFolderSuggestion('/hubs/{host}/{year}'), null);
  assert.equal(
    siteFolderSuggestion('/RDL/{sites}'),
    '/RDL/{sites}/{site}',
    'only the real fields count',
  );
});
