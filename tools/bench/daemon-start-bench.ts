// A hub's daemon starting with a backlog: the built `rdl-sync run` (laid out as installed, as the
// systemd unit starts it: its environment, INVOCATION_ID set) started as its own process with
// files already waiting in the watch folder, older than the stable time (a logger wrote them
// while the hub was down, so the first sighting takes them). Measured from the spawn: the first
// request, the first append, every file committed (seen by the emulator, not guessed with a
// sleep), the link's share over that span, the process's CPU, and the emulator's timeline; then
// a SIGTERM once its first pass has ended, and the time to exit. Two cases, alternated:
//  - restart: the access token the last process kept is still valid (a `systemctl restart`, an
//    update, a crash and Restart=on-failure);
//  - reboot: the kept token has expired (the hub was off for 12 h: Dropbox's tokens live 4 h),
//    so the first pass also waits for oauth2/token.
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { ACCESS_TOKEN_FILE } from '../../src/engine/credentials/access-token.js';
import type { TimelineSnapshot } from '../emulator/timeline.js';
import type { ChildEmulator } from './upload-bench.js';
import { buildCliBundle, cliRuntime, runCliMeasured, startCliMeasured } from './cli-process.js';
import { unitEnvironment } from './daemon-env.js';
import {
  APPENDS,
  makeEngine,
  requestsByRoute,
  resolve,
  share,
  withEmulator,
  writeSmallFiles,
  type EngineBenchOptions,
  type Resolved,
} from './engine-bench.js';
import { describeTimeline, shortRoute } from './link-timeline.js';

const COMMITS = 'files/upload_session/finish_batch_v2';
const SITE = 'daemon';
const REMOTE_ROOT = `/RDL/${SITE}`;
/** How long the backlog may take before the run is called stuck (2,000 files take ~10 s). */
const DRAIN_DEADLINE_MS = 180_000;
/** A stopped daemon exits within 5 s (main.ts STOP_DEADLINE_MS); more is a finding. */
const EXIT_DEADLINE_MS = 15_000;
/** Dropbox's short-lived access tokens live 4 h; a hub off for 12 h finds its kept one expired. */
const OUTAGE_MS = 12 * 3600_000;
const TOKEN_LIFE_MS = 4 * 3600_000;

type Case = 'restart' | 'reboot';

