// npm run demo [-- --files N] [--keep]
//
// RDL Sync end to end with no Dropbox account and no SD card: a local Dropbox emulator, temporary
// watch / transit / "SD card" folders, a pretend logger writing files for a few seconds, and the
// real daemon (`rdl-sync run`, what users run) moving them. Ends with a per-file check that
// Dropbox and the SD-card folder both hold every file with the right content hash.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator, type Emulator } from '../tools/emulator/index.js';
import { DEMO_REMOTE_ROOT, demoSettings } from '../tools/demo/demo-settings.js';
import { FileCredentialStore } from '../src/engine/credentials/index.js';
import { defaultSettings } from '../src/engine/settings/defaults.js';
import { loadSettingsWriter, openSettingsStore } from '../src/engine/settings/store.js';
import type { StatusSnapshot } from '../src/engine/status/types.js';
import { planSamples, publish, type SampleFile } from '../tools/demo/sample-files.js';
import { progressLine } from '../tools/demo/progress.js';
import { allArrived, checkFiles, summaryTable } from '../tools/demo/verify.js';

const USAGE = `usage: npm run demo [-- --files N] [--keep]
  --files N   small logger files to write (CSV and JPEG), 1..500, default 12; one 10 MiB file is added
  --keep      keep the temporary folders (watch, transit, SD card, config, log) afterwards`;

const repo = path.resolve(import.meta.dirname, '..');
const WRITE_SECONDS = 5;
const LARGE_MIB = 10;
const LINK_BYTES_PER_SECOND = 5_000_000;
/** Generous: the whole demo normally finishes in well under half of this. */
const DEADLINE_MS = 90_000;

interface Options {
  files: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      files: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const files = values.files === undefined ? 12 : Number(values.files);
  if (!Number.isInteger(files) || files < 1 || files > 500) {
    throw new Error(`--files must be a whole number from 1 to 500, not "${values.files}"`);
  }
  return { files, keep: Boolean(values.keep) };
}

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Folders {
  root: string;
  home: string;
  config: string;
  watch: string;
  transit: string;
  sdCard: string;
  scratch: string;
}

async function makeFolders(): Promise<Folders> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-sync-demo-'));
  const f: Folders = {
    root,
    home: path.join(root, 'home'),
    config: path.join(root, 'config'),
    watch: path.join(root, 'tosync'),
    transit: path.join(root, 'transit'),
    sdCard: path.join(root, 'sdcard-SD1'),
    scratch: path.join(root, 'logger-scratch'),
  };
  for (const dir of [f.home, f.watch, f.transit, f.sdCard, f.scratch]) {
    await fs.mkdir(dir, { recursive: true });
  }
  return f;
}

/** The same settings file the tray app and `rdl-sync settings set` write, validated on save. */
async function configure(f: Folders, emulator: Emulator): Promise<void> {
  await loadSettingsWriter();
  const store = openSettingsStore({ configDir: f.config, home: f.home });
  try {
    const saved = store.save({
      ...defaultSettings(f.home),
      ...demoSettings({ watch: f.watch, transit: f.transit, archive: f.sdCard }, emulator),
    });
    if (!saved.ok) {
      throw new Error(`demo settings refused: ${saved.issues.map((i) => i.message).join('; ')}`);
    }
  } finally {
    store.close();
  }
  // What `rdl-sync auth` would save after the browser step.
  await new FileCredentialStore(f.config).save({
    appKey: emulator.appKey,
    refreshToken: emulator.issueRefreshToken(),
  });
}

function startDaemon(f: Folders): { child: ChildProcess; stderr: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), 'run', '--config-dir', f.config],
    {
      cwd: repo,
      env: { ...process.env, HOME: f.home, RDL_SYNC_QUIET: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return { child, stderr: () => stderr };
}

async function readStatus(
  f: Folders,
): Promise<{ pid: number | null; status: StatusSnapshot } | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(f.config, 'status.json'), 'utf8')) as {
      pid: number | null;
      status: StatusSnapshot;
    };
  } catch {
    return null;
  }
}

async function countFiles(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).length;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function stopDaemon(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  // A daemon that ignores SIGTERM is killed after a while; the timer must not hold the demo open.
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    return await exited(child);
  } finally {
    clearTimeout(killer);
  }
}

