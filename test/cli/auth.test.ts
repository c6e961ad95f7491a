// `rdl-sync auth` without a terminal (ssh into a field box, a script): the first call prints the
// address to open, the second takes the code the page shows. The emulator's authorize page plays
// Dropbox's; the test is the person with the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-auth-');
});

after(async () => {
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

test('two-step auth: address, then --code; the saved connection uploads', async () => {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Auth' }), null);
  const env = { home: dirs.root };
  const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
  const otherConfig = path.join(dirs.root, 'other-config');
  await writeConfig(otherConfig, testSettings(dirs, emulator), null);

  const [start, codeFirst] = await Promise.all([
    cli('auth'),
    runCli(['auth', '--code', 'abc', '--config-dir', otherConfig], env),
  ]);
  // --code with no started connection says what to do first.
  assert.equal(codeFirst.code, 2, codeFirst.stdout);
  assert.match(codeFirst.stdout, /run `rdl-sync auth` first/);

  assert.equal(start.code, 0, start.stdout + start.stderr);
  const url = /^\s+(http\S+)$/m.exec(start.stdout)?.[1];
  assert.ok(url, `an address is printed: ${start.stdout}`);
  assert.ok(url.startsWith(`${emulator.url}/oauth2/authorize?`), url);
  const query = new URL(url).searchParams;
  assert.equal(query.get('client_id'), emulator.appKey);
  assert.equal(query.get('code_challenge_method'), 'S256', 'PKCE, no app secret');
  assert.match(start.stdout, /rdl-sync auth --code/);
  const pending = await fs.stat(path.join(dirs.configDir, 'pkce-pending.json'));
  assert.equal(pending.mode & 0o777, 0o600, 'the verifier is private');

  const page = await (await fetch(url)).text();
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(code, `the page shows a code: ${page}`);

  // A typo: refused with words that say so, and the attempt stands for the right code.
  const typo = await cli('auth', '--code', `${code}x`);
  assert.equal(typo.code, 1, typo.stdout + typo.stderr);
  assert.match(typo.stdout + typo.stderr, /mistyped or cut short \(paste it whole\)/);
  const finish = await cli('auth', '--code', code);
  assert.equal(finish.code, 0, finish.stdout + finish.stderr);
  assert.match(finish.stdout, /^Connected to Dropbox as .+ <.+@.+>\.$/m);
  const creds = await fs.stat(path.join(dirs.configDir, 'credentials.json'));
  assert.equal(creds.mode & 0o777, 0o600);
  await assert.rejects(fs.stat(path.join(dirs.configDir, 'pkce-pending.json')), {
    code: 'ENOENT',
  });

  // The same code cannot be used twice (and the failure is a message, not a stack trace).
  const reuse = await cli('auth', '--code', code);
  assert.notEqual(reuse.code, 0);
  assert.match(reuse.stdout + reuse.stderr, /^rdl-sync auth: |No connection was started/m);

  await writeFileIn(
    dirs.watchDir,
    'RDL/USB0/after-auth.csv',
    'timestamp,t\n2026-11-24T09:00:00Z,5\n',
  );
  const once = await cli('once');
  assert.equal(once.code, 0, once.stdout + once.stderr);
  assert.ok(emulator.getFile('/RDL/Auth/RDL/USB0/after-auth.csv'), 'uploaded with the new login');
});

test('a code that starts with a dash is taken as the code (one Dropbox code in 64 does)', async () => {
  const otherConfig = path.join(dirs.root, 'dash-config');
  await writeConfig(otherConfig, testSettings(dirs, emulator), null);
  const r = await runCli(['auth', '--code', '-AbC_123', '--config-dir', otherConfig], {
    home: dirs.root,
  });
  // Read as the code: with no connection started, the answer is what to do first, not a usage
  // error about an ambiguous option.
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /run `rdl-sync auth` first/);
  assert.doesNotMatch(r.stdout + r.stderr, /ambiguous/);
});

test('auth on a new install says to save the site, the archive and the app key together first; the command it gives works', async () => {
  const configDir = path.join(dirs.root, 'new-install');
  const env = { home: dirs.root };
  const r = await runCli(['auth', '--config-dir', configDir], env);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  // It said "settings set dropboxAppKey KEY", which a new install refuses (settings are whole).
  assert.match(
    r.stdout,
    /^RDL Sync is not set up yet: save the site, the archive folder and the Dropbox app key together first, e\.g\. rdl-sync settings set site Site3_Lakeshore archiveDir \/media\/pi\/CARD dropboxAppKey KEY /m,
  );
  await assert.rejects(fs.stat(path.join(configDir, 'pkce-pending.json')), { code: 'ENOENT' });
  // Not "needs fixing": there is nothing yet to fix.
  const [check, doctor] = await Promise.all([
    runCli(['settings', 'check', '--config-dir', configDir], env),
    runCli(['doctor', '--config-dir', configDir], env),
  ]);
  assert.equal(check.code, 2);
  assert.match(
    check.stdout,
    /^RDL Sync is not set up yet: .*config\.json does not exist\. To set it up, these are needed:$/m,
  );
  assert.match(check.stdout, /^ {2}- site: /m);
  assert.equal(doctor.code, 2);
  assert.match(
    doctor.stdout,
    /^RDL Sync is not set up yet: set it up first \(rdl-sync settings set site SITE archiveDir DIR dropboxAppKey KEY/m,
  );
  for (const r of [check, doctor]) assert.doesNotMatch(r.stdout, /need(s)? fixing/);
  const set = await runCli(
    [
      'settings',
      'set',
      'site',
      'Site3_Lakeshore',
      'archiveDir',
      '/media/pi/CARD',
      'dropboxAppKey',
      emulator.appKey,
      'dropboxEndpoint',
      emulator.url,
      '--config-dir',
      configDir,
    ],
    env,
  );
  assert.equal(set.code, 0, set.stdout + set.stderr);
  const again = await runCli(['auth', '--config-dir', configDir], env);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /rdl-sync auth --code/);
});
