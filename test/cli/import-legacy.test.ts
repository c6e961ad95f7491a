// `rdl-sync import-legacy`: taking over the old Python script's config.json and the bash
// Dropbox-Uploader's token file. The token is a secret: it must never be printed or logged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliEnv, type CliResult } from './cli-harness.js';
import { startEmulator } from '../../tools/emulator/index.js';
import { listFilesRel, localHash } from '../engine/harness.js';
import { currentPiHub, noCardKeyHub, olderPlainHub, orangePiHub } from '../legacy/fixtures.js';
import { cannotDropPrivileges, NOBODY } from '../stage/unprivileged.js';

let root: string;
let env: CliEnv;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-legacy-'));
  env = { home: path.join(root, 'home') };
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const REFRESH_TOKEN = 'uNiQuE-ReFrEsH-9f8e7d6c5b4a39281706-not-for-logs';
const APP_SECRET = 'sEcReT-0a1b2c3d4e5f';

const UPLOADER_FILE = `CONFIGFILE_VERSION=2.0
OAUTH_APP_KEY=legacyappkey123
OAUTH_APP_SECRET=${APP_SECRET}
OAUTH_REFRESH_TOKEN=${REFRESH_TOKEN}
`;

async function files(name: string, configJson: string): Promise<{ config: string; up: string }> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  const config = path.join(dir, 'config.json');
  const up = path.join(dir, 'dropbox_uploader');
  await fs.writeFile(config, configJson);
  await fs.writeFile(up, UPLOADER_FILE);
  return { config, up };
}

test('imports the old config and the uploader token; prints each change, never the token', async () => {
  const configDir = path.join(root, 'cfg-ok');
  const old = await files('old-ok', JSON.stringify({ SD_CARD_NAME: 'SD1', SITE: 'Lake' }));
  const r = await runCli(
    [
      'import-legacy',
      '--config',
      old.config,
      '--uploader-config',
      old.up,
      '--config-dir',
      configDir,
    ],
    env,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Imported into .*config\.json:$/m);
  assert.match(r.stdout, /^ {2}archiveDir: "" -> "\/media\/orangepi\/SD1"$/m);
  assert.match(r.stdout, /^ {2}site: "" -> "Lake"$/m);
  assert.match(
    r.stdout,
    /^ {2}remoteRootTemplate: "\/RDL\/\{site\}" -> "\/Professional\/WIRED\/\{site\}"$/m,
  );
  assert.match(r.stdout, /^ {2}dropboxAppKey: "" -> "legacyappkey123"$/m);
  assert.match(r.stdout, /refresh token imported \(not shown\)/);

  const saved = JSON.parse(
    await fs.readFile(path.join(configDir, 'config.json'), 'utf8'),
  ) as Record<string, unknown>;
  assert.equal(saved.archiveDir, '/media/orangepi/SD1');
  assert.equal(saved.archiveMustBeMountPoint, true, 'the card folder must be a mounted card');
  assert.equal(saved.site, 'Lake');
  assert.equal(saved.remoteRootTemplate, '/Professional/WIRED/{site}');

  const credsFile = path.join(configDir, 'credentials.json');
  const stat = await fs.stat(credsFile);
  assert.equal(stat.mode & 0o777, 0o600, 'credentials readable by this user only');
  const creds = JSON.parse(await fs.readFile(credsFile, 'utf8')) as Record<string, unknown>;
  assert.equal(creds.refreshToken, REFRESH_TOKEN);
  assert.equal(creds.appKey, 'legacyappkey123');

  // `status` loads the credentials and builds the Dropbox connection: also must not leak them.
  const status = await runCli(['status', '--config-dir', configDir], env);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /SD card: \/media\/orangepi\/SD1 — NOT PRESENT/);

  // Run again without the uploader's file (a site corrected in the old config, say): the
  // connection saved by the first run stays, and is said to (it said "run rdl-sync auth").
  const again = await runCli(
    ['import-legacy', '--config', old.config, '--config-dir', configDir],
    env,
  );
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(
    again.stdout,
    /^No Dropbox credentials imported; the Dropbox connection already saved here is kept\.$/m,
  );
  assert.doesNotMatch(again.stdout, /rdl-sync auth/);

  const log = await fs.readFile(path.join(configDir, 'logs', 'rdl-sync.log'), 'utf8');
  assert.match(
    log,
    /imported the old script’s settings.*credentialsImported/,
    'the log is written',
  );
  for (const [where, text] of [
    ['stdout', r.stdout + status.stdout],
    ['stderr', r.stderr + status.stderr],
    ['log file', log],
  ] as const) {
    assert.ok(!text.includes(REFRESH_TOKEN), `refresh token in ${where}`);
    assert.ok(!text.includes(APP_SECRET), `app secret in ${where}`);
  }
});

