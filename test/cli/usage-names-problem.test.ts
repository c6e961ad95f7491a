// A mistake answered with the bare usage text named no problem (exit 2 and a usage line):
// `alert tset` (though `stauts` and `--jsn` get a "did you mean"), `alert secret smtp-pasword`,
// `settings set site` (its value missing). And `settings show site` printed every setting,
// ignoring the name it was given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliSandbox } from './cli-harness.js';

const { cli } = cliSandbox('rdl-cli-usage-words-');

test('alert with a mistyped action: did you mean, then the usage', async () => {
  const r = await cli('alert', 'tset');
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stdout, /^Unknown alert action "tset": did you mean test\?$/m);
  const none = await cli('alert', 'frobnicate');
  assert.match(none.stdout, /^Unknown alert action "frobnicate": use test or secret\.$/m);
});

test('alert secret with a mistyped name: the names, did you mean', async () => {
  const r = await cli('alert', 'secret', 'smtp-pasword');
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stdout,
    /^Unknown secret "smtp-pasword": did you mean smtp-password\? The secrets are smtp-password or webhook-url\.$/m,
  );
  const missing = await cli('alert', 'secret');
  assert.equal(missing.code, 2);
  assert.match(
    missing.stdout,
    /^rdl-sync alert secret needs the secret's name: smtp-password or webhook-url\.$/m,
  );
});

test('settings set with a value missing names the setting and the command', async () => {
  const r = await cli('settings', 'set', 'site', 'Lake', 'smtpPort');
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stdout.trim(),
    'smtpPort needs a value: rdl-sync settings set site Lake smtpPort VALUE',
  );
  // A value's second word where a setting's name should be: quote the value.
  const split = await cli('settings', 'set', 'site', 'My', 'Lake');
  assert.equal(split.code, 2);
  assert.match(
    split.stdout,
    /^Unknown setting "Lake"\. .* put the whole value in quotes: rdl-sync settings set site 'My Lake'$/m,
  );
});

test('settings show NAME shows that setting alone; an unknown name gets did you mean', async () => {
  const r = await cli('settings', 'show', 'site', 'smtpPort');
  const lines = r.stdout.split('\n').filter((l) => /^\w+ = /.test(l));
  assert.deepEqual(
    lines.map((l) => l.split(' = ')[0]),
    ['site', 'smtpPort'],
    r.stdout,
  );
  const typo = await cli('settings', 'show', 'stie');
  assert.equal(typo.code, 2);
  assert.match(typo.stdout, /^Unknown setting "stie": did you mean "site"\?/m);
  assert.doesNotMatch(typo.stdout, / = /);
});
