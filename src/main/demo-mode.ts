// "Try the demo" (issue 11, defect 5): the app runs against the bundled Dropbox emulator, in this
// process on 127.0.0.1 (port 0), with made-up logger files, so a newcomer sees files go Done/Done
// without a Dropbox account. Everything the demo makes lives in `<configDir>/demo/`: its own
// settings, credentials, watch, transit and archive folders. The real engine keeps running
// untouched on the real config; the window and tray talk to whichever engine is active through
// `engine` below. Leaving deletes `<configDir>/demo/` and nothing else. No Electron here.
// What stays the real engine's while the demo runs: `status.json` (what `rdl-sync status`
// reads is the real site's, even unconfigured: "setup needed"), its alerts to the desktop and
// its fleet heartbeat. The demo engine publishes no status, keeps its alert state and history
// in `demo/config`, and its heartbeat goes to its own emulator, never to the real Dropbox.
import fs from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Emulator } from '../../tools/emulator/index.js';
import {
  ALERT_SETTING_KEYS,
  createEngine,
  defaultSettings,
  FileCredentialStore,
  loadSettingsWriter,
  openSettingsService,
  type Engine,
  type FieldIssue,
  type Logger,
  type Settings,
  type SettingsValidation,
  type StatusSnapshot,
} from '../engine/index.js';
import type { DemoInfo } from '../shared/ipc.js';

/** Small enough to finish in seconds on a slow link; one file is bigger than a chunk. */
const SAMPLE_FILES = 8;
const LARGE_MIB = 1;

/**
 * Settings that reach outside the demo's folder: the person's own folders (a watch folder of
 * theirs was synced into the demo's archive, which leaving deletes: their files were gone), the
 * Dropbox it uploads to, the people alerted (the alert settings), the login item. Fixed while the
 * demo runs; the rest (schedule, ignore patterns, transfers, retention of the demo's archive) can
 * be tried.
 */
const DEMO_FIXED: readonly (keyof Settings)[] = [
  'watchDir',
  'transitDir',
  'archiveDir',
  'dropboxEndpoint',
  'dropboxAppKey',
  'startAtLogin',
  // Who is alerted and how (the policy's timings come with them: nothing to try in a demo).
  ...ALERT_SETTING_KEYS,
];

export const DEMO_FIXED_MESSAGE =
  'Fixed in the demo, which keeps to its own folders and its local Dropbox emulator: leave the demo to set yours (nothing of yours is touched while it runs)';

/** The fixed settings `candidate` changes from the demo's own. */
function demoFixedIssues(candidate: unknown, now: Settings): FieldIssue[] {
  if (typeof candidate !== 'object' || candidate === null) return [];
  const c = candidate as Record<string, unknown>;
  return DEMO_FIXED.filter((k) => Object.hasOwn(c, k) && !isDeepStrictEqual(c[k], now[k])).map(
    (field) => ({ field, message: DEMO_FIXED_MESSAGE }),
  );
}

export interface DemoMode {
  /** The engine the window and tray should use: the demo's while it runs, else the real one. */
  readonly engine: Engine;
  state(): DemoInfo | null;
  start(): Promise<DemoInfo>;
  /** Stops the demo and deletes its folder; the real engine is active again. */
  leave(): Promise<void>;
}

/** Where the demo lives: `<configDir>/demo/`, and nothing of it anywhere else. */
export function demoFolder(configDir: string): string {
  return path.join(configDir, 'demo');
}

/**
 * A demo folder left by a crash (or a kill) mid-demo: removed when the app starts, not only
 * when the next demo starts, so a person who never tries the demo again is not left with its
 * sample files, emulator login and archive in the settings folder. Only the app instance that
 * holds the single-instance lock calls this, so no running demo is ever removed.
 */
export async function removeLeftoverDemo(configDir: string, logger: Logger): Promise<boolean> {
  const folder = demoFolder(configDir);
  try {
    await fs.lstat(folder);
  } catch {
    return false; // none: the usual case
  }
  // A symlink named demo is removed as a link; rm never follows it out of the config folder.
  await fs.rm(folder, { recursive: true, force: true });
  logger.info('Removed a demo folder left by an earlier run', { folder });
  return true;
}

/** Writes the demo's settings file, validated as the Settings tab's saves are; throws if refused. */
async function saveDemoSettings(
  configDir: string,
  home: string,
  settings: Settings,
): Promise<void> {
  await loadSettingsWriter();
  const service = openSettingsService({ configDir, home });
  try {
    const saved = service.save(settings);
    if (!saved.ok)
      throw new Error(`demo settings refused: ${saved.issues.map((i) => i.message).join('; ')}`);
  } finally {
    service.close();
  }
}

interface Running {
  engine: Engine;
  emulator: Emulator;
  info: DemoInfo;
}

