import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { validateSettings } from '../../src/engine/settings/validate.js';
import {
  LegacyImportError,
  parseDropboxUploaderConfig,
  parseLegacyConfig,
  planLegacyImport,
} from '../../src/engine/legacy/index.js';

const refreshToken = crypto.randomBytes(48).toString('base64url');
const appSecret = 'q8w7e6r5t4y3u2i';
const uploaderFile = [
  '# Dropbox Uploader configuration',
  'CONFIGFILE_VERSION=2.0',
  'OAUTH_APP_KEY=abcd1234efgh567',
  `OAUTH_APP_SECRET="${appSecret}"`,
  `export OAUTH_REFRESH_TOKEN='${refreshToken}'`,
  '',
].join('\r\n');

function legacyError(fn: () => unknown, expected: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof LegacyImportError && expected.test(e.message));
}

test('parses the old script config.json', () => {
  assert.deepEqual(parseLegacyConfig('{"SD_CARD_NAME": "SD1", "SITE": " Lab7 "}'), {
    sdCardName: 'SD1',
    sdCardNamePresent: true,
    site: 'Lab7',
    siteUntrimmed: ' Lab7 ',
  });
  assert.deepEqual(parseLegacyConfig('\uFEFF{"SITE": "A", "SD_CARD_NAME": "B", "EXTRA": 1}'), {
    sdCardName: 'B',
    sdCardNamePresent: true,
    site: 'A',
    siteUntrimmed: null,
  });
  // Since mid-2024 the card name is empty (local archive); older files may lack the key.
  assert.deepEqual(parseLegacyConfig('{"SITE": "S", "SD_CARD_NAME": " "}'), {
    sdCardName: '',
    sdCardNamePresent: true,
    site: 'S',
    siteUntrimmed: null,
  });
  assert.deepEqual(parseLegacyConfig('{"SITE": "S"}'), {
    sdCardName: '',
    sdCardNamePresent: false,
    site: 'S',
    siteUntrimmed: null,
  });
  // null is no card, like an absent key; before, the refusal told the person to write "null",
  // which would have archived to /media/orangepi/null.
  assert.deepEqual(parseLegacyConfig('{"SITE": "S", "SD_CARD_NAME": null}'), {
    sdCardName: '',
    sdCardNamePresent: false,
    site: 'S',
    siteUntrimmed: null,
  });
});

test('old config.json mistakes name the key and the fix', () => {
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": "SD1",'),
    /not valid JSON.*should look like \{"SD_CARD_NAME"/,
  );
  legacyError(() => parseLegacyConfig('["SD1"]'), /must hold one JSON object/);
  legacyError(() => parseLegacyConfig('{"SD_CARD_NAME": "SD1"}'), /no "SITE"/);
  // The file is named when known: a hub may keep one old config.json per logger folder.
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": "SD1"}', '/home/pi/SHELF3/config.json'),
    /^The old config\.json \(\/home\/pi\/SHELF3\/config\.json\) has no "SITE": add "SITE"/,
  );
  legacyError(
    () => parseLegacyConfig('{"SITE": 7}', '/home/pi/SHELF3/config.json'),
    /^"SITE" in the old config\.json \(\/home\/pi\/SHELF3\/config\.json\) must be text in quotes/,
  );
  legacyError(
    () => parseLegacyConfig('{"SITE": ', '/home/pi/SHELF3/config.json'),
    /^The old config\.json \(\/home\/pi\/SHELF3\/config\.json\) is not valid JSON/,
  );
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": 1, "SITE": "x"}'),
    /"SD_CARD_NAME" .* must be text in quotes \(got 1\): write "SD_CARD_NAME": "1"/,
  );
  // Not a name at all: never quoted back as one (a card called "false").
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": false, "SITE": "x"}'),
    /^"SD_CARD_NAME" in the old config.json must be text in quotes \(got false\): write "SD_CARD_NAME": "" for the hub's local 4_synced folder, or the card's name in quotes, e.g. "SD_CARD_NAME": "SD1"$/,
  );
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": "", "SITE": ["Lake"]}'),
    /^"SITE" in the old config.json must be text in quotes \(got \["Lake"\]\): enter the site name in quotes, e.g. "SITE": "Site3_Lakeshore"$/,
  );
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": "", "SITE": null}'),
    /^"SITE" in the old config.json is null: enter the site name in quotes, e.g. "SITE": "Site3_Lakeshore"$/,
  );
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": "SD1", "SITE": "  "}'),
    /"SITE" .* is empty/,
  );
  legacyError(
    () => parseLegacyConfig('{"SD_CARD_NAME": "../etc", "SITE": "x"}'),
    /single name without \//,
  );
});

