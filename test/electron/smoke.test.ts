// Smoke test of the real app in Electron: tray created, window opens, one IPC round trip
// through the preload, clean quit. Electron's binary is not downloaded on this project's
// machines (ELECTRON_SKIP_BINARY_DOWNLOAD), so here the test reports itself skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { _electron as electron } from 'playwright-core';
import { buildAll, root } from '../../scripts/build.mjs';

/**
 * The Electron executable, found the way require('electron') finds it but without its side
 * effect: when the binary is missing, require('electron') starts a download.
 */
function electronBinary(): string | null {
  const pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const rel = fs.readFileSync(pathFile, 'utf8').trim();
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkgDir, 'dist');
  const full = path.join(base, rel);
  return fs.existsSync(full) ? full : null;
}

test('the packaged app starts: tray, window, IPC round trip, quit', async (t) => {
  const binary = electronBinary();
  if (!binary) {
    t.skip('Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); smoke test skipped');
    return;
  }
  await buildAll();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-electron-'));
  const app = await electron.launch({
    executablePath: binary,
    args: [root, '--no-sandbox'],
    env: { ...process.env, RDL_SYNC_CONFIG_DIR: configDir },
    timeout: 60_000,
  });
  try {
    const window = await app.firstWindow();
    await window.waitForSelector('#tab-status');
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
    const log = fs.readFileSync(path.join(configDir, 'logs', 'rdl-sync-app.log'), 'utf8');
    assert.match(log, /Tray icon created/);
    const closed = new Promise<void>((resolve) => app.process().once('exit', () => resolve()));
    await app.evaluate(({ app: a }) => a.quit());
    await closed;
  } finally {
    await app.close().catch(() => {});
    fs.rmSync(configDir, { recursive: true, force: true });
  }
});
