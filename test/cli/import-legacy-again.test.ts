// `rdl-sync import-legacy` run a second time (the uploader config forgotten the first time) keeps
// the settings the person changed since the first import; --dry-run saves nothing; --replace
// takes the old setup's values. Before, the second import put the placeholder site and the old
// archive folder back over the person's corrections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliSandbox, runCli } from './cli-harness.js';
import { currentPiHub } from '../legacy/fixtures.js';

const { root, env } = cliSandbox('rdl-cli-legacy-again-');

const UPLOADER_FILE =
  'OAUTH_APP_KEY=legacyappkey123\nOAUTH_REFRESH_TOKEN=refresh-again-not-shown\n';

async function savedSettings(configDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

test('a second import keeps what was corrected since the first; --dry-run saves nothing; --replace and a corrected old config apply', async (t) => {
  const hub = await currentPiHub(path.join(root, 'pi', 'SHELF3'), 'SiteX_Dummy');
  const configDir = path.join(root, 'cfg');
  const up = path.join(root, 'dropbox_uploader');
  await fs.writeFile(up, UPLOADER_FILE);
  const card = path.join(root, 'card');
  await fs.mkdir(card);
  const importArgs = ['import-legacy', '--root', hub.root, '--config-dir', configDir];

  const first = await runCli(importArgs, env);
  t.diagnostic(first.stdout);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /^! SITE: /m, 'the placeholder site is pointed out');
  assert.equal((await savedSettings(configDir)).site, 'SiteX_Dummy');

  // The person follows that advice, and archives to a folder of their own. (The endpoint: the
  // login check after the import stays on loopback, refused at once.)
  const set = await runCli(
    [
      'settings',
      'set',
      'site',
      'Site3_Lakeshore',
      'archiveDir',
      card,
      'dropboxEndpoint',
      'http://127.0.0.1:9',
      '--config-dir',
      configDir,
    ],
    env,
  );
  assert.equal(set.code, 0, set.stdout + set.stderr);
  const corrected = await fs.readFile(path.join(configDir, 'config.json'), 'utf8');

  const preview = await runCli([...importArgs, '--uploader-config', up, '--dry-run'], env);
  t.diagnostic(preview.stdout);
  assert.equal(preview.code, 0, preview.stdout + preview.stderr);
  assert.match(preview.stdout, /^Would change in .*config\.json \(--dry-run: nothing saved\):$/m);
  assert.match(preview.stdout, /^ {2}dropboxAppKey: "" -> "legacyappkey123"$/m);
  assert.match(preview.stdout, /would be imported \(not shown\)/);
  assert.equal(
    await fs.readFile(path.join(configDir, 'config.json'), 'utf8'),
    corrected,
    '--dry-run changed the settings',
  );
  assert.equal(await exists(path.join(configDir, 'credentials.json')), false);

  const again = await runCli([...importArgs, '--uploader-config', up], env);
  t.diagnostic(again.stdout);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(
    again.stdout,
    /^Kept, as changed since the last import \(--replace takes the old setup’s values instead\):$/m,
  );
  assert.match(
    again.stdout,
    /^ {2}site: "Site3_Lakeshore" \(the old setup gives "SiteX_Dummy"\)$/m,
  );
  assert.match(
    again.stdout,
    new RegExp(`^ {2}archiveDir: "${card}" \\(the old setup gives ".*4_synced"\\)$`, 'm'),
  );
  assert.doesNotMatch(again.stdout, /^! SITE: /m, 'no placeholder warning for a site kept');
  assert.doesNotMatch(again.stdout, /SD_CARD_NAME is empty: the archive is the local folder/);
  let saved = await savedSettings(configDir);
  assert.equal(saved.site, 'Site3_Lakeshore');
  assert.equal(saved.archiveDir, card);
  assert.equal(saved.dropboxAppKey, 'legacyappkey123', 'what was asked for is imported');
  assert.ok(await exists(path.join(configDir, 'credentials.json')));

  const replaced = await runCli([...importArgs, '--replace'], env);
  assert.equal(replaced.code, 0, replaced.stdout + replaced.stderr);
  assert.match(replaced.stdout, /^ {2}site: "Site3_Lakeshore" -> "SiteX_Dummy"$/m);
  assert.doesNotMatch(replaced.stdout, /^Kept/m);
  saved = await savedSettings(configDir);
  assert.equal(saved.site, 'SiteX_Dummy');
  assert.equal(saved.archiveDir, path.join(hub.base, '4_synced'));

  // The other advice: the name put right in the old config.json, then imported again.
  const configJson = path.join(hub.root, 'config.json');
  const old = JSON.parse(await fs.readFile(configJson, 'utf8')) as Record<string, unknown>;
  await fs.writeFile(configJson, JSON.stringify({ ...old, SITE: 'Site3_Lakeshore' }));
  const fixed = await runCli(importArgs, env);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.match(fixed.stdout, /^ {2}site: "SiteX_Dummy" -> "Site3_Lakeshore"$/m);
  assert.doesNotMatch(fixed.stdout, /^Kept/m);
  assert.equal((await savedSettings(configDir)).site, 'Site3_Lakeshore');
});
