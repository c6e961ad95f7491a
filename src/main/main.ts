// Electron entry point. Two ways in:
//  - `rdl-sync --headless <command>`: the CLI/daemon from the app binary, no window, no tray
//    (so the packaged app needs no RunAsNode fuse to serve the systemd unit).
//  - otherwise the tray app: one instance, the engine in this process, the window on demand.
import { app, ipcMain, Notification, protocol, safeStorage, type BrowserWindow } from 'electron';
import os from 'node:os';
import path from 'node:path';
import {
  createEngine,
  defaultConfigDir,
  EncryptedCredentialStore,
  redact,
  dropboxRoute,
} from '../engine/index.js';
import { eventChannelName, type TabId } from '../shared/ipc-channels.js';
import { electronAppServices } from './app-services.js';
import { credentialStorageInfo, keyringBackend, trustworthyCipher } from './credential-info.js';
import { createCommands, type CommandId } from './commands.js';
import { createIpcHandlers } from './handlers.js';
import { createDemoMode, removeLeftoverDemo } from './demo-mode.js';
import { registerIpc } from './ipc.js';
import { createDispatcher, ownWindowSenderCheck } from './ipc-dispatch.js';
import { createAppLogger, type AppLogger } from './log.js';
import {
  applyStartAtLogin,
  autostartDir,
  isStartAtLoginOn,
  type LoginItemDeps,
} from './login-item.js';
import { Notifier } from './notifier.js';
import { NoticeGate } from './notice-gate.js';
import { appPaths } from './paths.js';
import { APP_SCHEME } from './app-protocol.js';
import { browserProfileDir } from './browser-profile.js';
import { settingsFields } from './settings-fields.js';
import { TrayController } from './tray.js';
import { createMainWindow, showWindow } from './window.js';
import { takeBackSignals } from './headless-signals.js';
import { detectTrayHost } from './tray-host.js';
import { applyMemorySwitches } from './memory-switches.js';
import { installMemoryProbe } from './memory-probe.js';
import { minimizeOnClose, windowMode } from './window-mode.js';
import { openWithElectronStore } from './settings-file.js';
import { stopThenEnd } from '../cli/end-process.js';

const STOP_TIMEOUT_MS = 30_000;
/**
 * How long a call on a card may be silent (not returned, no byte moved) before a quit stops
 * waiting for the engine's stop it holds (end-process.ts stopThenEnd).
 */
const SILENT_CARD_QUIT_MS = 5_000;
/** Open commands a person chose from the tray: a failure is told to them, not only logged. */
const OPEN_FAILED: Partial<Record<CommandId, string>> = {
  openWatchFolder: 'watch folder',
  openArchiveFolder: 'archive folder',
  openLogFile: 'log file',
};
const CHROMIUM_SWITCH =
  /^--(ozone-platform|disable-gpu|no-sandbox|enable-features|disable-features)(=|$)/;

async function runHeadless(): Promise<void> {
  // Chromium switches on the command line (the systemd unit passes --ozone-platform=headless)
  // are Electron's business, not the CLI's.
  const args = process.argv
    .slice(process.argv.indexOf('--headless') + 1)
    .filter((a) => !CHROMIUM_SWITCH.test(a));
  // Chromium takes SIGTERM/SIGINT/SIGHUP while the app gets ready; take them back for the
  // daemon only after that (headless-signals.ts says why).
  await app.whenReady();
  takeBackSignals();
  const { main, installSignalsFor } = await import('../cli/main.js');
  // The same signal handling as the plain-node CLI: installed now, over Chromium's handlers.
  const stopper = new AbortController();
  installSignalsFor(args, stopper);
  const code = await main(args, process.stdout, process.stderr, stopper);
  app.exit(code);
}

