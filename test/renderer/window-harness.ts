// The window under test: the BUILT renderer served on 127.0.0.1, opened in Debian's Chromium,
// with window.rdl bridged to main's real handler table and dispatcher (same validation, same
// sender check) over a REAL engine that talks to the Dropbox emulator.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildRenderer } from '../../scripts/build.mjs';
import { createIpcHandlers, type AppServices } from '../../src/main/handlers.js';
import { createDispatcher, ownWindowSenderCheck } from '../../src/main/ipc-dispatch.js';
import { createAppLogger, readLogLines, type AppLogger } from '../../src/main/log.js';
import { settingsFields } from '../../src/main/settings-fields.js';
import { findOldSetups } from '../../src/main/old-setup-finder.js';
import { createDemoMode } from '../../src/main/demo-mode.js';
import { commandsFor } from '../main/fakes.js';
import { eventChannelName, isInvokeChannel } from '../../src/shared/ipc-channels.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { createEngine, type Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import type { Clock } from '../../src/engine/ports.js';

export const CHROMIUM = '/usr/bin/chromium';
const PAGE_WEB_CONTENTS_ID = 1;

export interface WindowHarness {
  root: string;
  configDir: string;
  watchDir: string;
  transitDir: string;
  archiveDir: string;
  emulator: Emulator;
  engine: Engine;
  page: Page;
  logger: AppLogger;
  /** What the app services were asked to do (open paths, URLs...). */
  calls: string[][];
  url: string;
  /**
   * The next call of `name` from the page is answered as usual, but its answer reaches the page
   * only at release(): a slow reply, for what happens meanwhile. `answered` resolves once main
   * has its answer (a status taken then, say).
   */
  holdNextReply(name: string): HeldReply;
  close(): Promise<void>;
}

export interface HeldReply {
  answered: Promise<void>;
  release(): void;
}

export async function chromiumInstalled(): Promise<boolean> {
  return fs.access(CHROMIUM).then(
    () => true,
    () => false,
  );
}

