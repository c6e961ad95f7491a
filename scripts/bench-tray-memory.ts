// Memory of the idle tray app, as PSS (proportional set size: shared pages split between the
// processes sharing them, so the sum over the app's processes is what it really costs), summed
// over the main process and all its helpers (zygotes, GPU, utility, renderer). Three moments:
// started hidden and idle, window open, window closed again. Runs the PACKAGED app on the test
// Electron under a private Xvfb with a tray host, configured against the Dropbox emulator.
// Goal (issue 11): at most 150 MB idle with the window closed.
// Usage: npx tsx scripts/bench-tray-memory.ts   (about a minute; needs bash scripts/setup.sh)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startEmulator } from '../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../test/engine/harness.js';
import { startDesktop, waitFor } from '../test/electron/desktop.js';
import { launchApp, packageApp } from '../test/electron/packaged-app.js';

const SETTLE_MS = 8_000;
const GOAL_MB = 150;

/** The pid and every descendant, from /proc's parent links. */
function processTree(rootPid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command name in parentheses, which may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

function pssKiB(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Chromium's name for a helper (--type=gpu-process, renderer, zygote, utility), or main. */
function kindOf(pid: number): string {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    const type = args.find((a) => a.startsWith('--type='))?.slice(7) ?? 'main';
    const sub = args
      .find((a) => a.startsWith('--utility-sub-type='))
      ?.split('.')
      .at(-1);
    return sub ? `${type}:${sub}` : type;
  } catch {
    return '?';
  }
}

interface Sample {
  mb: number;
  processes: number;
  detail: string;
}

function measure(rootPid: number): Sample {
  const tree = processTree(rootPid);
  const per = tree.map((pid) => ({ kind: kindOf(pid), kib: pssKiB(pid) }));
  const kib = per.reduce((sum, p) => sum + p.kib, 0);
  const detail = per.map((p) => `${p.kind} ${Math.round(p.kib / 1024)}`).join(', ');
  return { mb: Math.round(kib / 1024), processes: tree.length, detail };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const app = await packageApp();
const desktop = await startDesktop({ trayHost: true, notifications: true });
const emulator = await startEmulator({});
const dirs = await makeDirs('rdl-bench-mem-');
await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Bench' }), emulator);
const env = { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir };
const running = await launchApp(app, desktop, env, ['--hidden']);
const rows: [string, Sample][] = [];
try {
  const pid = running.child.pid!;
  await sleep(SETTLE_MS);
  rows.push(['idle, window never opened', measure(pid)]);

  // A second start opens the window of the running one, as a person clicking the launcher.
  const second = spawn(app.executable, ['--no-sandbox'], {
    env: { ...desktop.env, ...env },
    stdio: 'ignore',
  });
  await new Promise((r) => second.once('exit', r));
  const page = await running.window();
  await page.waitForSelector('#tab-status');
  await sleep(SETTLE_MS);
  rows.push(['window open', measure(pid)]);

  const before = measure(pid).processes;
  await page.evaluate(() => window.close());
  await waitFor('the renderer process to end', () => measure(pid).processes < before, 20_000);
  await sleep(SETTLE_MS);
  rows.push(['idle, window closed', measure(pid)]);
} finally {
  await running.browser.close().catch(() => {});
  await running.kill();
  await desktop.stop();
  await emulator.close();
  fs.rmSync(dirs.root, { recursive: true, force: true });
  app.remove();
}

console.log(`\nTray app memory (PSS summed over its processes; Electron ${'33.2.1'}, Xvfb)`);
for (const [what, m] of rows)
  console.log(
    `  ${what.padEnd(28)} ${String(m.mb).padStart(5)} MB  (${m.processes} processes: ${m.detail})`,
  );
const closed = rows.at(-1)?.[1].mb ?? Infinity;
console.log(
  `  goal: <= ${GOAL_MB} MB idle with the window closed: ${closed <= GOAL_MB ? 'met' : 'NOT met'}`,
);
