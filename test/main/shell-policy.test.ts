// Pure rules behind the Electron shell: window navigation, permissions, credential wording,
// start at login on Linux.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  isOwnPage,
  mayGrantPermission,
  mayLoad,
  mayNavigate,
} from '../../src/main/window-policy.js';
import {
  credentialStorageInfo,
  keyringBackend,
  trustworthyCipher,
  type SafeStorageLike,
} from '../../src/main/credential-info.js';
import {
  autostartDir,
  autostartEntry,
  setLinuxAutostart,
  applyStartAtLogin,
} from '../../src/main/login-item.js';
import { trayIconPath } from '../../src/main/tray-model.js';

const PAGE = 'rdl-sync://app/index.html';

test('the window may only reload its own page; everything else is blocked', () => {
  assert.ok(mayNavigate(PAGE, PAGE));
  assert.ok(isOwnPage(`${PAGE}#log`, PAGE));
  for (const url of [
    'https://www.dropbox.com/',
    'file:///etc/passwd',
    'file:///opt/RDL%20Sync/resources/app.asar/dist/renderer/index.html',
    'rdl-sync://evil/index.html',
    'rdl-sync://app/other.html',
    `${PAGE}?evil=1`,
    'javascript:alert(1)',
    'garbage',
  ]) {
    assert.equal(mayNavigate(url, PAGE), false, url);
  }
  assert.ok(mayLoad(`${PAGE.replace('index.html', 'app.js')}`));
  assert.ok(mayLoad('data:image/png;base64,AAAA'));
  for (const url of [
    // The page is no longer a file:// one: no file: URL at all, its own old address included.
    'file:///etc/passwd',
    'file:///opt/RDL%20Sync/resources/app.asar/dist/renderer/index.html',
    'FILE:///etc/passwd',
    'rdl-sync://other/index.html',
    'rdl-sync://user@app/index.html',
    'https://www.dropbox.com/',
    'http://127.0.0.1:8080/x',
    'ws://127.0.0.1/',
    'ftp://x/',
  ]) {
    assert.equal(mayLoad(url), false, url);
  }
  for (const p of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
    assert.equal(mayGrantPermission(p), false);
  }
});

function fakeSafeStorage(available: boolean, backend: string): SafeStorageLike {
  return {
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.from(`enc:${s}`),
    decryptString: (b) => b.toString().slice(4),
    getSelectedStorageBackend: () => backend,
  };
}

test('basic_text on Linux counts as no encryption; a real keyring counts', () => {
  assert.equal(
    trustworthyCipher(fakeSafeStorage(true, 'basic_text'), 'linux').isEncryptionAvailable(),
    false,
  );
  assert.equal(
    trustworthyCipher(fakeSafeStorage(true, 'gnome_libsecret'), 'linux').isEncryptionAvailable(),
    true,
  );
  assert.equal(
    trustworthyCipher(fakeSafeStorage(false, 'gnome_libsecret'), 'linux').isEncryptionAvailable(),
    false,
  );
  assert.equal(keyringBackend(fakeSafeStorage(true, 'basic_text'), 'darwin'), 'keychain');
  const c = trustworthyCipher(fakeSafeStorage(true, 'kwallet5'), 'linux');
  assert.equal(c.decryptString(c.encryptString('tok')), 'tok');
});

test('the window says plainly when the token is not encrypted, and how to fix it', () => {
  const plain = credentialStorageInfo(
    { encrypted: false, where: '/home/pi/.config/rdl-sync/credentials.json' },
    'basic_text',
    false,
  );
  assert.equal(plain.encrypted, false);
  assert.match(
    plain.summary,
    /stored unencrypted in \/home\/pi\/.config\/rdl-sync\/credentials.json/,
  );
  assert.match(plain.summary, /Install and unlock a keyring/);
  const enc = credentialStorageInfo(
    { encrypted: true, where: '/x/credentials.enc.json' },
    'gnome_libsecret',
    true,
  );
  assert.match(enc.summary, /encrypted with the system keyring \(gnome_libsecret\)/);
});

test('Linux start at login writes and removes an XDG autostart entry', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-autostart-'));
  try {
    const dir = autostartDir({}, home);
    assert.equal(dir, path.join(home, '.config', 'autostart'));
    assert.equal(
      autostartDir({ XDG_CONFIG_HOME: 'relative' }, home),
      dir,
      'relative XDG_CONFIG_HOME is ignored',
    );
    const app = {
      setLoginItemSettings: () => assert.fail('not on Linux'),
      getLoginItemSettings: () => ({ openAtLogin: false }),
    };
    const deps = { platform: 'linux', app, execPath: '/opt/RDL Sync/rdl-sync', autostartDir: dir };
    assert.equal(applyStartAtLogin(deps, true), true);
    const text = fs.readFileSync(path.join(dir, 'rdl-sync.desktop'), 'utf8');
    assert.match(text, /^Exec="\/opt\/RDL Sync\/rdl-sync" --hidden$/m);
    assert.equal(setLinuxAutostart(dir, false, '/x'), false);
    assert.equal(fs.existsSync(path.join(dir, 'rdl-sync.desktop')), false);
    assert.match(autostartEntry('/a"b$c'), /Exec="\/a\\"b\\\$c" --hidden/);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('macOS and Windows start at login go through the login item API', () => {
  const calls: unknown[] = [];
  let on = false;
  const app = {
    setLoginItemSettings: (s: { openAtLogin: boolean }) => {
      calls.push(s);
      on = s.openAtLogin;
    },
    getLoginItemSettings: () => ({ openAtLogin: on }),
  };
  assert.equal(
    applyStartAtLogin({ platform: 'win32', app, execPath: 'x', autostartDir: 'unused' }, true),
    true,
  );
  assert.deepEqual(calls, [{ openAtLogin: true, args: ['--hidden'] }]);
});

test('tray icon files per platform, and they exist in assets', () => {
  const assets = path.join(import.meta.dirname, '..', '..', 'assets');
  assert.equal(
    trayIconPath('/a', 'paused', 'darwin'),
    path.join('/a', 'tray', 'pausedTemplate.png'),
  );
  assert.equal(trayIconPath('/a', 'error', 'linux'), path.join('/a', 'tray', 'error-32.png'));
  assert.equal(trayIconPath('/a', 'idle', 'win32'), path.join('/a', 'tray', 'idle.png'));
  for (const name of ['idle', 'syncing', 'paused', 'attention', 'error'] as const) {
    for (const platform of ['darwin', 'linux', 'win32']) {
      const file = trayIconPath(assets, name, platform);
      assert.ok(fs.existsSync(file), `${file} missing`);
      assert.ok(fs.existsSync(file.replace(/\.png$/, '@2x.png')), `${file} @2x missing`);
    }
  }
});