async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
  };
  const server = http.createServer(async (req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html';
    try {
      const body = await fs.readFile(path.join(dir, name));
      res.writeHead(200, {
        'content-type': types[path.extname(name)] ?? 'application/octet-stream',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `clock`: the engine's clock, for tests that need hours to pass (silent sources). */
export async function openWindow(
  settings: Partial<Settings> = {},
  clock?: Clock,
  extra: {
    /** A first run: no settings saved at all (the first-run setup shows). */
    unconfigured?: boolean;
    /** More engine options (the fleet tests' heartbeat interval). */
    engine?: Partial<EngineOptions>;
    /** Runs after the settings are written, before the engine opens (seed history files). */
    beforeEngine?: (dirs: { root: string; configDir: string }) => Promise<void>;
    /** "Try the demo" wired as in main (src/main/demo-mode.ts); `engine` is then its switch. */
    demo?: boolean;
    /** Runs before the window loads (a page clock installed, so its timers can be advanced). */
    beforeLoad?: (page: Page) => Promise<void>;
  } = {},
): Promise<WindowHarness> {
  const dirs = await makeDirs('rdl-window-');
  const emulator = await startEmulator();
  if (!extra.unconfigured)
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, settings), emulator);
  await extra.beforeEngine?.(dirs);
  const logger = createAppLogger(path.join(dirs.root, 'logs', 'app.log'), 'debug');
  const realEngine = await createEngine({
    configDir: dirs.configDir,
    home: dirs.root,
    logger,
    retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
    ...(clock ? { clock } : {}),
    ...extra.engine,
  });
  const demo = extra.demo
    ? createDemoMode({ real: realEngine, configDir: dirs.configDir, home: dirs.root, logger })
    : undefined;
  const engine = demo?.engine ?? realEngine;
  const h = { ...dirs, emulator, engine };

  const rendererDir = await buildRenderer(path.join(h.root, 'renderer'));
  const bridge = await esbuild.build({
    entryPoints: [path.join(import.meta.dirname, 'bridge-client.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
  });
  const server = await serve(rendererDir);

  const calls: string[][] = [];
  const services: AppServices = {
    pickFolder: async (purpose) => (
      calls.push(['pickFolder', purpose]),
      path.join(h.root, `picked-${purpose}`)
    ),
    pickFile: async (purpose) => (calls.push(['pickFile', purpose]), null),
    openPath: async (p) => void calls.push(['openPath', p]),
    openExternal: async (u) => void calls.push(['openExternal', u]),
    readLogTail: (lines) => readLogLines(logger.file, lines),
    appInfo: () => ({
      version: '0.0.0-test',
      platform: process.platform,
      credentials: {
        encrypted: false,
        backend: 'file',
        location: path.join(h.configDir, 'credentials.json'),
        summary: 'Stored unencrypted in the test folder.',
      },
      startAtLogin: false,
      configPath: engine.settingsPath,
      logPath: logger.file,
      windowModeNote: null,
    }),
    logFromWindow: (level, text) => logger[level](`Window: ${text}`),
    applyStartAtLogin: (on) => (calls.push(['applyStartAtLogin', String(on)]), on),
    // The old syncer is looked for in the test's own home and its sibling homes.
    findOldSetups: () =>
      findOldSetups(path.join(h.root, 'homes', 'me'), path.join(h.root, 'homes')),
  };
  const dispatch = createDispatcher(
    createIpcHandlers(
      engine,
      services,
      settingsFields,
      commandsFor(engine, services, (c) => calls.push(c)),
      demo,
    ),
    ownWindowSenderCheck(() => [PAGE_WEB_CONTENTS_ID], server.url),
    // As main.ts logs them: a refused call is a line in the app log.
    {
      onRejected: (channel, error) =>
        logger.warn('Refused a window call', { channel, code: error.code, reason: error.message }),
    },
  );

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const held = new Map<string, { answered(): void; released: Promise<void> }[]>();
  await context.exposeBinding('__rdlInvoke', async (source, channel: string, args: unknown[]) => {
    const name = channel.replace(/^rdl:invoke:/, '');
    const answer = await dispatch(
      isInvokeChannel(name) ? name : channel,
      { webContentsId: PAGE_WEB_CONTENTS_ID, frameUrl: source.frame.url() },
      args,
    );
    const hold = held.get(name)?.shift();
    if (hold) {
      hold.answered();
      await hold.released;
    }
    return answer;
  });
  await context.addInitScript({ content: bridge.outputFiles[0]!.text });

  const deliver = (channel: string, payload: unknown) =>
    void page
      .evaluate(
        ([c, p]) =>
          (window as unknown as { __rdlDeliver(c: string, p: unknown): void }).__rdlDeliver(c, p),
        [channel, payload] as const,
      )
      .catch(() => {});
  const offStatus = engine.onStatus((s) => deliver(eventChannelName('status'), s));
  const offLog = logger.onLine((line) => deliver(eventChannelName('log'), [line]));

  await extra.beforeLoad?.(page);
  await page.goto(server.url);
  await engine.start();

  return {
    ...dirs,
    emulator,
    engine,
    page,
    logger,
    calls,
    url: server.url,
    holdNextReply: (name) => {
      let answered!: () => void;
      let release!: () => void;
      const reply: HeldReply = {
        answered: new Promise((resolve) => (answered = resolve)),
        release: () => release(),
      };
      const released = new Promise<void>((resolve) => (release = resolve));
      held.set(name, [...(held.get(name) ?? []), { answered, released }]);
      return reply;
    },
    close: async () => {
      offStatus();
      offLog();
      await browser.close();
      await server.close();
      await engine.stop();
      await emulator.close();
      await fs.rm(dirs.root, { recursive: true, force: true });
      if (pageErrors.length > 0) throw new Error(`The page threw: ${pageErrors.join('; ')}`);
    },
  };
}

/** What `selector` shows, trimmed; empty when it shows nothing. */
export async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector))?.trim() ?? '';
}

/** Polls until `check` returns a value (not undefined/false), at most `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
