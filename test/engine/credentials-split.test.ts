// Defect: a Dropbox connection saved by one front end left the other saying a bare "not
// connected". Real engines on real folders and files, the emulator over HTTP, a real log file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import {
  EncryptedCredentialStore,
  FileCredentialStore,
} from '../../src/engine/credentials/index.js';
import { createLogger } from '../../src/engine/log/index.js';
import { clearRegisteredSecrets } from '../../src/engine/log/redact.js';
import { AesTestCipher } from '../credentials/test-cipher.js';
import { makeDirs, testSettings, writeConfig } from './harness.js';

interface Setup {
  dirs: Awaited<ReturnType<typeof makeDirs>>;
  emulator: Emulator;
  token: string;
  keyring: AesTestCipher;
  logFile: string;
}

/** The tray app connected with a working keyring: only credentials.enc.json on disk. */
async function connectedByTrayApp(t: { after: (fn: () => Promise<void>) => void }): Promise<Setup> {
  const dirs = await makeDirs('rdl-creds-split-');
  const emulator = await startEmulator({});
  t.after(async () => {
    clearRegisteredSecrets();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  });
  await writeConfig(dirs.configDir, testSettings(dirs, emulator), null);
  const keyring = new AesTestCipher();
  const token = emulator.issueRefreshToken();
  await new EncryptedCredentialStore(dirs.configDir, keyring).save({
    appKey: emulator.appKey,
    refreshToken: token,
  });
  // Later loads register the token for redaction; forget it so the log check below is honest.
  clearRegisteredSecrets();
  assert.deepEqual(await fs.readdir(dirs.configDir), ['config.json', 'credentials.enc.json']);
  return { dirs, emulator, token, keyring, logFile: path.join(dirs.root, 'logs', 'engine.log') };
}

async function withEngine<T>(engine: Engine, fn: (e: Engine) => Promise<T>): Promise<T> {
  try {
    return await fn(engine);
  } finally {
    await engine.stop();
  }
}

function authProblem(engine: Engine): string {
  const p = engine.getStatus().problems.find((x) => x.id === 'auth-missing');
  assert.ok(p, `an auth problem is shown: ${JSON.stringify(engine.getStatus().problems)}`);
  assert.equal(p.code, 'auth-missing');
  assert.equal(p.tab, 'settings');
  return p.message;
}

async function assertLogHasNoSecret(logFile: string, token: string): Promise<string> {
  const log = await fs.readFile(logFile, 'utf8');
  assert.ok(log.length > 0, 'the log was written');
  assert.ok(!log.includes(token), 'the refresh token never reaches the log');
  return log;
}

