// One validation path: what `settings set` refuses, a hand-edited file is refused for too (the
// daemon will not start on it, saying why), and the config file itself cannot hang or fool a
// command (a FIFO, a byte-order mark, a prototype key).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { cliSandbox, runCli, writeSettingsFile } from './cli-harness.js';

const { root, env } = cliSandbox('rdl-cli-rules-');

let watchDir: string;

before(async () => {
  watchDir = path.join(root, 'tosync');
  await fs.mkdir(watchDir);
});

/** A fresh config folder holding a valid settings file, with `extra` written over it by hand. */
function configWith(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return writeSettingsFile(path.join(root, name), {
    ...defaultSettings(env.home),
    watchDir,
    transitDir: path.join(root, 'transit'),
    archiveDir: path.join(root, 'sd'),
    archiveMustBeMountPoint: false,
    site: 'Lake',
    ...extra,
  });
}

const inDir = (dir: string, ...args: string[]) => runCli([...args, '--config-dir', dir], env);

/** One command after another: the machine is shared, and each CLI start loads the whole engine. */
async function series<const J extends readonly (() => Promise<unknown>)[]>(
  jobs: J,
): Promise<{ -readonly [K in keyof J]: Awaited<ReturnType<J[K]>> }> {
  const out: unknown[] = [];
  for (const job of jobs) out.push(await job());
  return out as { -readonly [K in keyof J]: Awaited<ReturnType<J[K]>> };
}

test('cron that can never fire is refused by `settings set` and by the daemon from a hand edit', async () => {
  const dir = await configWith('cron');
  const before_ = await fs.readFile(path.join(dir, 'config.json'), 'utf8');
  const bad = ['a b c d e', '@reboot', '* * * *', '0 0 31 2 *'];
  const refusals = await series(
    bad.map((cron) => () => inDir(dir, 'settings', 'set', 'scheduleMode', 'cron', 'cron', cron)),
  );
  refusals.forEach((r, i) => {
    assert.equal(r.code, 2, `${bad[i]}: ${r.stdout}`);
    assert.match(r.stdout, /^ {2}- cron: /m, bad[i]);
  });
  assert.match(refusals[2]!.stdout, /has 4 fields; cron needs five/);
  assert.match(refusals[1]!.stdout, /"@reboot" is not a schedule RDL Sync can run/);
  assert.equal(await fs.readFile(path.join(dir, 'config.json'), 'utf8'), before_, 'unchanged');

  const good = await inDir(dir, 'settings', 'set', 'scheduleMode', 'cron', 'cron', '*/5 * * * *');
  assert.equal(good.code, 0, good.stdout);

  // A hand edit the CLI would have refused: the daemon and `once` refuse to start, saying why.
  const hand = await configWith('cron-hand', { scheduleMode: 'cron', cron: '* * * *' });
  const [run, once, check] = await series([
    () => inDir(hand, 'run'),
    () => inDir(hand, 'once'),
    () => inDir(hand, 'settings', 'check'),
  ]);
  for (const r of [run, once, check]) {
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /cron.*has 4 fields/);
  }
  assert.match(run.stdout, /^Not starting: the settings/m);
  await assert.rejects(fs.stat(path.join(hand, 'engine.lock')), /ENOENT/, 'no lock taken');
});

// Found by an operator trial: a settings file that is not JSON was met with "Fix them with
// `rdl-sync settings set KEY VALUE`", which then refused ("correct the mistake by hand"); the
// waiting service's alert said the same. A mistake in one setting still gets that advice.
test('a settings file that is not JSON is fixed by hand: no advice to use settings set', async () => {
  const dir = await configWith('not-json');
  const file = path.join(dir, 'config.json');
  await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('{', '{,,'));
  const once = await inDir(dir, 'once');
  assert.equal(once.code, 2, once.stdout + once.stderr);
  assert.match(once.stdout, /is not valid JSON \(/);
  assert.doesNotMatch(once.stdout, /settings set/);
  const set = await inDir(dir, 'settings', 'set', 'site', 'Lake2');
  assert.equal(set.code, 2, 'settings set indeed refuses it');
  const typo = await configWith('one-mistake', { intervalSeconds: 1 });
  const refused = await inDir(typo, 'once');
  assert.match(refused.stdout, /^Fix them with `rdl-sync settings set KEY VALUE`/m);
});