async function runTrayApp(): Promise<void> {
  const paths = appPaths(app.getAppPath());
  const configDir = defaultConfigDir();
  const logger = createAppLogger(path.join(configDir, 'logs', 'rdl-sync-app.log'));
  // The keyring when it truly protects the token; encrypted-store.ts says how this store and the
  // daemon's plain file share one connection.
  const keyring = trustworthyCipher(safeStorage, process.platform);
  const credentials = new EncryptedCredentialStore(configDir, keyring, logger);
  // publishStatus: `rdl-sync status` (and pause/resume) beside the tray app read status.json,
  // as beside the daemon.
  const realEngine = await createEngine({
    configDir,
    credentials,
    logger,
    watchConfig: true,
    publishStatus: true,
    role: 'tray-app',
    openSettingsFile: openWithElectronStore,
  });
  // issue 11 "Try the demo": the window and tray use the demo's engine while it runs. A demo
  // folder a crash left behind goes now (this instance holds the single-instance lock).
  await removeLeftoverDemo(configDir, logger).catch((e: unknown) =>
    logger.warn('Could not remove a leftover demo folder', { reason: String(e) }),
  );
  const demo = createDemoMode({ real: realEngine, configDir, home: os.homedir(), logger });
  const engine = demo.engine;
  const loginDeps: LoginItemDeps = {
    platform: process.platform,
    app,
    execPath: process.env.APPIMAGE ?? process.execPath,
    autostartDir: autostartDir(process.env, os.homedir()),
  };

  let window: BrowserWindow | null = null;
  let quitting = false;
  // Tray or plain window (window-mode.ts): decided once the desktop has been asked.
  const mode = windowMode(await detectTrayHost());
  const openWindow = (tab?: TabId): void => {
    if (!window || window.isDestroyed()) {
      window = createMainWindow({
        preloadPath: paths.preload,
        rendererDir: paths.rendererDir,
        rendererUrl: paths.rendererUrl,
        iconPath: paths.appIcon,
        logger,
      });
      const win = window;
      if (!mode.tray) minimizeOnClose(win, () => quitting, logger);
      // A setup question left to the window and still open when the person leaves it is told now
      // (notice-gate.ts): the alert policy would next remind of it only a day later.
      const left = (): void => {
        if (quitting) return;
        for (const alert of noticeGate.windowLeft()) {
          logger.info('Notification shown: the window was left with it open', {
            condition: alert.conditionId,
          });
          notifier.show(alert);
        }
      };
      win.on('hide', left);
      win.on('minimize', left);
      win.on('closed', left);
      win.once('ready-to-show', () => showWindow(win, tab));
      // Status is only pushed while the window is visible; catch up when it is shown again.
      win.on('show', () => send('status', engine.getStatus()));
      return;
    }
    showWindow(window, tab);
  };
  const send = (channel: 'status' | 'log', payload: unknown): void => {
    const win = window;
    if (win && !win.isDestroyed() && win.isVisible())
      win.webContents.send(eventChannelName(channel), payload);
  };

  const services = electronAppServices({
    window: () => window,
    logFile: logger.file,
    applyStartAtLogin: (enabled) => applyStartAtLogin(loginDeps, enabled),
    logFromWindow: (level, text) => logger[level](`Window: ${text}`),
    archiveRoot: () => {
      const s = engine.getSettings();
      return s.archiveEnabled && s.archiveDir !== '' ? s.archiveDir : undefined;
    },
    appInfo: () => ({
      version: app.getVersion(),
      platform: process.platform,
      credentials: credentialStorageInfo(
        credentials.describe(),
        keyringBackend(safeStorage, process.platform),
        keyring.isEncryptionAvailable(),
      ),
      startAtLogin: isStartAtLoginOn(loginDeps),
      configPath: engine.settingsPath,
      logPath: logger.file,
      windowModeNote: mode.note,
    }),
  });
  // The one command table (commands.ts): tray items, the window's actions and notification
  // clicks all run these.
  const commands = createCommands(
    {
      engine,
      openPath: (p) => services.openPath(p),
      files: () => ({ logPath: logger.file, configPath: engine.settingsPath }),
      openWindow: (tab) => openWindow(tab),
      quit: () => app.quit(),
    },
    (id, error) => {
      const what = OPEN_FAILED[id];
      if (!what) return logger.error('Command failed', { command: id, reason: error.message });
      logger.warn('Could not open folder', { command: id, reason: error.message });
      notifier.tell(`RDL Sync could not open the ${what}`, error.message);
    },
  );
  const handlers = createIpcHandlers(engine, services, settingsFields, commands, demo);
  const dispatch = createDispatcher(
    handlers,
    ownWindowSenderCheck(
      () => (window && !window.isDestroyed() ? [window.webContents.id] : []),
      paths.rendererUrl,
    ),
    {
      redact,
      onRejected: (channel, error) =>
        logger.warn('Refused a window call', { channel, code: error.code, reason: error.message }),
    },
  );
  registerIpc(ipcMain, dispatch);

  const notifier = new Notifier(paths.appIcon, (tab) => commands.fire('openWindow', tab));
  // Without a tray a hidden start (login) would leave nothing to find the app by.
  const opensWindowAtStart = !process.argv.includes('--hidden') || !mode.tray;
  const noticeGate = new NoticeGate(() =>
    // Before the window exists (the engine starts first), what the start will do decides.
    window === null
      ? opensWindowAtStart
      : !window.isDestroyed() && window.isVisible() && !window.isMinimized(),
  );
  // Only where a tray host shows it (window-mode.ts); otherwise the window is the app.
  const tray = mode.tray
    ? new TrayController(paths.assetsDir, (action) => commands.fire(action))
    : null;

  logger[mode.logLine.level](mode.logLine.message, mode.logLine.fields);
  const onStatus = (status = engine.getStatus()): void => {
    tray?.update(status);
    send('status', status);
  };
  engine.onStatus(onStatus);
  // The engine's alert policy (issue 10). The real engine's, always: alerts are about the real
  // site and must not stop while someone tries the demo; the demo raises none to the desktop.
  // The real engine's status says whether this is a first start, even one begun before a restart.
  noticeGate.observe(realEngine.getStatus());
  realEngine.onStatus((status) => noticeGate.observe(status));
  realEngine.alerts.onAlert((alert) => {
    if (noticeGate.shows(alert)) notifier.show(alert);
    else
      logger.info('Notification left to the open setup window', { condition: alert.conditionId });
  });
  logger.onLine((line) => send('log', [line]));
  onStatus();

  app.on('second-instance', () => openWindow());
  // The app lives in the tray: closing (destroying) the window must not quit.
  app.on('window-all-closed', () => {});
  app.on('before-quit', (event) => {
    // A second quit while the first waits (Quit clicked again, the session's SIGTERM) is held
    // too: let through, Electron's exit joined the thread pool, which the first one avoids.
    event.preventDefault();
    if (quitting) return;
    quitting = true;
    logger.info('Quitting: stopping the engine');
    const stop = engine
      .stop()
      .catch((e: unknown) => logger.error('Engine stop failed', { reason: String(e) }));
    void stopThenEnd(stop, {
      maxMs: STOP_TIMEOUT_MS,
      silentMs: SILENT_CARD_QUIT_MS,
      say: (line) => logger.warn(`Quitting: ${line}`),
    }).finally(() => {
      tray?.destroy();
      app.exit(0);
    });
  });

  // The setting may have been changed without the window (CLI, hand edit): make the OS agree.
  // Only a packaged app registers itself; a development run would register the bare Electron.
  const wanted = engine.getSettings().startAtLogin;
  if (app.isPackaged && wanted !== isStartAtLoginOn(loginDeps))
    applyStartAtLogin(loginDeps, wanted);

  await engine.start();
  logger.info('RDL Sync started', {
    version: app.getVersion(),
    configDir,
    dropbox: dropboxRoute(engine.getSettings().dropboxEndpoint).words,
  });
  // Holding the run lock, this app syncs: people told "RDL Sync stopped on an error … nothing
  // syncs until it runs again" (by the service, before the app started) hear that it does, and
  // a stop a channel still owed goes first. Before, only the service said so: a hub whose tray
  // app synced for weeks read as down to the people far away, and an owed stop was given up
  // after a day. Should the service fail again once the app quits, its stop is a new one
  // (the last record is this "runs again"), announced again.
  void realEngine.alerts
    .notifyRunningAgain()
    .catch((e: unknown) =>
      logger.warn('Could not tell that RDL Sync runs again', { reason: String(e) }),
    );
  if (opensWindowAtStart) openWindow();
}

