// What the first-run setup says after importing the old syncer (src/renderer/import-summary.ts):
// what was found is shown, and a login Dropbox refused is no connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importSummary } from '../../src/renderer/import-summary.js';
import type { LegacyImportReport } from '../../src/shared/engine-types.js';

const imported: LegacyImportReport = {
  changes: [{ field: 'site', from: '', to: 'Site3_Lakeshore' }],
  credentialsImported: true,
  warnings: ['Stop the old syncer'],
  notes: ['Dropbox accepted the imported login: Lab <lab@example.org>'],
  login: 'accepted',
};

test('the notes are shown with the changes and warnings: "Dropbox accepted the imported login" among them', () => {
  const s = importSummary(imported);
  assert.deepEqual(s.lines, [
    'site: "Site3_Lakeshore"',
    'Dropbox accepted the imported login: Lab <lab@example.org>',
    '! Stop the old syncer',
  ]);
  assert.equal(s.dropboxReady, true);
});

test('a login Dropbox refused is no connection: the setup offers Connect Dropbox', () => {
  const refused = importSummary({
    ...imported,
    notes: [],
    warnings: [
      'Dropbox refused the imported login (revoked): connect again',
      'Stop the old syncer',
    ],
    login: 'refused',
  });
  assert.equal(refused.dropboxReady, false);
  assert.equal(importSummary({ ...imported, login: 'unknown' }).dropboxReady, true, 'offline');
  assert.equal(importSummary({ ...imported, credentialsImported: false }).dropboxReady, false);
});

test('a setting kept over the old setup (changed since the last import) is named as kept', () => {
  const s = importSummary({
    ...imported,
    notes: [],
    warnings: [],
    kept: [{ field: 'archiveDir', value: '/media/pi/CARD', imported: '/media/orangepi/SD1' }],
  });
  assert.deepEqual(s.lines, [
    'site: "Site3_Lakeshore"',
    'archiveDir: "/media/pi/CARD" (kept: changed since the last import)',
  ]);
});