test('remote folder, site, endpoint and setting names: one rule for every writer', async () => {
  const dir = await configWith('names');
  const cases: [string[], RegExp][] = [
    [
      ['remoteRootTemplate', '/../x'],
      /remoteRootTemplate: Remote folder "\/\.\.\/x" contains "\.\."/,
    ],
    [['site', '..'], /site: Site name may not be "\." or "\.\."/],
    [['dropboxEndpoint', 'http://dropbox.example.com'], /plain http to another machine/],
    [['dropboxEndpoint', 'http://10.0.0.1:8080'], /plain http to another machine/],
    [['dropboxEndpoint', 'ftp://127.0.0.1'], /must start with https:\/\//],
    // (100 KB: one command-line argument cannot be longer; the hand edit below has 500 KB.)
    [['ignorePatterns', 'x'.repeat(100 * 1024)], /ignore pattern is longer than 500 characters/],
  ];
  const results = await series(
    cases.map(
      ([pair]) =>
        () =>
          inDir(dir, 'settings', 'set', ...pair),
    ),
  );
  results.forEach((r, i) => {
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, cases[i]![1]);
  });
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const r = await inDir(dir, 'settings', 'set', key, 'x');
    assert.equal(r.code, 2, `${key}: ${r.stdout}`);
    assert.match(r.stdout, new RegExp(`Unknown setting "${key}"`));
  }
  // (Every form is in test/settings/rules.test.ts; here, that the CLI takes them.)
  for (const ok of ['https://dropbox.example.com', 'http://[::1]:9']) {
    const r = await inDir(dir, 'settings', 'set', 'dropboxEndpoint', ok);
    assert.equal(r.code, 0, `${ok}: ${r.stdout}`);
  }
  // The same rules for a hand edit: `settings check` names the huge pattern and the reason.
  const hand = await configWith('names-hand', {
    ignorePatterns: ['*.tmp', 'y'.repeat(500 * 1024)],
    remoteRootTemplate: '/../x',
  });
  const check = await inDir(hand, 'settings', 'check');
  assert.equal(check.code, 2);
  assert.match(check.stdout, /ignorePatterns\.1: An ignore pattern is longer than 500 characters/);
  assert.ok(check.stdout.length < 5_000, 'the 500 KB value is not echoed back whole');
});

test('folders: a typo, a file, and the config folder inside the watch folder are refused', async () => {
  const dir = await configWith('folders');
  const file = path.join(root, 'a-file.csv');
  await fs.writeFile(file, 'x');
  const typo = path.join(root, 'tosnyc', 'deeper');
  const [missing, notFolder, nested] = await series([
    () => inDir(dir, 'settings', 'set', 'watchDir', typo),
    () => inDir(dir, 'settings', 'set', 'watchDir', file),
    () => inDir(dir, 'settings', 'set', 'watchDir', root),
  ]);
  assert.equal(missing.code, 2);
  assert.match(
    missing.stdout,
    /watchDir: Watch folder .*tosnyc\/deeper does not exist: check the path for a typo, or create the folder first \(mkdir -p/,
  );
  await assert.rejects(fs.stat(path.join(root, 'tosnyc')), /ENOENT/, 'no empty tree created');
  assert.equal(notFolder.code, 2);
  assert.match(notFolder.stdout, /is a file, not a folder/);
  assert.equal(nested.code, 2);
  assert.match(
    nested.stdout,
    /config folder .* is inside the watch folder .*upload its own credentials/,
  );

  // The daemon reading a hand edit that nests its config folder refuses too.
  const hand = await configWith('folders-hand', { watchDir: root });
  const run = await inDir(hand, 'run');
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stdout, /inside the watch folder/);
});

test('a FIFO at config.json hangs no command; a byte-order mark is accepted', async () => {
  const fifoDir = path.join(root, 'fifo');
  await fs.mkdir(fifoDir);
  execFileSync('mkfifo', [path.join(fifoDir, 'config.json')]);
  // runCli fails the test if any of them hangs (bounded wait, child killed).
  const [check, status, set, run] = await series([
    () => inDir(fifoDir, 'settings', 'check'),
    () => inDir(fifoDir, 'status'),
    () => inDir(fifoDir, 'settings', 'set', 'site', 'X'),
    () => inDir(fifoDir, 'run'),
  ]);
  // status reports (exit 0) what the others refuse on.
  for (const r of [check, set, run]) assert.notEqual(r.code, 0, r.stdout + r.stderr);
  for (const r of [check, status, set, run]) {
    assert.match(r.stdout + r.stderr, /is a named pipe \(FIFO\), not a regular file: remove it/);
  }
  assert.ok((await fs.stat(path.join(fifoDir, 'config.json'))).isFIFO(), 'left as it was');

  const bom = await configWith('bom');
  const file = path.join(bom, 'config.json');
  await fs.writeFile(file, `\uFEFF${await fs.readFile(file, 'utf8')}`);
  const [bomCheck, bomPause] = await series([
    () => inDir(bom, 'settings', 'check'),
    () => inDir(bom, 'pause'),
  ]);
  assert.equal(bomCheck.code, 0, bomCheck.stdout);
  assert.match(bomCheck.stdout, /are valid/);
  assert.equal(bomPause.code, 0, bomPause.stdout + bomPause.stderr);
  const saved = JSON.parse((await fs.readFile(file, 'utf8')).replace(/^\uFEFF/, '')) as {
    state?: { paused: boolean };
    site: string;
  };
  assert.equal(saved.site, 'Lake');
  assert.equal(saved.state?.paused, true, 'the pause was written into the BOM file');
});