test('daemon engine (no keyring) beside the tray app’s encrypted connection: cause and fix, before and after a pass', async (t) => {
  const s = await connectedByTrayApp(t);
  const logger = createLogger({ file: s.logFile });
  const engine = await createEngine({ configDir: s.dirs.configDir, home: s.dirs.root, logger });
  await withEngine(engine, async () => {
    const before = authProblem(engine);
    assert.match(before, /saved encrypted with the desktop keyring by the tray app/);
    assert.match(before, /background service and the command line cannot read/);
    assert.match(before, /run `rdl-sync auth` as \S+ to store a connection they can use/);
    assert.ok(before.includes(path.join(s.dirs.configDir, 'credentials.json')), before);
    assert.doesNotMatch(before, /^Dropbox is not connected/);
    assert.equal(engine.getStatus().dropbox.connected, false);

    await fs.writeFile(path.join(s.dirs.watchDir, 'a.csv'), 't,v\n1,2\n');
    const r = await engine.runPassNow();
    assert.equal(r.uploaded, 0);
    assert.match(r.uploadBlocked?.message ?? '', /saved encrypted with the desktop keyring/);
    const after = authProblem(engine);
    assert.match(after, /saved encrypted with the desktop keyring by the tray app/);
    assert.match(after, /1 file is waiting safely/);
    assert.equal(s.emulator.getFile('/RDL/site1/a.csv'), undefined);
    const again = await engine.runPassNow();
    assert.match(again.uploadBlocked?.message ?? '', /saved encrypted with the desktop keyring/);

    // Doing what the message says (`rdl-sync auth` saves this file): the running engine picks
    // it up on its next pass, no restart.
    await new FileCredentialStore(s.dirs.configDir).save({
      appKey: s.emulator.appKey,
      refreshToken: s.emulator.issueRefreshToken(),
    });
    const fixed = await engine.runPassNow();
    assert.equal(fixed.uploadBlocked, null);
    assert.equal(fixed.uploaded, 1);
    assert.ok(s.emulator.getFile('/RDL/site1/a.csv'));
    assert.equal(
      engine.getStatus().problems.find((p) => p.id === 'auth-missing'),
      undefined,
    );
    assert.equal(engine.getStatus().dropbox.connected, true);
  });
  const log = await assertLogHasNoSecret(s.logFile, s.token);
  const warnings = log.match(/Dropbox credentials could not be read.*desktop keyring/g) ?? [];
  assert.equal(warnings.length, 1, 'said once, not on every pass');
  assert.match(log, /Dropbox connection found: connecting/);
});

test('tray engine whose keyring is not available now, or fails to decrypt: named, never silent', async (t) => {
  const s = await connectedByTrayApp(t);
  const logger = createLogger({ file: s.logFile });

  const noKeyring = s.keyring.sameKeyring();
  noKeyring.available = false;
  const gone = await createEngine({
    configDir: s.dirs.configDir,
    home: s.dirs.root,
    logger,
    credentials: new EncryptedCredentialStore(s.dirs.configDir, noKeyring, logger),
  });
  await withEngine(gone, async () => {
    const m = authProblem(gone);
    assert.match(m, /saved encrypted with the desktop keyring \(.*credentials\.enc\.json\)/);
    assert.match(m, /which is not available now/);
    assert.match(m, /log in to the desktop session \(or unlock its keyring\) and restart RDL Sync/);
    assert.match(m, /or reconnect Dropbox/);
    assert.equal(gone.getStatus().dropbox.connected, false);
  });

  const locked = s.keyring.sameKeyring();
  locked.failing = true;
  const failing = await createEngine({
    configDir: s.dirs.configDir,
    home: s.dirs.root,
    logger,
    credentials: new EncryptedCredentialStore(s.dirs.configDir, locked, logger),
  });
  await withEngine(failing, async () => {
    const m = authProblem(failing);
    assert.match(m, /cannot be decrypted with this user’s keyring/);
    assert.match(m, /unlock the keyring and restart RDL Sync, or reconnect Dropbox/);
  });

  // The same file with the keyring back: connected, and the encrypted file is left as it was.
  const back = await createEngine({
    configDir: s.dirs.configDir,
    home: s.dirs.root,
    logger,
    credentials: new EncryptedCredentialStore(s.dirs.configDir, s.keyring.sameKeyring(), logger),
  });
  await withEngine(back, async () => {
    assert.equal(
      back.getStatus().problems.find((p) => p.id === 'auth-missing'),
      undefined,
      'no auth problem with the keyring back',
    );
    assert.equal(back.getStatus().dropbox.connected, true);
    await fs.writeFile(path.join(s.dirs.watchDir, 'b.csv'), 't,v\n3,4\n');
    const r = await back.runPassNow();
    assert.equal(r.uploaded, 1);
    assert.ok(s.emulator.getFile('/RDL/site1/b.csv'));
  });
  assert.deepEqual(
    await fs.readdir(s.dirs.configDir).then((l) => l.filter((f) => f.startsWith('cred'))),
    ['credentials.enc.json'],
  );
  await assertLogHasNoSecret(s.logFile, s.token);
});
