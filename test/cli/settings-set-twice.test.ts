// `settings set smtpPort 25 smtpPort 2525` saved 2525, printed `smtpPort = 2525` twice and said
// nothing of the 25: which value was meant is not for the command to guess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliSandbox } from './cli-harness.js';

const { root, configDir, cli } = cliSandbox('rdl-cli-set-twice-');

test('a setting given twice in one command is refused, named, with the fix; nothing is saved', async () => {
  const archive = path.join(root, 'archive');
  await fs.mkdir(archive);
  const setUp = await cli('settings', 'set', 'archiveDir', archive, 'site', 'Site7_Farm');
  assert.equal(setUp.code, 0, setUp.stdout);
  const before = await fs.readFile(path.join(configDir, 'config.json'), 'utf8');

  const r = await cli('settings', 'set', 'smtpPort', '25', 'site', 'Lake', 'smtpPort', '2525');
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stdout.trim(),
    'Not saved:\n  - smtpPort is given twice in this command ("25", then "2525"): give it once, with the value you mean',
  );
  assert.equal(await fs.readFile(path.join(configDir, 'config.json'), 'utf8'), before);
});
