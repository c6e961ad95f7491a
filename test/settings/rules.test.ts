// The rules every writer shares (validateSettings): a schedule that can fire, a remote folder
// that stays where it should, an endpoint that never sends credentials in clear over a network,
// folders that exist and do not hold the config folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FieldIssue } from '../../src/engine/api.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { validateSettings, type ValidateOptions } from '../../src/engine/settings/validate.js';
import { cronProblem, loadCronCheck } from '../../src/engine/settings/cron-check.js';
import { tightenConfigModes } from '../../src/engine/settings/private-files.js';

// Loaded on demand in the product (cron-check.ts says why); these tests check what it then says.
await loadCronCheck();

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-rules-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const home = path.join(root, 'home');
const watch = path.join(root, 'tosync');
fs.mkdirSync(watch, { recursive: true });
const good = {
  ...defaultSettings(home),
  watchDir: watch,
  transitDir: path.join(root, 'transit'),
  site: 'Lake',
  archiveDir: path.join(root, 'sd'),
};

function issues(patch: Record<string, unknown>, opts: ValidateOptions = {}): FieldIssue[] {
  const r = validateSettings({ ...good, ...patch }, { home, ...opts });
  return r.ok ? [] : r.issues;
}

test('cron: only expressions node-schedule will fire', () => {
  for (const ok of ['*/5 * * * *', '0 6 * * 1-5', '*/10 * * * * *', '@daily', '@hourly'])
    assert.equal(cronProblem(ok), null, ok);
  for (const bad of [
    'a b c d e',
    '@reboot',
    '* * * *',
    '0 0 31 2 *',
    '* * * * * * *',
    '61 * * * *',
  ])
    assert.ok(cronProblem(bad), bad);
  assert.match(issues({ scheduleMode: 'cron', cron: '* * * *' })[0]!.message, /has 4 fields/);
  // An interval schedule does not care what the unused cron field holds.
  assert.deepEqual(issues({ scheduleMode: 'interval', cron: 'junk' }), []);
});

test('remote folder and site: no way out of the chosen Dropbox folder', () => {
  assert.match(issues({ remoteRootTemplate: '/../x' })[0]!.message, /contains "\.\."/);
  assert.match(issues({ remoteRootTemplate: '/RDL/./x' })[0]!.message, /contains "\."/);
  assert.match(issues({ site: '..' })[0]!.message, /may not be "\." or "\.\."/);
  assert.deepEqual(issues({ remoteRootTemplate: '/RDL/{site}/{year}' }), []);
});

test('endpoint: https anywhere, plain http to this machine only', () => {
  for (const ok of [
    '',
    'https://api.example.com',
    'https://10.1.1.1:8443',
    'http://127.0.0.1:8080',
    'http://127.9.9.9:1',
    'http://[::1]:9',
    'http://localhost:3000',
  ])
    assert.deepEqual(issues({ dropboxEndpoint: ok }), [], ok);
  for (const bad of [
    'http://example.com',
    'http://192.168.1.5:8080',
    'http://127.0.0.1.example.com',
    'http://[::2]:1',
    'ftp://127.0.0.1',
    'https://x/path',
    'http://u:p@127.0.0.1:1',
  ])
    assert.equal(issues({ dropboxEndpoint: bad })[0]?.field, 'dropboxEndpoint', bad);
});

test('ignore patterns: a sane length', () => {
  assert.deepEqual(issues({ ignorePatterns: ['*.tmp', 'x'.repeat(500)] }), []);
  const [i] = issues({ ignorePatterns: ['*.tmp', 'x'.repeat(501)] });
  assert.equal(i?.field, 'ignorePatterns.1');
  assert.match(i!.message, /longer than 500 characters/);
});

// Found by a window trial: `*` was saved, every new file then lay in the watch folder for good,
// and the status said "Up to date" with nothing waiting.
test('ignore patterns: one that leaves out every file is refused, with what to write instead', () => {
  for (const everything of ['*', '**', '*.*', '**/*', '*/**', '?*'])
    assert.deepEqual(
      issues({ ignorePatterns: ['*.tmp', everything] }).map((i) => i.field),
      ['ignorePatterns.1'],
      everything,
    );
  const [i] = issues({ ignorePatterns: ['*'] });
  assert.match(
    i!.message,
    /leaves out every file, so nothing would ever sync: .*for example \*\.tmp/,
  );
  for (const some of ['*.csv', 'RDL', 'RDL/USB0/**', '**/*.bak', '2026-*', '.*', '~$*'])
    assert.deepEqual(issues({ ignorePatterns: [some] }), [], some);
});

