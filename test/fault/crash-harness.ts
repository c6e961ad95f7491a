// The crash tests' scenario: the real daemon started, fed, SIGKILLed at a moment it has work in
// flight, restarted; and the audit of Dropbox, the SD card and the history afterwards. Every wait
// has a deadline; every child is killed in cleanup().
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, dropboxContentHash, type Emulator } from '../../tools/emulator/index.js';
import { History } from '../../src/engine/history/index.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { makeDirs, testSettings, writeConfig, listFilesRel, localHash } from '../engine/harness.js';
import { readPublishedStatus } from '../cli/cli-harness.js';
import { cliCommand } from '../cli/cli-command.js';

const repo = path.resolve(import.meta.dirname, '../..');
const START_DEADLINE_MS = 60_000;
const WORK_DEADLINE_MS = 30_000;
const DRAIN_DEADLINE_MS = 120_000;
const SIGTERM_DEADLINE_MS = 20_000;
const EXIT_DEADLINE_MS = 10_000;

export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` holds; fails naming what it waited for once the deadline passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 25,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves when the child has exited, or false after `timeoutMs`. */
export async function exitWithin(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!running(child)) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (running(child)) child.kill('SIGKILL');
  if (!(await exitWithin(child, EXIT_DEADLINE_MS)))
    throw new Error(`pid ${child.pid} did not die within ${EXIT_DEADLINE_MS} ms of SIGKILL`);
}

/** Everything one run of the scenario needs, and the children to kill whatever happens. */
export class Scenario {
  readonly children: ChildProcess[] = [];
  readonly expected = new Map<string, string>(); // rel -> content hash
  stderr = '';
  kills = 0;
  killsInFlight = 0;

  constructor(
    readonly dirs: Awaited<ReturnType<typeof makeDirs>>,
    readonly emulator: Emulator,
    readonly random: () => number,
  ) {}

  async write(rel: string, body: Buffer): Promise<void> {
    const p = path.join(this.dirs.watchDir, ...rel.split('/'));
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, body);
    this.expected.set(rel, dropboxContentHash(body));
  }

  startDaemon(): ChildProcess {
    const child = spawn(
      process.execPath,
      [...cliCommand(), 'run', '--config-dir', this.dirs.configDir],
      {
        cwd: repo,
        env: { ...process.env, HOME: this.dirs.root, RDL_SYNC_QUIET: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.children.push(child);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-20_000);
    });
    return child;
  }

  /** The daemon logged its start (its log line names its pid). */
  async started(child: ChildProcess): Promise<void> {
    const log = path.join(this.dirs.configDir, 'logs', 'rdl-sync.log');
    await waitUntil(
      `daemon ${child.pid} to log its start`,
      async () => {
        if (!running(child)) throw new Error(`daemon exited early: ${this.stderr.slice(-2000)}`);
        return (await fs.readFile(log, 'utf8').catch(() => '')).includes(`"pid":${child.pid}`);
      },
      START_DEADLINE_MS,
    );
  }

  /** Work in flight: files in the transit queue, or transfers the daemon reports. */
  async inFlight(child: ChildProcess): Promise<boolean> {
    if ((await listFilesRel(this.dirs.transitDir)).length > 0) return true;
    const p = await readPublishedStatus(this.dirs.configDir);
    return p !== null && p.pid === child.pid && p.status.transfers.length > 0;
  }

  /**
   * Gives the daemon new files (so it has work whatever the last one finished), starts it, waits
   * until it has work in flight, lets a random moment pass, kills it. Should this daemon have
   * finished the new files before the test looked, it gets more, up to three times.
   */
  async killRound(feed: (batch: number) => Promise<void>): Promise<void> {
    await feed(0);
    const child = this.startDaemon();
    await this.started(child);
    for (let batch = 1; ; batch++) {
      try {
        await waitUntil(
          `daemon ${child.pid} to have work in flight`,
          () => this.inFlight(child),
          batch < 3 ? 5_000 : WORK_DEADLINE_MS,
        );
        break;
      } catch (e) {
        if (batch >= 3) throw e;
        await feed(batch);
      }
    }
    await sleep(this.random() * 400);
    if (await this.inFlight(child)) this.killsInFlight++;
    await killHard(child);
    this.kills++;
  }

  /** Nothing waits in the watch or transit folder: what a last daemon drains to. */
  async queueEmpty(): Promise<boolean> {
    const [w, t] = await Promise.all([
      listFilesRel(this.dirs.watchDir),
      listFilesRel(this.dirs.transitDir),
    ]);
    return w.length === 0 && t.length === 0;
  }

  /** A last daemon drains the queue (until `drained` holds), then must stop on SIGTERM. */
  async drainAndStop(drained: () => Promise<boolean>): Promise<void> {
    const child = this.startDaemon();
    await this.started(child);
    await waitUntil('the queue to drain', drained, DRAIN_DEADLINE_MS, 250);
    child.kill('SIGTERM');
    if (!(await exitWithin(child, SIGTERM_DEADLINE_MS))) {
      await killHard(child);
      assert.fail(`the daemon ignored SIGTERM for ${SIGTERM_DEADLINE_MS} ms and was SIGKILLed`);
    }
    assert.equal(child.exitCode, 0, `daemon did not stop cleanly: ${this.stderr.slice(-2000)}`);
  }

  /** Compares Dropbox, the SD card and the history with what was written. */
  async audit(exclude: Set<string> = new Set()): Promise<Audit> {
    const root = '/RDL/site1/';
    const remote = new Map(
      this.emulator
        .listFiles()
        .filter((f) => f.pathDisplay.startsWith(root))
        .map((f) => [f.pathDisplay.slice(root.length), f.contentHash]),
    );
    const archived = await listFilesRel(this.dirs.archiveDir);
    const a: Audit = { lost: [], mismatched: [], extraRemote: [], extraArchive: [], records: [] };
    for (const [rel, hash] of this.expected) {
      const r = remote.get(rel);
      const c = await localHash(path.join(this.dirs.archiveDir, ...rel.split('/'))).catch(
        () => undefined,
      );
      if (r === undefined || c === undefined) a.lost.push(rel);
      else if (r !== hash || c !== hash) a.mismatched.push(rel);
    }
    a.extraRemote = [...remote.keys()].filter((r) => !this.expected.has(r) && !exclude.has(r));
    a.extraArchive = archived.filter((r) => !this.expected.has(r) && !exclude.has(r));
    const history = await History.open(path.join(this.dirs.configDir, 'history.jsonl'), 100_000);
    const done = new Map<string, number>();
    for (const r of history.query({ limit: 1_000_000 }))
      if (r.outcome === 'done') done.set(r.rel, (done.get(r.rel) ?? 0) + 1);
    await history.close();
    for (const rel of this.expected.keys())
      if (done.get(rel) !== 1) a.records.push(`${rel}: ${done.get(rel) ?? 0}`);
    return a;
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) if (running(c)) c.kill('SIGKILL');
    await Promise.all(this.children.map((c) => exitWithin(c, EXIT_DEADLINE_MS)));
  }
}

export interface Audit {
  lost: string[];
  mismatched: string[];
  /** Files on Dropbox / the card that were never written: retries' "name (1)" copies. */
  extraRemote: string[];
  extraArchive: string[];
  /** Files whose number of 'done' history records is not exactly one. */
  records: string[];
}

export function summary(a: Audit): string {
  return `lost ${a.lost.length}, mismatched ${a.mismatched.length}, duplicates on Dropbox ${a.extraRemote.length}, duplicates on SD card ${a.extraArchive.length}, files without exactly one history record ${a.records.length}`;
}

export function assertClean(a: Audit): void {
  assert.deepEqual(a.lost.slice(0, 10), [], 'lost');
  assert.deepEqual(a.mismatched.slice(0, 10), [], 'Dropbox and the card differ from the source');
  assert.deepEqual(a.extraRemote.slice(0, 10), [], 'duplicates on Dropbox');
  assert.deepEqual(a.extraArchive.slice(0, 10), [], 'duplicates on the SD card');
  assert.deepEqual(a.records.slice(0, 10), [], 'history records per file (want exactly one)');
}

export async function withScenario(
  name: string,
  settings: Partial<Settings>,
  fn: (s: Scenario) => Promise<void>,
): Promise<void> {
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
  const dirs = await makeDirs(`rdl-crash-${name}-`);
  const emulator = await startEmulator({});
  const s = new Scenario(dirs, emulator, seededRandom(seed));
  const started = performance.now();
  try {
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { concurrency: 4, chunkSizeMiB: 4, ...settings }),
      emulator,
    );
    await fn(s);
  } finally {
    console.log(
      `crash test ${name} (seed ${seed}): ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await s.cleanup();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
}

/**
 * A logger child process: holds `file` open, appends `lines` lines, stops writing for `pauseMs`
 * half-way (longer than stableSeconds: only knowing the file is open keeps it from being staged),
 * then finishes and closes. Its bytes are a function of its arguments, so the test knows them.
 */
export function loggerBody(tag: string, lines: number): Buffer {
  let out = '';
  for (let i = 0; i < lines; i++) out += `${tag},${i},${'x'.repeat(40 + (i % 17))}\n`;
  return Buffer.from(out);
}

export const LOGGER_SCRIPT = `
const fs = require('node:fs');
const [file, tag, lines, everyMs, pauseMs] = process.argv.slice(1);
const fd = fs.openSync(file, 'a');
let i = 0;
const line = (n) => tag + ',' + n + ',' + 'x'.repeat(40 + (n % 17)) + '\\n';
const next = () => {
  if (i === +lines) { fs.fsyncSync(fd); fs.closeSync(fd); return; }
  fs.writeSync(fd, line(i));
  i++;
  setTimeout(next, i === Math.floor(+lines / 2) ? +pauseMs : +everyMs);
};
next();
`;