test('a broken old config.json is refused naming the key and the fix; settings unchanged', async () => {
  const configDir = path.join(root, 'cfg-bad');
  const set = await runCli(
    [
      'settings',
      'set',
      'archiveDir',
      path.join(root, 'card'),
      'site',
      'Before',
      '--config-dir',
      configDir,
    ],
    env,
  );
  assert.equal(set.code, 0, set.stdout);
  const settingsBefore = await fs.readFile(path.join(configDir, 'config.json'));

  const notJson = await files('old-notjson', "{'SD_CARD_NAME': 'SD1', SITE: Lake}");
  const noSite = await files('old-nosite', JSON.stringify({ SD_CARD_NAME: 'SD1' }));
  const [a, b] = (await Promise.all(
    [notJson, noSite].map((old) =>
      runCli(
        [
          'import-legacy',
          '--config',
          old.config,
          '--uploader-config',
          old.up,
          '--config-dir',
          configDir,
        ],
        env,
      ),
    ),
  )) as [CliResult, CliResult];
  assert.notEqual(a.code, 0);
  assert.match(a.stdout + a.stderr, /not valid JSON/);
  assert.match(
    a.stdout + a.stderr,
    /\{"SD_CARD_NAME": "SD1", "SITE": "MySite"\}/,
    'shows the shape',
  );

  assert.notEqual(b.code, 0);
  assert.match(b.stdout + b.stderr, /has no "SITE": add "SITE": "\.\.\."/);

  const missingFile = await runCli(
    ['import-legacy', '--config', path.join(root, 'nowhere.json'), '--config-dir', configDir],
    env,
  );
  assert.notEqual(missingFile.code, 0);
  assert.match(
    missingFile.stderr,
    /Cannot read the old config\.json at .*nowhere\.json \(ENOENT\): check the path/,
  );

  assert.deepEqual(await fs.readFile(path.join(configDir, 'config.json')), settingsBefore);
  await assert.rejects(fs.stat(path.join(configDir, 'credentials.json')), { code: 'ENOENT' });
  for (const r of [a, b]) assert.ok(!(r.stdout + r.stderr).includes(REFRESH_TOKEN));
});

