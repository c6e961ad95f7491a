// (g) A simulated year of one site through one engine: files arrive in the real sites' folder
// pattern (../shared/WORKLOAD.md) in bursts, on a simulated clock (the engine's Clock port), and
// the engine keeps its history, journal, status file and log on disk as the daemon does. Printed
// per tenth of the files: files done, peak RSS, CPU per file, disk use of history, journal,
// status and logs. At the end every file must be on Dropbox and on the card (0 lost).
//
// Per simulated day: one RDL logger file and one internet-health file, two network cameras (a
// JPEG every 15 min each) and the infrared camera (a CSV and a JPEG every 30 min): 290 files, so
// 365 days are about 106,000 files. Sizes are scaled down (1-8 KiB instead of 0.2-4 MB) so a
// year fits in minutes; memory, CPU per file and the engine's own disk use depend on the count
// of files, not on their bytes. The engine is driven pass by pass (runPassNow) rather than by its
// scheduler's timers, so simulated days take no real time; it is one engine for the whole year.
import fs from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createEngine } from '../../src/engine/engine.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { createLogger } from '../../src/engine/log/logger.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import type { Clock } from '../../src/engine/ports.js';
import { startChildEmulator } from './upload-bench.js';
import { ramDir } from './engine-bench.js';
import { formatBreakdown, memoryBreakdown, type MemoryBreakdown } from './memory-breakdown.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * A full collection on demand (the bench runs without --expose-gc): the RSS and heap right after
 * it are what the engine holds on to, while the peak also counts garbage not yet collected.
 */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const FILES_PER_DAY = 290;

export interface YearBenchOptions {
  /** Files in all (default 110,000: about 380 days). */
  files?: number;
  /** Bursts per simulated day (the hub comes online this often). */
  burstsPerDay?: number;
  latencyMs?: number;
  bytesPerSecond?: number;
}

