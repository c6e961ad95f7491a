// The alert settings used while the settings file cannot be used (alerts/trusted-settings.ts),
// through the one validation: the file's alert part when it alone is valid (a typo elsewhere must
// not silence the alerts), else the last valid settings recorded, else none (nothing invented).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALERT_SETTING_KEYS,
  trustAlertSettings,
  type TrustInput,
} from '../../src/engine/alerts/trusted-settings.js';
import { settingsSchema } from '../../src/engine/settings/schema.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { validateSettings } from '../../src/engine/settings/validate.js';

const home = '/home/pi';
const defaults = defaultSettings(home);
/** Every input but the file and the record: the one validation, without the folder checks. */
const base: Omit<TrustInput, 'fileValues' | 'record'> = {
  defaults,
  fileIssues: [],
  validate: (c) => validateSettings(c, { home, configDir: '/home/pi/.config/rdl-sync' }),
};

test('the channels trusted: the file alert part alone; else the last valid record; else none', () => {
  const mail = {
    alertEmailTo: [' tech@example.org '],
    alertEmailFrom: 'hub@example.org',
    smtpHost: 'smtp.example.org',
  };
  const record = { site: 'Site3_Farm', alerts: { alertCommand: '/usr/local/bin/page-me' } };

  // A typo elsewhere (and a site name): the file's own alert part, as the schema reads it.
  const typo = trustAlertSettings({
    ...base,
    fileValues: { ...defaults, ...mail, site: 'Site7_Bog', stableSeconds: 'ten' },
    record,
  });
  assert.equal(typo.source, 'file');
  assert.deepEqual(typo.settings.alertEmailTo, ['tech@example.org']);
  assert.equal(typo.settings.alertCommand, '');
  assert.equal(typo.settings.site, 'Site7_Bog');

  // The alert part breaks a rule of its own (email without a server): the last valid record.
  const alertTypo = trustAlertSettings({
    ...base,
    fileValues: { ...defaults, ...mail, smtpHost: '', site: 'Site7_Bog' },
    record,
  });
  assert.equal(alertTypo.source, 'last-valid');
  assert.equal(alertTypo.settings.alertCommand, '/usr/local/bin/page-me');
  assert.deepEqual(alertTypo.settings.alertEmailTo, []);
  assert.equal(alertTypo.settings.site, 'Site7_Bog', "the file's site still names the hub");

  // An alert setting's name mistyped: its part reads as no channel, but it is a mistake in it.
  const misnamed = trustAlertSettings({
    ...base,
    fileValues: { ...defaults, site: 'Site7_Bog' },
    fileIssues: [{ field: 'alertcommnad', message: 'unknown setting "alertcommnad"' }],
    record,
  });
  assert.equal(misnamed.source, 'last-valid');
  assert.equal(misnamed.settings.alertCommand, '/usr/local/bin/page-me');
  // A name near no alert setting is a mistake elsewhere: the file's alert part still holds.
  const elsewhere = trustAlertSettings({
    ...base,
    fileValues: { ...defaults, ...mail, site: 'Site7_Bog' },
    fileIssues: [{ field: 'stableSecs', message: 'unknown setting "stableSecs"' }],
    record,
  });
  assert.equal(elsewhere.source, 'file');

  // Not JSON: the record, site and all.
  const broken = trustAlertSettings({ ...base, fileValues: null, record });
  assert.equal(broken.source, 'last-valid');
  assert.equal(broken.settings.site, 'Site3_Farm');

  // Not JSON and no record (or a record that is no longer valid): nothing invented.
  for (const r of [null, { site: 'x', alerts: { alertCommandTimeoutSeconds: 'long' } }]) {
    const none = trustAlertSettings({ ...base, fileValues: null, record: r });
    assert.equal(none.source, 'none');
    assert.equal(none.settings.alertCommand, '');
    assert.deepEqual(none.settings.alertEmailTo, []);
    assert.equal(none.settings.alertWebhookFormat, 'off');
  }
});

test('every alert, mail and digest setting of the schema is among those kept for a broken file', () => {
  // A new alert setting left out of ALERT_SETTING_KEYS would fall back to its default while the
  // file cannot be used: a channel set up by a person silently not used when it is needed most.
  const alertLike = Object.keys(settingsSchema.shape).filter((k) => /^(alert|smtp|digest)/.test(k));
  assert.ok(alertLike.length >= 10, `found ${alertLike.length}`);
  assert.deepEqual([...ALERT_SETTING_KEYS].sort(), alertLike.sort());
});

// A file rewritten from an old or minimal copy names no alert setting: its alert part was the
// defaults (no channel), counted "the file's own", and the channels the hub last ran with were
// silenced while it waited on that file.
test('a file that names no alert setting yields to the last valid channels; one that sets them, even to none, does not', () => {
  const record = { site: 'Site3_Farm', alerts: { alertCommand: '/usr/local/bin/page-me' } };
  const minimal = { ...defaults, site: 'Site7_Bog', stableSeconds: 'ten' };

  const none = trustAlertSettings({
    ...base,
    fileValues: minimal,
    fileKeys: ['site', 'stableSeconds'],
    record,
  });
  assert.equal(none.source, 'last-valid');
  assert.equal(none.settings.alertCommand, '/usr/local/bin/page-me');
  assert.equal(none.settings.site, 'Site7_Bog');

  // The person set the command off in the file: that is the file's own choice.
  const off = trustAlertSettings({
    ...base,
    fileValues: { ...minimal, alertCommand: '' },
    fileKeys: ['site', 'stableSeconds', 'alertCommand'],
    record,
  });
  assert.equal(off.source, 'file');
  assert.equal(off.settings.alertCommand, '');

  // No record to yield to: the file's (empty) part, as before.
  const alone = trustAlertSettings({
    ...base,
    fileValues: minimal,
    fileKeys: ['site', 'stableSeconds'],
    record: null,
  });
  assert.equal(alone.source, 'file');
});
