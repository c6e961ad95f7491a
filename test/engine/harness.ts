// A real engine on real folders, talking to the Dropbox emulator over HTTP: what the engine tests,
// the crash test and the window tests build on.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../tools/emulator/index.js';
import { createEngine, type Engine, type EngineOptions } from '../../src/engine/engine.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import type { Logger } from '../../src/engine/ports.js';
import { hashFileDropbox } from '../../src/engine/fsutil/index.js';

export interface Harness {
  root: string;
  configDir: string;
  watchDir: string;
  transitDir: string;
  archiveDir: string;
  emulator: Emulator;
  settings: Settings;
  engine: Engine;
  /** Writes a file into the watch folder (creating folders) and returns its absolute path. */
  drop(rel: string, content: string | Buffer): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  settings?: Partial<Settings>;
  emulator?: EmulatorOptions;
  engine?: Partial<EngineOptions>;
  connect?: boolean;
}

export async function makeDirs(prefix = 'rdl-engine-'): Promise<{
  root: string;
  configDir: string;
  watchDir: string;
  transitDir: string;
  archiveDir: string;
}> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const dirs = {
    root,
    configDir: path.join(root, 'config'),
    watchDir: path.join(root, 'tosync'),
    transitDir: path.join(root, 'transit'),
    archiveDir: path.join(root, 'sdcard'),
  };
  await fs.mkdir(dirs.archiveDir, { recursive: true });
  // The logger's folder exists before RDL Sync runs: the engine never creates a watch folder
  // other than the default one (a typo must not silently become an empty tree).
  await fs.mkdir(dirs.watchDir, { recursive: true });
  return dirs;
}

export function testSettings(
  dirs: { watchDir: string; transitDir: string; archiveDir: string },
  emulator: Emulator,
  extra: Partial<Settings> = {},
): Settings {
  return {
    ...defaultSettings(),
    watchDir: dirs.watchDir,
    transitDir: dirs.transitDir,
    archiveDir: dirs.archiveDir,
    archiveMustBeMountPoint: false,
    site: 'site1',
    remoteRootTemplate: '/RDL/{site}',
    stableSeconds: 0,
    intervalSeconds: 2,
    chunkSizeMiB: 4,
    dropboxAppKey: emulator.appKey,
    dropboxEndpoint: emulator.url,
    ...extra,
  };
}

export async function writeConfig(
  configDir: string,
  settings: Settings,
  emulator: Emulator | null,
): Promise<void> {
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify(settings, null, 2));
  if (emulator) {
    await new FileCredentialStore(configDir).save({
      appKey: emulator.appKey,
      refreshToken: emulator.issueRefreshToken(),
    });
  }
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dirs = await makeDirs();
  const emulator = await startEmulator(opts.emulator ?? {});
  const settings = testSettings(dirs, emulator, opts.settings);
  await writeConfig(dirs.configDir, settings, opts.connect === false ? null : emulator);
  const engine = await createEngine({
    configDir: dirs.configDir,
    home: dirs.root,
    retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
    ...opts.engine,
  });
  return {
    ...dirs,
    emulator,
    settings,
    engine,
    async drop(rel, content) {
      const p = path.join(dirs.watchDir, ...rel.split('/'));
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, content);
      return p;
    },
    async close() {
      await engine.stop();
      await emulator.close();
      await fs.rm(dirs.root, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` on a fresh harness and closes it whatever happens. */
export async function withHarness(
  opts: HarnessOptions,
  fn: (h: Harness) => Promise<void>,
): Promise<void> {
  const h = await startHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** Every regular file below `dir`, as rel paths with '/'. */
export async function listFilesRel(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, prefix: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), rel);
      else if (e.isFile()) out.push(rel);
    }
  }
  await walk(dir, '');
  return out.sort();
}

export async function localHash(p: string): Promise<string> {
  return hashFileDropbox(p);
}

/** One line a recordingLogger was told. */
export type LoggedLine = { level: string; message: string; fields?: Record<string, unknown> };

/** A logger that keeps what it is told, for tests that assert what was (or was not) logged. */
export function recordingLogger(): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void =>
      void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
