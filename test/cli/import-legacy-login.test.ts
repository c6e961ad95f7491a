// `rdl-sync import-legacy` asks Dropbox once whether the imported login works, so a token the old
// script had been failing on is told at the import, where the person is, not at the first sync.
// Through the real CLI process, the real SDK and the emulator; never printing the token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { runCli, type CliResult } from './cli-harness.js';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { currentPiHub, orangePiHub, type HubFixture } from '../legacy/fixtures.js';
import { createEngine } from '../../src/engine/index.js';

let emulator: Emulator;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator();
});

after(async () => {
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

/** A hub whose settings point at `endpoint`, an old config.json and an uploader file with `token`. */
async function importWith(
  token: string,
  endpoint = emulator.url,
  makeHub: (root: string) => Promise<HubFixture> = currentPiHub,
): Promise<CliResult> {
  const dirs = await makeDirs('rdl-import-login-');
  roots.push(dirs.root);
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { dropboxEndpoint: endpoint }),
    null, // not connected: the login comes from the uploader's file
  );
  const hub = await makeHub(path.join(dirs.root, 'SHELF3'));
  const uploader = path.join(dirs.root, '.dropbox_uploader');
  await fs.writeFile(
    uploader,
    `CONFIGFILE_VERSION=2.0\nOAUTH_APP_KEY=${emulator.appKey}\nOAUTH_APP_SECRET=${emulator.appSecret}\nOAUTH_REFRESH_TOKEN=${token}\n`,
  );
  const r = await runCli(
    [
      'import-legacy',
      '--root',
      hub.root,
      '--uploader-config',
      uploader,
      '--config-dir',
      dirs.configDir,
    ],
    { home: dirs.root },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(token), 'the token is never shown');
  return r;
}

test('a working imported login is confirmed with the account it belongs to', async () => {
  const r = await importWith(emulator.issueRefreshToken());
  assert.match(r.stdout, /Dropbox app key and refresh token imported \(not shown\)/);
  assert.match(r.stdout, /- Dropbox accepted the imported login: .+ <.+@.+>/);
  assert.doesNotMatch(r.stdout, /refused the imported login|could not be checked/);
});

test('a revoked imported login is told at the import, with the fix', async () => {
  const token = emulator.issueRefreshToken();
  emulator.revokeRefreshToken(token);
  const r = await importWith(token);
  assert.match(
    r.stdout,
    /^! Dropbox refused the imported login \(.+\): connect again with `rdl-sync auth`.*; until then files go to the archive and wait in transit$/m,
  );
  assert.doesNotMatch(r.stdout, /accepted the imported login/);
});

test('a revoked login imported on a hub whose archive card is not mounted: files wait in transit, said once, not "go to the archive"', async () => {
  const token = emulator.issueRefreshToken();
  emulator.revokeRefreshToken(token);
  // The Orange Pi's old config names the card SD1, which nothing mounts at /media/orangepi/SD1.
  const r = await importWith(token, emulator.url, orangePiHub);
  assert.match(r.stdout, /^! No card is mounted at \/media\/orangepi\/SD1 now/m);
  assert.match(
    r.stdout,
    /^! Dropbox refused the imported login \(.+\): connect again with `rdl-sync auth` \(or Connect in Settings\); until then files wait safely in transit$/m,
  );
  assert.doesNotMatch(r.stdout, /go to the archive/);
});

test('offline, the import says the login could not be checked, and ends', async () => {
  // A port that refuses connections: nothing listens there once the server is closed.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const r = await importWith(emulator.issueRefreshToken(), `http://127.0.0.1:${port}`);
  assert.match(
    r.stdout,
    /^! The imported Dropbox login could not be checked now \(Dropbox could not be reached.+\); the first sync checks it again/m,
  );
  assert.doesNotMatch(r.stdout, /accepted the imported login|refused the imported login/);
});

test('the report says Dropbox’s answer, for the window to offer Connect Dropbox after a refusal', async () => {
  const dirs = await makeDirs('rdl-import-login-engine-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator), null);
  const hub = await currentPiHub(path.join(dirs.root, 'SHELF3'));
  const engine = await createEngine({ configDir: dirs.configDir, home: dirs.root });
  try {
    const importing = async (token: string) => {
      const uploader = path.join(dirs.root, '.dropbox_uploader');
      await fs.writeFile(
        uploader,
        `CONFIGFILE_VERSION=2.0\nOAUTH_APP_KEY=${emulator.appKey}\nOAUTH_APP_SECRET=${emulator.appSecret}\nOAUTH_REFRESH_TOKEN=${token}\n`,
      );
      return engine.importLegacy({ root: hub.root, uploaderConfigPath: uploader });
    };
    const revoked = emulator.issueRefreshToken();
    emulator.revokeRefreshToken(revoked);
    const refused = await importing(revoked);
    assert.equal(refused.credentialsImported, true);
    assert.equal(refused.login, 'refused');
    assert.equal((await importing(emulator.issueRefreshToken())).login, 'accepted');
  } finally {
    await engine.stop();
  }
});
