// The access token kept across processes: `rdl-sync once` as a separate process against the
// emulator. The first run refreshes and keeps the token beside the refresh token (0600, never in
// the logs); the next runs start with it, no oauth2/token; one Dropbox expired early is
// refreshed without failing a file; a refresh token Dropbox refuses takes the kept token along.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { ACCESS_TOKEN_FILE, FileCredentialStore } from '../../src/engine/credentials/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from './cli-harness.js';

let emulator: Emulator;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

const tokenCalls = (): number => emulator.stats()['oauth2/token'] ?? 0;

/** Every file under `dir`, read as text (logs, status, journal): none may hold the token. */
async function allText(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name !== ACCESS_TOKEN_FILE)
      parts.push(await fs.readFile(path.join(e.parentPath, e.name), 'utf8'));
  }
  return parts.join('\n');
}

test('once keeps the access token for the next process: one refresh for several runs, a fresh one when Dropbox expires it, none kept once access is refused', async () => {
  const dirs = await makeDirs('rdl-cli-token-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Tok' }), emulator);
  const kept = path.join(dirs.configDir, ACCESS_TOKEN_FILE);
  const once = async (rel: string): Promise<void> => {
    await writeFileIn(dirs.watchDir, rel, `${rel}\n`);
    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(emulator.getFile(`/RDL/Tok/${rel}`), `${rel} on Dropbox`);
  };

  emulator.resetStats();
  await once('a.csv');
  assert.equal(tokenCalls(), 1, 'the first process refreshes');
  const first = JSON.parse(await fs.readFile(kept, 'utf8')) as { token: string };
  assert.equal((await fs.stat(kept)).mode & 0o777, 0o600);
  assert.ok(first.token.length > 0);
  assert.ok(!(await allText(dirs.root)).includes(first.token), 'the token in no log or state');

  await once('b.csv');
  await once('c.csv');
  assert.equal(tokenCalls(), 1, 'the next processes start with the kept token');

  // Expired on Dropbox's side while this machine still thinks it good: 401, one refresh, no
  // file failed, and the new token kept.
  emulator.expireAccessTokens();
  await once('d.csv');
  assert.equal(tokenCalls(), 2);
  const second = JSON.parse(await fs.readFile(kept, 'utf8')) as { token: string };
  assert.notEqual(second.token, first.token);

  // Access withdrawn (the app disconnected on Dropbox: the kept token is refused as well): the
  // refresh is refused and the kept token goes with it.
  const creds = await new FileCredentialStore(dirs.configDir).loadPlainOnly();
  emulator.revokeRefreshToken(creds!.refreshToken);
  await writeFileIn(dirs.watchDir, 'e.csv', 'e\n');
  const refused = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.notEqual(refused.code, 0, refused.stdout + refused.stderr);
  await assert.rejects(fs.stat(kept), { code: 'ENOENT' });
});

test('a store keeps the token only for the connection saved now, and a disconnect removes it', async () => {
  const dirs = await makeDirs('rdl-cli-token-store-');
  roots.push(dirs.root);
  const store = new FileCredentialStore(dirs.configDir);
  const kept = path.join(dirs.configDir, ACCESS_TOKEN_FILE);
  const access = { token: 'sl.access-token-value', expiresAtMs: Date.now() + 4 * 3600_000 };
  await store.keepAccessToken('refresh-1', access);
  await assert.rejects(fs.stat(kept), { code: 'ENOENT' }, 'no connection saved: nothing kept');
  await store.save({ appKey: 'key', refreshToken: 'refresh-1' });
  await store.keepAccessToken('refresh-2', access);
  await assert.rejects(fs.stat(kept), { code: 'ENOENT' }, "another connection's token");
  await store.keepAccessToken('refresh-1', access);
  assert.deepEqual((await store.load())?.access, access);
  // About to expire: not used.
  await store.keepAccessToken('refresh-1', { ...access, expiresAtMs: Date.now() + 60_000 });
  assert.equal((await store.load())?.access, undefined);
  await store.keepAccessToken('refresh-1', access);
  // A connection saved anew does not inherit it; a disconnect removes it.
  await store.save({ appKey: 'key', refreshToken: 'refresh-1' });
  assert.equal((await store.load())?.access, undefined);
  await store.keepAccessToken('refresh-1', access);
  await store.clear();
  await assert.rejects(fs.stat(kept), { code: 'ENOENT' });
});
