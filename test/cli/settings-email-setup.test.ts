// E-mail alerts set up by ssh took two refusals: `settings set alertEmailTo ops@example.org` named
// only smtpHost, and the command it suggested was then refused for alertEmailFrom. With a typo in
// the address (`ops@@example`), the suggested command repeated the refused address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliEnv } from './cli-harness.js';

let root: string;
let env: CliEnv;
let configDir: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-email-setup-'));
  env = { home: path.join(root, 'home') };
  await fs.mkdir(path.join(root, 'archive'));
});

/** A hub set up without e-mail, in a settings folder of its own. */
async function freshHub(name: string): Promise<void> {
  configDir = path.join(root, name);
  const r = await cli('settings', 'set', 'archiveDir', path.join(root, 'archive'), 'site', 'S7');
  assert.equal(r.code, 0, r.stdout);
}

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli([...args, '--config-dir', configDir], env);

test('recipients alone: every missing field is named at once, and the suggested command is then saved', async () => {
  await freshHub('one');
  const r = await cli('settings', 'set', 'alertEmailTo', 'ops@example.org');
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stdout, /^ {2}- smtpHost: Alert emails need an SMTP server/m);
  assert.match(r.stdout, /^ {2}- alertEmailFrom: Alert emails need a sender address/m);
  assert.match(
    r.stdout,
    /^Settings are saved together: give smtpHost and alertEmailFrom in the same command, e\.g\. rdl-sync settings set alertEmailTo ops@example\.org smtpHost <value> alertEmailFrom <value>$/m,
  );

  // The suggestion followed: saved, not refused a second time.
  const followed = await cli(
    'settings',
    'set',
    'alertEmailTo',
    'ops@example.org',
    'smtpHost',
    'smtp.example.org',
    'alertEmailFrom',
    'hub7@example.org',
  );
  assert.equal(followed.code, 0, followed.stdout);
});

test('a refused address is not repeated in the suggested command', async () => {
  await freshHub('two');
  const r = await cli('settings', 'set', 'alertEmailTo', 'ops@@example', 'smtpPort', '2525');
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stdout, /alertEmailTo\.0: Each alert recipient must be an email address/);
  assert.match(
    r.stdout,
    /^Settings are saved together: .* rdl-sync settings set alertEmailTo <value> smtpPort 2525 /m,
  );
  assert.doesNotMatch(r.stdout, /settings set[^\n]*ops@@example/);
});
