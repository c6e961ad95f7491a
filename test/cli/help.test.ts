// `rdl-sync --help` and every command's --help, and how bad usage is refused (exit 2, a message
// that says what was wrong and where to look).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FILE_FAILING_THRESHOLD } from '../../src/engine/retry-policy.js';
import { cliSandbox, runCli } from './cli-harness.js';

const { root, env, configDir } = cliSandbox('rdl-cli-help-');

/** Each command and words its help must mention (its own options, or what it does). */
const COMMANDS: Record<string, string[]> = {
  run: ['SIGTERM', '--config-dir'],
  once: ['Exit codes', '--config-dir', 'was still being written', 'stableSeconds + 10 s'],
  status: ['--json'],
  auth: ['--code', 'PKCE'],
  'import-legacy': [
    '--config PATH',
    '--uploader-config',
    '--remote-root',
    'SD_CARD_NAME',
    'not with sudo',
    'null or absent',
  ],
  history: [
    '--failures',
    '--search',
    '--limit',
    '--json',
    'the last 50 unless --limit',
    // The help is answered without loading the engine, so it states the number: kept in step.
    `failed ${FILE_FAILING_THRESHOLD} times`,
  ],
  pause: ['--for', '30m'],
  resume: ['Resumes'],
  settings: ['show', 'path', 'check', 'set KEY VALUE'],
};

test('--help lists every command and exits 0, also through bin/rdl-sync.js', async () => {
  const [r, bin] = await Promise.all([runCli(['--help'], env), runCli(['--help'], env, true)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(bin.code, 0, bin.stderr);
  assert.equal(bin.stdout, r.stdout, 'the installed command runs the same CLI');
  assert.match(r.stdout, /^Usage: rdl-sync <command>/m);
  for (const name of Object.keys(COMMANDS)) {
    assert.match(r.stdout, new RegExp(`^  ${name}\\s`, 'm'), `main help lists ${name}`);
  }
  assert.match(r.stdout, /--config-dir DIR/);
});

test('every command has its own --help naming its options, and exits 0', async () => {
  const results = await Promise.all(
    Object.keys(COMMANDS).map(async (name) => [name, await runCli([name, '--help'], env)] as const),
  );
  for (const [name, r] of results) {
    assert.equal(r.code, 0, `${name} --help: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: rdl-sync ${name}\\b`, 'm'), `${name} usage line`);
    for (const word of COMMANDS[name]!) assert.ok(r.stdout.includes(word), `${name} help: ${word}`);
  }
  // Help is just help: nothing is created on the way.
  await assert.rejects(fs.stat(configDir), { code: 'ENOENT' });
});

test('no command, an unknown command or an unknown option: exit 2 and a clear message', async () => {
  const [none, unknownCommand, unknownOption, badLimit, badPause, noPause, ageLong, typo] =
    await Promise.all([
      runCli([], env),
      runCli(['upload', '--config-dir', configDir], env),
      runCli(['once', '--bogus', '--config-dir', configDir], env),
      runCli(['history', '--limit', 'ten', '--config-dir', configDir], env),
      runCli(['pause', '--for', 'soon', '--config-dir', configDir], env),
      // "Paused until now (for 0 s)"; and a length no timer holds (the daemon spun on it).
      runCli(['pause', '--for', '0', '--config-dir', configDir], env),
      runCli(['pause', '--for', '100000000000000000000d', '--config-dir', configDir], env),
      runCli(['fleet', '--jsn', '--config-dir', configDir], env),
    ]);
  assert.equal(noPause.code, 2);
  assert.match(noPause.stdout, /^--for must be longer than 0: for example 30m, 1h or 2d\.$/m);
  assert.equal(ageLong.code, 2);
  assert.match(ageLong.stdout, /^--for is at most 366 days: for longer, leave out --for/m);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: rdl-sync <command>/);
  assert.equal(none.stdout, '', 'usage mistakes go to stderr, never into a pipe');

  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /Unknown command "upload"/);
  assert.match(unknownCommand.stderr, /rdl-sync --help/);
  assert.equal(unknownCommand.stdout, '');

  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.stderr, /Unknown option '--bogus'/);
  assert.match(unknownOption.stderr, /Usage: rdl-sync once/, 'shows the command’s usage');
  assert.doesNotMatch(unknownOption.stderr, /did you mean|positional argument/);
  // node's own words were advice on positional arguments, and no guess.
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^Unknown option '--jsn' for rdl-sync fleet: did you mean --json\?/);
  assert.equal(unknownOption.stdout, '');

  assert.equal(badLimit.code, 2);
  assert.match(badLimit.stdout + badLimit.stderr, /--limit must be a whole number.*"ten"/);
  assert.equal(badPause.code, 2);
  assert.match(
    badPause.stdout,
    /--for "soon" is not a duration: use for example 30m, 1h, 1h30m or 2d/,
  );
  // Refused usage touches nothing.
  await assert.rejects(fs.stat(path.join(configDir, 'config.json')), { code: 'ENOENT' });
});

