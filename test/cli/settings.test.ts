// `rdl-sync settings`: a fresh install is invalid until the SD card folder and the site are set,
// `set` takes several pairs at once, and a refused value names the setting and the rule and
// leaves the file exactly as it was.
import { NOBODY } from '../stage/unprivileged.js';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliSandbox, runCli } from './cli-harness.js';

const { root, env, configDir, cli } = cliSandbox('rdl-cli-settings-');

let configFile: string;

before(async () => {
  configFile = path.join(configDir, 'config.json');
});

test('fresh config: check names the missing fields, set fills them together, check passes', async () => {
  const [path_, before] = await Promise.all([cli('settings', 'path'), cli('settings', 'check')]);
  assert.equal(path_.code, 0);
  assert.equal(path_.stdout.trim(), configFile);

  assert.equal(before.code, 2, before.stdout);
  assert.match(
    before.stdout,
    /^RDL Sync is not set up yet: .* does not exist\. To set it up, these are needed:$/m,
  );
  assert.match(before.stdout, /archiveDir: Archive folder is empty/);
  assert.match(before.stdout, /site: Site name is empty/);

  const sd = path.join(root, 'sdcard');
  const set = await cli(
    'settings',
    'set',
    'archiveDir',
    sd,
    'site',
    'Lake',
    'intervalSeconds',
    '30',
  );
  assert.equal(set.code, 0, set.stdout);
  assert.match(set.stdout, new RegExp(`^archiveDir = "${sd}"$`, 'm'));
  assert.match(set.stdout, /^site = "Lake"$/m);
  assert.match(set.stdout, /^intervalSeconds = 30$/m);

  const saved = JSON.parse(await fs.readFile(configFile, 'utf8')) as Record<string, unknown>;
  assert.equal(saved.archiveDir, sd);
  assert.equal(saved.site, 'Lake');
  assert.equal(saved.intervalSeconds, 30, 'typed as a number, not the text "30"');
  // Defaults for a fresh install sit under the user's home (here the test's own).
  assert.equal(saved.watchDir, path.join(env.home, 'rdl', 'tosync'));

  const [after_, show] = await Promise.all([cli('settings', 'check'), cli('settings')]);
  assert.equal(after_.code, 0, after_.stdout);
  assert.match(after_.stdout, /are valid/);

  assert.equal(show.code, 0);
  assert.match(show.stdout, /^site = "Lake"$/m);
  assert.match(show.stdout, /^ {4}Name of this logger site/m, 'each setting with its description');
});

