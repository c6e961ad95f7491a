// End-to-end tests of the PACKAGED app (electron-builder `dir` target on the test Electron,
// shipped fuses) against the Dropbox emulator: the headless daemon from the app binary as
// systemd runs it, and the tray app under a private X desktop with a tray host and a
// notification daemon. One package for the whole file (packaging takes ~15 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
import { readPublishedStatus, runCli, writeFileIn } from '../cli/cli-harness.js';
import type { Page } from 'playwright-core';
import { root } from '../../scripts/build.mjs';
import type { StatusSnapshot } from '../../src/engine/status/types.js';
import { killChild, startDesktop, waitFor, within, type Desktop } from './desktop.js';
import { launchApp, packageApp, type PackagedApp, type RunningApp } from './packaged-app.js';
import { chooseTrayItem, trayIconPicture, trayIconWindow } from './tray-host.js';
import { CardImage, cardsUnavailable } from '../archive/helpers.js';
import { NO_TRAY_NOTE } from '../../src/main/window-mode.js';
import { askWindowToClose } from './x-close.js';
import { freePort, startSmtp, type LoopbackSmtp } from '../alerts/loopback.js';

let app: PackagedApp;
let emulator: Emulator;

before(async () => {
  app = await packageApp();
  emulator = await startEmulator({});
});

after(async () => {
  await emulator?.close();
  app?.remove();
});