async function run(opts: Options): Promise<number> {
  const started = Date.now();
  const emulator = await startEmulator({});
  // Locally everything would finish in a blink; a field-like link lets the progress be seen.
  emulator.shapeLink({ latencyMs: 20, bytesPerSecond: LINK_BYTES_PER_SECOND });
  const f = await makeFolders();
  let daemon: ChildProcess | null = null;
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
    say('\nInterrupted: stopping the daemon and cleaning up.');
  };
  process.once('SIGINT', onInterrupt);
  try {
    await configure(f, emulator);
    say('RDL Sync demo — no Dropbox account or SD card needed');
    say(`  Dropbox:        local emulator at ${emulator.url}, files go to ${DEMO_REMOTE_ROOT}/`);
    say(
      `                  link shaped to ${(LINK_BYTES_PER_SECOND * 8) / 1e6} Mbit/s and 20 ms latency, so transfers can be watched`,
    );
    say(`  Watch folder:   ${f.watch}   (the logger writes here)`);
    say(`  Transit folder: ${f.transit}   (the queue until both copies are verified)`);
    say(`  SD card:        ${f.sdCard}`);
    say(
      '                  a folder standing in for the SD card (archiveMustBeMountPoint is false for the demo)',
    );
    say(`  Settings:       ${path.join(f.config, 'config.json')}`);
    say(`  Daemon:         rdl-sync run --config-dir ${f.config}`);
    say();

    const d = startDaemon(f);
    daemon = d.child;
    const ready = Date.now() + 30_000;
    while (!((await readStatus(f))?.pid === daemon.pid)) {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited early:\n${d.stderr()}`);
      if (Date.now() > ready) throw new Error('the daemon did not publish its status in 30 s');
      await sleep(100);
    }
    say(`Daemon running (pid ${daemon.pid}). The logger starts writing:`);

    const plan = planSamples(opts.files, WRITE_SECONDS, LARGE_MIB);
    const expectedCount = plan.bursts.reduce((n, b) => n + b.length, 0);
    const written: SampleFile[] = [];
    const writer = (async () => {
      for (const burst of plan.bursts) {
        const batch = await Promise.all(burst.map((file) => publish(file, f.scratch, f.watch)));
        written.push(...batch);
        const names = batch.map((b) => `${b.rel} (${b.size.toLocaleString('en')} B)`);
        if (batch.length > 0) say(`  + logger wrote ${batch.length}: ${names.join(', ')}`);
        await sleep(1_000);
      }
    })();

    let writing = true;
    void writer.finally(() => (writing = false));
    say(
      'Each second, from the daemon’s status.json (transit = files in the transit folder, the queue):',
    );
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      await sleep(1_000);
      if (interrupted) return 130;
      const published = await readStatus(f);
      const inTransit = await countFiles(f.transit);
      if (published) {
        say(progressLine(Date.now() - started, published.status, inTransit, expectedCount));
      }
      if (daemon.exitCode !== null)
        throw new Error(`the daemon stopped unexpectedly:\n${d.stderr()}`);
      // Done when the files are verifiably in both places, the queue is empty, and the daemon
      // has said so too (its status is published at most once a second).
      if (
        !writing &&
        inTransit === 0 &&
        (published?.status.counts.doneThisRun ?? 0) >= expectedCount &&
        (await allArrived(written, emulator, DEMO_REMOTE_ROOT, f.sdCard))
      ) {
        break;
      }
      if (Date.now() > deadline) {
        say(`Gave up waiting after ${DEADLINE_MS / 1000} s; checking what arrived.`);
        break;
      }
    }
    await writer;

    const code = await stopDaemon(daemon);
    say(`Daemon stopped with SIGTERM (exit code ${code}).`);
    say();
    const checks = await checkFiles(written, emulator, DEMO_REMOTE_ROOT, f.sdCard);
    for (const row of summaryTable(checks)) say(row);
    const transitLeft = await countFiles(f.transit);
    const watchLeft = await countFiles(f.watch);
    const good = checks.every((c) => c.dropbox === 'ok' && c.sdCard === 'ok');
    say(
      `Watch folder: ${watchLeft} files left; transit folder: ${transitLeft} files left; ` +
        `time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    say(
      good ? 'All files verified on Dropbox and on the SD card. ✓' : 'Some files did not arrive. ✗',
    );
    if (opts.keep) say(`Kept ${f.root} (log: ${path.join(f.config, 'logs', 'rdl-sync.log')})`);
    return good && code === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onInterrupt);
    if (daemon) await stopDaemon(daemon);
    await emulator.close();
    if (!opts.keep) await fs.rm(f.root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let opts: Options | null;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (!opts) {
    say(USAGE);
    return;
  }
  try {
    process.exitCode = await run(opts);
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main();
