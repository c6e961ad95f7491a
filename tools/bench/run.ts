// `npm run bench [-- scenario...]`: runs the named benchmark scenarios (all of them by default)
// and prints their figures. Each scenario starts its own emulator in a child process.
//   upload  (a) small files and (b) one large file through the uploader alone, with baseline
//   small   (c) 2,000 x 8 KiB end to end: files/s, link share, engine CPU per file by phase
//   large   (d) 1 GiB end to end: link share, peak RSS, requests by route
//   idle    (e) CPU of an idle pass
//   resets  (f) a large file over a 1 Mbit/s link that resets periodically: bytes re-sent per reset
//   year    (g) a simulated year of one site through one engine: RSS, CPU/file, disk per tenth
//   daemonstart (h) the built `rdl-sync run` started with a backlog: first request, first
//               append, all committed, link share, CPU; a restart (token kept) and a reboot
//   cardcopy    small files to the archive by hard link and by copy (a card on another file
//               system): files/s, journal saves and fsyncs per file
//   outage      a queue left by a long Dropbox outage (card working): CPU of a pass over it, RSS,
//               the engine's files, then the recovery's time, CPU and requests by route
// Options: --year-files N (default 110000), --small-files N, --cli-only (large: only the real CLI
// process, not the in-process engine after it), --runs N (small: runs of the engine, default 6;
// daemonstart: runs of each case, default 3),
// --profile-out FILE (small: the profiled run's .cpuprofile), --card-files N (cardcopy, default 500),
// --outage-files N (outage, default 20000).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { missingUnitEnvironment } from './daemon-env.js';
import { runUploadBench } from './upload-bench.js';
import { runIdleBench, runLargeFileBench, runSmallFilesBench } from './engine-bench.js';
import { runDaemonStartBench } from './daemon-start-bench.js';
import { runResetsBench } from './resets-bench.js';
import { runYearBench } from './year-bench.js';
import { runCardCopyBench } from './card-copy-bench.js';
import { runOutageBench } from './outage-bench.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'year-files': { type: 'string' },
    'small-files': { type: 'string' },
    'card-files': { type: 'string' },
    'outage-files': { type: 'string' },
    'cli-only': { type: 'boolean' },
    'profile-out': { type: 'string' },
    runs: { type: 'string' },
  },
});

const count = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
  return n;
};

const SCENARIOS: Record<string, () => Promise<unknown>> = {
  upload: async () => {
    console.log('== Dropbox upload ==');
    await runUploadBench();
  },
  small: async () => {
    console.log('== Engine, end to end: small files ==');
    const smallFiles = count('small-files', values['small-files']);
    await runSmallFilesBench({
      ...(smallFiles ? { smallFiles } : {}),
      ...(values['profile-out'] ? { profileOut: path.resolve(values['profile-out']) } : {}),
      ...(values.runs ? { runs: count('runs', values.runs) } : {}),
    });
  },
  daemonstart: async () => {
    console.log('== The daemon started with a backlog ==');
    const smallFiles = count('small-files', values['small-files']);
    await runDaemonStartBench({
      ...(smallFiles ? { smallFiles } : {}),
      ...(values.runs ? { runs: count('runs', values.runs) } : {}),
    });
  },
  large: async () => {
    console.log('== Engine, end to end: one large file ==');
    await runLargeFileBench(values['cli-only'] ? { inProcess: false } : {});
  },
  idle: async () => {
    console.log('== Engine: idle pass ==');
    await runIdleBench();
  },
  resets: async () => {
    console.log('== Large file over a slow link that resets ==');
    await runResetsBench();
  },
  cardcopy: async () => {
    console.log('== Archive: small files by hard link and by copy ==');
    const files = count('card-files', values['card-files']);
    await runCardCopyBench({
      ...(files ? { files } : {}),
      ...(values.runs ? { runs: count('runs', values.runs) } : {}),
    });
  },
  outage: async () => {
    console.log('== A long Dropbox outage, the SD card working ==');
    const files = count('outage-files', values['outage-files']);
    await runOutageBench(files ? { files } : {});
  },
  year: async () => {
    const files = count('year-files', values['year-files']);
    const missing = missingUnitEnvironment();
    if (Object.keys(missing).length === 0)
      console.log('== A simulated year of one site, one engine ==');
    else {
      // The engine runs in this process: start it again the way the systemd unit starts the
      // daemon, since malloc reads its settings only when a process starts.
      const shown = Object.entries(missing).map(([k, v]) => `${k}=${v}`);
      console.log(`(in a child process with the daemon's environment: ${shown.join(' ')})`);
      const args = ['year', ...(files ? ['--year-files', String(files)] : [])];
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
          env: { ...process.env, ...missing },
          stdio: 'inherit',
        });
        child.once('error', reject);
        child.once('exit', resolve);
      });
      if (code !== 0) throw new Error(`the year bench exited with ${code}`);
      return;
    }
    await runYearBench(files ? { files } : {});
  },
};

async function main(): Promise<void> {
  const unknown = positionals.filter((p) => !(p in SCENARIOS));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  const chosen = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
  for (const name of chosen) await SCENARIOS[name]!();
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
