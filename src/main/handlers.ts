// Main's handler table: every window call mapped onto the engine facade or an app service.
// Typed by the contract (IpcHandlers), so a missing or mistyped handler does not compile.
// No Electron here: the app services are injected (Electron's in main.ts, fakes in tests).
import type { ChannelResult, EngineApi, Settings } from '../engine/index.js';
import type { Commands } from './commands.js';
import type { DemoMode } from './demo-mode.js';
import { windowFixedIssues } from './window-fixed-settings.js';
import type {
  AppInfo,
  FilePurpose,
  FolderPurpose,
  IpcHandlers,
  LogLine,
  OldSetup,
  OpenPathKind,
  SettingField,
} from '../shared/ipc.js';

/** What the desktop shell provides beyond the engine (dialogs, shell, login item, log file). */
export interface AppServices {
  pickFolder(purpose: FolderPurpose, current: string): Promise<string | null>;
  pickFile(purpose: FilePurpose): Promise<string | null>;
  /** Opens a folder or file in the system's file manager / editor. */
  openPath(absolutePath: string): Promise<void>;
  /** Opens an https URL (already validated) in the system browser. */
  openExternal(url: string): Promise<void>;
  readLogTail(lines: number): Promise<LogLine[]>;
  appInfo(): AppInfo;
  /** Writes a line from the window to the app log. */
  logFromWindow(level: 'warn' | 'error', text: string): void;
  /** Applies start-at-login to the OS; returns what the OS now reports. */
  applyStartAtLogin(enabled: boolean): boolean;
  /** The old syncer's setups on this machine (old-setup-finder.ts). */
  findOldSetups(): Promise<OldSetup[]>;
}

/** The engine's alert service, as far as the window reaches it ("Send test alert"). */
export interface AlertsAccess {
  alerts: { sendTest(): Promise<ChannelResult[]> };
}

/** `commands`: main's command table; the window's actions run the same commands as the tray. */
export function createIpcHandlers(
  engine: EngineApi & AlertsAccess,
  app: AppServices,
  fields: () => SettingField[],
  commands: Commands,
  /** "Try the demo" (demo-mode.ts); absent where no demo can run. */
  demo?: DemoMode,
): IpcHandlers {
  const needDemo = (): DemoMode => {
    if (!demo) throw new Error('The demo is not available in this build.');
    return demo;
  };
  // The one address the system browser may be sent to: the authorize page the engine made for
  // the connection under way. The contract already refuses all but https; this refuses every
  // other https page too, so a window that ran code not ours could not open a look-alike login
  // page in the person's browser (Electron's checklist: no openExternal of untrusted content).
  let issuedAuthorizeUrl: string | null = null;
  const folderFor = (purpose: FolderPurpose, s: Settings): string =>
    purpose === 'watch' ? s.watchDir : purpose === 'transit' ? s.transitDir : s.archiveDir;

  return {
    getStatus: () => engine.getStatus(),
    syncNow: async () => {
      await commands.run('syncNow');
      return null;
    },
    pause: async (forMs) => {
      await commands.run('pause', forMs);
      return null;
    },
    resume: async () => {
      await commands.run('resume');
      return null;
    },
    queryHistory: (query) => engine.queryHistory(query),
    getSettings: () => engine.getSettings(),
    getSettingsFields: () => fields(),
    validateSettings: (candidate) => engine.validateSettings(candidate),
    saveSettings: async (candidate, loadedWith) => {
      // A file that cannot be used is replaced by the whole form (settings-service.ts): then a
      // fixed setting is held to the settings in force, not to what the page says it loaded.
      const whole =
        !loadedWith ||
        engine
          .getStatus()
          .problems.some((p) => p.code === 'settings-invalid' || p.code === 'setup-needed');
      const fixed = windowFixedIssues(
        candidate,
        whole ? undefined : loadedWith,
        engine.getSettings(),
      );
      if (fixed.length > 0) return { ok: false, issues: fixed };
      const before = engine.getSettings().startAtLogin;
      const result = await engine.saveSettings(candidate, loadedWith);
      if (result.ok && result.settings.startAtLogin !== before) {
        app.applyStartAtLogin(result.settings.startAtLogin);
      }
      return result;
    },
    previewRemotePath: (candidate, sampleRel) => engine.previewRemotePath(candidate, sampleRel),
    connectDropboxStart: async () => {
      const started = await engine.connectDropboxStart();
      issuedAuthorizeUrl = started.authorizeUrl;
      return started;
    },
    openAuthorizeUrl: async (url) => {
      if (issuedAuthorizeUrl === null || url !== issuedAuthorizeUrl)
        throw new Error(
          'Only the Dropbox page RDL Sync made for this connection opens in the browser: press Connect to Dropbox again.',
        );
      await app.openExternal(url);
      return null;
    },
    connectDropboxFinish: (code) => engine.connectDropboxFinish(code),
    disconnectDropbox: async () => {
      await engine.disconnectDropbox();
      return null;
    },
    importLegacy: (input) =>
      engine.importLegacy(
        input.uploaderConfigPath
          ? { configJsonPath: input.configJsonPath, uploaderConfigPath: input.uploaderConfigPath }
          : { configJsonPath: input.configJsonPath },
      ),
    pickFolder: (purpose) => app.pickFolder(purpose, folderFor(purpose, engine.getSettings())),
    pickFile: (purpose) => app.pickFile(purpose),
    openPath: async (kind: OpenPathKind) => {
      await commands.run('openPath', kind);
      return null;
    },
    readLogTail: (lines) => app.readLogTail(lines),
    getAppInfo: () => app.appInfo(),
    logFromWindow: (level, text) => {
      app.logFromWindow(level, text);
      return null;
    },
    findOldSetups: () => app.findOldSetups(),
    // The tray's Quit: the engine stops first (main's before-quit).
    quitApp: () => {
      commands.fire('quit');
      return null;
    },
    // fleet (issue 10)
    getActivity: () => engine.getActivity(),
    readFleet: () => engine.readFleet(),
    setStartAtLogin: async (enabled) => {
      const actual = app.applyStartAtLogin(enabled);
      const settings = engine.getSettings();
      if (settings.startAtLogin !== actual)
        await engine.saveSettings({ ...settings, startAtLogin: actual }, settings);
      return actual;
    },
    sendTestAlert: () => engine.alerts.sendTest(),
    // demo (issue 11)
    startDemo: () => needDemo().start(),
    leaveDemo: async () => {
      await needDemo().leave();
      return null;
    },
    demoState: () => demo?.state() ?? null,
  };
}
