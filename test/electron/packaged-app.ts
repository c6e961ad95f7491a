// The packaged app, as users get it: built by scripts/build.mjs into a temp folder, packaged by
// electron-builder's `dir` target with our electron-builder.yml and after-pack hook (fuses as
// shipped: no RunAsNode, no Node inspector, asar only), but on the test Electron (33.2.1, see
// scripts/prepare-electron-runtime.mjs) instead of the product's 45, which cannot be downloaded
// here. The tests drive it from outside: Chromium's DevTools protocol for the window (the
// shipped fuses leave no Node inspector for Playwright's Electron mode), X tools for the tray.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, Platform, Arch } from 'electron-builder';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildAll, root } from '../../scripts/build.mjs';
import { prepareElectronRuntime } from '../../scripts/prepare-electron-runtime.mjs';
import { killChild, waitFor, type Desktop } from './desktop.js';

export interface PackagedApp {
  executable: string;
  dir: string;
  remove(): void;
}

export async function packageApp(): Promise<PackagedApp> {
  const runtime = await prepareElectronRuntime();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-package-'));
  try {
    const dist = await buildAll({ dist: path.join(work, 'dist') });
    await build({
      projectDir: root,
      targets: Platform.LINUX.createTarget('dir', Arch.x64),
      config: {
        electronDist: runtime.dir,
        electronVersion: runtime.version,
        npmRebuild: false,
        directories: { output: path.join(work, 'out'), buildResources: 'build' },
        files: [{ from: dist, to: 'dist', filter: ['**/*'] }, 'package.json', '!node_modules/**'],
      },
    });
    const dir = path.join(work, 'out', 'linux-unpacked');
    const executable = path.join(dir, 'rdl-sync');
    if (!fs.existsSync(executable)) throw new Error(`electron-builder made no ${executable}`);
    return { executable, dir, remove: () => fs.rmSync(work, { recursive: true, force: true }) };
  } catch (e) {
    fs.rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

export interface RunningApp {
  child: ChildProcess;
  /** Everything the app wrote to stdout and stderr so far. */
  output(): string;
  browser: Browser;
  /** The app's window (waits for it to exist). */
  window(): Promise<Page>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills whatever is left (SIGTERM, then SIGKILL). */
  kill(): Promise<void>;
}

/**
 * Starts the packaged tray app on the test desktop with a DevTools port (Chromium's switch, not
 * a Node one, so the shipped fuses allow it) and connects Playwright to it.
 */
export async function launchApp(
  app: PackagedApp,
  desktop: Desktop,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<RunningApp> {
  const child = spawn(
    app.executable,
    // Root may not use Chromium's sandbox (CI runs as root).
    ['--no-sandbox', '--remote-debugging-port=0', ...args],
    { env: { ...desktop.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = (): Promise<void> => killChild(child, 10_000);
  try {
    const endpoint = await waitFor(
      'the DevTools endpoint',
      () => {
        if (child.exitCode !== null) throw new Error(`the app exited early:\n${out}`);
        return /DevTools listening on (ws:\/\/\S+)/.exec(out)?.[1];
      },
      60_000,
    );
    const browser = await chromium.connectOverCDP(endpoint, { timeout: 30_000 });
    const window = (): Promise<Page> =>
      waitFor('the app window', () => {
        for (const context of browser.contexts())
          for (const page of context.pages()) if (page.url().endsWith('index.html')) return page;
        return null;
      });
    return { child, output: () => out, browser, window, exited, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}
