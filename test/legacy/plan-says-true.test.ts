// What the import plan says must be true of the hub in front of it (user trial): a SITE written
// twice was taken without a word; folders and queued files that do not exist were reported; a
// dry run as root said the settings "were saved".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { planLegacyImport, type LegacyLayout } from '../../src/engine/legacy/index.js';

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
