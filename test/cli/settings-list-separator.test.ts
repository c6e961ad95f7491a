// Alert recipients typed as a mail program takes them, `a@x.org; b@y.org`, were refused as one
// value that is no email address, and nothing said that `settings set` separates a list's values
// with commas: a technician setting up alerts by ssh was left guessing. The refusal now ends with
// the command that works, and that command does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliSandbox } from './cli-harness.js';

const { root, configDir, cli } = cliSandbox('rdl-cli-list-sep-');

const mail = ['smtpHost', 'smtp.sendgrid.net', 'alertEmailFrom', 'hub7@example.org'];

test('recipients separated by semicolons: refused with the command that uses commas', async () => {
  const archive = path.join(root, 'archive');
  await fs.mkdir(archive);
  const setUp = await cli('settings', 'set', 'archiveDir', archive, 'site', 'Site7_Farm');
  assert.equal(setUp.code, 0, setUp.stdout);
  const before = await fs.readFile(path.join(configDir, 'config.json'), 'utf8');

  for (const typed of ['ops@example.org; lab@example.org', 'ops@example.org lab@example.org']) {
    const r = await cli('settings', 'set', 'alertEmailTo', typed, ...mail);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /alertEmailTo\.0: Each alert recipient must be an email address/);
    assert.ok(
      r.stdout.includes(
        "Several values are separated by commas: rdl-sync settings set alertEmailTo 'ops@example.org,lab@example.org'",
      ),
      r.stdout,
    );
    assert.equal(await fs.readFile(path.join(configDir, 'config.json'), 'utf8'), before);
  }

  const fixed = await cli(
    'settings',
    'set',
    'alertEmailTo',
    'ops@example.org,lab@example.org',
    ...mail,
  );
  assert.equal(fixed.code, 0, fixed.stdout);
  const saved = JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8')) as {
    alertEmailTo: string[];
  };
  assert.deepEqual(saved.alertEmailTo, ['ops@example.org', 'lab@example.org']);

  // A single bad address gets no such hint: it is not a separator mistake.
  const one = await cli('settings', 'set', 'alertEmailTo', 'ops-at-example.org', ...mail);
  assert.equal(one.code, 2, one.stdout);
  assert.doesNotMatch(one.stdout, /separated by commas/);
});

// "Ops Team <ops@example.org>", as a mail program shows a recipient, was split on its spaces, and
// the hint said to type 'Ops,Team,<ops@example.org>', which was refused again.
test('a recipient or sender typed as "Name <address>": asked for the bare address, with a command that works', async () => {
  const archive = path.join(root, 'archive-named');
  await fs.mkdir(archive);
  const setUp = await cli('settings', 'set', 'archiveDir', archive, 'site', 'Site7_Farm');
  assert.equal(setUp.code, 0, setUp.stdout);

  const to = await cli('settings', 'set', 'alertEmailTo', 'Ops Team <ops@example.org>', ...mail);
  assert.equal(to.code, 2, to.stdout);
  assert.ok(
    to.stdout.includes(
      'alertEmailTo takes the bare address, without a name and < >: give the bare address: rdl-sync settings set alertEmailTo ops@example.org',
    ),
    to.stdout,
  );
  assert.doesNotMatch(to.stdout, /separated by commas|Ops,Team/);

  const from = await cli(
    'settings',
    'set',
    'alertEmailTo',
    'ops@example.org',
    'smtpHost',
    'smtp.sendgrid.net',
    'alertEmailFrom',
    'Hub 7 <hub7@example.org>',
  );
  assert.equal(from.code, 2, from.stdout);
  assert.match(
    from.stdout,
    /alertEmailFrom takes the bare address, .*: rdl-sync settings set alertEmailFrom hub7@example\.org$/m,
  );

  const fixed = await cli('settings', 'set', 'alertEmailTo', 'ops@example.org', ...mail);
  assert.equal(fixed.code, 0, fixed.stdout);
});

test('words that are not addresses get no comma hint: it would be refused again', async () => {
  const r = await cli('settings', 'set', 'alertEmailTo', 'ops team', ...mail);
  assert.equal(r.code, 2, r.stdout);
  assert.doesNotMatch(r.stdout, /separated by commas/);
});
