// The archive's two ways of storing a file, side by side: a hard link (the archive on the transit
// file system, the hubs' case) and a copy (an archive on another file system, or a FAT/exFAT card
// that takes no links: copied, read back, saved in the journal as ours, renamed into place). Small
// files end to end through one engine, Dropbox not connected (only the archive leg writes). Prints
// files/s and, per file, the journal's saves (each an fsync; an SD card takes 10-30 ms for one);
// then, when strace is there, one run of each with every fsync of the process counted and held
// 20 ms, as on a card. Asserts nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';

export interface CardCopyBenchOptions {
  files?: number;
  fileBytes?: number;
  /** Runs of each mode, alternated (the machine may be shared: compare within one run). */
  runs?: number;
}

type Mode = 'link' | 'copy';

interface RunFigures {
  filesPerSecond: number;
  saves: number;
  /** The log was folded into a new snapshot meanwhile: `saves` is a lower bound. */
  folded: boolean;
  fsyncs: number | null;
}

export async function runCardCopyBench(opts: CardCopyBenchOptions = {}): Promise<void> {
  const files = opts.files ?? 500;
  const fileBytes = opts.fileBytes ?? 8 * 1024;
  const runs = opts.runs ?? 3;
  if (process.getuid?.() !== 0) {
    console.log('(copy mode needs root to mount a tmpfs as the archive: skipped)');
    return;
  }
  const traced = spawnSync('strace', ['-V']).status === 0;
  console.log(
    `${files} files of ${fileBytes / 1024} KiB, transit on ${os.tmpdir()}; link: the archive beside it; copy: the archive on a tmpfs of its own`,
  );
  const all: Record<Mode, RunFigures[]> = { link: [], copy: [] };
  for (let r = 0; r < runs; r++) {
    for (const mode of MODES) {
      const f = await oneRun(mode, files, fileBytes, null);
      all[mode].push(f);
      console.log(`  run ${r + 1} ${mode}: ${describe(f, files)}`);
    }
  }
  for (const mode of MODES) {
    const byRate = [...all[mode]].sort((a, b) => a.filesPerSecond - b.filesPerSecond);
    const mid = byRate[Math.floor(byRate.length / 2)]!;
    console.log(`${mode} (median of ${runs} runs): ${describe(mid, files)}`);
  }
  if (!traced) {
    console.log('(no strace: fsyncs not counted, no run with slow fsyncs)');
    return;
  }
  console.log(
    `Under strace, every fsync held ${SLOW_FSYNC_MS} ms (an SD card's 10-30 ms; the disk's own time on top):`,
  );
  for (const mode of MODES) {
    console.log(
      `  ${mode}: ${describe(await oneRun(mode, files, fileBytes, SLOW_FSYNC_MS), files)}`,
    );
  }
}

const MODES = ['link', 'copy'] as const;
/** What an fsync is made to take in the traced run: an SD card's, as a Pi hub's cards take. */
const SLOW_FSYNC_MS = 20;

function describe(f: RunFigures, files: number): string {
  const saves = `${f.folded ? '>= ' : ''}${(f.saves / files).toFixed(3)} journal saves per file`;
  const fsyncs = f.fsyncs === null ? '' : `, ${(f.fsyncs / files).toFixed(2)} fsyncs per file`;
  return `${f.filesPerSecond.toFixed(0)} files/s, ${saves}${fsyncs}`;
}

async function oneRun(
  mode: Mode,
  files: number,
  fileBytes: number,
  /** Runs under strace, every fsync held this long (null: untraced). */
  fsyncMs: number | null,
): Promise<RunFigures> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-bench-card-'));
  const configDir = path.join(root, 'config');
  const archiveDir = path.join(root, 'card');
  await fs.mkdir(configDir, { recursive: true });
  await fs.mkdir(archiveDir);
  if (mode === 'copy') mount(archiveDir);
  try {
    const settings: Settings = {
      ...defaultSettings(root),
      watchDir: path.join(root, 'tosync'),
      transitDir: path.join(root, 'transit'),
      archiveDir,
      archiveMustBeMountPoint: false,
      site: 'bench',
      stableSeconds: 0,
    };
    await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify(settings));
    const engine = await createEngine({ configDir, home: root });
    let stopped = false;
    try {
      const body = Buffer.alloc(fileBytes, 'x');
      for (let i = 0; i < files; i++) {
        const dir = path.join(settings.watchDir, 'USB0', `d${Math.floor(i / 100)}`);
        await fs.mkdir(dir, { recursive: true });
        body.write(`${i},`, 0);
        await fs.writeFile(path.join(dir, `RDL_${i}.txt`), body);
      }
      const log = path.join(configDir, 'journal.json.log');
      const before = await logState(log);
      const strace = fsyncMs === null ? null : await traceFsyncs(fsyncMs);
      const started = performance.now();
      for (let pass = 0; pass < 10 && (await countFiles(archiveDir)) < files; pass++) {
        await engine.runPassNow();
      }
      const seconds = (performance.now() - started) / 1000;
      // Its last save (what the passes left to the timer) counts too.
      await engine.stop();
      stopped = true;
      const fsyncs = strace ? await strace.stop() : null;
      const after = await logState(log);
      // A new generation: a snapshot was written (one save), then the log began again.
      const snapshot = before.generation !== after.generation;
      return {
        filesPerSecond: files / seconds,
        saves: snapshot ? 1 + after.saves : after.saves - before.saves,
        folded: snapshot && before.generation !== '',
        fsyncs,
      };
    } finally {
      if (!stopped) await engine.stop();
    }
  } finally {
    if (mode === 'copy') spawnSync('umount', ['-l', archiveDir]);
    await fs.rm(root, { recursive: true, force: true });
  }
}

function mount(dir: string): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dir]);
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${String(r.stderr)}`);
}

/** The journal's log: the generation it continues and how many saves it holds. */
async function logState(log: string): Promise<{ generation: string; saves: number }> {
  const text = await fs.readFile(log, 'utf8').catch(() => '');
  const lines = text.split('\n');
  return { generation: lines[0] ?? '', saves: lines.slice(1).filter((l) => l !== '').length };
}

async function countFiles(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.startsWith('RDL_')).length;
}

/**
 * strace attached to this process (every thread): holds each fsync and fdatasync `fsyncMs` longer
 * and counts them until stopped.
 */
async function traceFsyncs(fsyncMs: number): Promise<{ stop(): Promise<number | null> }> {
  const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-bench-strace-')), 'count');
  const syncs = 'fsync,fdatasync';
  const child: ChildProcess = spawn(
    'strace',
    [
      '-f',
      '-c',
      '-e',
      `trace=${syncs}`,
      '-e',
      `inject=${syncs}:delay_exit=${fsyncMs * 1000}`,
      '-o',
      out,
      '-p',
      String(process.pid),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Attached once strace says so (it names each thread it attached to).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    child.stderr?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
      const text = await fs.readFile(out, 'utf8').catch(() => '');
      await fs.rm(path.dirname(out), { recursive: true, force: true });
      // strace -c's table: % time, seconds, usecs/call, calls, [errors,] syscall.
      const rows = text
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols.at(-1) === 'fsync' || cols.at(-1) === 'fdatasync');
      return rows.length === 0 ? null : rows.reduce((n, cols) => n + Number(cols[3]), 0);
    },
  };
}
