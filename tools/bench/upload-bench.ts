// Upload benchmark: DropboxRemoteStore against the emulator over a shaped link.
//  (a) many small files: start_batch + append_batch + finish_batch_v2 vs the old way (one
//      files/upload per file, in turn);
//  (b) one large file: throughput as a fraction of the link, and peak memory.
// The emulator runs in a child process so its CPU and memory are not ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { DropboxRemoteStore } from '../../src/engine/dropbox/remote-store.js';
import { MAX_ARG_HEADER_BYTES } from '../../src/engine/dropbox/header-budget.js';
import { DEFAULT_HEADER_LIMIT_BYTES } from '../emulator/index.js';
import type { SessionStore, UploadItem, UploadSessionState } from '../../src/engine/ports.js';

const MiB = 1024 * 1024;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildEmulator {
  url: string;
  appKey: string;
  refreshToken: string;
  /** POST <url>/__admin/<action> with the admin token. */
  admin<T = unknown>(action: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Starts `tools/emulator/cli.ts --json` in a child process and reads its connection info. */
export async function startChildEmulator(
  opts: { dataDir?: string; cli?: string } = {},
): Promise<ChildEmulator> {
  const cli = opts.cli ?? join(ROOT, 'tools/emulator/cli.ts');
  const args = ['--import', 'tsx', cli, '--port', '0', '--json'];
  if (opts.dataDir) args.push('--data', opts.dataDir);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (l) => {
      lines.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited early (code ${code})`)));
  });
  const info = JSON.parse(firstLine) as {
    url: string;
    adminToken: string;
    appKey: string;
    refreshToken: string;
  };
  return {
    url: info.url,
    appKey: info.appKey,
    refreshToken: info.refreshToken,
    async admin<T>(action: string, body: unknown = {}): Promise<T> {
      const res = await fetch(`${info.url}/__admin/${action}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${info.adminToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok)
        throw new Error(`emulator admin ${action}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async close(): Promise<void> {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

class MemorySessions implements SessionStore {
  private readonly map = new Map<string, UploadSessionState>();
  get = (rel: string): UploadSessionState | undefined => this.map.get(rel);
  set = (rel: string, s: UploadSessionState): void => void this.map.set(rel, s);
  delete = (rel: string): void => void this.map.delete(rel);
}

/** Samples RSS until stopped; returns the peak. */
function rssSampler(everyMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export interface UploadBenchOptions {
  smallFiles?: number;
  smallFileBytes?: number;
  /** The baseline is sequential, so its rate is measured on this many of the files. */
  baselineFiles?: number;
  largeFileBytes?: number;
  latencyMs?: number;
  bytesPerSecond?: number;
  concurrency?: number;
  /** Chunk size of the store used for the small files. */
  chunkSize?: number;
  /** The large file is uploaded once per chunk size listed here (default: 8 and 16 MiB). */
  largeChunkSizes?: number[];
  /** Another emulator CLI (e.g. a patched copy), to compare emulator versions. */
  emulatorCli?: string;
  print?: (line: string) => void;
}

export interface SmallFilesFigures {
  files: number;
  filesPerSecond: number;
  baselineFilesPerSecond: number;
  ratio: number;
  apiCallsPerFile: number;
  commitCallsPerFile: number;
  /** CPU time of this process (the uploader) per file, user + system. */
  clientCpuMsPerFile: number;
}

export interface LargeFileFigures {
  bytes: number;
  chunkSize: number;
  mbPerSecond: number;
  linkFraction: number;
  peakRssMB: number;
}

export interface UploadBenchResult {
  small?: SmallFilesFigures;
  large: LargeFileFigures[];
}

/** API requests: route names only ('files/...', 'users/...'), not tokens or emulator counters. */
const totalCalls = (s: Record<string, number>): number =>
  Object.entries(s)
    .filter(([route]) => route.includes('/') && !route.startsWith('oauth2/'))
    .reduce((n, [, c]) => n + c, 0);

type Settings = Required<UploadBenchOptions>;

interface BenchContext {
  o: Settings;
  dir: string;
  emu: ChildEmulator;
  store: DropboxRemoteStore;
  connection: ReturnType<typeof createDropboxConnection>;
  storeWithChunks(chunkSize: number): DropboxRemoteStore;
}

async function benchSmallFiles({
  o,
  dir,
  emu,
  store,
  connection,
}: BenchContext): Promise<SmallFilesFigures> {
  const items: UploadItem[] = [];
  for (let i = 0; i < o.smallFiles; i++) {
    const rel = `small/d${Math.floor(i / 100)}/f${i}.csv`;
    const localPath = join(dir, 'transit', rel);
    await mkdir(dirname(localPath), { recursive: true });
    const body = Buffer.alloc(o.smallFileBytes, `${i},`);
    await writeFile(localPath, body);
    items.push({ rel, localPath, size: body.length, mtimeMs: (await stat(localPath)).mtimeMs });
  }
  await emu.admin('reset-stats');
  let t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await store.uploadMany(items);
  const oursSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const failed = out.filter((x) => !x.ok).length;
  if (failed > 0) throw new Error(`${failed} small files failed in the benchmark`);
  const stats = await emu.admin<Record<string, number>>('stats');
  const commits =
    (stats['files/upload_session/finish_batch_v2'] ?? 0) +
    (stats['files/upload_session/finish'] ?? 0);

  // The old way: one files/upload request per file, one after the other.
  const sample = items.slice(0, Math.min(o.baselineFiles, items.length));
  t0 = performance.now();
  for (const item of sample) {
    await connection.client.filesUpload({
      path: `/baseline/${item.rel}`,
      mode: { '.tag': 'add' },
      contents: await readFile(item.localPath),
    });
  }
  const baselineSeconds = (performance.now() - t0) / 1000;
  const f: SmallFilesFigures = {
    files: items.length,
    filesPerSecond: items.length / oursSeconds,
    baselineFilesPerSecond: sample.length / baselineSeconds,
    ratio: items.length / oursSeconds / (sample.length / baselineSeconds),
    apiCallsPerFile: totalCalls(stats) / items.length,
    commitCallsPerFile: commits / items.length,
    clientCpuMsPerFile: (cpu.user + cpu.system) / 1000 / items.length,
  };
  o.print(
    `(a) ${f.files} files of ${o.smallFileBytes / 1024} KiB, concurrency ${o.concurrency}: ` +
      `${f.filesPerSecond.toFixed(1)} files/s; baseline (files/upload one at a time, ` +
      `${sample.length} files): ${f.baselineFilesPerSecond.toFixed(1)} files/s; ratio ${f.ratio.toFixed(1)}x`,
  );
  o.print(
    `    API calls per file ${f.apiCallsPerFile.toFixed(3)}, commit calls per file ` +
      `${f.commitCallsPerFile.toFixed(4)} (${commits} commits for ${items.length} files); ` +
      `uploader CPU ${f.clientCpuMsPerFile.toFixed(2)} ms per file`,
  );
  const perRoute = ['start_batch', 'append_batch', 'start', 'finish_batch_v2']
    .map((r) => `${r} ${stats[`files/upload_session/${r}`] ?? 0}`)
    .join(', ');
  o.print(`    calls: ${perRoute}`);
  const payload = items.reduce((n, it) => n + it.size, 0);
  const linkShare = o.bytesPerSecond > 0 ? (payload / oursSeconds / o.bytesPerSecond) * 100 : 0;
  o.print(
    `    link use ${linkShare.toFixed(1)}% (${(payload / 1e6).toFixed(1)} MB of payload in ` +
      `${oursSeconds.toFixed(2)} s); header limit in force: emulator ${DEFAULT_HEADER_LIMIT_BYTES} ` +
      `bytes, client cap ${MAX_ARG_HEADER_BYTES}, refused ${stats['refused-headers'] ?? 0}; ` +
      `requests per file: ${(totalCalls(stats) / items.length).toFixed(3)}`,
  );
  return f;
}

async function benchLargeFile(
  { o, dir, storeWithChunks }: BenchContext,
  chunkSize: number,
): Promise<LargeFileFigures> {
  const store = storeWithChunks(chunkSize);
  // Sparse: the local disk is not what is measured.
  const bigPath = join(dir, 'transit', 'large.bin');
  await mkdir(dirname(bigPath), { recursive: true });
  const fh = await open(bigPath, 'w');
  await fh.truncate(o.largeFileBytes);
  await fh.write(Buffer.from('start'), 0, undefined, 0);
  await fh.write(Buffer.from('end'), 0, undefined, o.largeFileBytes - 3);
  await fh.close();
  const big: UploadItem = {
    rel: `large-${chunkSize}.bin`,
    localPath: bigPath,
    size: o.largeFileBytes,
    mtimeMs: (await stat(bigPath)).mtimeMs,
  };
  global.gc?.();
  const restingRss = process.memoryUsage.rss();
  const sampler = rssSampler();
  const t0 = performance.now();
  const [out] = await store.uploadMany([big]);
  const seconds = (performance.now() - t0) / 1000;
  const peakRss = sampler.stop();
  if (!out?.ok) throw new Error(`large file failed: ${out?.ok === false ? out.error.message : ''}`);
  const f: LargeFileFigures = {
    bytes: o.largeFileBytes,
    chunkSize,
    mbPerSecond: o.largeFileBytes / seconds / 1e6,
    linkFraction: o.largeFileBytes / seconds / o.bytesPerSecond,
    peakRssMB: peakRss / 1e6,
  };
  o.print(
    `(b) ${(o.largeFileBytes / MiB).toFixed(0)} MiB file, ${chunkSize / MiB} MiB chunks: ` +
      `${f.mbPerSecond.toFixed(2)} MB/s = ${(f.linkFraction * 100).toFixed(1)}% of the link; ` +
      `peak RSS ${f.peakRssMB.toFixed(0)} MB, ${((peakRss - restingRss) / 1e6).toFixed(0)} MB above the process at rest (emulator in a child process)`,
  );
  return f;
}

export async function runUploadBench(opts: UploadBenchOptions = {}): Promise<UploadBenchResult> {
  const o: Settings = {
    smallFiles: 2000,
    smallFileBytes: 8 * 1024,
    baselineFiles: 300,
    largeFileBytes: 1024 * MiB,
    latencyMs: 50,
    bytesPerSecond: 12_500_000,
    concurrency: 32,
    chunkSize: 8 * MiB,
    largeChunkSizes: [8 * MiB, 16 * MiB],
    emulatorCli: join(ROOT, 'tools/emulator/cli.ts'),
    print: (line: string) => console.log(line),
    ...opts,
  };
  const dir = await mkdtemp(join(tmpdir(), 'rdl-bench-'));
  const emu = await startChildEmulator({ dataDir: join(dir, 'emulator'), cli: o.emulatorCli });
  try {
    await emu.admin('shape', { latencyMs: o.latencyMs, bytesPerSecond: o.bytesPerSecond });
    const connection = createDropboxConnection({
      appKey: emu.appKey,
      refreshToken: emu.refreshToken,
      endpoint: emu.url,
    });
    await connection.client.usersGetSpaceUsage(); // first token refresh outside any timing
    const storeWithChunks = (chunkSize: number): DropboxRemoteStore =>
      new DropboxRemoteStore({
        connection,
        remoteRoot: '/bench',
        chunkSize,
        concurrency: o.concurrency,
        conflictPolicy: 'rename',
        sessions: new MemorySessions(),
      });
    const store = storeWithChunks(o.chunkSize);
    o.print(
      `link: ${o.latencyMs} ms latency per request, ` +
        `${o.bytesPerSecond > 0 ? `${((o.bytesPerSecond * 8) / 1e6).toFixed(0)} Mbit/s shared` : 'no bandwidth cap'}`,
    );
    const ctx: BenchContext = { o, dir, emu, store, connection, storeWithChunks };
    // The large file first, so its peak RSS does not include what the small files left on the heap.
    const result: UploadBenchResult = { large: [] };
    if (o.largeFileBytes > 0) {
      for (const chunkSize of o.largeChunkSizes)
        result.large.push(await benchLargeFile(ctx, chunkSize));
    }
    if (o.smallFiles > 0) result.small = await benchSmallFiles(ctx);
    return result;
  } finally {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  }
}