interface DaemonStart {
  kase: Case;
  /** From its log: the engine open (`daemon starting`), its first pass ended. */
  engineOpenMs: number;
  passEndedMs: number;
  firstRequestMs: number;
  firstAppendMs: number;
  committedMs: number;
  cpuMs: number;
  peakRss: number;
  exitMs: number;
  exitCode: number | null;
  /** The emulator's timeline up to the last commit's answer. */
  tl: TimelineSnapshot;
  /** Routes of the requests that came after it, before the recording stopped. */
  later: string[];
  spawnedAtMs: number;
  committedAtMs: number;
  stats: Record<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The kept access token as a hub finds it after OUTAGE_MS off: issued before, expired since. */
async function expireKeptToken(configDir: string): Promise<void> {
  const file = path.join(configDir, ACCESS_TOKEN_FILE);
  const kept = JSON.parse(await fs.readFile(file, 'utf8')) as { expiresAtMs?: unknown };
  if (typeof kept.expiresAtMs !== 'number')
    throw new Error(`${file} is not a plain kept token (encrypted?): cannot age it`);
  kept.expiresAtMs = Date.now() - OUTAGE_MS + TOKEN_LIFE_MS;
  await fs.writeFile(file, JSON.stringify(kept), { mode: 0o600 });
}

/** Files the emulator holds below the site's folder. */
async function committedCount(emu: ChildEmulator): Promise<number> {
  return (await emu.admin<{ count: number }>('file-count', { under: REMOTE_ROOT })).count;
}

async function startDaemon(
  cli: string,
  configDir: string,
  env: NodeJS.ProcessEnv,
  emu: ChildEmulator,
  o: Resolved,
  kase: Case,
): Promise<DaemonStart> {
  const before = await committedCount(emu);
  const want = before + o.smallFiles;
  await emu.admin('reset-stats');
  await emu.admin('record-timeline');
  const d = startCliMeasured(cli, ['run', '--config-dir', configDir], env);
  let ended = false;
  void d.done.then(() => (ended = true));
  const fail = async (why: string): Promise<never> => {
    if (!ended) d.child.kill('SIGKILL');
    const r = await d.done;
    const log = await fs
      .readFile(path.join(configDir, 'logs', 'rdl-sync.log'), 'utf8')
      .catch(() => '');
    throw new Error(
      `rdl-sync run (${kase}): ${why}; exit ${r.code}; stdout: ${r.stdout.trim() || '-'}; ` +
        `stderr: ${r.stderr.trim() || '-'}; log tail: ${log.split('\n').slice(-8).join(' | ')}`,
    );
  };
  // The commits' count is cheap to ask for (it counts a commit when it arrives, before its
  // answer); the files are counted only once commits have come.
  const deadline = Date.now() + DRAIN_DEADLINE_MS;
  for (;;) {
    if (ended) await fail('ended before every file was committed');
    if (Date.now() > deadline)
      await fail(
        `not every file committed after ${DRAIN_DEADLINE_MS / 1000} s (${await committedCount(emu)} of ${want})`,
      );
    const commits = (await emu.admin<Record<string, number>>('stats'))[COMMITS] ?? 0;
    if (commits > 0 && (await committedCount(emu)) >= want) break;
    await sleep(25);
  }
  const at = await d.sampleNow();
  const stats = await emu.admin<Record<string, number>>('stats');
  const tl = await emu.admin<TimelineSnapshot>('timeline', { stop: true });
  // Stopped once its pass has ended (its files out of transit and the journal), not in the middle
  // of that: the next run would meet what this one left (a bigger journal, files in transit).
  while (!Number.isFinite((await logMarks(configDir, d.startedAtMs)).passEndedMs)) {
    if (ended) await fail('ended before its first pass did');
    if (Date.now() > deadline) await fail('its first pass did not end');
    await sleep(50);
  }
  const stopAsked = performance.now();
  d.child.kill('SIGTERM');
  const killer = setTimeout(() => d.child.kill('SIGKILL'), EXIT_DEADLINE_MS);
  const r = await d.done;
  clearTimeout(killer);
  const exitMs = performance.now() - stopAsked;
  const t0 = d.startedAtMs;
  const marks = await logMarks(configDir, t0);
  const first = (route?: string): number => {
    const q = tl.requests.find((x) => route === undefined || x.route === route);
    return q ? q.arrivedMs - t0 : NaN;
  };
  const committedAtMs = Math.max(
    ...tl.requests.filter((x) => x.route === COMMITS).map((x) => x.endedMs ?? x.arrivedMs),
  );
  // What it asked for once the backlog was in (until the recording stopped): not the backlog's.
  const later = tl.requests.filter((x) => x.arrivedMs > committedAtMs);
  const backlog = { ...tl, requests: tl.requests.filter((x) => x.arrivedMs <= committedAtMs) };
  return {
    kase,
    ...marks,
    firstRequestMs: first(),
    firstAppendMs: first(APPENDS),
    committedMs: committedAtMs - t0,
    cpuMs: at.cpuMs,
    peakRss: Math.max(at.hwm, r.peakRss),
    exitMs,
    exitCode: r.code,
    tl: backlog,
    later: later.map((x) => shortRoute(x.route)),
    spawnedAtMs: t0,
    committedAtMs,
    stats,
  };
}

/**
 * When the daemon's log (electron-log: local time, ms) says it had opened its engine (`daemon
 * starting`: node, the bundle, settings, journal, history) and ended its first pass, in ms from
 * the spawn: the coarse split of its start-up that needs nothing but its own log.
 */
async function logMarks(
  configDir: string,
  spawnedAtMs: number,
): Promise<{ engineOpenMs: number; passEndedMs: number }> {
  const text = await fs
    .readFile(path.join(configDir, 'logs', 'rdl-sync.log'), 'utf8')
    .catch(() => '');
  const at = (what: RegExp): number => {
    for (const line of text.split('\n')) {
      const m = /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\] \[\w+\]\s+(.*)$/.exec(line);
      if (!m || !what.test(m[3]!)) continue;
      const ms = new Date(`${m[1]}T${m[2]}`).getTime() - spawnedAtMs;
      if (ms >= -1) return ms; // this process's, not an earlier one's (the log is kept)
    }
    return NaN;
  };
  return { engineOpenMs: at(/^daemon starting /), passEndedMs: at(/^pass \{/) };
}

const range = (v: number[], digits = 0): string => {
  const lo = Math.min(...v).toFixed(digits);
  const hi = Math.max(...v).toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
};

/**
 * A daemon started with a backlog of `smallFiles` files, `runs` times each case (restart, reboot;
 * alternated, so the machine's noise falls on both alike): per run, then the range of each figure.
 */
export async function runDaemonStartBench(
  opts: EngineBenchOptions & { runs?: number } = {},
): Promise<void> {
  const o = resolve(opts);
  const runs = opts.runs ?? 3;
  await withEmulator(o, async (root, emu) => {
    const n = o.smallFiles;
    const stableSeconds = defaultSettings().stableSeconds;
    const cli = await buildCliBundle(path.join(root, 'cli'));
    const dir = path.join(root, 'daemon');
    const configDir = path.join(dir, 'config');
    // The settings as a hub has them (the default stable time), and the login.
    await (await makeEngine(dir, emu, { site: SITE, stableSeconds })).stop();
    const env: NodeJS.ProcessEnv = {
      ...unitEnvironment(),
      // As systemd starts it (the service's path through start-up), on a loopback emulator.
      INVOCATION_ID: 'rdl-sync-bench',
      HOME: dir,
      RDL_SYNC_QUIET: '1',
      XDG_CACHE_HOME: path.join(root, 'cache'),
    };
    // The hub ran before: the command's files in the OS's cache (and V8's compile cache where
    // the runtime has one), the access token kept.
    const warmUp = await runCliMeasured(cli, ['once', '--config-dir', configDir], env);
    if (warmUp.code !== 0)
      throw new Error(`rdl-sync once (warm-up) exited ${warmUp.code}: ${warmUp.stderr}`);
    console.log(
      `(h) rdl-sync run started with ${n} files of ${o.smallFileBytes / 1024} KiB waiting (older than the ` +
        `${stableSeconds} s stable time), as the systemd unit starts it (its environment), ${runs} runs of each case ` +
        `alternated; ms from the spawn (Node ${cliRuntime.version}` +
        `${cliRuntime.hasCompileCache ? ', V8 compile cache warm' : ', no V8 compile cache'}):`,
    );
    const results: DaemonStart[] = [];
    for (let k = 1; k <= runs; k++) {
      for (const kase of ['restart', 'reboot'] as const) {
        await writeSmallFiles(dir, o, `${kase}-${k}`, n, Date.now() - 2 * stableSeconds * 1000);
        if (kase === 'reboot') await expireKeptToken(configDir);
        const r = await startDaemon(cli, configDir, env, emu, o, kase);
        results.push(r);
        const seconds = (r.committedAtMs - r.spawnedAtMs) / 1000;
        const others = r.tl.requests
          .filter((q) => q.route !== APPENDS && q.route !== COMMITS)
          .slice(0, 6)
          .map(
            (q) =>
              `${shortRoute(q.route)} ${Math.round(q.arrivedMs - r.spawnedAtMs)}..` +
              `${q.endedMs === undefined ? '' : Math.round(q.endedMs - r.spawnedAtMs)}`,
          )
          .join(', ');
        console.log(
          `    ${kase} ${k}: engine open at ${Math.round(r.engineOpenMs)}, first request at ${Math.round(r.firstRequestMs)}, first append at ${Math.round(r.firstAppendMs)}, ` +
            `all committed at ${Math.round(r.committedMs)} = ${share(o, seconds).toFixed(1)}% of the link from the spawn ` +
            `(its first pass ended at ${Math.round(r.passEndedMs)}); ` +
            `CPU ${(r.cpuMs / n).toFixed(2)} ms per file (start-up included), peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB; ` +
            `SIGTERM to exit ${Math.round(r.exitMs)} ms (code ${r.exitCode}); first requests: ${others}` +
            (r.later.length > 0 ? `; after the last commit: ${r.later.join(', ')}` : ''),
        );
      }
    }
    for (const kase of ['restart', 'reboot'] as const) {
      const of = results.filter((r) => r.kase === kase);
      console.log(
        `    ${kase} (${of.length} runs): engine open ${range(of.map((r) => r.engineOpenMs))} ms, first request ${range(of.map((r) => r.firstRequestMs))} ms, ` +
          `first append ${range(of.map((r) => r.firstAppendMs))} ms, all committed ${range(of.map((r) => r.committedMs))} ms ` +
          `= ${range(
            of.map((r) => share(o, (r.committedAtMs - r.spawnedAtMs) / 1000)),
            1,
          )}% of the link; CPU ${range(
            of.map((r) => r.cpuMs / n),
            2,
          )} ms per file; SIGTERM to exit ${range(of.map((r) => r.exitMs))} ms`,
      );
    }
    const last = results.at(-1)!;
    const window = { startMs: last.spawnedAtMs, endMs: last.committedAtMs };
    console.log(
      `    the last run (${last.kase}), until its last commit was answered: ${requestsByRoute(last.stats, n)}`,
    );
    for (const line of describeTimeline(last.tl, window, APPENDS))
      console.log(`    ${line.replace('to the exit', 'to the last commit answered')}`);
  });
}
