// A machine in the office that only views the fleet could not be connected without writing its
// config.json by hand: `auth` wanted the app key in the settings, and `settings set dropboxAppKey`
// alone is refused (a hub's settings are saved whole, with a site and an archive). Now
// `rdl-sync auth --app-key KEY` connects it, keeping the key with the connection and leaving the
// settings unset, and `rdl-sync fleet --folder PATH` reads a fleet folder the settings do not
// name. Real CLI processes, a real engine writing a heartbeat, the emulator's authorize page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { FleetView } from '../../src/engine/fleet/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, waitFor } from '../cli/cli-harness.js';

let emulator: Emulator;
let engine: Engine | undefined;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  await engine?.stop().catch(() => undefined);
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

test('auth --app-key connects a viewing machine without settings; fleet --folder reads another folder', async () => {
  const hub = await makeDirs('rdl-viewer-hub-');
  roots.push(hub.root);
  await writeConfig(hub.configDir, testSettings(hub, emulator, { site: 'Site4_Office' }), emulator);
  engine = await createEngine({
    configDir: hub.configDir,
    home: hub.root,
    fleetHeartbeatMs: 1_500,
    retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
  });
  await engine.start();

  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-viewer-'));
  roots.push(home);
  const configDir = path.join(home, 'config');
  await fs.mkdir(configDir);
  // Only the emulator's address: a viewer of the real Dropbox has no settings file at all.
  const settingsFile = path.join(configDir, 'config.json');
  const settingsText = JSON.stringify({ dropboxEndpoint: emulator.url });
  await fs.writeFile(settingsFile, settingsText);
  const cli = (...args: string[]) => runCli([...args, '--config-dir', configDir], { home });

  const notYet = await cli('fleet');
  assert.equal(notYet.code, 2, notYet.stdout);
  assert.match(notYet.stdout, /run `rdl-sync auth` first/);
  const empty = await cli('auth', '--app-key', ' ');
  assert.equal(empty.code, 2, empty.stdout + empty.stderr);
  assert.match(empty.stdout, /--app-key needs the app key from the Dropbox App Console/);

  const start = await cli('auth', '--app-key', emulator.appKey);
  assert.equal(start.code, 0, start.stdout + start.stderr);
  const url = /^\s+(http\S+)$/m.exec(start.stdout)?.[1];
  assert.ok(url, start.stdout);
  assert.ok(url.startsWith(`${emulator.url}/oauth2/authorize?`), url);
  assert.equal(new URL(url).searchParams.get('client_id'), emulator.appKey);
  const pendingFile = path.join(configDir, 'pkce-pending.json');
  assert.equal((await fs.stat(pendingFile)).mode & 0o777, 0o600);
  const page = await (await fetch(url)).text();
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(code, page);

  const finish = await cli('auth', '--code', code);
  assert.equal(finish.code, 0, finish.stdout + finish.stderr);
  assert.match(
    finish.stdout,
    /^Connected to Dropbox as .+ <.+@.+>, to view the fleet \(this machine syncs nothing\)\.$/m,
  );
  const creds = JSON.parse(
    await fs.readFile(path.join(configDir, 'credentials.json'), 'utf8'),
  ) as Record<string, unknown>;
  assert.equal(creds.appKey, emulator.appKey, 'the key is kept with the connection');
  assert.equal((await fs.stat(path.join(configDir, 'credentials.json'))).mode & 0o777, 0o600);
  assert.equal(await fs.readFile(settingsFile, 'utf8'), settingsText, 'settings untouched');
  await assert.rejects(fs.stat(pendingFile), { code: 'ENOENT' });

  const view = await waitFor('the hub in the fleet', async () => {
    const r = await cli('fleet', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const v = JSON.parse(r.stdout) as FleetView;
    return v.sites.some((s) => s.site === 'Site4_Office') ? v : undefined;
  });
  assert.equal(view.folder, '/RDL/_fleet');

  const other = await cli('fleet', '--folder', '/Lab/_fleet');
  assert.equal(other.code, 0, other.stdout + other.stderr);
  assert.match(other.stdout, /^Fleet folder \/Lab\/_fleet /m);
  assert.match(
    other.stdout,
    /^No heartbeats yet: \/Lab\/_fleet does not exist on Dropbox\. No hub has written there, or the path has a typo: hubs write beside their site folders/m,
  );
  const relative = await cli('fleet', '--folder', 'Lab/_fleet');
  assert.equal(relative.code, 2, relative.stdout);
  assert.match(
    relative.stdout,
    /^--folder "Lab\/_fleet": a Dropbox folder starts with \/ \(for example \/RDL\/_fleet\)\.$/m,
  );
  const trailing = await cli('fleet', '--folder', '/Lab/_fleet/');
  assert.equal(trailing.code, 2, trailing.stdout);
  assert.match(
    trailing.stdout,
    /^--folder "\/Lab\/_fleet\/": Fleet folder must not end with \/\.$/m,
  );

  // A hub's key is a setting: --app-key there is refused with the way that works.
  const onHub = await runCli(['auth', '--app-key', 'other', '--config-dir', hub.configDir], {
    home: hub.root,
  });
  assert.equal(onHub.code, 2, onHub.stdout + onHub.stderr);
  assert.match(onHub.stdout, /set up to sync, so its app key is a setting/);
});
