// A pass on real parts without the engine around it: real folders, the emulator through the real
// SDK, the real journal and history, and the pass's events recorded in order, so a test can assert
// on the event stream itself. Its clock is the system's plus an offset a test can move forward
// (to step past a back-off without waiting for it).
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { buildPassDeps, buildRemote } from '../../src/engine/assemble.js';
import { History } from '../../src/engine/history/index.js';
import { Journal } from '../../src/engine/journal/index.js';
import type { PassDeps } from '../../src/engine/pipeline/deps.js';
import type { PassEvent } from '../../src/engine/pipeline/events.js';
import {
  newPassMemory,
  runPass,
  type PassMemory,
  type PassReport,
} from '../../src/engine/pipeline/pass.js';
import type { PassTicks } from '../../src/engine/pipeline/pass-ticks.js';
import { silentLogger, systemClock, type Clock } from '../../src/engine/ports.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { renderRemoteRoot } from '../../src/engine/settings/remote-root.js';
import { makeDirs, testSettings } from '../engine/harness.js';

export interface PassRig {
  root: string;
  watchDir: string;
  transitDir: string;
  archiveDir: string;
  emulator: Emulator;
  /** The refresh token the rig's Dropbox connection uses. */
  refreshToken: string;
  settings: Settings;
  journal: Journal;
  deps: PassDeps;
  memory: PassMemory;
  /** Every event of every pass so far, in order. */
  events: PassEvent[];
  /** Moves the rig's clock forward (back-off waits are then over). */
  advance(ms: number): void;
  drop(rel: string, content: string | Buffer): Promise<string>;
  /** Runs one pass (ticked by `ticks` if given); returns its report and the events it emitted. */
  pass(ticks?: PassTicks): Promise<{ report: PassReport; events: PassEvent[] }>;
  close(): Promise<void>;
}

/**
 * A pass's parts as the engine assembles them over these settings, journal and history,
 * uploading to the emulator with quick retries (for tests that run passes themselves).
 */
export function passDepsFor(
  settings: Settings,
  emulator: Emulator,
  refreshToken: string,
  parts: { journal: Journal; history: History; clock: Clock; emit?: (e: PassEvent) => void },
): PassDeps {
  const { journal, history, clock } = parts;
  const remote = buildRemote(
    settings,
    { appKey: emulator.appKey, refreshToken },
    {
      journal,
      clock,
      logger: silentLogger,
      retry: { baseMs: 5, capMs: 20, maxAttempts: 3 },
      remoteRoot: renderRemoteRoot(settings.remoteRootTemplate, { site: settings.site }),
    },
  );
  return buildPassDeps(settings, {
    remote,
    journal,
    history,
    emit: parts.emit ?? (() => {}),
    clock,
    logger: silentLogger,
  });
}

export async function startPassRig(extra: Partial<Settings> = {}): Promise<PassRig> {
  const dirs = await makeDirs('rdl-pass-');
  const emulator = await startEmulator({});
  const settings = testSettings(dirs, emulator, extra);
  let offset = 0;
  const clock: Clock = {
    now: () => systemClock.now() + offset,
    monotonic: () => performance.now() + offset,
    sleep: systemClock.sleep,
  };
  const journal = await Journal.open(path.join(dirs.configDir, 'journal.json'));
  const history = await History.open(path.join(dirs.configDir, 'history.jsonl'), 1000);
  const events: PassEvent[] = [];
  const refreshToken = emulator.issueRefreshToken();
  const deps = passDepsFor(settings, emulator, refreshToken, {
    journal,
    history,
    clock,
    emit: (e) => events.push(e),
  });
  await fs.mkdir(dirs.transitDir, { recursive: true });
  const memory = newPassMemory();
  return {
    ...dirs,
    emulator,
    refreshToken,
    settings,
    journal,
    deps,
    memory,
    events,
    advance: (ms) => (offset += ms),
    async drop(rel, content) {
      const p = path.join(dirs.watchDir, ...rel.split('/'));
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, content);
      return p;
    },
    async pass(ticks) {
      const from = events.length;
      const report = await runPass(deps, memory, new AbortController().signal, ticks);
      return { report, events: events.slice(from) };
    },
    async close() {
      await journal.close();
      await history.close();
      await emulator.close();
      await fs.rm(dirs.root, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with a fresh rig, closed afterwards whatever happens. */
export async function withRig(fn: (r: PassRig) => Promise<void>): Promise<void> {
  const r = await startPassRig();
  try {
    await fn(r);
  } finally {
    await r.close();
  }
}

/** The events about one file, as `type:leg` words (progress left out: its count depends on chunking). */
export function storyOf(events: PassEvent[], rel: string): string[] {
  return events
    .filter((e) => 'rel' in e && e.rel === rel && e.type !== 'leg-progress')
    .map((e) => ('leg' in e ? `${e.type}:${e.leg}` : e.type));
}