test('every config variant through `import-legacy --root`: folders found, each change printed, the old service hint', async (t) => {
  const variants = [
    ['current Pi hub (logging-folder/1_inprogress…4_synced, SD_CARD_NAME "")', currentPiHub],
    ['older hub (inprogress/tosync/transit/synced, SD_CARD_NAME "")', olderPlainHub],
    ['Orange Pi (SD_CARD_NAME "SD1")', orangePiHub],
    ['config without SD_CARD_NAME', noCardKeyHub],
  ] as const;
  for (const [i, [what, make]] of variants.entries()) {
    const hub = await make(path.join(root, `hub-${i}`, 'SHELF3'));
    const configDir = path.join(root, `cfg-hub-${i}`);
    const up = path.join(root, `hub-${i}`, 'dropbox_uploader');
    await fs.writeFile(up, UPLOADER_FILE);
    const r = await runCli(
      ['import-legacy', '--root', hub.root, '--uploader-config', up, '--config-dir', configDir],
      env,
    );
    t.diagnostic(
      `--- ${what}: rdl-sync import-legacy --root ${hub.root} --uploader-config …\n${r.stdout}`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const saved = JSON.parse(
      await fs.readFile(path.join(configDir, 'config.json'), 'utf8'),
    ) as Record<string, unknown>;
    const lf = hub.base;
    const numbered = lf.endsWith('logging-folder');
    const [watch, transit, synced] = numbered
      ? ['2_tosync', '3_transit', '4_synced']
      : ['tosync', 'transit', 'synced'];
    assert.equal(saved.watchDir, path.join(lf, watch));
    assert.equal(saved.transitDir, path.join(lf, transit));
    assert.match(r.stdout, new RegExp(`^ {2}watchDir: ".*" -> "${path.join(lf, watch)}"$`, 'm'));
    assert.equal(saved.site, hub.config.SITE);
    if (hub.config.SD_CARD_NAME) {
      assert.equal(saved.archiveDir, `/media/orangepi/${String(hub.config.SD_CARD_NAME)}`);
      assert.equal(saved.archiveMustBeMountPoint, true);
    } else {
      assert.equal(saved.archiveDir, path.join(lf, synced));
      assert.equal(saved.archiveMustBeMountPoint, false);
      assert.match(r.stdout, /^ {2}archiveMustBeMountPoint: true -> false$/m);
    }
    assert.match(r.stdout, /never watched/);
    assert.match(r.stdout, /^! Stop and disable the old syncing script/m);
    assert.ok(!r.stdout.includes(REFRESH_TOKEN) && !r.stderr.includes(REFRESH_TOKEN));
  }
});

test('a whole hub switched with one command: import-legacy --root, then one pass moves everything', async (t) => {
  const emulator = await startEmulator({});
  try {
    const hub = await currentPiHub(path.join(root, 'switch', 'home', 'pi', 'SHELF3'));
    const configDir = path.join(root, 'cfg-switch');
    const up = path.join(root, 'switch', 'dropbox_uploader');
    await fs.writeFile(
      up,
      `OAUTH_APP_KEY=${emulator.appKey}\nOAUTH_REFRESH_TOKEN=${emulator.issueRefreshToken()}\n`,
    );
    const imp = await runCli(
      ['import-legacy', '--root', hub.root, '--uploader-config', up, '--config-dir', configDir],
      env,
    );
    assert.equal(imp.code, 0, imp.stdout + imp.stderr);
    // Only what a test needs on top: the emulator instead of Dropbox, no settling wait.
    const set = await runCli(
      [
        'settings',
        'set',
        'dropboxEndpoint',
        emulator.url,
        'stableSeconds',
        '0',
        '--config-dir',
        configDir,
      ],
      env,
    );
    assert.equal(set.code, 0, set.stdout);
    const once = await runCli(['once', '--config-dir', configDir], env);
    t.diagnostic(once.stdout);
    assert.equal(once.code, 0, once.stdout + once.stderr);

    const lf = hub.base;
    const synced = path.join(lf, '4_synced');
    const expected = [...Object.keys(hub.toSync), ...Object.keys(hub.inTransit)];
    for (const rel of expected) {
      const remote = emulator.getFile(`/Professional/WIRED/Site3_Lakeshore/${rel}`);
      assert.ok(remote, `${rel} on Dropbox`);
      assert.equal(remote.contentHash, await localHash(path.join(synced, ...rel.split('/'))));
    }
    assert.deepEqual(await listFilesRel(path.join(lf, '2_tosync')), []);
    assert.deepEqual(await listFilesRel(path.join(lf, '3_transit')), [], 'the old queue drained');
    assert.deepEqual(
      await listFilesRel(path.join(lf, '1_inprogress')),
      Object.keys(hub.inProgress),
      'files still being written never move',
    );
    assert.ok(
      (await listFilesRel(synced)).includes('RDL/USB0/2026-11/RDL_2026-11-27_USB0.txt'),
      'the archive the old syncer made is kept',
    );
  } finally {
    await emulator.close();
  }
});

test('a hub the old syncer never archived on, imported as pi after a sudo mistake: 4_synced made (and pi’s), root and unreadable files explained', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  // Reachable by nobody (mkdtemp makes 0700 folders).
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-legacy-pi-'));
  await fs.chmod(base, 0o755);
  const emulator = await startEmulator({});
  try {
    const home = path.join(base, 'home', 'pi');
    const hub = await currentPiHub(path.join(home, 'SHELF3'));
    const lf = hub.base;
    // A new hub: the old syncer had archived nothing yet, so there is no 4_synced; its config
    // says null for "no card".
    await fs.rm(path.join(lf, '4_synced'), { recursive: true });
    await fs.writeFile(
      path.join(hub.root, 'config.json'),
      JSON.stringify({ ...hub.config, SD_CARD_NAME: null }),
    );
    const up = path.join(home, '.dropbox_uploader');
    await fs.writeFile(
      up,
      `OAUTH_APP_KEY=${emulator.appKey}\nOAUTH_REFRESH_TOKEN=${emulator.issueRefreshToken()}\n`,
      { mode: 0o600 },
    );
    await chownTree(path.join(base, 'home'), NOBODY);
    const pi: CliEnv = { home, asUid: NOBODY };
    const importArgs = ['import-legacy', '--root', hub.root, '--uploader-config', up];

    // 1. `sudo rdl-sync import-legacy …`: root's settings, said plainly; the folder made is pi's.
    const asRoot = await runCli([...importArgs, '--config-dir', path.join(base, 'root-cfg')], {
      home: path.join(base, 'root-home'),
    });
    t.diagnostic(asRoot.stdout);
    assert.equal(asRoot.code, 0, asRoot.stdout + asRoot.stderr);
    assert.match(
      asRoot.stdout,
      new RegExp(
        `^! You ran the import as root, but ${hub.root} belongs to nobody: .* a service running as nobody never reads them .*sudo -u nobody rdl-sync import-legacy`,
        'm',
      ),
    );
    assert.match(asRoot.stdout, /4_synced did not exist yet: the import makes it$/m);
    const made = await fs.stat(path.join(lf, '4_synced'));
    assert.ok(made.isDirectory());
    assert.equal(made.uid, NOBODY, 'the archive folder belongs to the hub’s user, not root');

    // 2. As pi, the token file made unreadable for pi (root's copy of it): the reason and the fix.
    await fs.chown(up, 0, 0);
    const unreadable = await runCli(importArgs, pi);
    assert.equal(unreadable.code, 2, unreadable.stdout + unreadable.stderr);
    assert.match(
      unreadable.stderr,
      /Cannot read the Dropbox-Uploader config at .*\.dropbox_uploader \(EACCES\): user nobody may not read it: run the import as the user who owns it, or give that user read access/,
    );
    await fs.chown(up, NOBODY, NOBODY);

    // 3. As pi, as the README says: no root warning; then one pass archives into 4_synced.
    const imp = await runCli(importArgs, pi);
    t.diagnostic(imp.stdout);
    assert.equal(imp.code, 0, imp.stdout + imp.stderr);
    assert.doesNotMatch(imp.stdout, /as root/);
    assert.match(imp.stdout, /^- SD_CARD_NAME is not set: the archive is the local folder /m);
    const set = await runCli(
      ['settings', 'set', 'dropboxEndpoint', emulator.url, 'stableSeconds', '0'],
      pi,
    );
    assert.equal(set.code, 0, set.stdout + set.stderr);
    const once = await runCli(['once'], pi);
    t.diagnostic(once.stdout);
    assert.equal(once.code, 0, once.stdout + once.stderr);
    const archived = await listFilesRel(path.join(lf, '4_synced'));
    for (const rel of [...Object.keys(hub.toSync), ...Object.keys(hub.inTransit)])
      assert.ok(archived.includes(rel), `${rel} archived in 4_synced`);
  } finally {
    await emulator.close();
    await fs.rm(base, { recursive: true, force: true });
  }
});

async function chownTree(dir: string, uid: number): Promise<void> {
  await fs.chown(dir, uid, uid);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid);
    else await fs.chown(p, uid, uid);
  }
}
