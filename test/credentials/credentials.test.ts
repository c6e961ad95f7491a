import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSyncError } from '../../src/engine/errors.js';
import {
  EncryptedCredentialStore,
  FileCredentialStore,
  type DropboxCredentials,
} from '../../src/engine/credentials/index.js';
import { AesTestCipher } from './test-cipher.js';
import { clearRegisteredSecrets, redact } from '../../src/engine/log/redact.js';

const creds = (): DropboxCredentials => ({
  appKey: 'abcd1234efgh567',
  appSecret: 'q8w7e6r5t4y3u2i',
  refreshToken: crypto.randomBytes(48).toString('base64url'),
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-cred-'));
  t.after(() => {
    clearRegisteredSecrets();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('file store: round trip, 0600 file in a 0700 folder, clear', async (t) => {
  const dir = path.join(tempDir(t), 'cfg');
  const store = new FileCredentialStore(dir);
  assert.equal(await store.load(), null);
  const c = creds();
  await store.save(c);
  assert.deepEqual(await store.load(), c);
  assert.deepEqual(store.describe(), {
    encrypted: false,
    where: path.join(dir, 'credentials.json'),
  });
  if (process.platform !== 'win32') {
    assert.equal(fs.statSync(path.join(dir, 'credentials.json')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  }
  assert.deepEqual(fs.readdirSync(dir), ['credentials.json'], 'no temp files left behind');
  await store.clear();
  assert.equal(await store.load(), null);
  await store.clear();
});

test('file store: loaded and saved secrets are registered for redaction', async (t) => {
  const dir = tempDir(t);
  const c = creds();
  fs.writeFileSync(path.join(dir, 'credentials.json'), JSON.stringify(c));
  await new FileCredentialStore(dir).load();
  assert.ok(!redact(`refreshing with ${c.refreshToken}`).includes(c.refreshToken));
  assert.ok(!redact(`secret ${c.appSecret}`).includes(c.appSecret!));
});

test('file store: a damaged file is a clear auth problem that never quotes the secret', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'credentials.json');
  const token = crypto.randomBytes(48).toString('base64url');
  for (const text of [`{"refreshToken": "${token}"`, JSON.stringify({ refreshToken: token })]) {
    fs.writeFileSync(file, text);
    await assert.rejects(new FileCredentialStore(dir).load(), (e: unknown) => {
      assert.ok(isSyncError(e) && e.code === 'auth-missing' && e.kind === 'blocked');
      assert.match(e.message, /damaged.*reconnect Dropbox/);
      assert.ok(!e.message.includes(token));
      return true;
    });
  }
  await assert.rejects(
    new FileCredentialStore(dir).save({ appKey: 'k', refreshToken: ' ' }),
    /refreshToken missing or empty/,
  );
});

test('encrypted store: nothing readable on disk, round trip, wrong keyring named', async (t) => {
  const dir = tempDir(t);
  const cipher = new AesTestCipher();
  const store = new EncryptedCredentialStore(dir, cipher);
  const c = creds();
  await store.save(c);
  assert.deepEqual(fs.readdirSync(dir), ['credentials.enc.json']);
  const onDisk = fs.readFileSync(path.join(dir, 'credentials.enc.json'), 'utf8');
  assert.ok(!onDisk.includes(c.refreshToken) && !onDisk.includes(c.appKey));
  assert.equal(fs.statSync(path.join(dir, 'credentials.enc.json')).mode & 0o777, 0o600);
  assert.deepEqual(await new EncryptedCredentialStore(dir, cipher).load(), c);
  assert.deepEqual(store.describe(), {
    encrypted: true,
    where: path.join(dir, 'credentials.enc.json'),
  });
  await assert.rejects(new EncryptedCredentialStore(dir, new AesTestCipher()).load(), (e) => {
    assert.ok(isSyncError(e) && e.code === 'auth-missing');
    assert.match(e.message, /cannot be decrypted with this user’s keyring/);
    assert.match(e.message, /unlock the keyring and restart RDL Sync, or reconnect Dropbox/);
    return true;
  });
  await store.clear();
  assert.equal(await store.load(), null);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('encrypted store never deletes the plain file the service reads; a reconnect updates it', async (t) => {
  const dir = tempDir(t);
  const cipher = new AesTestCipher();
  const fromCli = creds();
  await new FileCredentialStore(dir).save(fromCli);
  const store = new EncryptedCredentialStore(dir, cipher);
  assert.deepEqual(
    await store.load(),
    fromCli,
    'the tray app uses the connection set up by the CLI',
  );
  assert.deepEqual(
    fs.readdirSync(dir),
    ['credentials.json'],
    'and leaves it where the service reads it',
  );
  assert.deepEqual(store.describe(), {
    encrypted: false,
    where: path.join(dir, 'credentials.json'),
  });
  const again = creds();
  await store.save(again);
  assert.deepEqual(fs.readdirSync(dir), ['credentials.json']);
  assert.deepEqual(
    await new FileCredentialStore(dir).load(),
    again,
    'the service sees the reconnect',
  );
  assert.equal(fs.statSync(path.join(dir, 'credentials.json')).mode & 0o777, 0o600);
  // Disconnect, then Connect: only the keyring holds it.
  await store.clear();
  await store.save(creds());
  assert.deepEqual(fs.readdirSync(dir), ['credentials.enc.json']);
});

test('encrypted store without a keyring now: plain fallback, and an encrypted file is named', async (t) => {
  const dir = tempDir(t);
  const cipher = new AesTestCipher();
  const encrypted = creds();
  await new EncryptedCredentialStore(dir, cipher).save(encrypted);
  cipher.available = false;
  const store = new EncryptedCredentialStore(dir, cipher);
  await assert.rejects(store.load(), (e) => {
    assert.ok(isSyncError(e) && e.code === 'auth-missing' && e.kind === 'blocked');
    assert.match(
      e.message,
      /saved encrypted with the desktop keyring \(.*credentials\.enc\.json\), which is not available now/,
    );
    assert.match(
      e.message,
      /log in to the desktop session \(or unlock its keyring\) and restart RDL Sync, or reconnect Dropbox/,
    );
    assert.ok(!e.message.includes(encrypted.refreshToken));
    return true;
  });
  // Reconnecting without a keyring: 0600 plain file, the unreadable encrypted one gone.
  const c = creds();
  await store.save(c);
  assert.deepEqual(store.describe(), {
    encrypted: false,
    where: path.join(dir, 'credentials.json'),
  });
  assert.deepEqual(fs.readdirSync(dir), ['credentials.json']);
  assert.deepEqual(await store.load(), c);
  cipher.available = true;
  assert.deepEqual(await store.load(), c, 'the plain file stays the connection');
  assert.deepEqual(fs.readdirSync(dir), ['credentials.json']);
});

test('file store (daemon, CLI): only the tray app’s encrypted file is a named problem', async (t) => {
  const dir = tempDir(t);
  const c = creds();
  await new EncryptedCredentialStore(dir, new AesTestCipher()).save(c);
  await assert.rejects(new FileCredentialStore(dir).load(), (e) => {
    assert.ok(isSyncError(e) && e.code === 'auth-missing' && e.kind === 'blocked');
    assert.match(e.message, /saved encrypted with the desktop keyring by the tray app/);
    assert.match(e.message, /background service and the command line cannot read/);
    assert.match(e.message, new RegExp(`run \`rdl-sync auth\` as ${os.userInfo().username}`));
    assert.ok(e.message.includes(path.join(dir, 'credentials.json')));
    assert.ok(!e.message.includes(c.refreshToken));
    return true;
  });
});

test('the kept access token is encrypted like the connection it belongs to, and leaves with it', async (t) => {
  const dir = tempDir(t);
  const cipher = new AesTestCipher();
  const store = new EncryptedCredentialStore(dir, cipher);
  const c = creds();
  await store.save(c);
  const access = {
    token: `sl.${crypto.randomBytes(32).toString('base64url')}`,
    expiresAtMs: Date.now() + 4 * 3600_000,
  };
  await store.keepAccessToken(c.refreshToken, access);
  const file = path.join(dir, 'access-token.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.ok(!fs.readFileSync(file, 'utf8').includes(access.token), 'not in plain text');
  assert.deepEqual((await new EncryptedCredentialStore(dir, cipher).load())?.access, access);
  // Another keyring (or none) cannot read it: the connection's own problem says so, the token
  // is simply not used.
  cipher.available = false;
  await assert.rejects(new EncryptedCredentialStore(dir, cipher).load());
  cipher.available = true;
  assert.equal(redact(`Bearer ${access.token}`).includes(access.token), false, 'redacted in logs');
  await store.clear();
  assert.equal(fs.existsSync(file), false);
});