function fail(e: unknown): void {
  // Never silent: the tray app has no console, so leave a line where people look.
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`RDL Sync could not start: ${redact(message)}\n`);
  try {
    const log: AppLogger = createAppLogger(
      path.join(defaultConfigDir(), 'logs', 'rdl-sync-app.log'),
    );
    log.error('RDL Sync could not start', { reason: message });
  } catch {
    // the log folder itself is unusable; stderr is all we have
  }
  if (process.argv.includes('--headless')) app.exit(1);
  else void tellDesktop(redact(message)).finally(() => app.exit(1));
}

/**
 * The tray app started from the desktop's menu has no console: a person whose start failed (the
 * RDL Sync service already syncing on this hub, a settings folder it cannot write) saw nothing
 * at all. Said as a notification before the app ends (bounded: a notification server that never
 * answers does not keep the process).
 */
async function tellDesktop(body: string): Promise<void> {
  try {
    await app.whenReady();
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: 'RDL Sync could not start', body });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      notification.once('show', done);
      notification.once('failed', done);
      notification.show();
    });
  } catch {
    // the log and stderr already have it
  }
}

// Before anything asks for it (the single-instance lock lives there too).
app.setPath('userData', browserProfileDir(app.getPath('appData')));

if (process.argv.includes('--headless')) {
  // Under systemd there is no display: ask Chromium for its headless platform so the app binary
  // starts without X or Wayland. (Not verifiable here without the Electron binary; passing
  // --ozone-platform=headless on the command line does the same from outside.)
  app.commandLine.appendSwitch('ozone-platform', 'headless');
  app.disableHardwareAcceleration();
  app.dock?.hide();
  runHeadless().catch(fail);
} else {
  applyMemorySwitches(app);
  installMemoryProbe();
  // The window's page comes from rdl-sync://app/ (app-protocol.ts). Chromium learns a scheme's
  // privileges only before the app is ready: standard (an origin, relative URLs resolve),
  // secure (a secure context, as https). Not bypassCSP, not fetch or CORS: the page needs none.
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true } },
  ]);
  // Another instance owns the tray; it opens its window on 'second-instance'.
  if (!app.requestSingleInstanceLock()) app.quit();
  else app.whenReady().then(runTrayApp).catch(fail);
}
