// Stand-ins for the engine and the desktop shell in the IPC unit tests, typed against the real
// interfaces. The window e2e tests (test/renderer) use the real engine instead.
import type { EngineApi, SettingsValidation } from '../../src/engine/api.js';
import { STATIC_DEFAULTS, type Settings } from '../../src/engine/settings/schema.js';
import type { AlertsAccess, AppServices } from '../../src/main/handlers.js';
import { createCommands, type Commands } from '../../src/main/commands.js';
import type { AppInfo } from '../../src/shared/ipc.js';
import { statusFixture } from './status-fixture.js';

export interface Recorder {
  calls: [string, ...unknown[]][];
}

export function fakeEngine(rec: Recorder): EngineApi & AlertsAccess {
  let settings: Settings = {
    ...STATIC_DEFAULTS,
    watchDir: '/data/tosync',
    transitDir: '/data/transit',
  };
  const validation = (candidate: unknown): SettingsValidation => ({
    ok: true,
    settings: { ...settings, ...(candidate as Partial<Settings>) },
  });
  return {
    getStatus: () => statusFixture(),
    onStatus: () => () => {},
    syncNow: () => void rec.calls.push(['syncNow']),
    pause: async (forMs) => void rec.calls.push(['pause', forMs]),
    resume: async () => void rec.calls.push(['resume']),
    queryHistory: (q) => (rec.calls.push(['queryHistory', q]), []),
    getActivity: () => ({ nowMs: 0, hours: [] }),
    readFleet: async () => ({
      folder: '/RDL/_fleet',
      readAtMs: 0,
      folderMissing: true,
      sites: [],
      unreadable: [],
      ownBeat: null,
    }),
    getSettings: () => settings,
    validateSettings: validation,
    saveSettings: async (c) => {
      rec.calls.push(['saveSettings', c]);
      const v = validation(c);
      if (v.ok) settings = v.settings;
      return v;
    },
    previewRemotePath: (_c, rel) => ({ ok: true, path: `/RDL/${rel}` }),
    connectDropboxStart: async () => ({
      authorizeUrl: 'https://www.dropbox.com/oauth2/authorize?x=1',
    }),
    connectDropboxFinish: async (code) => {
      rec.calls.push(['connectDropboxFinish', code]);
      return { accountId: 'a', displayName: 'Lab', email: 'e@x', usedBytes: 0, allocatedBytes: 1 };
    },
    disconnectDropbox: async () => {},
    alerts: {
      sendTest: async () => (
        rec.calls.push(['sendTestAlert']),
        [{ channel: 'email', label: 'email to ops@example.org', ok: true }]
      ),
    },
    importLegacy: async () => ({ changes: [], credentialsImported: false, warnings: [] }),
    stop: async () => {},
  };
}

/** Main's real command table over `engine` and `app`; window and quit are recorded. */
export function commandsFor(
  engine: EngineApi,
  app: AppServices,
  record: (call: [string, ...string[]]) => void,
): Commands {
  return createCommands(
    {
      engine,
      openPath: (p) => app.openPath(p),
      files: () => app.appInfo(),
      openWindow: (tab) => record(['openWindow', tab ?? '']),
      quit: () => record(['quit']),
    },
    (id, error) => record(['failed', id, error.message]),
  );
}

export function fakeAppServices(rec: Recorder): AppServices {
  const info: AppInfo = {
    version: '0.1.0',
    platform: 'linux',
    credentials: {
      encrypted: false,
      backend: 'file',
      location: '/cfg/credentials.json',
      summary: 'x',
    },
    startAtLogin: false,
    configPath: '/cfg/config.json',
    logPath: '/cfg/logs/main.log',
    windowModeNote: null,
  };
  return {
    pickFolder: async (purpose, current) => (
      rec.calls.push(['pickFolder', purpose, current]),
      '/picked'
    ),
    pickFile: async () => null,
    openPath: async (p) => void rec.calls.push(['openPath', p]),
    openExternal: async (u) => void rec.calls.push(['openExternal', u]),
    readLogTail: async (n) =>
      Array.from({ length: n }, (_, i) => ({ text: `line ${i}`, level: 'info' as const })),
    appInfo: () => info,
    logFromWindow: (level, text) => void rec.calls.push(['logFromWindow', level, text]),
    applyStartAtLogin: (on) => (rec.calls.push(['applyStartAtLogin', on]), on),
    findOldSetups: async () => [],
  };
}