// "Check the path for a typo" left the person to find which part of a long path was wrong.
test('a watch folder one typo away from a folder that exists is named as the one probably meant', () => {
  const base = path.join(root, 'typo-hub');
  fs.mkdirSync(path.join(base, 'logging-folder', '2_tosync', 'USB0'), { recursive: true });
  fs.mkdirSync(path.join(base, 'logging-folder', '3_transit'), { recursive: true });
  const said = (dir: string): string =>
    issues({ watchDir: dir }, { checkFolders: true }).find((i) => i.field === 'watchDir')!.message;
  const meant = path.join(base, 'logging-folder', '2_tosync');
  assert.equal(
    said(path.join(base, 'logging-folder', '2_tosinc')),
    `Watch folder ${path.join(base, 'logging-folder', '2_tosinc')} does not exist: did you mean ${meant}? Otherwise create the folder first (mkdir -p '${path.join(base, 'logging-folder', '2_tosinc')}') and set it again`,
  );
  // The typo anywhere along the path, the rest kept.
  assert.match(
    said(path.join(base, 'loging-folder', '2_tosync', 'USB0')),
    new RegExp(`did you mean ${path.join(meant, 'USB0').replace(/[/.]/g, '\\$&')}\\?`),
  );
  // Only a path that then exists is offered; nothing near, nothing offered.
  assert.match(
    said(path.join(base, 'loging-folder', '2_tosync', 'USB1')),
    /does not exist: check the path for a typo/,
  );
  assert.match(said(path.join(base, 'logging-folder', 'cameras')), /check the path for a typo/);
});

test('folders on disk: checked when writing, not when a daemon reads its file', () => {
  const typo = path.join(root, 'tosnyc');
  assert.deepEqual(issues({ watchDir: typo }), [], 'reading: a missing folder is for the scan');
  const [missing] = issues({ watchDir: typo }, { checkFolders: true });
  assert.equal(
    missing!.message,
    `Watch folder ${typo} does not exist: did you mean ${path.join(root, 'tosync')}? Otherwise create the folder first (mkdir -p '${typo}') and set it again`,
  );
  assert.equal(fs.existsSync(typo), false);
  // The default folder is ours to create.
  assert.deepEqual(
    issues({ watchDir: defaultSettings(home).watchDir }, { checkFolders: true }),
    [],
  );
  const file = path.join(root, 'file.csv');
  fs.writeFileSync(file, 'x');
  assert.match(
    issues({ watchDir: file }, { checkFolders: true })[0]!.message,
    /is a file, not a folder/,
  );
  assert.match(issues({ transitDir: file }, { checkFolders: true })[0]!.message, /is a file/);

  const configDir = path.join(watch, '.config', 'rdl-sync');
  const nested = issues({}, { configDir });
  assert.equal(nested[0]?.field, 'watchDir');
  assert.match(nested[0]!.message, /would upload its own credentials/);
  // Through a symbolic link: only the disk knows.
  const link = path.join(root, 'link-to-watch');
  fs.symlinkSync(watch, link);
  const viaLink = issues({}, { configDir: path.join(link, 'cfg'), checkFolders: true });
  assert.match(viaLink[0]?.message ?? '', /config folder .* is inside the watch folder/);
  assert.match(
    issues({ transitDir: path.join(link, 'q') }, { checkFolders: true })[0]!.message,
    /leads into the watch folder/,
  );
});

test('a transit folder that leads onto the archive through a link is refused; one beside it on the same disk is not', () => {
  const archive = path.join(root, 'card');
  fs.mkdirSync(path.join(archive, 'q'), { recursive: true });
  const onCard = path.join(root, 'transit-on-card');
  fs.symlinkSync(path.join(archive, 'q'), onCard);
  const card = { archiveEnabled: true, archiveDir: archive, archiveMustBeMountPoint: false };
  assert.deepEqual(issues({ ...card, transitDir: onCard }), [], 'only the disk knows');
  const [viaLink] = issues({ ...card, transitDir: onCard }, { checkFolders: true });
  assert.equal(viaLink?.field, 'transitDir');
  assert.match(
    viaLink.message,
    /^Transit folder .*transit-on-card leads into the archive folder .*card \(through a link\): .*put the transit folder on the hub's own disk, beside the watch folder$/,
  );
  // The one-disk hub: transit and archive side by side (the archive copy is then a hard link).
  const beside = path.join(root, 'transit-beside');
  fs.mkdirSync(beside);
  assert.deepEqual(issues({ ...card, transitDir: beside }, { checkFolders: true }), []);
});

test('config folder 0700 and its files 0600: another user can read none of them', async () => {
  const dir = path.join(root, 'cfg');
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(root, 0o755);
  for (const f of ['config.json', 'history.jsonl', 'logs/rdl-sync.log'])
    fs.writeFileSync(path.join(dir, f), 'site Lake', { mode: 0o644 });
  const asNobody = (file: string): boolean => {
    try {
      execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', file], {
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  };
  assert.equal(
    asNobody(path.join(dir, 'config.json')),
    true,
    'readable before (the test can tell)',
  );
  await tightenConfigModes(dir);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(dir, 'logs')).mode & 0o777, 0o700);
  for (const f of ['config.json', 'history.jsonl', 'logs/rdl-sync.log']) {
    assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    assert.equal(asNobody(path.join(dir, f)), false, `${f} unreadable to another user`);
  }
});