test('invalid values are refused naming the field and the rule; the file is unchanged', async () => {
  await fs.mkdir(configDir, { recursive: true });
  // A valid file to start from (the first test may or may not have run before this one).
  const ok = await cli('settings', 'set', 'archiveDir', path.join(root, 'sd2'), 'site', 'Pond');
  assert.equal(ok.code, 0, ok.stdout);
  const original = await fs.readFile(configFile);

  const cases: [string[], RegExp][] = [
    [['intervalSeconds', '1'], /intervalSeconds: Interval must be at least 2 seconds \(got 1\)/],
    [['chunkSizeMiB', 'big'], /chunkSizeMiB: .*must be a number \(got "big"\)/],
    [['conflictPolicy', 'merge'], /conflictPolicy: .*"rename" or "overwrite"/],
    [['watchDir', 'relative/dir'], /watchDir: Watch folder must be an absolute path/],
    [['archiveDir', 'relative/path'], /archiveDir: Archive folder must be an absolute path/],
    [['remoteRootTemplate', 'RDL/{site}'], /remoteRootTemplate: Remote folder must start with \//],
    [['site', 'a/b'], /site: Site name may not contain \//],
    [['archiveEnabled', 'maybe'], /archiveEnabled: .*true or false/],
  ];
  // All at once: one refusal lists every problem, so a person fixes them in one go.
  const all = await cli('settings', 'set', ...cases.flatMap(([pair]) => pair));
  assert.equal(all.code, 2, all.stdout);
  assert.match(all.stdout, /^Not saved:/m);
  for (const [pair, rule] of cases) assert.match(all.stdout, rule, pair.join(' '));

  // A good pair next to a bad one: nothing of either is saved.
  // (`--` lets a value start with '-', as the usage message says.)
  const mixed = await runCli(
    [
      'settings',
      '--config-dir',
      configDir,
      'set',
      'site',
      'Other',
      'chunkSizeMiB',
      '6',
      'stableSeconds',
      '--',
      '-5',
    ],
    env,
  );
  assert.equal(mixed.code, 2);
  assert.match(mixed.stdout, /stableSeconds: Stable time cannot be negative/);
  assert.match(mixed.stdout, /chunkSizeMiB: Chunk size must be a multiple of 4 MiB/);
  // Without `--` too: a negative number is the value, answered by the setting's own rule (it was
  // "Unknown option '-5'" and the usage).
  const negative = await cli('settings', 'set', 'stableSeconds', '-5');
  assert.equal(negative.code, 2);
  assert.match(negative.stdout, /stableSeconds: Stable time cannot be negative \(got -5\)/);
  assert.doesNotMatch(negative.stdout + negative.stderr, /Unknown option/);

  const unknown = await cli('settings', 'set', 'sitename', 'X');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stdout, /Unknown setting "sitename"/);
  // The old config.json's key, as a technician types it after the import: the setting it means.
  const oldKey = await cli('settings', 'set', 'SITE', 'Site3_Lakeshore');
  assert.equal(oldKey.code, 2);
  assert.match(
    oldKey.stdout,
    /^Unknown setting "SITE": did you mean "site"\? Run `rdl-sync settings` to list them\.$/m,
  );

  const odd = await cli('settings', 'set', 'site');
  assert.equal(odd.code, 2);
  assert.equal(odd.stdout.trim(), 'site needs a value: rdl-sync settings set site VALUE');

  assert.deepEqual(
    await fs.readFile(configFile),
    original,
    'the settings file is byte for byte the same',
  );
  const entries = await fs.readdir(configDir);
  assert.deepEqual(
    entries.filter((e) => e.startsWith('config')),
    ['config.json'],
    'no stray copies of the file either',
  );
});

test('a settings file that is not JSON is never saved over from the defaults: set refuses and says how to fix it; the file is unchanged', async () => {
  const dir = await fs.mkdtemp(path.join(root, 'broken-'));
  const file = path.join(dir, 'config.json');
  // An imported hub's settings, hand-edited with a stray comma.
  const text = `{\n  "watchDir": "/home/pi/SHELF3/logging-folder/2_tosync",\n  "site": "Site3_Lakeshore",,\n  "archiveDir": "/home/pi/SHELF3/logging-folder/4_synced"\n}\n`;
  await fs.writeFile(file, text);
  const set = await runCli(['settings', 'set', 'stableSeconds', '90', '--config-dir', dir], env);
  assert.equal(set.code, 2, set.stdout + set.stderr);
  assert.match(
    set.stdout,
    /Not saved: .*config\.json cannot be read as JSON, .* would set every other setting back to its default .*Correct the mistake in the file by hand \(`rdl-sync settings check` says where it is\), or move the file aside/,
  );
  assert.equal(await fs.readFile(file, 'utf8'), text, 'nothing written');
  const check = await runCli(['settings', 'check', '--config-dir', dir], env);
  assert.equal(check.code, 2);
  assert.match(check.stdout, /JSON|line \d+/i, check.stdout);
  // Showing it says the values are the defaults, not the file's, and that set will not save
  // (it said "starting from the defaults (the old file is kept aside on save)", and then refused).
  const show = await runCli(['settings', '--config-dir', dir], env);
  assert.match(
    show.stdout,
    /^Note: .*config\.json cannot be used: it is not JSON\. Below are the defaults, not the settings in it; `rdl-sync settings check` says what is wrong, and nothing can be saved with settings set until it is fixed\.$/m,
  );
  assert.doesNotMatch(show.stdout, /kept aside on save/);
});

test('a settings file this user may not read (left by a sudo): set refuses with the owner fix, not "not JSON", and writes nothing', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-settings-eacces-'));
  try {
    // The folder is the user's (its lock files go there); the file was saved by root, 0600.
    await fs.chown(dir, NOBODY, NOBODY);
    const file = path.join(dir, 'config.json');
    const text = JSON.stringify({ site: 'Site3_Lakeshore', stableSeconds: 30 }, null, 2);
    await fs.writeFile(file, text, { mode: 0o600 });
    const set = await runCli(['settings', 'set', 'stableSeconds', '90', '--config-dir', dir], {
      home: dir,
      asUid: NOBODY,
    });
    assert.equal(set.code, 2, set.stdout + set.stderr);
    assert.match(
      set.stdout,
      /^Not saved: this user may not read .*config\.json \(EACCES\), so the settings in it are not known, .*Run the command as the file's owner \(ls -l .*config\.json\), or, if it should be this user's file, give it back: sudo chown nobody: .*config\.json$/m,
      set.stdout,
    );
    assert.doesNotMatch(set.stdout, /JSON/);
    assert.equal(await fs.readFile(file, 'utf8'), text, 'nothing written');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a key set alone on a fresh install: refused, and told to give the missing ones in the same command', async () => {
  const dir = await fs.mkdtemp(path.join(root, 'fresh-'));
  const set = await runCli(
    ['settings', 'set', 'dropboxAppKey', 'abc123', '--config-dir', dir],
    env,
  );
  assert.equal(set.code, 2, set.stdout + set.stderr);
  assert.match(set.stdout, /^Not saved:/m);
  assert.match(
    set.stdout,
    /^Settings are saved together: give archiveDir and site in the same command, e\.g\. rdl-sync settings set dropboxAppKey abc123 archiveDir <value> site <value>$/m,
  );
});