/** Processes still running the packaged executable (the app's helpers included). */
function processesOf(executable: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/exe`) === executable) pids.push(Number(name));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

/**
 * The packaged app's headless daemon as the systemd unit runs it (no display, no session bus; the
 * unit's switches, with --no-sandbox because the tests run as root and the unit does not).
 */
function startHeadlessDaemon(dirs: { root: string; configDir: string }) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dirs.root, RDL_SYNC_QUIET: '1' };
  delete env.DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  const daemon = spawn(
    app.executable,
    [
      '--headless',
      'run',
      '--config-dir',
      dirs.configDir,
      '--ozone-platform=headless',
      '--no-sandbox',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  daemon.stdout.on('data', (c: Buffer) => (output += c.toString()));
  daemon.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return { daemon, output: () => output };
}

test('headless daemon from the app binary stops on SIGTERM like the node daemon', async () => {
  const dirs = await makeDirs('rdl-headless-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Headless' }), emulator);
  const { daemon, output } = startHeadlessDaemon(dirs);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    daemon.once('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await waitFor('the daemon to publish status.json', async () => {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${output()}`);
      const p = await readPublishedStatus(dirs.configDir);
      return p?.pid === daemon.pid;
    });
    await writeFileIn(dirs.watchDir, 'RDL/USB0/a.csv', 'timestamp,t\n2026-11-24T08:00:00Z,4.1\n');
    await waitFor(
      'a.csv on Dropbox and the card',
      async () =>
        Boolean(emulator.getFile('/RDL/Headless/RDL/USB0/a.csv')) &&
        (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/a.csv'),
    );
    assert.ok(fs.existsSync(path.join(dirs.configDir, 'engine.lock')));

    daemon.kill('SIGTERM');
    const end = await within('the daemon to exit after SIGTERM', exited, 40_000);
    const log = fs.readFileSync(path.join(dirs.configDir, 'logs', 'rdl-sync.log'), 'utf8');
    assert.deepEqual(end, { code: 0, signal: null }, `${log}\n${output()}`);
    assert.match(log, /received SIGTERM: stopping/);
    assert.match(log, /daemon stopped/);
    assert.ok(!fs.existsSync(path.join(dirs.configDir, 'engine.lock')), 'engine.lock released');
    assert.equal((await readPublishedStatus(dirs.configDir))?.pid, null);
    // No helper process (zygote, GPU, utility) outlives the daemon.
    await waitFor(
      'every helper process to end',
      () => processesOf(app.executable).length === 0,
      10_000,
    );
  } finally {
    await killChild(daemon);
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

const ARTIFACTS = path.join(root, 'test-artifacts', 'electron');
const text = async (page: Page, selector: string): Promise<string> =>
  (await page.textContent(selector))?.trim() ?? '';

interface DunstNotification {
  summary: string;
  body: string;
}
/** Every notification dunst has shown (closed ones go to its history, so close them first). */
async function notificationsShown(desktop: Desktop): Promise<DunstNotification[]> {
  await desktop.run('dunstctl', ['close-all']);
  const history = JSON.parse(await desktop.run('dunstctl', ['history'])) as {
    data: { summary: { data: string }; body: { data: string } }[][];
  };
  return (history.data[0] ?? []).map((n) => ({ summary: n.summary.data, body: n.body.data }));
}

test('the packaged tray app under X: tray, window, settings, notifications, quit', async (t) => {
  const desktop = await startDesktop({ trayHost: true, notifications: true });
  const dirs = await makeDirs('rdl-tray-e2e-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Tray' }), emulator);
  // BROWSER=false: xdg-open then finds nothing to open a folder with, as on a desktop without a
  // file manager (it also keeps a browser from starting in the test).
  const env = { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir, BROWSER: 'false' };
  let running: RunningApp | null = await launchApp(app, desktop, env);
  try {
    const page = await running.window();
    await page.waitForSelector('#tab-status');
    const status = async (): Promise<StatusSnapshot> => {
      const r = (await page.evaluate(() =>
        (window as unknown as { rdl: { getStatus(): Promise<unknown> } }).rdl.getStatus(),
      )) as { ok: boolean; value: StatusSnapshot };
      return r.value;
    };

    await t.test('the tray icon sits in the tray host', async () => {
      assert.match(await trayIconWindow(desktop), /^0x/);
      const log = fs.readFileSync(path.join(dirs.configDir, 'logs', 'rdl-sync-app.log'), 'utf8');
      assert.match(log, /Tray icon created.*xembed/);
      assert.equal(await page.$('#window-mode-note'), null, 'no "no tray" note with a tray');
    });

    await t.test('GTK left OpenGL alone: no Mesa driver in the main process', () => {
      // GDK_GL=disable (memory-switches.ts): GTK's GL probe loaded Mesa and LLVM, ~25 MB PSS.
      const maps = fs.readFileSync(`/proc/${running!.child.pid}/maps`, 'utf8');
      assert.doesNotMatch(maps, /libLLVM|_dri\.so|libGLX_mesa/);
    });

    await t.test('files dropped into the watch folder show Done/Done in Transfers', async () => {
      const files = ['RDL/USB0/2026-12-01.csv', 'cameras/cam1.jpg'];
      for (const rel of files) await writeFileIn(dirs.watchDir, rel, `content of ${rel}\n`);
      await page.click('#tab-transfers');
      for (const rel of files) {
        const row = `#history-rows tr[data-rel="${rel}"]`;
        await page.waitForSelector(row, { timeout: 30_000 });
        assert.match(await text(page, `${row} td.leg-upload`), /^Done/);
        assert.match(await text(page, `${row} td.leg-archive`), /^Done/);
        assert.ok(emulator.getFile(`/RDL/Tray/${rel}`), `${rel} on Dropbox`);
      }
      assert.deepEqual(await listFilesRel(dirs.archiveDir), [...files].sort());
    });

    await t.test('`rdl-sync status` beside the tray app sees it and its last sync', async () => {
      const cli = (...args: string[]) =>
        runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });
      type Published = { daemonRunning: boolean; status: StatusSnapshot };
      const statusJson = async (): Promise<Published> => {
        const json = await cli('status', '--json');
        assert.equal(json.code, 0, json.stderr);
        return JSON.parse(json.stdout) as Published;
      };
      const first = await statusJson();
      assert.equal(first.daemonRunning, true, 'the tray app counts as the running engine');
      // status.json coalesces changes into one write a second, so the pass that showed the rows
      // Done may not be in it yet: wait (bounded) for its last sync to be published.
      await waitFor(
        'status.json to carry the last sync',
        async () => (await statusJson()).status.lastSuccessMs !== null,
        10_000,
      );
      const plain = await cli('status');
      assert.doesNotMatch(plain.stdout, /not running|Last file synced: never/, plain.stdout);
    });

    await t.test('settings saved in the window reach config.json and the engine', async () => {
      await page.click('#tab-settings');
      await page.waitForSelector('#set-site');
      await page.fill('#set-site', 'North');
      await page.click('#settings-save');
      await waitFor('saved', async () => /^Saved/.test(await text(page, '#settings-status')));
      // Written by electron-store (src/main/settings-file.ts) as the daemon's conf writes it:
      // tab-indented, this user's only.
      const file = path.join(dirs.configDir, 'config.json');
      const written = fs.readFileSync(file, 'utf8');
      const saved = JSON.parse(written) as { site: string };
      assert.equal(saved.site, 'North');
      assert.match(written, /^\{\n\t"/);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      // The engine follows: the next file goes to the new site's folder.
      await writeFileIn(dirs.watchDir, 'RDL/USB0/after-save.csv', 'x\n');
      await waitFor('after-save.csv under /RDL/North', () =>
        emulator.getFile('/RDL/North/RDL/USB0/after-save.csv'),
      );
    });

    await t.test('tray menu: pause 1 h, resume, sync now, open window; icon follows', async () => {
      const idle = await trayIconPicture(desktop);
      await chooseTrayItem(desktop, 'pauseHour', { paused: false, archivePresent: true });
      const paused = await waitFor('the engine to pause', async () => {
        const s = await status();
        return s.paused ? s : null;
      });
      assert.ok(paused.pausedUntilMs !== null, 'paused for a time, not until resumed');
      await waitFor('the paused icon', async () => (await trayIconPicture(desktop)) !== idle);
      await writeFileIn(dirs.watchDir, 'RDL/USB0/while-paused.csv', 'p\n');
      await chooseTrayItem(desktop, 'resume', { paused: true, archivePresent: true });
      await waitFor('the engine to resume', async () => !(await status()).paused);
      await waitFor('the idle icon again', async () => (await trayIconPicture(desktop)) === idle);
      await chooseTrayItem(desktop, 'syncNow', { paused: false, archivePresent: true });
      await waitFor('while-paused.csv on Dropbox', () =>
        emulator.getFile('/RDL/North/RDL/USB0/while-paused.csv'),
      );
      // Close the window (the app stays in the tray), then open it from the menu.
      await page.evaluate(() => window.close());
      // Closing destroys the window and its renderer (memory); the menu makes a new one.
      await waitFor('the window to be destroyed', () => page.isClosed());
      await chooseTrayItem(desktop, 'openWindow', { paused: false, archivePresent: true });
      const reopened = await running!.window();
      await waitFor('the window to show', () =>
        reopened.evaluate(() => document.visibilityState === 'visible').catch(() => false),
      );
    });

    await t.test('a tray action that fails is shown, not only logged', async () => {
      await chooseTrayItem(desktop, 'openWatchFolder', { paused: false, archivePresent: true });
      const shown = await waitFor('a notification about the failed action', async () =>
        (await notificationsShown(desktop)).find((n) => /could not open/i.test(n.summary)),
      );
      assert.match(shown.summary, /watch folder/);
      assert.match(shown.body, new RegExp(dirs.watchDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });

    await t.test('notifications when the SD card folder disappears and returns', async () => {
      const away = `${dirs.archiveDir}.away`;
      fs.renameSync(dirs.archiveDir, away);
      const gone = await waitFor('a notification about the SD card', async () =>
        (await notificationsShown(desktop)).find((n) => /SD card|archive/i.test(n.body)),
      );
      assert.match(gone.summary, /RDL Sync/);
      fs.renameSync(away, dirs.archiveDir);
      const back = await waitFor('a notification that it is resolved', async () =>
        (await notificationsShown(desktop)).find((n) => /resolved/i.test(n.summary)),
      );
      assert.match(back.body, /SD card|archive/i);
    });

    await t.test('screenshots of every tab, light and dark', async () => {
      const win = await running!.window();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      for (const scheme of ['light', 'dark'] as const) {
        await win.emulateMedia({ colorScheme: scheme });
        for (const tab of ['status', 'transfers', 'settings', 'log']) {
          await win.click(`#tab-${tab}`);
          const file = path.join(ARTIFACTS, `${tab}-${scheme}.png`);
          await win.screenshot({ path: file });
          assert.ok(fs.statSync(file).size > 5_000, `${file} is not empty`);
        }
      }
      const bg = await win.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(20, 24, 31)', 'dark scheme applied');
    });

    await t.test(
      'quit during a large upload loses nothing; the next start finishes it',
      async () => {
        emulator.shapeLink({ bytesPerSecond: 2 << 20 });
        const big = Buffer.alloc(24 << 20);
        for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE((i * 2654435761) >>> 0, i);
        const bigHash = createHash('sha256').update(big).digest('hex');
        emulator.resetStats();
        await writeFileIn(dirs.watchDir, 'big/run.bin', big);
        await waitFor(
          'the upload to be under way',
          // An upload session exists on "Dropbox" (counted when its request arrives).
          () => Object.keys(emulator.stats()).some((route) => route.includes('upload_session')),
          30_000,
        );
        assert.equal(emulator.getFile('/RDL/North/big/run.bin'), undefined, 'still uploading');
        await chooseTrayItem(desktop, 'quit', { paused: false, archivePresent: true });
        const end = await within('the app to quit', running!.exited, 60_000);
        assert.equal(end.code, 0, running!.output());
        const inTransit = path.join(dirs.transitDir, 'big', 'run.bin');
        const inWatch = path.join(dirs.watchDir, 'big', 'run.bin');
        // Nothing lost: the whole file still waits in transit (or the watch folder), or the
        // engine finished it while stopping.
        const kept = [inTransit, inWatch].filter((p) => fs.existsSync(p));
        for (const copy of kept)
          assert.equal(createHash('sha256').update(fs.readFileSync(copy)).digest('hex'), bigHash);
        if (kept.length === 0) assert.ok(emulator.getFile('/RDL/North/big/run.bin'));
        await running!.browser.close().catch(() => {});
        emulator.shapeLink({});
        running = await launchApp(app, desktop, env, ['--hidden']);
        await waitFor(
          'run.bin on Dropbox and the card',
          () =>
            Boolean(emulator.getFile('/RDL/North/big/run.bin')) &&
            fs.existsSync(path.join(dirs.archiveDir, 'big', 'run.bin')),
          90_000,
        );
        assert.equal(emulator.getFile('/RDL/North/big/run.bin')?.size, big.length);
        const onCard = fs.readFileSync(path.join(dirs.archiveDir, 'big', 'run.bin'));
        assert.equal(createHash('sha256').update(onCard).digest('hex'), bigHash);
        await waitFor(
          'transit to empty',
          async () => (await listFilesRel(dirs.transitDir)).length === 0,
        );
      },
    );
  } finally {
    emulator.shapeLink({});
    if (running) {
      await running.browser.close().catch(() => {});
      await running.kill();
    }
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('without a tray host the app is a window: shown at start, a close minimizes, Quit in it', async () => {
  // No trayer: nothing owns the XEmbed selection and no StatusNotifier watcher is on the bus.
  const desktop = await startDesktop({});
  const dirs = await makeDirs('rdl-no-tray-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'NoTray' }), emulator);
  const env = { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir };
  const logFile = path.join(dirs.configDir, 'logs', 'rdl-sync-app.log');
  const appLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  // --hidden, as the login item starts it: without a tray the window must show all the same.
  const running = await launchApp(app, desktop, env, ['--hidden']);
  try {
    const page = await running.window();
    // The main window by its title (its X class is the product name; menus are "rdl-sync").
    const windows = await waitFor('the window on screen', async () => {
      const out = await desktop
        .run('xdotool', ['search', '--onlyvisible', '--name', '^RDL Sync'])
        .catch(() => ''); // xdotool exits 1 when nothing matches
      const ids = out.split('\n').filter(Boolean);
      return ids.length > 0 ? ids : null;
    });
    await page.waitForSelector('#window-mode-note');
    assert.equal(await text(page, '#window-mode-note span'), NO_TRAY_NOTE);
    assert.match(appLog(), /No system tray found/);
    assert.doesNotMatch(appLog(), /Tray icon created/);

    // The window manager's close button (WM_DELETE_WINDOW) minimizes it.
    for (const id of windows) await askWindowToClose(desktop, id);
    await waitFor('the close to be handled', () => /Window closed: minimized/.test(appLog()));
    assert.equal(page.isClosed(), false, 'the window still exists');
    assert.equal(running.child.exitCode, null, 'the app still runs');
    // Still reachable: the same X window, which maps and answers again.
    for (const id of windows) {
      await desktop.run('xdotool', ['windowmap', id]);
      assert.match(await desktop.run('xwininfo', ['-id', id]), /Map State: IsViewable/);
    }
    assert.equal(await page.evaluate(() => document.querySelector('#tab-status') !== null), true);

    // No tray menu, so Quit is in the window; the engine stops as from the tray.
    await page.click('#btn-quit-app');
    const end = await within('the app to quit', running.exited, 60_000);
    assert.equal(end.code, 0, running.output());
    assert.match(appLog(), /Quitting: stopping the engine/);
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

/** The first-run folders and site saved through the same call the setup's Save makes. */
async function saveFolders(
  page: Page,
  dirs: { watchDir: string; transitDir: string; archiveDir: string },
): Promise<void> {
  type Rdl = {
    getSettings(): Promise<{ value: Record<string, unknown> }>;
    saveSettings(c: unknown): Promise<{ value: { ok: boolean } }>;
  };
  const saved = await page.evaluate(
    async (folders) => {
      const rdl = (window as unknown as { rdl: Rdl }).rdl;
      const current = (await rdl.getSettings()).value;
      return (await rdl.saveSettings({ ...current, ...folders })).value;
    },
    {
      watchDir: dirs.watchDir,
      transitDir: dirs.transitDir,
      archiveDir: dirs.archiveDir,
      archiveMustBeMountPoint: false,
      site: 'FirstRun',
    },
  );
  assert.equal(saved.ok, true, JSON.stringify(saved));
}

test('first run of the packaged app: the setup shows, no error lines, the folders make it sync', async () => {
  const desktop = await startDesktop({ trayHost: true, notifications: true });
  const dirs = await makeDirs('rdl-first-run-e2e-');
  // A config folder nobody wrote into: a new user's first start.
  const configDir = path.join(dirs.root, 'fresh-config');
  const env = { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: configDir };
  const logFile = path.join(configDir, 'logs', 'rdl-sync-app.log');
  const running = await launchApp(app, desktop, env);
  try {
    const page = await running.window();
    await page.waitForSelector('#setup-choose-manual');
    assert.equal(await text(page, '#setup-title'), 'Welcome to RDL Sync');
    type Rdl = { getStatus(): Promise<{ value: StatusSnapshot }> };
    const status = () =>
      page.evaluate(async () => (await (window as unknown as { rdl: Rdl }).rdl.getStatus()).value);
    // Two passes' worth: the scheduler arms a new pass after each one it had to skip.
    const armed = new Set<number>();
    await waitFor(
      'two more passes scheduled',
      async () => {
        const s = await status();
        assert.equal(s.problems[0]?.code, 'setup-needed');
        if (s.nextPassMs) armed.add(s.nextPassMs);
        return armed.size >= 3;
      },
      60_000,
    );
    assert.notEqual((await status()).state, 'error');
    const log = fs.readFileSync(logFile, 'utf8');
    assert.doesNotMatch(log, /\[error\]/, log);
    assert.doesNotMatch(log, /Settings file changed/, log);

    await saveFolders(page, dirs);
    const onDisk = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as {
      watchDir: string;
      site: string;
    };
    assert.deepEqual([onDisk.watchDir, onDisk.site], [dirs.watchDir, 'FirstRun']);
    // The setup gives way to the tabs, and the engine moves a file to the archive.
    await page.waitForSelector('#tab-status', { state: 'visible' });
    await writeFileIn(dirs.watchDir, 'RDL/USB0/first.csv', 'timestamp,t\n');
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(dirs.watchDir, 'RDL/USB0/first.csv'), hourAgo, hourAgo);
    await waitFor('first.csv in the archive', async () =>
      (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/first.csv'),
    );
    assert.doesNotMatch(fs.readFileSync(logFile, 'utf8'), /\[error\]/);
    // The window asked for the setup and then for Dropbox itself: no notification said it again
    // over it (both conditions were raised: the log says each was left to the window).
    assert.equal((await status()).problems[0]?.code, 'auth-missing');
    const left = await waitFor('both setup conditions left to the window', () => {
      const lines = fs
        .readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('Notification left to the open setup window'));
      return lines.length >= 2 && lines;
    });
    assert.match(left.join('\n'), /settings-invalid/);
    assert.match(left.join('\n'), /auth-missing/);
    assert.deepEqual(
      (await notificationsShown(desktop)).filter((n) =>
        /Setup needed|not connected/i.test(`${n.summary} ${n.body}`),
      ),
      [],
    );
    // The person closes the window without connecting Dropbox: left to the window is not
    // dropped, it is told now (the alert policy would next remind of it only a day later).
    await page.evaluate(() => window.close()).catch(() => {});
    const told = await waitFor('"Dropbox is not connected" once the window is closed', async () =>
      (await notificationsShown(desktop)).find((n) => /not connected/i.test(n.body)),
    );
    assert.match(told.summary, /RDL Sync/);
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('a first start begun before a restart: its setup questions stay the window’s', async () => {
  const desktop = await startDesktop({ trayHost: true, notifications: true });
  const dirs = await makeDirs('rdl-first-restart-e2e-');
  const configDir = path.join(dirs.root, 'fresh-config');
  const env = { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: configDir };
  const logFile = path.join(configDir, 'logs', 'rdl-sync-app.log');
  const leftLines = (): string[] =>
    fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('Notification left to the open setup window'));
  // The first start announces "Setup needed" (left to its window) and is stopped on the welcome
  // (the hub rebooted): the next start's policy carries the condition over, never raising it again.
  const first = await launchApp(app, desktop, env);
  try {
    await (await first.window()).waitForSelector('#setup-choose-manual');
    await waitFor('"Setup needed" left to the window', () => leftLines().length >= 1);
  } finally {
    await first.browser.close().catch(() => {});
    await first.kill();
  }
  const running = await launchApp(app, desktop, env);
  try {
    const page = await running.window();
    await page.waitForSelector('#setup-choose-manual');
    await notificationsShown(desktop); // from here on: what the second start shows
    await saveFolders(page, dirs);
    await page.waitForSelector('#tab-status', { state: 'visible' });
    await waitFor('"Dropbox is not connected" left to the window', () =>
      leftLines().some((l) => l.includes('auth-missing')),
    );
    assert.deepEqual(
      (await notificationsShown(desktop)).filter((n) =>
        /Setup needed|not connected/i.test(`${n.summary} ${n.body}`),
      ),
      [],
    );
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('a first start hidden in the tray (at login) tells "Setup needed" as a notification', async () => {
  const desktop = await startDesktop({ trayHost: true, notifications: true });
  const { root: home } = await makeDirs('rdl-first-hidden-');
  const env = { HOME: home, RDL_SYNC_CONFIG_DIR: path.join(home, 'fresh-config') };
  const running = await launchApp(app, desktop, env, ['--hidden']);
  try {
    // No window to ask: the notification is how the person learns the app waits for them.
    const shown = await waitFor('a "Setup needed" notification', async () =>
      (await notificationsShown(desktop)).find((n) => /Setup needed/.test(n.body)),
    );
    assert.match(shown.summary, /RDL Sync/);
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('the tray app started beside the running service says why it cannot start, on the desktop', async () => {
  const dirs = await makeDirs('rdl-tray-beside-service-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Beside' }), emulator);
  // The service, as the unit runs it: the app binary, headless.
  const { daemon: service, output: serviceOut } = startHeadlessDaemon(dirs);
  const desktop = await startDesktop({ trayHost: true, notifications: true });
  let tray: ReturnType<typeof spawn> | null = null;
  try {
    await waitFor('the service to hold the run lock', async () => {
      if (service.exitCode !== null) throw new Error(`the service exited: ${serviceOut()}`);
      return (await readPublishedStatus(dirs.configDir))?.pid === service.pid;
    });
    // Started from the desktop's menu: no terminal to read an error from.
    tray = spawn(app.executable, ['--no-sandbox'], {
      env: { ...desktop.env, HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const trayExit = new Promise<number | null>((resolve) => tray!.once('exit', (c) => resolve(c)));
    const shown = await waitFor('a notification saying why the app cannot start', async () =>
      (await notificationsShown(desktop)).find((n) => /could not start/.test(n.summary)),
    );
    assert.match(shown.summary, /^RDL Sync could not start$/);
    assert.match(
      shown.body,
      new RegExp(`Another RDL Sync \\(pid ${service.pid}\\) is already syncing`),
    );
    assert.equal(await within('the tray app to end', trayExit, 20_000), 1);
    // The service syncs on, untouched.
    assert.equal(service.exitCode, null, serviceOut());
    assert.equal((await readPublishedStatus(dirs.configDir))?.pid, service.pid);
  } finally {
    if (tray) await killChild(tray);
    await killChild(service, 10_000);
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

// The service stopped on an error while the relay was down: its "stopped" is owed. The tray app
// then syncs (started from the desktop's menu, the cause gone): it delivers the stop and says
// "runs again", since it does run. Before, the tray app never said so, and the owed stop waited
// for a service start for a day, then was given up; a stop delivered earlier stood unanswered
// for as long as the tray app synced. After a Quit, a service that fails again is not silent:
// its stop is announced anew. Real parts: the packaged binary as the service and as the tray
// app, an SMTP relay on loopback that is down and comes back on the same port.
test('the tray app that syncs after the service stopped says "runs again", the stop first', async () => {
  const dirs = await makeDirs('rdl-tray-runs-again-');
  const port = await freePort();
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, {
      site: 'Site7_Tray',
      alertEmailTo: ['ops@example.org'],
      alertEmailFrom: 'hub7@example.org',
      smtpHost: '127.0.0.1',
      smtpPort: port,
      smtpSecurity: 'none',
    }),
    emulator,
  );
  const lockFile = path.join(dirs.configDir, 'engine.lock');
  const owed = (): string[] => {
    try {
      const text = fs.readFileSync(path.join(dirs.configDir, 'alerts-outbox.json'), 'utf8');
      return (JSON.parse(text) as { owed: { alert: { kind: string; code: string } }[] }).owed.map(
        (e) => `${e.alert.kind} ${e.alert.code}`,
      );
    } catch {
      return [];
    }
  };
  /** The service as the unit runs it, stopping on a real error (a folder where the lock belongs). */
  const serviceStops = async (): Promise<void> => {
    fs.mkdirSync(lockFile);
    const { daemon, output } = startHeadlessDaemon(dirs);
    const end = await within(
      'the service to stop',
      new Promise<number | null>((resolve) => daemon.once('exit', (c) => resolve(c))),
      60_000,
    );
    assert.equal(end, 1, output());
    assert.match(output(), /EISDIR/);
    fs.rmdirSync(lockFile);
  };
  let smtp: LoopbackSmtp | null = null;
  let desktop: Desktop | null = null;
  let running: RunningApp | null = null;
  try {
    await serviceStops();
    assert.deepEqual(owed(), ['raised daemon-stopped']);
    smtp = await startSmtp({ port });
    const subjects = (): string[] => smtp!.mails.map((m) => m.subject);
    desktop = await startDesktop({ trayHost: true });
    running = await launchApp(
      app,
      desktop,
      { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir },
      ['--hidden'],
    );
    await waitFor('the stop and its "runs again" by email', () => smtp!.mails.length >= 2, 60_000);
    assert.deepEqual(subjects(), [
      'RDL Sync Site7_Tray: needs action now: RDL Sync stopped on an error (daemon-stopped)',
      'RDL Sync Site7_Tray: resolved: RDL Sync stopped on an error (daemon-stopped)',
    ]);
    assert.match(smtp.mails[0]!.text, /RDL Sync stopped on an error \(.*EISDIR/);
    assert.match(smtp.mails[1]!.text, /RDL Sync runs again/);
    await waitFor('the outbox to be empty', () => owed().length === 0);

    // The person quits the app; the service, started again, still fails: a new stop, told.
    await chooseTrayItem(desktop, 'quit', { paused: false, archivePresent: true });
    assert.equal((await within('the app to quit', running.exited, 60_000)).code, 0);
    await serviceStops();
    assert.deepEqual(subjects().slice(2), [
      'RDL Sync Site7_Tray: needs action now: RDL Sync stopped on an error (daemon-stopped)',
    ]);
  } finally {
    if (running) {
      await running.browser.close().catch(() => {});
      await running.kill();
    }
    await desktop?.stop();
    await smtp?.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('Try the demo in the packaged app: the bundled emulator, Done/Done, and leaving it', async () => {
  const desktop = await startDesktop({ trayHost: true });
  const dirs = await makeDirs('rdl-demo-e2e-');
  const configDir = path.join(dirs.root, 'fresh-config');
  const demoDir = path.join(configDir, 'demo');
  // A demo a crash left behind: the app removes it when it starts, before anyone asks.
  fs.mkdirSync(path.join(demoDir, 'watch', 'RDL'), { recursive: true });
  fs.writeFileSync(path.join(demoDir, 'watch', 'RDL', 'left-by-a-crash.csv'), 'a,b\n');
  const running = await launchApp(app, desktop, {
    HOME: dirs.root,
    RDL_SYNC_CONFIG_DIR: configDir,
  });
  try {
    const page = await running.window();
    await page.waitForSelector('#setup-choose-demo');
    assert.equal(fs.existsSync(demoDir), false, 'the leftover demo folder is removed at start');
    assert.match(
      fs.readFileSync(path.join(configDir, 'logs', 'rdl-sync-app.log'), 'utf8'),
      /Removed a demo folder left by an earlier run/,
    );
    await page.click('#setup-choose-demo');
    await page.waitForSelector('#demo-banner:not([hidden])');
    assert.match(await text(page, '#demo-banner-text'), /local Dropbox emulator, not your Dropbox/);
    // The emulator runs inside the packaged app, on loopback.
    const demoConfig = JSON.parse(
      fs.readFileSync(path.join(demoDir, 'config', 'config.json'), 'utf8'),
    ) as { dropboxEndpoint: string };
    assert.match(demoConfig.dropboxEndpoint, /^http:\/\/127\.0\.0\.1:\d+/);
    await waitFor(
      'nine sample files Done/Done in Transfers',
      async () => {
        const legs = await page.$$eval('#panel-transfers tbody tr', (trs) =>
          trs.map(
            (tr) =>
              `${tr.querySelector('td.leg-upload')?.textContent}/${tr.querySelector('td.leg-archive')?.textContent}`,
          ),
        );
        return legs.length === 9 && legs.every((l) => l === 'Done/Done');
      },
      90_000,
    );
    assert.equal(
      fs.existsSync(path.join(configDir, 'config.json')),
      false,
      'real config untouched',
    );
    // `rdl-sync status` still reads the real (unconfigured) engine, not the demo's counts.
    const published = await readPublishedStatus(configDir);
    assert.ok(published, 'the real engine publishes status.json');
    assert.equal(published.status.counts.doneThisRun, 0);
    assert.ok(!JSON.stringify(published).includes(demoDir), 'no demo folder in status.json');
    await page.click('#demo-leave');
    await page.waitForSelector('#demo-banner', { state: 'hidden' });
    await page.waitForSelector('#setup-choose-demo');
    assert.equal(fs.existsSync(demoDir), false, 'the demo folder is removed');
    assert.equal(fs.existsSync(path.join(configDir, 'config.json')), false, 'no config left');
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('Quit from the tray while the SD card does not answer ends the app, nothing lost', async (t) => {
  if (cardsUnavailable()) return t.skip(cardsUnavailable()!);
  const desktop = await startDesktop({ trayHost: true });
  const dirs = await makeDirs('rdl-tray-card-');
  const card = await CardImage.create('fat32', 40);
  let running: RunningApp | null = null;
  try {
    await card.mount(dirs.archiveDir);
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { site: 'HungCard', archiveMustBeMountPoint: true }),
      emulator,
    );
    const env = { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir };
    running = await launchApp(app, desktop, env, ['--hidden']);
    await trayIconWindow(desktop);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/before.csv', 'before\n');
    await waitFor(
      'before.csv on the card',
      () => fs.existsSync(path.join(dirs.archiveDir, 'RDL', 'USB0', 'before.csv')),
      60_000,
    );

    // The card stops; the next pass's look at it waits on the card (its deadline is 2 min).
    const rescue = card.armThawFromOutside(60_000);
    rescue.freeze();
    await writeFileIn(dirs.watchDir, 'RDL/USB0/during.csv', 'during\n');
    // A pass (every 2 s here) under way, its look at the card waiting.
    await new Promise((r) => setTimeout(r, 4_000));
    const quitAtMs = Date.now();
    await chooseTrayItem(desktop, 'quit', { paused: false, archivePresent: true });
    // A second quit while the first waits (the session's SIGTERM at logout): held too.
    await new Promise((r) => setTimeout(r, 1_000));
    running.child.kill('SIGTERM');
    const end = await within('the app to quit', running.exited, 50_000);
    const tookMs = Date.now() - quitAtMs;
    const thawed = rescue.stop();
    assert.equal(thawed, false, `the app ended only once the card answered:\n${running.output()}`);
    // Ended by SIGTERM's own action (no join of the thread the card holds), said in its log.
    assert.deepEqual(end, { code: null, signal: 'SIGTERM' }, running.output());
    assert.ok(tookMs < 30_000, `the quit took ${tookMs} ms, the engine's full stop wait`);
    const log = fs.readFileSync(path.join(dirs.configDir, 'logs', 'rdl-sync-app.log'), 'utf8');
    assert.match(
      log,
      /Quitting: a call on the archive has not returned \(its card stopped answering\): ending by SIGTERM without waiting for it; nothing is lost, files wait in transit/,
    );
    await running.browser.close().catch(() => {});
    running = null;

    // Nothing lost: with the card back, `once` sends what waited to both.
    card.thaw();
    const once = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(once.code, 0, once.stderr);
    assert.ok(fs.existsSync(path.join(dirs.archiveDir, 'RDL', 'USB0', 'during.csv')));
    assert.ok(emulator.getFile('/RDL/HungCard/RDL/USB0/during.csv'));
    assert.deepEqual(await listFilesRel(dirs.transitDir), []);
  } finally {
    card.thaw();
    if (running) {
      await running.browser.close().catch(() => {});
      await running.kill();
    }
    await card.destroy();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