export function createDemoMode(opts: {
  real: Engine;
  /** The app's config folder; the demo lives in its `demo/` subfolder. */
  configDir: string;
  home: string;
  logger: Logger;
}): DemoMode {
  const root = demoFolder(opts.configDir);
  let running: Running | null = null;
  let starting: Promise<DemoInfo> | null = null;
  const listeners = new Set<(s: StatusSnapshot) => void>();
  const active = (): Engine => running?.engine ?? opts.real;
  const emit = (s: StatusSnapshot): void => listeners.forEach((l) => l(s));
  // Each engine reports to the window only while it is the active one.
  opts.real.onStatus((s) => {
    if (!running) emit(s);
  });

  const stopDemo = async (): Promise<void> => {
    const r = running;
    if (!r) return;
    running = null;
    emit(opts.real.getStatus());
    await r.engine.stop();
    await r.emulator.close();
    // Only the demo's own folder, never the real settings beside it.
    await fs.rm(r.info.folder, { recursive: true, force: true });
    opts.logger.info('Demo left: its folder was removed', { folder: r.info.folder });
  };

  const engine = new Proxy(opts.real, {
    get(_target, prop) {
      if (prop === 'onStatus') {
        return (l: (s: StatusSnapshot) => void) => {
          listeners.add(l);
          return () => listeners.delete(l);
        };
      }
      // Quitting stops both: the demo (and its folder) first, then the real engine.
      if (prop === 'stop') return async () => (await stopDemo(), await opts.real.stop());
      const demoEngine = running?.engine;
      if (demoEngine) {
        // Only the fixed fields are said when one is changed: the rest follow from that change
        // (recipients set: "needs an SMTP server").
        if (prop === 'validateSettings')
          return (candidate: unknown): SettingsValidation => {
            const fixed = demoFixedIssues(candidate, demoEngine.getSettings());
            return fixed.length > 0
              ? { ok: false, issues: fixed }
              : demoEngine.validateSettings(candidate);
          };
        if (prop === 'saveSettings')
          return async (
            candidate: unknown,
            loadedWith?: Record<string, unknown>,
          ): Promise<SettingsValidation> => {
            const fixed = demoFixedIssues(candidate, demoEngine.getSettings());
            if (fixed.length > 0) return { ok: false, issues: fixed };
            return demoEngine.saveSettings(candidate, loadedWith);
          };
        // An import sets up this computer's own syncing: run in the demo, it synced the old
        // syncer's real watch folder into the demo's archive, deleted on leaving.
        if (prop === 'importLegacy')
          return () =>
            Promise.reject(
              new Error(
                'Leave the demo first: importing the old syncer sets up this computer’s own syncing, which the demo never touches.',
              ),
            );
      }
      const target = active();
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });

  const begin = async (): Promise<DemoInfo> => {
    await fs.rm(root, { recursive: true, force: true }); // a demo left by a crash
    const dirs = {
      config: path.join(root, 'config'),
      watch: path.join(root, 'watch'),
      transit: path.join(root, 'transit'),
      archive: path.join(root, 'archive'),
      scratch: path.join(root, 'logger-scratch'),
    };
    for (const d of Object.values(dirs)) await fs.mkdir(d, { recursive: true });
    // Loaded only when someone tries the demo: the emulator and the sample-file maker are code
    // the tray app otherwise never runs, so they stay out of its idle memory.
    const [{ startEmulator }, { planSamples, publish }, { demoSettings }] = await Promise.all([
      import('../../tools/emulator/index.js'),
      import('../../tools/demo/sample-files.js'),
      import('../../tools/demo/demo-settings.js'),
    ]);
    const emulator = await startEmulator({});
    try {
      // The emulator's test login, as `rdl-sync auth` would save it after the browser step.
      await new FileCredentialStore(dirs.config).save({
        appKey: emulator.appKey,
        refreshToken: emulator.issueRefreshToken(),
      });
      // Saved before its engine opens, through the one validation every save takes: an engine
      // opened on the empty folder first raised "setup needed" and, at this save, logged "problem
      // resolved settings-invalid", a problem the person never saw (user trial).
      await saveDemoSettings(dirs.config, opts.home, {
        ...defaultSettings(opts.home),
        ...demoSettings(dirs, emulator),
        startAtLogin: false,
      });
      const demoEngine = await createEngine({
        configDir: dirs.config,
        home: opts.home,
        logger: opts.logger,
      });
      const info: DemoInfo = { folder: root, dropboxUrl: emulator.url, watchDir: dirs.watch };
      running = { engine: demoEngine, emulator, info };
      demoEngine.onStatus((s) => {
        if (running?.engine === demoEngine) emit(s);
      });
      await demoEngine.start();
      emit(demoEngine.getStatus());
      const plan = planSamples(SAMPLE_FILES, 1, LARGE_MIB);
      for (const burst of plan.bursts) {
        for (const file of burst) await publish(file, dirs.scratch, dirs.watch);
      }
      demoEngine.syncNow();
      opts.logger.info('Demo started: files go to the local Dropbox emulator', {
        folder: root,
        dropbox: emulator.url,
      });
      return info;
    } catch (e) {
      if (running) await stopDemo();
      else {
        await emulator.close();
        await fs.rm(root, { recursive: true, force: true });
      }
      throw e;
    }
  };

  return {
    engine,
    state: () => running?.info ?? null,
    start: () => {
      if (running) return Promise.resolve(running.info);
      starting ??= begin().finally(() => (starting = null));
      return starting;
    },
    leave: async () => {
      await starting?.catch(() => undefined);
      await stopDemo();
    },
  };
}