/** The engine's clock: it moves only when the bench (or an engine sleep) moves it. */
class SimulatedClock implements Clock {
  private ms: number;
  constructor(startMs: number) {
    this.ms = startMs;
  }
  now(): number {
    return this.ms;
  }
  monotonic(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.ms += ms; // a back-off passes at once in simulated time
    await new Promise((r) => setImmediate(r));
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The files a site writes into 2_tosync during [fromMs, toMs). */
function arrivals(fromMs: number, toMs: number): Array<{ rel: string; bytes: number }> {
  const out: Array<{ rel: string; bytes: number }> = [];
  const step = 15 * 60_000;
  for (let t = Math.ceil(fromMs / step) * step; t < toMs; t += step) {
    const d = new Date(t);
    const date = dateOf(t);
    const hm = `${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}`;
    for (const cam of ['reolink1', 'reolink2'])
      out.push({ rel: `cameras/${cam}/${date}/${date}_${hm}.jpg`, bytes: 2048 });
    if (d.getUTCMinutes() % 30 === 0) {
      out.push({ rel: `cameras/infrared1/${date}/${date}_${hm}.csv`, bytes: 1440 });
      out.push({ rel: `cameras/infrared1/${date}/${date}_${hm}.jpg`, bytes: 1024 });
    }
    if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) {
      // Yesterday's daily files, renamed in when the day ends.
      const y = dateOf(t - DAY_MS);
      out.push({ rel: `RDL/USB0/${y.slice(0, 7)}/RDL_${y}_USB0.txt`, bytes: 8192 });
      out.push({ rel: `internet/internet_${y}.txt`, bytes: 4096 });
    }
  }
  return out;
}

async function duBytes(p: string): Promise<number> {
  let st;
  try {
    st = await fs.lstat(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const name of await fs.readdir(p)) n += await duBytes(path.join(p, name));
  return n;
}

async function countFiles(p: string): Promise<number> {
  let n = 0;
  for (const e of await fs.readdir(p, { withFileTypes: true, recursive: true }))
    if (e.isFile()) n++;
  return n;
}

export async function runYearBench(opts: YearBenchOptions = {}): Promise<void> {
  const o = {
    files: 110_000,
    burstsPerDay: 2,
    latencyMs: 5,
    bytesPerSecond: 12_500_000,
    ...opts,
  };
  // The site's folders and the emulator's store live in RAM when the machine has a tmpfs: a year
  // is about 330,000 small file writes and fsyncs, and waiting on this machine's disk for them
  // (shared with other work) would take most of the run while measuring neither memory nor CPU.
  const root = await fs.mkdtemp(path.join(await ramDir(), 'rdl-year-bench-'));
  const emu = await startChildEmulator({ dataDir: path.join(root, 'emulator') });
  const configDir = path.join(root, 'config');
  const logDir = path.join(root, 'logs');
  try {
    await emu.admin('shape', { latencyMs: o.latencyMs, bytesPerSecond: o.bytesPerSecond });
    const watch = path.join(root, 'logging-folder', '2_tosync');
    const archive = path.join(root, 'logging-folder', '4_synced');
    await fs.mkdir(watch, { recursive: true });
    await fs.mkdir(archive, { recursive: true });
    const settings: Settings = {
      ...defaultSettings(root),
      watchDir: watch,
      transitDir: path.join(root, 'logging-folder', '3_transit'),
      archiveDir: archive,
      archiveMustBeMountPoint: false,
      site: 'Site0_Montreal',
      dropboxAppKey: emu.appKey,
      dropboxEndpoint: emu.url,
    };
    await fs.mkdir(configDir, { recursive: true });
    await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify(settings));
    await new FileCredentialStore(configDir).save({
      appKey: emu.appKey,
      refreshToken: emu.refreshToken,
    });
    const gc = collector();
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const logger = createLogger({ file: path.join(logDir, 'rdl-sync.log'), level: 'info' });
    const engine = await createEngine({
      configDir,
      home: root,
      clock,
      logger,
      publishStatus: true,
    });
    const stableMs = settings.stableSeconds * 1000;
    const burstMs = DAY_MS / o.burstsPerDay;
    console.log(
      `${o.files} files (${(o.files / FILES_PER_DAY).toFixed(0)} simulated days, ${o.burstsPerDay} bursts a day), ` +
        `stability ${settings.stableSeconds} s, history limit ${settings.historyLimit}; link ${o.latencyMs} ms, ` +
        `${((o.bytesPerSecond * 8) / 1e6).toFixed(0)} Mbit/s; file sizes scaled down to 1-8 KiB; folders in ${path.dirname(root)}`,
    );
    console.log(
      'tenth  files    days  peakRSS MB  RSS after GC  heap MB  CPU ms/file  history KB  journal KB  status KB  logs KB' +
        '  | after GC, MB: file-backed  brk  other anon  external',
    );
    let written = 0;
    let tenth = 1;
    let tenthStartWritten = 0;
    let engineCpuUs = 0;
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
    const firstDayMs = clock.now();
    const rows: Array<{ rss: number; liveRss: number; heap: number; cpuPerFile: number }> = [];
    const mems: MemoryBreakdown[] = [];
    const made = new Set<string>(); // folders already created (a mkdir per file is the bench's, not the loggers', cost)
    try {
      while (written < o.files) {
        const from = clock.now();
        const batch = arrivals(from, from + burstMs).slice(0, o.files - written);
        for (const f of batch) {
          const p = path.join(watch, ...f.rel.split('/'));
          const parent = path.dirname(p);
          if (!made.has(parent)) {
            await fs.mkdir(parent, { recursive: true });
            made.add(parent);
          }
          await fs.writeFile(p, Buffer.alloc(f.bytes, written % 251));
          written++;
        }
        clock.advance(burstMs - stableMs - 1000);
        // Only the engine's passes are charged (writing the files is the loggers' work).
        const before = process.cpuUsage();
        await engine.runPassNow(); // first sighting of the burst's files
        clock.advance(stableMs + 1000);
        for (let i = 0; i < 5; i++) {
          const r = await engine.runPassNow(); // stable: staged and synced
          if (r.remainingInTransit === 0 && r.staged === 0) break;
        }
        const spent = process.cpuUsage(before);
        engineCpuUs += spent.user + spent.system;
        if (written >= (o.files * tenth) / 10 || written >= o.files) {
          const files = written - tenthStartWritten;
          const cpuPerFile = engineCpuUs / 1000 / Math.max(1, files);
          peak = Math.max(peak, process.memoryUsage.rss());
          gc();
          const live = process.memoryUsage();
          const mem = memoryBreakdown();
          mems.push(mem);
          // The journal is a snapshot plus the append log of saves since it (both count).
          const kbOf = async (...paths: string[]): Promise<string> => {
            let bytes = 0;
            for (const p of paths) bytes += await duBytes(p);
            return (bytes / 1024).toFixed(0).padStart(10);
          };
          const kb = (p: string): Promise<string> => kbOf(p);
          console.log(
            `${String(tenth).padStart(5)}  ${String(written).padStart(6)}  ${String(Math.round((clock.now() - firstDayMs) / DAY_MS)).padStart(6)}  ` +
              `${(peak / 1e6).toFixed(0).padStart(10)}  ${(live.rss / 1e6).toFixed(0).padStart(12)}  ` +
              `${(live.heapUsed / 1e6).toFixed(1).padStart(7)}  ${cpuPerFile.toFixed(2).padStart(11)}  ` +
              `${await kb(path.join(configDir, 'history.jsonl'))}  ${await kbOf(path.join(configDir, 'journal.json'), path.join(configDir, 'journal.json.log'))}  ` +
              `${await kb(path.join(configDir, 'status.json'))}  ${await kb(logDir)}` +
              `  | ${(mem.file / 1e6).toFixed(1).padStart(11)}  ${(mem.brk / 1e6).toFixed(1).padStart(4)}  ` +
              `${(mem.anon / 1e6).toFixed(1).padStart(10)}  ${(mem.external / 1e6).toFixed(1).padStart(8)}`,
          );
          rows.push({ rss: peak, liveRss: live.rss, heap: live.heapUsed, cpuPerFile });
          tenth++;
          tenthStartWritten = written;
          engineCpuUs = 0;
          peak = process.memoryUsage.rss();
        }
      }
    } finally {
      clearInterval(sampler);
      await engine.stop();
    }
    const remote = (await emu.admin<unknown[]>('files')).length;
    const onCard = await countFiles(archive);
    const leftInWatch = await countFiles(watch);
    const leftInTransit = await countFiles(settings.transitDir).catch(() => 0);
    const first = rows[0];
    const last = rows[rows.length - 1];
    console.log(
      `(g) ${written} files written: ${remote} on Dropbox, ${onCard} on the card, ${leftInWatch} left in the watch folder, ` +
        `${leftInTransit} in transit => ${written - Math.min(remote, onCard)} lost; ` +
        `peak RSS first tenth ${first ? (first.rss / 1e6).toFixed(0) : '?'} MB, last ${last ? (last.rss / 1e6).toFixed(0) : '?'} MB ` +
        `(growth ${first && last ? ((last.rss - first.rss) / 1e6).toFixed(1) : '?'} MB; goal < 10); ` +
        `after a full GC first ${first ? (first.liveRss / 1e6).toFixed(0) : '?'} MB, last ${last ? (last.liveRss / 1e6).toFixed(0) : '?'} MB ` +
        `(heap ${first ? (first.heap / 1e6).toFixed(1) : '?'} -> ${last ? (last.heap / 1e6).toFixed(1) : '?'} MB); ` +
        `CPU per file first ${first?.cpuPerFile.toFixed(2)} ms, last ${last?.cpuPerFile.toFixed(2)} ms`,
    );
    const m0 = mems[0];
    const m1 = mems[mems.length - 1];
    if (m0 && m1) {
      console.log(`    after GC, first tenth: ${formatBreakdown(m0)}`);
      console.log(`    after GC, last tenth:  ${formatBreakdown(m1)}`);
    }
  } finally {
    await emu.close();
    await fs.rm(root, { recursive: true, force: true });
  }
}
