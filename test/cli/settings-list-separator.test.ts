// Alert recipients typed as a mail program takes them, `a@x.org; b@y.org`, were refused as one
// value that is no email address, and nothing said that `settings set` separates a list's values
// with commas: a technician setting up alerts by ssh was left guessing. The refusal now ends with
// the command that works, and that command does.
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
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-list-sep-'));
  env = { home: path.join(root, 'home') };
  configDir = path.join(root, 'config');
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli([...args, '--config-dir', configDir], env);
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
