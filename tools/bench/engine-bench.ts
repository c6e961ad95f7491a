// End-to-end engine benchmark: the whole life of a file (scan, stage, upload, SD-card copy, done)
// over a shaped link, with the emulator in a child process so only the engine's CPU and memory
// are measured here. Prints figures; asserts nothing (targets are read off the output).
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { startChildEmulator, type ChildEmulator } from './upload-bench.js';
import { formatPhases, profilePhases, type PhaseProfile } from './phases.js';
import { buildCliBundle, cliRuntime, runCliMeasured } from './cli-process.js';
import { describeTimeline, shortRoute, timelineFigures } from './link-timeline.js';
import type { TimelineSnapshot } from '../emulator/timeline.js';
import type { LinkBytes } from '../emulator/state.js';
import { MAX_ARG_HEADER_BYTES } from '../../src/engine/dropbox/header-budget.js';
import { MAX_BODIES_IN_FLIGHT } from '../../src/engine/dropbox/append-batch.js';
import { COMMIT_AT, MAX_BATCH_ENTRIES } from '../../src/engine/dropbox/small-batch.js';

const MiB = 1024 * 1024;

export interface EngineBenchOptions {
  smallFiles?: number;
  smallFileBytes?: number;
  largeFileBytes?: number;
  latencyMs?: number;
  bytesPerSecond?: number;
  idlePasses?: number;
}

/** A folder in RAM (the tmpfs at /dev/shm) when the machine has one with room, else the temp folder. */
export async function ramDir(): Promise<string> {
  try {
    const st = await fs.statfs('/dev/shm');
    if (st.bavail * st.bsize > 4e9) return '/dev/shm';
  } catch {
    // no tmpfs: the temp folder
  }
  return os.tmpdir();
}

/** Samples RSS every 20 ms (only the RSS: `memoryUsage()` would also gather heap statistics). */
export function peakRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** The bench's transfer settings (the bare client uses them too). */
const SETTINGS = { concurrency: 8, chunkSizeMiB: 16 } as const;

export async function makeEngine(
  root: string,
  emu: ChildEmulator,
  extra: Partial<Settings> = {},
): Promise<Engine> {
  const configDir = path.join(root, 'config');
  await fs.mkdir(path.join(root, 'sdcard'), { recursive: true });
  // The logger's folder exists before RDL Sync runs, as on a hub: a `once` over a missing watch
  // folder (the warm-up's "empty watch folder") exits 1, as it must.
  await fs.mkdir(path.join(root, 'tosync'), { recursive: true });
  const settings: Settings = {
    ...defaultSettings(root),
    watchDir: path.join(root, 'tosync'),
    transitDir: path.join(root, 'transit'),
    archiveDir: path.join(root, 'sdcard'),
    archiveMustBeMountPoint: false,
    site: 'bench',
    stableSeconds: 0,
    ...SETTINGS,
    dropboxAppKey: emu.appKey,
    dropboxEndpoint: emu.url,
    ...extra,
  };
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify(settings));
  await new FileCredentialStore(configDir).save({
    appKey: emu.appKey,
    refreshToken: emu.refreshToken,
  });
  return createEngine({ configDir, home: root });
}

/** Passes until every file is through, as `rdl-sync once` runs them: returns how many it took. */
export async function drain(engine: Engine): Promise<number> {
  let passes = 0;
  for (;;) {
    passes++;
    const r = await engine.runPassNow();
    if (r.remainingInTransit === 0 && engine.getStatus().counts.waiting === 0) return passes;
    if (passes > 20) throw new Error(`not drained after ${passes} passes: ${JSON.stringify(r)}`);
  }
}