test('parses the Dropbox-Uploader config: quotes, export, comments, CRLF', () => {
  assert.deepEqual(parseDropboxUploaderConfig(uploaderFile), {
    appKey: 'abcd1234efgh567',
    appSecret,
    refreshToken,
  });
  assert.deepEqual(
    parseDropboxUploaderConfig(`OAUTH_APP_KEY=k1 # my app\nOAUTH_REFRESH_TOKEN=${refreshToken}\n`),
    { appKey: 'k1', refreshToken },
  );
});

test('uploader config problems are explained without quoting any value', () => {
  const oldToken = crypto.randomBytes(40).toString('hex');
  for (const [text, expected] of [
    [
      `OAUTH_ACCESS_TOKEN=${oldToken}\n`,
      /only has an old long-lived OAUTH_ACCESS_TOKEN.*re-run the uploader.*rdl-sync auth/,
    ],
    [`OAUTH_APP_KEY=k\n`, /no OAUTH_REFRESH_TOKEN/],
    [`OAUTH_REFRESH_TOKEN=${oldToken}\n`, /no OAUTH_APP_KEY/],
    [`OAUTH_APP_KEY=k\nthis is not ${oldToken}\n`, /Line 2 .* not a KEY=value line/],
    [`OAUTH_REFRESH_TOKEN="${oldToken}\n`, /OAUTH_REFRESH_TOKEN on line 1 .* no closing "/],
  ] as const) {
    assert.throws(
      () => parseDropboxUploaderConfig(text),
      (e: unknown) =>
        e instanceof LegacyImportError && expected.test(e.message) && !e.message.includes(oldToken),
    );
  }
});

test('the import plan maps onto settings and reports each change, never the token', () => {
  const current = defaultSettings('/home/orangepi');
  const plan = planLegacyImport({
    configJsonText: '{"SD_CARD_NAME": "SD1", "SITE": "Lab7", "DEBUG": true}',
    uploaderConfigText: uploaderFile,
    current,
  });
  assert.equal(plan.settings.archiveDir, '/media/orangepi/SD1');
  assert.equal(plan.settings.archiveEnabled, true);
  assert.equal(plan.settings.archiveMustBeMountPoint, true);
  assert.equal(plan.settings.site, 'Lab7');
  assert.equal(plan.settings.remoteRootTemplate, '/Professional/WIRED/{site}');
  assert.equal(plan.settings.dropboxAppKey, 'abcd1234efgh567');
  assert.equal(
    plan.settings.watchDir,
    current.watchDir,
    'folders the old config does not name are kept',
  );
  assert.deepEqual(plan.credentials, { appKey: 'abcd1234efgh567', appSecret, refreshToken });
  assert.ok(
    validateSettings(plan.settings, { home: '/home/orangepi' }).ok,
    'the planned settings are valid',
  );

  assert.deepEqual(plan.report.changes.map((c) => c.field).sort(), [
    'archiveDir',
    'dropboxAppKey',
    'remoteRootTemplate',
    'site',
  ]);
  assert.deepEqual(
    plan.report.changes.find((c) => c.field === 'site'),
    { field: 'site', from: '', to: 'Lab7' },
  );
  assert.equal(plan.report.credentialsImported, true);
  assert.match(
    (plan.report.notes ?? []).join('\n'),
    /"DEBUG" in the old config\.json belongs to the loggers, not the syncer: ignored/,
  );
  assert.match(plan.report.warnings.join('\n'), /Stop and disable the old syncing script/);
  assert.match(plan.report.warnings.join('\n'), /watch and transit folders/);
  const reportText = JSON.stringify(plan.report);
  assert.ok(!reportText.includes(refreshToken) && !reportText.includes(appSecret));
});

test('without an uploader config, or with a chosen remote folder', () => {
  const current = { ...defaultSettings('/home/pi'), dropboxAppKey: 'mine' };
  const plan = planLegacyImport({
    configJsonText: '{"SD_CARD_NAME": "CARD", "SITE": "S"}',
    current,
    remoteRootTemplate: '/RDL/{site}/{year}',
  });
  assert.equal(plan.credentials, undefined);
  assert.equal(plan.report.credentialsImported, false);
  assert.equal(plan.settings.dropboxAppKey, 'mine');
  assert.equal(plan.settings.remoteRootTemplate, '/RDL/{site}/{year}');
  const noSecret = planLegacyImport({
    configJsonText: '{"SD_CARD_NAME": "CARD", "SITE": "S"}',
    uploaderConfigText: `OAUTH_APP_KEY=k\nOAUTH_REFRESH_TOKEN=${refreshToken}\n`,
    current,
  });
  assert.match(noSecret.report.warnings.join('\n'), /no OAUTH_APP_SECRET/);
});

// A stray space around SITE was trimmed without a word, while the old uploader's Dropbox folder
// was named with it: the site's data would go on in a second folder beside the old one.
test('a SITE with spaces around it is imported trimmed, and said so with the file to correct', () => {
  const current = defaultSettings('/home/pi');
  const plan = planLegacyImport({
    configJsonText: '{"SD_CARD_NAME": "CARD", "SITE": "Site3_Lakeshore "}',
    configJsonPath: '/home/pi/SHELF3/config.json',
    current,
  });
  assert.equal(plan.settings.site, 'Site3_Lakeshore');
  const said = plan.report.warnings.filter((w) => w.includes('has spaces around it'));
  assert.deepEqual(said, [
    'SITE "Site3_Lakeshore " has spaces around it: imported as "Site3_Lakeshore". If the old syncer\'s files on Dropbox are in a folder named with the spaces, new files go to the folder without them: move the old ones over, or correct SITE in /home/pi/SHELF3/config.json',
  ]);
  const clean = planLegacyImport({
    configJsonText: '{"SD_CARD_NAME": "CARD", "SITE": "Site3_Lakeshore"}',
    current,
  });
  assert.ok(!clean.report.warnings.some((w) => w.includes('spaces')), 'said only when trimmed');
});

// The import run as root on a folder of a user without a name said `sudo -u #1000 rdl-sync …`:
// pasted, the shell took `#1000 rdl-sync …` for a comment and ran `sudo -u` alone.
test('the command to run the import as the folder owner survives a shell, a uid too', () => {
  const plan = planLegacyImport({
    configJsonText: '{"SD_CARD_NAME": "CARD", "SITE": "S"}',
    current: defaultSettings('/home/pi'),
    rootOnOthersFolder: { folder: '/home/x/SHELF3', owner: '#1000' },
  });
  const line = /: (sudo -u .*) rdl-sync import-legacy …$/m.exec(plan.report.warnings.join('\n'));
  assert.ok(line, plan.report.warnings.join('\n'));
  const words = spawnSync('bash', ['-c', `sudo() { printf '%s\\0' "$@"; }; ${line[1]}`], {
    encoding: 'utf8',
  }).stdout.split('\0');
  assert.deepEqual(words.slice(0, 2), ['-u', '#1000']);
});

// What a second import keeps: a value changed since the last one, unless this command line asks
// for that setting (--remote-root; the app key that belongs to the imported token) or --replace.
test('a second import keeps the settings changed since the first, not those asked for now', () => {
  const current = {
    ...defaultSettings('/home/pi'),
    site: 'Site3_Lakeshore',
    archiveDir: '/media/orangepi/SD1',
    remoteRootTemplate: '/Mine/{site}',
    dropboxAppKey: 'mine',
  };
  const previous = {
    site: 'SiteX_Dummy',
    archiveDir: '/media/orangepi/SD1',
    remoteRootTemplate: '/Professional/WIRED/{site}',
    dropboxAppKey: 'old-key',
  };
  const configJsonText = '{"SD_CARD_NAME": "SD1", "SITE": "SiteX_Dummy"}';
  const plan = planLegacyImport({ configJsonText, current, previous });
  assert.deepEqual(
    (plan.report.kept ?? []).map((k) => k.field),
    ['site', 'remoteRootTemplate'],
    'the archive folder was not changed since, so nothing of it is kept',
  );
  assert.equal(plan.settings.site, 'Site3_Lakeshore');
  assert.equal(plan.settings.remoteRootTemplate, '/Mine/{site}');
  assert.equal(plan.imported.site, 'SiteX_Dummy', 'the record holds what the old setup gives');
  assert.ok(!plan.report.warnings.some((w) => w.startsWith('SITE:')));

  const asked = planLegacyImport({
    configJsonText,
    current,
    previous,
    remoteRootTemplate: '/Asked/{site}',
    uploaderConfigText: uploaderFile,
  });
  assert.deepEqual(
    (asked.report.kept ?? []).map((k) => k.field),
    ['site'],
  );
  assert.equal(asked.settings.remoteRootTemplate, '/Asked/{site}');
  assert.equal(asked.settings.dropboxAppKey, 'abcd1234efgh567', 'the key of the imported token');

  const replaced = planLegacyImport({ configJsonText, current, previous, replace: true });
  assert.equal(replaced.report.kept, undefined);
  assert.equal(replaced.settings.site, 'SiteX_Dummy');

  const firstTime = planLegacyImport({ configJsonText, current });
  assert.equal(firstTime.report.kept, undefined, 'without a record nothing is known to be theirs');
  assert.equal(firstTime.settings.site, 'SiteX_Dummy');
});
