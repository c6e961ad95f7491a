// The emulator's Dropbox-style JSON: a space after each structural ':' and ',', none added inside
// strings, whatever they hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropboxJson } from '../../tools/emulator/json.js';

test('dropboxJson spaces the structure only, never the strings', () => {
  const value = {
    entries: [
      { '.tag': 'success', name: 'a:b,c.csv', note: 'line\nbreak, "quoted": \\ done' },
      { '.tag': 'failure', failure: { '.tag': 'path', path: {} } },
    ],
    'key, with: marks': [1, -2.5, true, null, [], [[]]],
    skipped: undefined,
  };
  assert.equal(
    dropboxJson(value),
    '{"entries": [{".tag": "success", "name": "a:b,c.csv", ' +
      '"note": "line\\nbreak, \\"quoted\\": \\\\ done"}, ' +
      '{".tag": "failure", "failure": {".tag": "path", "path": {}}}], ' +
      '"key, with: marks": [1, -2.5, true, null, [], [[]]]}',
  );
  // Parsed back, it is the same value (undefined left out, as JSON.stringify does).
  assert.deepEqual(JSON.parse(dropboxJson(value)), JSON.parse(JSON.stringify(value)));
  assert.equal(dropboxJson(undefined), 'null');
  assert.equal(dropboxJson('x, y: z'), '"x, y: z"');
});