export async function writeSparseSized(file: string, bytes: number): Promise<void> {
  // Real bytes (not a sparse hole) so the disk and hash work are honest; written in 16 MiB pieces.
  const fh = await fs.open(file, 'w');
  const piece = Buffer.alloc(16 * MiB);
  for (let i = 0; i < piece.length; i += 4) piece.writeUInt32LE((i * 2654435761) >>> 0, i);
  try {
    for (let off = 0; off < bytes; off += piece.length)
      await fh.write(piece, 0, Math.min(piece.length, bytes - off));
    // On disk before the run, as a logger's file is by the time it is staged: it has been still
    // for stableSeconds (90 s by default), longer than the kernel takes to write dirty pages back
    // (30 s). Written just before the run, its bytes were still in memory, and staging's fsync of
    // the file wrote 1 GiB first (measured: ~0.55 s before the upload's first request).
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** API requests by route since the emulator's counters were last reset: "N requests, … (route n, …)". */
export function requestsByRoute(stats: Record<string, number>, files: number): string {
  const { total, list } = apiRequests(stats);
  return `${total} requests = ${(total / files).toFixed(3)} per file (${list})`;
}

/** The API requests in the emulator's stats (not the token's): their total, and by route. */
function apiRequests(stats: Record<string, number>, per = 1): { total: number; list: string } {
  const routes = Object.entries(stats)
    .filter(([route]) => route.includes('/') && !route.startsWith('oauth2/'))
    .sort((a, b) => b[1] - a[1]);
  const total = routes.reduce((n, [, c]) => n + c, 0) / per;
  const list = routes.map(([route, c]) => `${shortRoute(route)} ${c / per}`).join(', ');
  return { total, list };
}

/**
 * The link's bytes beyond the files' own, per file, by route: what the client sends (the
 * append_batch bodies less the files' bytes, the commits' and other requests' JSON) and what
 * Dropbox answers, and the link time they take per run.
 */
function linkBytesBeyondFiles(
  bytes: Record<string, LinkBytes>,
  files: number,
  fileBytes: number,
  bytesPerSecond: number,
): string {
  const sent: Array<[string, number]> = [];
  const answered: Array<[string, number]> = [];
  for (const [route, b] of Object.entries(bytes)) {
    const beyond = route === APPENDS ? b.sent - fileBytes : b.sent;
    if (beyond > 0) sent.push([route, beyond]);
    if (b.answered > 0) answered.push([route, b.answered]);
  }
  const total = [...sent, ...answered].reduce((n, [, v]) => n + v, 0);
  const list = (l: Array<[string, number]>): string =>
    l
      .filter(([, v]) => v / files >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .map(([route, v]) => `${shortRoute(route)} ${(v / files).toFixed(0)}`)
      .join(', ') || 'none';
  return (
    `link bytes beyond the files' own: ${(total / files).toFixed(0)} per file = ` +
    `${((total / bytesPerSecond) * 1000).toFixed(0)} ms of link time (sent: ${list(sent)}; answers: ${list(answered)})`
  );
}

export type Resolved = Required<EngineBenchOptions>;

export async function withEmulator(
  o: Resolved,
  run: (root: string, emu: ChildEmulator) => Promise<void>,
): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-engine-bench-'));
  // The emulator stands in for Dropbox's servers, which do not share this machine's two cores and
  // disk: its store goes to RAM when there is a tmpfs (on the disk, creating a file per upload
  // session took it about 0.45 ms of CPU each, as much as the engine's whole work per small file).
  // The engine's own folders stay on the disk, as a site's do.
  const emuRoot = await fs.mkdtemp(path.join(await ramDir(), 'rdl-engine-bench-emulator-'));
  const emu = await startChildEmulator({ dataDir: emuRoot });
  try {
    await emu.admin('shape', { latencyMs: o.latencyMs, bytesPerSecond: o.bytesPerSecond });
    console.log(
      `link: ${o.latencyMs} ms latency per request, ${((o.bytesPerSecond * 8) / 1e6).toFixed(0)} Mbit/s; emulator in a child process`,
    );
    await run(root, emu);
  } finally {
    await emu.close();
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(emuRoot, { recursive: true, force: true });
  }
}

export function resolve(opts: EngineBenchOptions): Resolved {
  return {
    smallFiles: 2_000,
    smallFileBytes: 8 * 1024,
    largeFileBytes: 1024 * MiB,
    latencyMs: 50,
    bytesPerSecond: 12_500_000,
    idlePasses: 200,
    ...opts,
  };
}

interface SmallFilesRun {
  seconds: number;
  passes: number;
  cpu: NodeJS.CpuUsage;
  peakRss: number;
  startMs: number;
  endMs: number;
}

export const APPENDS = 'files/upload_session/append_batch';

/** V8 optimises the engine's hot code over its first three passes or so in a process. */
const WARM_FROM_RUN = 4;

/**
 * Writes `count` (default `o.smallFiles`) new files into the watch folder (the sites' USB0
 * pattern). `mtimeMs`: their modification time (a backlog that has waited: older than the stable
 * time, so the first sighting takes them); by default now.
 */
export async function writeSmallFiles(
  dir: string,
  o: Resolved,
  tag: string,
  count = o.smallFiles,
  mtimeMs?: number,
): Promise<void> {
  const watch = path.join(dir, 'tosync', 'RDL', 'USB0');
  await fs.mkdir(watch, { recursive: true });
  const body = Buffer.alloc(o.smallFileBytes, 'x');
  const when = mtimeMs === undefined ? undefined : new Date(mtimeMs);
  for (let i = 0; i < count; i++) {
    const file = path.join(watch, `rec-${tag}-${i}.csv`);
    await fs.writeFile(file, body);
    if (when) await fs.utimes(file, when, when);
  }
}

/** A hub's usual pass (WORKLOAD.md: 200-310 files a day): a few new files each. */
const HUB_PASS_FILES = 5;
const HUB_PASSES = 10;

/**
 * Passes of a few new files each on a warm engine, as a hub's daemon runs most of its passes:
 * the time of each pass (the link's latency, not its rate, is what they wait for) and the
 * requests a pass makes.
 */
async function hubPasses(engine: Engine, dir: string, emu: ChildEmulator, o: Resolved) {
  const ms: number[] = [];
  await emu.admin('reset-stats');
  for (let k = 1; k <= HUB_PASSES; k++) {
    await writeSmallFiles(dir, o, `hub-${k}`, HUB_PASS_FILES);
    const t0 = performance.now();
    await drain(engine);
    ms.push(performance.now() - t0);
  }
  const stats = await emu.admin<Record<string, number>>('stats');
  const { total: perPass, list } = apiRequests(stats, HUB_PASSES);
  console.log(
    `    a hub's pass, ${HUB_PASS_FILES} new files each (${HUB_PASSES} passes of the warm engine): ` +
      `median ${median(ms).toFixed(0)} ms a pass (${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)}), ` +
      `${perPass.toFixed(1)} requests a pass (${list})`,
  );
}

/** The engine drains new files to Dropbox and the card, as `rdl-sync once` would. */
async function drainSmallFiles(
  engine: Engine,
  dir: string,
  emu: ChildEmulator,
  o: Resolved,
  tag: string,
  around: { before(): Promise<void>; after(): Promise<void> },
): Promise<SmallFilesRun> {
  await writeSmallFiles(dir, o, tag);
  await emu.admin('reset-stats');
  global.gc?.();
  await around.before();
  const rss = peakRss();
  const cpu0 = process.cpuUsage();
  const startMs = Date.now();
  const t0 = performance.now();
  const passes = await drain(engine);
  const seconds = (performance.now() - t0) / 1000;
  const endMs = Date.now();
  const cpu = process.cpuUsage(cpu0);
  const peak = rss.stop();
  await around.after();
  return { seconds, passes, cpu, peakRss: peak, startMs, endMs };
}

const cpuMsPerFile = (cpu: NodeJS.CpuUsage, n: number): number =>
  (cpu.user + cpu.system) / 1000 / n;

function cpuPerFile(cpu: NodeJS.CpuUsage, n: number): string {
  return (
    `${cpuMsPerFile(cpu, n).toFixed(2)} ms per file (goal 0.5): ` +
    `user ${(cpu.user / 1000 / n).toFixed(2)}, system ${(cpu.system / 1000 / n).toFixed(2)} (thread pool included)`
  );
}

export const share = (o: Resolved, seconds: number): number =>
  ((o.smallFiles * o.smallFileBytes) / seconds / o.bytesPerSecond) * 100;

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * (c) many small files end to end: `runs` passes of one engine (as a daemon's; new files each
 * time): files/s, share of the link, engine CPU per file, and the link's time from
 * the emulator's timeline; requests by route and the whole timeline of the last run. The first
 * run is cold, as `rdl-sync once` and a daemon's first pass are: V8 compiles the engine's code on
 * helper threads while it runs, and that compiling (about 0.3 ms per file of its CPU here) is
 * paid once per process. V8 keeps optimising through the next two or three passes, so the warm
 * figure, a daemon's steady state, is the median of the runs from the fourth on. The first pass
 * also gets the engine's access token and its first upload sessions; a daemon's later passes have
 * the token already, and ask for sessions as they need them. Then a hub's usual passes (a few
 * new files each) on the same engine: time and requests per pass. Then the same
 * under a sampling profiler for the CPU by phase (the profiler costs CPU of its own, 5-10 % here,
 * so the runs above go without it), and the real `rdl-sync once` over the same files, start-up
 * included.
 */
export async function runSmallFilesBench(
  opts: EngineBenchOptions & { profileOut?: string; runs?: number } = {},
): Promise<void> {
  const o = resolve(opts);
  const runs = opts.runs ?? 6;
  await withEmulator(o, async (root, emu) => {
    const n = o.smallFiles;
    const shares: number[] = [];
    const cpus: number[] = [];
    let last:
      | {
          run: SmallFilesRun;
          stats: Record<string, number>;
          tl: TimelineSnapshot;
          bytes: Record<string, LinkBytes>;
        }
      | undefined;
    console.log(
      `(c) end to end, ${n} files of ${o.smallFileBytes / 1024} KiB, ${runs} runs: passes of one engine in this process, new files each ` +
        `(goals: 80% of the link, 0.5 ms of engine CPU per file):`,
    );
    const dir = path.join(root, 'small');
    const engine = await makeEngine(dir, emu);
    for (let k = 1; k <= runs; k++) {
      const run = await drainSmallFiles(engine, dir, emu, o, String(k), {
        before: () => emu.admin('record-timeline'),
        after: async () => undefined,
      });
      const stats = await emu.admin<Record<string, number>>('stats');
      const bytes = await emu.admin<Record<string, LinkBytes>>('link-bytes');
      const tl = await emu.admin<TimelineSnapshot>('timeline', { stop: true });
      const f = timelineFigures(tl, run, APPENDS);
      shares.push(share(o, run.seconds));
      cpus.push(cpuMsPerFile(run.cpu, n));
      console.log(
        `    run ${k}${k === 1 ? ' (cold)' : ''}: ${(n / run.seconds).toFixed(0)} files/s (${run.seconds.toFixed(2)} s` +
          `${run.passes === 1 ? '' : `, ${run.passes} passes`}) = ${share(o, run.seconds).toFixed(1)}% of the link; ` +
          `engine CPU ${cpuMsPerFile(run.cpu, n).toFixed(2)} ms per file; peak RSS ${(run.peakRss / 1e6).toFixed(0)} MB` +
          (f
            ? `; first append at ${Math.round(f.head)} ms, link idle ${Math.round(f.idle)} ms among the appends, ` +
              `${Math.round(f.tail)} ms after the last`
            : ''),
      );
      // The cold pass's own requests: what its first append waited for (the access token, then
      // the upload sessions, in a process without a kept token); later passes have spare ones.
      if (k === 1) console.log(`      run 1's ${describeTimeline(tl, run, APPENDS)[1]!.trim()}`);
      last = { run, stats, tl, bytes };
    }
    const warmFrom = runs >= WARM_FROM_RUN ? WARM_FROM_RUN : Math.min(2, runs);
    const warm = (v: number[]): number => median(v.slice(warmFrom - 1));
    console.log(
      `    cold (run 1): ${shares[0]!.toFixed(1)}% of the link, engine CPU ${cpus[0]!.toFixed(2)} ms per file; ` +
        `warm (median of runs ${warmFrom}-${runs}): ${warm(shares).toFixed(1)}% of the link (80% goal), ` +
        `engine CPU ${warm(cpus).toFixed(2)} ms per file (goal 0.5)`,
    );
    if (last) {
      console.log(`    last run: engine CPU ${cpuPerFile(last.run.cpu, n)}`);
      console.log(`    last run: ${requestsByRoute(last.stats, n)}`);
      console.log(
        `    last run: ${linkBytesBeyondFiles(last.bytes, n, n * o.smallFileBytes, o.bytesPerSecond)}`,
      );
      for (const line of describeTimeline(last.tl, last.run, APPENDS)) console.log(`    ${line}`);
    }
    await hubPasses(engine, dir, emu, o);

    let profile: PhaseProfile | undefined;
    let phases: Array<[string, number]> = [];
    const profiled = await drainSmallFiles(engine, dir, emu, o, 'profiled', {
      before: async () => void (profile = await profilePhases()),
      after: async () => void (phases = (await profile?.stop(opts.profileOut)) ?? []),
    });
    await engine.stop();
    console.log(
      `    the same under a sampling profiler: ${(n / profiled.seconds).toFixed(0)} files/s, ` +
        `engine CPU ${cpuMsPerFile(profiled.cpu, n).toFixed(2)} ms per file; main-thread CPU by phase, ms per file: ` +
        formatPhases(phases, n),
    );
    if (opts.profileOut) console.log(`    its profile: ${opts.profileOut}`);

    const cli = await buildCliBundle(path.join(root, 'cli'));
    const cliDir = path.join(root, 'small-cli');
    await (await makeEngine(cliDir, emu, { site: 'cli' })).stop(); // settings and login for `once`
    const cliEnv = {
      HOME: cliDir,
      RDL_SYNC_QUIET: '1',
      XDG_CACHE_HOME: path.join(root, 'cache'),
    };
    // As a `once` run from a timer meets it: the command has run before, over an empty watch
    // folder (V8's compile cache, on runtimes that have one, is written by then; so are the OS's
    // caches of the bundle's files, and whatever the last run kept, such as the access token).
    const warmUp = await runCliMeasured(
      cli,
      ['once', '--config-dir', path.join(cliDir, 'config')],
      cliEnv,
    );
    if (warmUp.code !== 0)
      throw new Error(
        `rdl-sync once (warm-up) exited ${warmUp.code}: ${warmUp.stdout}${warmUp.stderr}`,
      );
    await writeSmallFiles(cliDir, o, 'cli');
    await emu.admin('reset-stats');
    await emu.admin('record-timeline');
    const cliRun = await runCliMeasured(
      cli,
      ['once', '--config-dir', path.join(cliDir, 'config')],
      cliEnv,
    );
    if (cliRun.code !== 0) {
      throw new Error(`rdl-sync once exited ${cliRun.code}: ${cliRun.stdout}${cliRun.stderr}`);
    }
    const cliStats = await emu.admin<Record<string, number>>('stats');
    const committed = cliStats['files/upload_session/finish_batch_v2'] ?? 0;
    if (committed === 0)
      throw new Error(`rdl-sync once uploaded nothing: ${JSON.stringify(cliStats)}`);
    const cliBytes = await emu.admin<Record<string, LinkBytes>>('link-bytes');
    const tl = await emu.admin<TimelineSnapshot>('timeline', { stop: true });
    const f = timelineFigures(
      tl,
      { startMs: cliRun.startedAtMs, endMs: cliRun.endedAtMs },
      APPENDS,
    );
    console.log(
      `    rdl-sync once over the same files, its own process from start to exit: ${(n / cliRun.seconds).toFixed(0)} files/s ` +
        `(${cliRun.seconds.toFixed(2)} s) = ${share(o, cliRun.seconds).toFixed(1)}% of the link, CPU ${(cliRun.cpuMs / n).toFixed(2)} ms per file ` +
        `(start-up included)${f ? `; first append at ${Math.round(f.head)} ms` : ''}; ` +
        (cliRuntime.hasCompileCache
          ? `V8 compile cache warm (Node ${cliRuntime.version})`
          : `no V8 compile cache in Node ${cliRuntime.version} (Node >= 22.1 and Electron 45 have one; RDL_SYNC_BENCH_NODE names another node)`),
    );
    console.log(
      `    ${linkBytesBeyondFiles(cliBytes, n, n * o.smallFileBytes, o.bytesPerSecond)} (the token and the account card included)`,
    );
    const cliWindow = { startMs: cliRun.startedAtMs, endMs: cliRun.endedAtMs };
    for (const line of describeTimeline(tl, cliWindow, APPENDS)) console.log(`    ${line}`);
    await bareClientRun(emu, root, o);
  });
}

/**
 * The ceiling `once` is read against: tools/bench/bare-client.mjs (the same requests for the same
 * number of files and nothing else) in its own process on the same runtime, link and emulator.
 */
async function bareClientRun(emu: ChildEmulator, root: string, o: Resolved): Promise<void> {
  const dir = path.join(root, 'bare');
  await writeSmallFiles(dir, o, 'bare');
  const token = await accessToken(emu);
  await emu.admin('reset-stats');
  await emu.admin('record-timeline');
  const options = {
    url: emu.url,
    token,
    dir: path.join(dir, 'tosync', 'RDL', 'USB0'),
    remote: '/bare',
    headerBytes: MAX_ARG_HEADER_BYTES,
    bodyLimit: SETTINGS.chunkSizeMiB * 1024 * 1024,
    bodiesInFlight: Math.min(SETTINGS.concurrency, MAX_BODIES_IN_FLIGHT),
    commitAt: COMMIT_AT,
    batchEntries: MAX_BATCH_ENTRIES,
  };
  const run = await runCliMeasured(BARE_CLIENT, [JSON.stringify(options)], {});
  const tl = await emu.admin<TimelineSnapshot>('timeline', { stop: true });
  if (run.code !== 0) throw new Error(`bare client exited ${run.code}: ${run.stderr}`);
  const stats = await emu.admin<Record<string, number>>('stats');
  const window = { startMs: run.startedAtMs, endMs: run.endedAtMs };
  const f = timelineFigures(tl, window, APPENDS);
  console.log(
    `    a bare client on the same runtime (tools/bench/bare-client.mjs: the same requests, nothing else), from start to exit: ` +
      `${(o.smallFiles / run.seconds).toFixed(0)} files/s (${run.seconds.toFixed(2)} s) = ${share(o, run.seconds).toFixed(1)}% of the link` +
      `${f ? `; first append at ${Math.round(f.head)} ms` : ''}; ${requestsByRoute(stats, o.smallFiles)}`,
  );
  for (const line of describeTimeline(tl, window, APPENDS)) console.log(`    ${line}`);
}

const BARE_CLIENT = fileURLToPath(new URL('./bare-client.mjs', import.meta.url));

/** An access token from the emulator's token endpoint, as any client gets one. */
async function accessToken(emu: ChildEmulator): Promise<string> {
  const res = await fetch(`${emu.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: emu.refreshToken,
      client_id: emu.appKey,
    }).toString(),
  });
  if (!res.ok) throw new Error(`token: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * (d) one large file end to end: the upload and the SD-card copy run side by side. The headline
 * is the real `rdl-sync once` (the built CLI bundle, its own process, peak RSS from the kernel);
 * then, labelled, the same through an engine inside this bench process (which also holds tsx and
 * the bench, so its peak says more about the bench than the engine; the growth above rest is the
 * engine's share).
 */
export async function runLargeFileBench(
  opts: EngineBenchOptions & { inProcess?: boolean } = {},
): Promise<void> {
  const o = resolve(opts);
  await withEmulator(o, async (root, emu) => {
    const cli = await buildCliBundle(path.join(root, 'cli'));
    const dir = path.join(root, 'large-cli');
    const configDir = path.join(dir, 'config');
    await (await makeEngine(dir, emu)).stop(); // writes the settings and the login; `once` runs them
    const watch = path.join(dir, 'tosync', 'cameras');
    await fs.mkdir(watch, { recursive: true });
    await writeSparseSized(path.join(watch, 'big.raw'), o.largeFileBytes);
    await emu.admin('reset-stats');
    await emu.admin('record-timeline');
    // Its first run (a cold compile cache where the runtime has one): 86 s of link time next to
    // it, the start-up is not what this measures.
    const run = await runCliMeasured(cli, ['once', '--config-dir', configDir], {
      HOME: dir,
      RDL_SYNC_QUIET: '1',
      XDG_CACHE_HOME: path.join(root, 'cache'),
    });
    if (run.code !== 0) {
      throw new Error(`rdl-sync once exited ${run.code}: ${run.stdout}${run.stderr}`);
    }
    const stats = await emu.admin<Record<string, number>>('stats');
    const timeline = await emu.admin<TimelineSnapshot>('timeline', { stop: true });
    console.log(
      `(d) rdl-sync once, one ${(o.largeFileBytes / MiB).toFixed(0)} MiB file, its own process from start to exit: ` +
        `${linkShare(o, run.seconds)}, peak RSS (VmHWM) ${(run.peakRss / 1e6).toFixed(0)} MB (120 MB goal), ` +
        `CPU ${(run.cpuMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `    ${requestsByRoute(stats, 1)}; bytes sent ${(stats['received-bytes'] ?? 0) - o.largeFileBytes} more than the file`,
    );
    const window = { startMs: run.startedAtMs, endMs: run.endedAtMs };
    for (const line of describeTimeline(timeline, window)) console.log(`    ${line}`);
    await fs.rm(dir, { recursive: true, force: true });
    if (opts.inProcess === false) return;

    const inDir = path.join(root, 'large');
    const engine = await makeEngine(inDir, emu);
    const inWatch = path.join(inDir, 'tosync', 'cameras');
    await fs.mkdir(inWatch, { recursive: true });
    await writeSparseSized(path.join(inWatch, 'big.raw'), o.largeFileBytes);
    await emu.admin('reset-stats');
    global.gc?.();
    const restingRss = process.memoryUsage.rss();
    const rss = peakRss();
    const t0 = performance.now();
    await drain(engine);
    const seconds = (performance.now() - t0) / 1000;
    const peak = rss.stop();
    await engine.stop();
    console.log(
      `    in-process engine (bench + tsx in the same process): ${linkShare(o, seconds)}, ` +
        `peak RSS ${(peak / 1e6).toFixed(0)} MB, ${((peak - restingRss) / 1e6).toFixed(0)} MB above the engine at rest`,
    );
  });
}

function linkShare(o: Resolved, seconds: number): string {
  const mbps = o.largeFileBytes / 1e6 / seconds;
  return (
    `${mbps.toFixed(2)} MB/s = ${((mbps * 1e6 * 100) / o.bytesPerSecond).toFixed(1)}% of the link ` +
    `(99% goal, ${seconds.toFixed(1)} s)`
  );
}

/** (e) an idle pass: what a quiet logger site costs every interval. */
export async function runIdleBench(opts: EngineBenchOptions = {}): Promise<void> {
  const o = resolve(opts);
  await withEmulator(o, async (root, emu) => {
    const dir = path.join(root, 'idle');
    const engine = await makeEngine(dir, emu);
    await engine.runPassNow(); // first pass also fetches the account once
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < o.idlePasses; i++) await engine.runPassNow();
    const wallMs = (performance.now() - t0) / o.idlePasses;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / o.idlePasses;
    await engine.stop();
    console.log(
      `(e) idle pass over an empty watch folder: ${cpuMs.toFixed(2)} ms CPU, ${wallMs.toFixed(2)} ms wall per pass ` +
        `(= ${((cpuMs / 10_000) * 100).toFixed(3)}% of one core at the default 10 s interval)`,
    );
  });
}
