// What the window says about where the connection lives must match what the stores do: which
// front ends can use it, and how to change that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import {
  EncryptedCredentialStore,
  FileCredentialStore,
} from '../../src/engine/credentials/index.js';
import { clearRegisteredSecrets } from '../../src/engine/log/redact.js';
import { credentialStorageInfo } from '../../src/main/credential-info.js';
import { AesTestCipher } from './test-cipher.js';

const creds = () => ({
  appKey: 'abcd1234efgh567',
  refreshToken: crypto.randomBytes(48).toString('base64url'),
});

test('the window names who can use the connection: keyring only, shared file, or no keyring', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-cred-info-'));
  t.after(() => {
    clearRegisteredSecrets();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const keyring = new AesTestCipher();
  const store = new EncryptedCredentialStore(dir, keyring);
  await store.save(creds());
  const enc = credentialStorageInfo(store.describe(), 'gnome_libsecret', true);
  assert.equal(enc.encrypted, true);
  assert.equal(enc.location, path.join(dir, 'credentials.enc.json'));
  assert.match(enc.summary, /encrypted with the system keyring \(gnome_libsecret\)/);
  assert.match(enc.summary, /background service \(rdl-sync run\) cannot read the keyring/);
  assert.match(enc.summary, /run `rdl-sync auth` once/);

  // `rdl-sync auth` for the service: the tray app now uses that file, and says so.
  await new FileCredentialStore(dir).save(creds());
  await store.load();
  const shared = credentialStorageInfo(store.describe(), 'gnome_libsecret', true);
  assert.equal(shared.encrypted, false);
  assert.equal(shared.location, path.join(dir, 'credentials.json'));
  assert.match(shared.summary, /background service and the command line can use it too/);
  assert.match(shared.summary, /Disconnect and Connect again/);
  assert.doesNotMatch(shared.summary, /No system keyring/);

  keyring.available = false;
  const none = credentialStorageInfo(store.describe(), 'basic_text', false);
  assert.match(none.summary, /No system keyring is available/);
});

test('saved with the keyring, started without it: the window names the encrypted file and the fix, not "stored unencrypted"', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-cred-info-'));
  t.after(() => {
    clearRegisteredSecrets();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await new EncryptedCredentialStore(dir, new AesTestCipher()).save(creds());
  // A later start: the keyring is not there (session locked, no secret service).
  const gone = new AesTestCipher();
  gone.available = false;
  const store = new EncryptedCredentialStore(dir, gone);
  await assert.rejects(store.load(), /which is not available now/);
  assert.deepEqual(store.describe(), {
    encrypted: true,
    where: path.join(dir, 'credentials.enc.json'),
  });
  const info = credentialStorageInfo(store.describe(), 'gnome_libsecret', false);
  assert.equal(info.location, path.join(dir, 'credentials.enc.json'));
  assert.match(
    info.summary,
    /saved encrypted with the system keyring in .*credentials\.enc\.json, but the keyring is not available now/,
  );
  assert.match(info.summary, /unlock its keyring\) and restart RDL Sync/);
  assert.doesNotMatch(info.summary, /stored unencrypted/);

  // Nothing saved and no keyring: a new connection would go to the plain file, and it says so.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-cred-info-'));
  t.after(() => fs.rmSync(empty, { recursive: true, force: true }));
  const fresh = new EncryptedCredentialStore(empty, gone);
  assert.equal(await fresh.load(), null);
  assert.match(
    credentialStorageInfo(fresh.describe(), 'basic_text', false).summary,
    /No system keyring is available/,
  );
});
