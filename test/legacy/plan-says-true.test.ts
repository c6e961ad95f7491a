// What the import plan says must be true of the hub in front of it (user trial): a SITE written
// twice was taken without a word; folders and queued files that do not exist were reported; a
// dry run as root said the settings "were saved".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import {
  planLegacyImport,
  prepareLegacyImport,
  type LegacyLayout,
} from '../../src/engine/legacy/index.js';
import { currentPiHub, olderPlainHub } from './fixtures.js';

const current = defaultSettings('/home/pi');
const lf = '/home/pi/SHELF3/logging-folder';
const layout: LegacyLayout = {
  base: lf,
  naming: 'numbered',
  inProgress: `${lf}/1_inprogress`,
  toSync: `${lf}/2_tosync`,
  transit: `${lf}/3_transit`,
  synced: `${lf}/4_synced`,
};

test('SITE written twice (a cloned image edited by hand): the lines, the value read, the fix', () => {
  const configJsonText = [
    '{',
    '    "SITE": "SiteX_Dummy",',
    '    "SD_CARD_NAME": "CARD",',
    '    "EMAIL_PASSWORD": "hunter2-first", "EMAIL_PASSWORD": "hunter2-second",',
    '    "CAMERAS": {"SITE": "inner", "list": ["\\"SITE\\": x"]},',
    '    "NOTE": "\\"SITE\\": \\"in a string\\"",',
    '    "SITE": "Site5_Montréal_École"',
    '}',
  ].join('\r\n');
  const plan = planLegacyImport({
    configJsonText,
    configJsonPath: '/home/pi/SHELF3/config.json',
    current,
  });
  assert.equal(plan.settings.site, 'Site5_Montréal_École');
  const warnings = plan.report.warnings.join('\n');
  assert.match(
    warnings,
    /^SITE appears twice in \/home\/pi\/SHELF3\/config\.json \(lines 2 and 7\): the last one, "Site5_Montréal_École", is the one read, as the old syncer read it; remove the other$/m,
  );
  // Only SITE and SD_CARD_NAME: the loggers' keys are theirs, and their values are never quoted.
  assert.equal(warnings.match(/appears/g)?.length, 1, warnings);
  assert.doesNotMatch(JSON.stringify(plan.report), /hunter2/);

  const thrice = planLegacyImport({
    configJsonText:
      '{"SD_CARD_NAME": "A",\n"SD_CARD_NAME": "B",\n"SITE": "S",\n"SD_CARD_NAME": null}',
    current,
    layout,
  });
  assert.match(
    thrice.report.warnings.join('\n'),
    /^SD_CARD_NAME appears 3 times in the old config\.json \(lines 1, 2 and 4\): the last one, null, is the one read, as the old syncer read it; remove the others$/m,
  );
  const once = planLegacyImport({ configJsonText: '{"SITE": "S", "SD_CARD_NAME": "A"}', current });
  assert.doesNotMatch(once.report.warnings.join('\n'), /appears/);
});

const IN_PROGRESS_NOTE = /holds files the loggers are still writing: it is never watched/;
const QUEUE_NOTE = /Files the old syncer left in .* are RDL Sync's queue now/;

test('the in-progress folder and the queued files are named only when the hub has them', () => {
  const notes = (facts: { inProgressExists?: boolean; transitHoldsFiles?: boolean }): string =>
    (
      planLegacyImport({
        configJsonText: '{"SITE": "S", "SD_CARD_NAME": ""}',
        current,
        layout,
        ...facts,
      }).report.notes ?? []
    ).join('\n');
  const both = notes({ inProgressExists: true, transitHoldsFiles: true });
  assert.match(both, /^\/home\/pi\/SHELF3\/logging-folder\/1_inprogress holds files/m);
  assert.match(
    both,
    /^Files the old syncer left in \/home\/pi\/SHELF3\/logging-folder\/3_transit/m,
  );
  for (const none of [notes({ inProgressExists: false, transitHoldsFiles: false }), notes({})]) {
    assert.doesNotMatch(none, IN_PROGRESS_NOTE);
    assert.doesNotMatch(none, QUEUE_NOTE);
    assert.match(none, /^Folders found in /m);
  }
});

test('a hub with only tosync, transit (empty) and synced: no in-progress folder, no queue named', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-legacy-says-'));
  try {
    const hub = await olderPlainHub(path.join(dir, 'hub2'));
    await fs.rm(path.join(hub.root, 'inprogress'), { recursive: true });
    // What the old syncer leaves behind once its queue is done: the sub-folders, no files.
    await fs.rm(path.join(hub.root, 'transit'), { recursive: true });
    await fs.mkdir(path.join(hub.root, 'transit', 'RDL', 'USB0', '2026-11'), { recursive: true });
    const bare = await prepareLegacyImport({ root: hub.root, current, unitDirs: [] });
    const said = (bare.report.notes ?? []).join('\n');
    assert.doesNotMatch(said, IN_PROGRESS_NOTE);
    assert.doesNotMatch(said, QUEUE_NOTE);

    // The current hub as the fixtures build it: both there, both said.
    const pi = await currentPiHub(path.join(dir, 'SHELF3'));
    const full = await prepareLegacyImport({ root: pi.root, current, unitDirs: [] });
    const told = (full.report.notes ?? []).join('\n');
    assert.match(told, /1_inprogress holds files the loggers are still writing/);
    assert.match(told, /Files the old syncer left in .*3_transit are RDL Sync's queue now/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('run as root on the hub user’s folder: what was saved, or with --dry-run what would be, and the Dropbox connection only when there is one', () => {
  const rootWarning = (opts: { dryRun?: boolean; uploader?: boolean }): string => {
    const plan = planLegacyImport({
      configJsonText: '{"SITE": "S", "SD_CARD_NAME": ""}',
      current,
      layout,
      rootOnOthersFolder: { folder: '/home/x/SHELF3', owner: 't49pi' },
      ...(opts.uploader
        ? { uploaderConfigText: 'OAUTH_APP_KEY=k\nOAUTH_REFRESH_TOKEN=not-for-the-report\n' }
        : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
    });
    return plan.report.warnings.find((w) => w.startsWith('You ran the import as root')) ?? '';
  };
  const start = 'You ran the import as root, but /home/x/SHELF3 belongs to t49pi: ';
  assert.equal(
    rootWarning({ dryRun: true }),
    `${start}these settings would be saved for root, and a service running as t49pi never reads them (files root moves would become root's too). Run it as t49pi: sudo -u t49pi rdl-sync import-legacy …`,
  );
  assert.match(
    rootWarning({ dryRun: true, uploader: true }),
    /: these settings and the Dropbox connection would be saved for root, /,
  );
  assert.match(rootWarning({}), /: these settings were saved for root, .* Run it again as t49pi: /);
  assert.match(
    rootWarning({ uploader: true }),
    /: these settings and the Dropbox connection were saved for root, /,
  );
});
