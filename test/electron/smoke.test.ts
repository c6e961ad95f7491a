// Smoke test of the PACKAGED app in a real Electron: tray icon embedded in a real tray host,
// window opens, one IPC round trip through the preload, the page has no Node, clean quit. The
// runtime is the test Electron 33.2.1 (scripts/prepare-electron-runtime.mjs; README: which
// Electron the tests use), under a private X server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareElectronRuntime } from '../../scripts/prepare-electron-runtime.mjs';
import { createRequire } from 'node:module';
import { root } from '../../scripts/build.mjs';
import { startDesktop, waitFor, within } from './desktop.js';
import { launchApp, packageApp } from './packaged-app.js';
import { trayIconWindow } from './tray-host.js';

function builderConfig(): { linux: { desktop: { entry: { StartupWMClass: string } } } } {
  // js-yaml comes with electron-builder.
  const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
  return yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as ReturnType<
    typeof builderConfig
  >;
}

test('the test runtime is Electron 33.2.1, checked', async () => {
  const runtime = await prepareElectronRuntime();
  assert.equal(runtime.version, '33.2.1');
  assert.match(runtime.chrome, /^130\./);
  assert.ok(!fs.existsSync(path.join(runtime.dir, 'resources', 'app')));
  assert.ok(!fs.existsSync(path.join(runtime.dir, 'browser_v8_context_snapshot.bin')));
});

test('the packaged app starts: tray icon, window, IPC round trip, quit', async () => {
  const app = await packageApp();
  // The shipped binary gives file:// pages no extra privileges: the window above opened with
  // the GrantFileProtocolExtraPrivileges fuse off ('0', 48, in the binary's fuse wire).
  const { getCurrentFuseWire, FuseV1Options } = await import('@electron/fuses');
  const wire = await getCurrentFuseWire(app.executable);
  assert.equal(wire[FuseV1Options.GrantFileProtocolExtraPrivileges], 48);
  const desktop = await startDesktop({ trayHost: true });
  // A fresh home with the settings in their default place (~/.config/rdl-sync).
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-electron-'));
  const configDir = path.join(home, '.config', 'rdl-sync');
  try {
    const running = await launchApp(app, desktop, { HOME: home, RDL_SYNC_CONFIG_DIR: '' });
    try {
      const window = await running.window();
      // Served from the app's own scheme (src/main/app-protocol.ts), never file://.
      assert.equal(window.url(), 'rdl-sync://app/index.html');
      // A fresh home has no settings: the window opens on the first-run setup (issue 11, defect 5).
      await window.waitForSelector('#setup-choose-manual');
      assert.equal(await window.textContent('#setup-title'), 'Welcome to RDL Sync');
      const status = (await window.evaluate(() =>
        (window as unknown as { rdl: { getStatus(): Promise<unknown> } }).rdl.getStatus(),
      )) as { ok: boolean; value?: { sentence: string } };
      assert.equal(status.ok, true);
      assert.equal(typeof status.value?.sentence, 'string');
      // The page has no Node: the sandbox and context isolation hold.
      assert.equal(
        await window.evaluate(() => typeof (globalThis as { require?: unknown }).require),
        'undefined',
      );
      // The icon really sits in the tray host: an rdl-sync window embedded in trayer's panel.
      await trayIconWindow(desktop);
      const log = fs.readFileSync(path.join(configDir, 'logs', 'rdl-sync-app.log'), 'utf8');
      assert.match(log, /Tray icon created/);
      // The page asks the app scheme only for files it has (no favicon or other 404 noise).
      assert.doesNotMatch(log, /Refused a request for a file/);
      // The .desktop entry's StartupWMClass is the window's real class, so docks group them.
      const windowId = await waitFor(
        'the main window on X',
        async () =>
          (await desktop.run('xdotool', ['search', '--onlyvisible', '--name', '^RDL Sync']))
            .trim()
            .split('\n')[0],
      );
      const wmClass = await desktop.run('xprop', ['-id', windowId, 'WM_CLASS']);
      const wanted = builderConfig().linux.desktop.entry.StartupWMClass;
      assert.match(wmClass, new RegExp(`, "${wanted}"$`, 'm'), wmClass);
      // Chromium's profile is not in the settings folder: only our own files there.
      const chromiumFiles = ['Local State', 'Preferences', 'GPUCache', 'Cache', 'Cookies'];
      const inSettings = fs.readdirSync(configDir);
      assert.deepEqual(
        inSettings.filter((f) => chromiumFiles.includes(f)),
        [],
        `settings folder holds ${inSettings.join(', ')}`,
      );
      const profile = path.join(home, '.cache', 'rdl-sync', 'browser');
      assert.ok(
        fs.existsSync(profile),
        `Chromium's profile is not in ${profile}: ${fs.readdirSync(home, { recursive: true }).join(' ')}`,
      );
      // Quit the way a person does when the window is closed: SIGTERM from the session.
      running.child.kill('SIGTERM');
      const { code } = await within('the app to exit', running.exited, 40_000);
      assert.equal(code, 0);
    } finally {
      await running.browser.close().catch(() => {});
      await running.kill();
    }
  } finally {
    await desktop.stop();
    fs.rmSync(home, { recursive: true, force: true });
    app.remove();
  }
});
