// An uploader config whose login cannot be used (a long-lived OAUTH_ACCESS_TOKEN from before
// 2021, a token line lost) refused the whole import: nothing was saved, and its advice,
// `rdl-sync auth`, then asked for the settings the import had not saved. The window's setup,
// which always offers the ~/.dropbox_uploader it finds, could not import the hub at all. The
// settings are imported now; the login is said not to be, with why; nothing of it is quoted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli-harness.js';
import { currentPiHub } from '../legacy/fixtures.js';

test('an uploader config with an unusable login: the settings are imported, the login is said not to be', async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-legacy-stale-login-'));
  try {
    const hub = await currentPiHub(path.join(base, 'home', 'pi', 'SHELF3'));
    const env = { home: path.join(base, 'home', 'pi') };
    const configDir = path.join(base, 's');
    const uploader = path.join(base, 'home', 'pi', '.dropbox_uploader');
    const oldToken = 'sl.' + 'x'.repeat(60);
    await fs.writeFile(uploader, `OAUTH_ACCESS_TOKEN=${oldToken}\n`, { mode: 0o600 });

    const r = await runCli(
      [
        'import-legacy',
        '--root',
        hub.root,
        '--uploader-config',
        uploader,
        '--config-dir',
        configDir,
      ],
      env,
    );
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.match(
      r.stdout,
      /^! The Dropbox login in the uploader config is not imported, the other settings are: the Dropbox-Uploader config only has an old long-lived OAUTH_ACCESS_TOKEN, which Dropbox no longer honours: .*rdl-sync auth`$/m,
    );
    assert.match(r.stdout, /^No Dropbox credentials imported: run `rdl-sync auth` to connect\.$/m);
    assert.ok(!out.includes(oldToken), 'the token is never quoted');
    const saved = JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8'));
    assert.equal(saved.site, 'Site3_Lakeshore');
    assert.equal(saved.watchDir, path.join(hub.root, 'logging-folder', '2_tosync'));
    await assert.rejects(fs.access(path.join(configDir, 'credentials.json')), 'no login saved');
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
});
