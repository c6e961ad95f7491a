// The tray-host check against real desktops: a private Xvfb with and without an XEmbed host
// (trayer), and a private session bus with no StatusNotifier watcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectTrayHost, parseDisplay, xauthCookie } from '../../src/main/tray-host.js';
import { startDesktop } from '../electron/desktop.js';

test('no tray host on a bare X display: both kinds are looked for and named', async () => {
  const desktop = await startDesktop();
  try {
    const report = await detectTrayHost(desktop.env, 'linux');
    assert.equal(report.host, null, report.checks.join('\n'));
    assert.match(report.checks[0]!, /StatusNotifier: no org\.kde\.StatusNotifierWatcher/);
    assert.match(
      report.checks[1]!,
      /XEmbed: (nothing owns|no client ever claimed) _NET_SYSTEM_TRAY_S0/,
    );
  } finally {
    await desktop.stop();
  }
});

test('an XEmbed host (trayer) owning the system tray selection is found', async () => {
  const desktop = await startDesktop({ trayHost: true });
  try {
    const report = await detectTrayHost(desktop.env, 'linux');
    assert.equal(report.host, 'xembed', report.checks.join('\n'));
  } finally {
    await desktop.stop();
  }
});

test('no display and no bus: no host, with the reasons', async () => {
  const report = await detectTrayHost({ PATH: process.env.PATH }, 'linux');
  assert.equal(report.host, null);
  assert.deepEqual(report.checks, [
    'StatusNotifier: no D-Bus session bus',
    'XEmbed: no X display (DISPLAY is not set)',
  ]);
});

test('display names and the Xauthority cookie for a display', () => {
  assert.equal(parseDisplay(':7.1')?.screen, 1);
  assert.equal(parseDisplay(':7')?.number, '7');
  assert.deepEqual(parseDisplay('example:3')?.connect, [{ host: 'example', port: 6003 }]);
  assert.equal(parseDisplay('nonsense'), null);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-xauth-'));
  try {
    const entry = (family: number, address: string, number: string, cookie: Buffer): Buffer => {
      const f = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
      return Buffer.concat([
        Buffer.from([family >> 8, family & 255]),
        f(Buffer.from(address)),
        f(Buffer.from(number)),
        f(Buffer.from('MIT-MAGIC-COOKIE-1')),
        f(cookie),
      ]);
    };
    const file = path.join(dir, 'Xauthority');
    fs.writeFileSync(
      file,
      Buffer.concat([
        entry(256, 'otherhost', '5', Buffer.alloc(16, 1)),
        entry(256, 'thishost', '4', Buffer.alloc(16, 2)),
        entry(256, 'thishost', '5', Buffer.alloc(16, 3)),
      ]),
    );
    assert.deepEqual(xauthCookie(file, '5', 'thishost')?.data, Buffer.alloc(16, 3));
    assert.equal(xauthCookie(file, '9', 'thishost'), null);
    assert.equal(xauthCookie(path.join(dir, 'missing'), '5', 'thishost'), null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