test('words a command does not take are refused, not ignored: `pause 30m` pauses nothing and names --for', async () => {
  const configDir = path.join(root, 'config-stray');
  const [pauseFor, onceExtra, syncWait, waitNoValue] = await Promise.all([
    runCli(['pause', '30m', '--config-dir', configDir], env),
    runCli(['once', 'now', '--config-dir', configDir], env),
    runCli(['sync', '5', '--config-dir', configDir], env),
    // The value left out: the next option's name was taken for it, and the folder for a stray word.
    runCli(['sync', '--wait', '--config-dir', configDir], env),
  ]);
  for (const r of [pauseFor, onceExtra, syncWait, waitNoValue]) {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, '', 'usage mistakes go to stderr');
  }
  assert.match(
    pauseFor.stderr,
    /^rdl-sync pause takes no arguments, only options: "30m" is not one of them\. To give it a duration: rdl-sync pause --for 30m$/m,
  );
  assert.match(pauseFor.stderr, /Usage: rdl-sync pause \[--for DURATION\]/);
  assert.match(
    onceExtra.stderr,
    /^rdl-sync once takes no arguments, only options: "now" is not one of them\.$/m,
  );
  assert.match(syncWait.stderr, /To give it a duration: rdl-sync sync --wait 5$/m);
  assert.match(
    waitNoValue.stderr,
    /^Option '--wait' needs a value right after it, not another option \(for example --wait=VALUE\)\.$/m,
  );
  // Refused, nothing was done: no settings folder, so no pause saved.
  await assert.rejects(fs.stat(configDir), { code: 'ENOENT' });
  // `settings` and `alert` take words of their own.
  const shown = await runCli(['settings', 'path', '--config-dir', configDir], env);
  assert.equal(shown.code, 0, shown.stderr);
});

test('--version, help COMMAND, options before the command, and an empty --config-dir refused', async () => {
  const pkg = JSON.parse(await fs.readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  const [version, versionWord, helpStatus, helpBogus, before, empty] = await Promise.all([
    runCli(['--version'], env),
    runCli(['version'], env),
    runCli(['help', 'status'], env),
    runCli(['help', 'statsu'], env),
    // As the help lists the option apart from the commands: it was taken for no command at all.
    runCli(['--config-dir', configDir, 'settings', 'path'], env),
    // `--config-dir "$DIR"` with DIR unset: the working folder became the settings folder.
    runCli(['status', '--config-dir='], env),
  ]);
  for (const r of [version, versionWord])
    assert.equal(r.stdout, `rdl-sync ${pkg.version} (Node ${process.versions.node})\n`, r.stderr);
  assert.equal(helpStatus.code, 0);
  assert.match(helpStatus.stdout, /^Usage: rdl-sync status/);
  assert.equal(helpBogus.code, 2);
  assert.match(
    helpBogus.stderr,
    /^Unknown command "statsu": did you mean status\? Run rdl-sync --help/,
  );
  assert.equal(before.code, 0, before.stdout + before.stderr);
  assert.equal(before.stdout, `${path.join(configDir, 'config.json')}\n`);
  assert.equal(empty.code, 2, empty.stdout + empty.stderr);
  assert.match(empty.stderr, /^rdl-sync: --config-dir is empty: give the settings folder/);
  assert.equal(empty.stdout, '');
});

test('a settings folder that cannot be made is named, with the fix (not node words about a mkdir)', async () => {
  const file = path.join(root, 'a-file');
  await fs.writeFile(file, '');
  const [onFile, noHome] = await Promise.all([
    runCli(['once', '--config-dir', file], env),
    // A service user whose home is /nonexistent (nobody's, many system users').
    runCli(['once'], { home: '/nonexistent', asUid: 65534 }),
  ]);
  assert.equal(onFile.code, 1);
  assert.match(
    onFile.stderr,
    new RegExp(
      `^rdl-sync once: the settings folder ${file} cannot be made: ${file} is a file, not a folder\\. Name a folder this user can write with --config-dir DIR`,
      'm',
    ),
  );
  assert.equal(noHome.code, 1);
  assert.match(
    noHome.stderr,
    /^rdl-sync once: the settings folder \/nonexistent\/\.config\/rdl-sync cannot be made: this user may not create \/nonexistent \(EACCES\)\./m,
  );
});
