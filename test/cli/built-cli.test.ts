// The CLI as an installed package runs it: scripts/build.mjs's dist/cli (cli.mjs and the chunks
// it is split into) with bin/rdl-sync.js and package.json, copied into a temp folder with no src/
// and no node_modules anywhere above it, so the bundle must carry everything it loads. Checks the
// split itself too: `--help` compiles neither the engine nor nodemailer, and `once` not nodemailer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCli } from '../../scripts/build.mjs';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig, listFilesRel } from '../engine/harness.js';
import {
  exited,
  readPublishedStatus,
  repo,
  runCli,
  waitFor,
  writeFileIn,
  type CliResult,
} from './cli-harness.js';
import { startSmtp, type LoopbackSmtp } from '../alerts/loopback.js';
import { chunksWith as chunksOf, staticGraph } from './bundle-graph.js';

/** A hung CLI must fail its test, not the whole suite. */
const COMMAND_TIMEOUT_MS = 45_000;

let work: string;
let pkg: string;
let cliDir: string;
let emulator: Emulator;

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-built-cli-'));
  pkg = path.join(work, 'rdl-sync');
  cliDir = path.join(pkg, 'dist', 'cli');
  await buildCli(path.join(cliDir, 'cli.mjs'));
  await fs.cp(path.join(repo, 'bin'), path.join(pkg, 'bin'), { recursive: true });
  await fs.copyFile(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
  emulator = await startEmulator({});
});

after(async () => {
  await emulator?.close();
  await fs.rm(work, { recursive: true, force: true });
});

/**
 * `node <pkg>/bin/rdl-sync.js <args>` (or `node <entry> <args>`) from a folder outside the repo;
 * killed at the deadline.
 */
function runInstalled(
  args: string[],
  home: string,
  env: NodeJS.ProcessEnv = {},
  entry = path.join(pkg, 'bin/rdl-sync.js'),
): Promise<CliResult> {
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: work,
    env: {
      ...process.env,
      HOME: home,
      // The compile cache (Node >= 22.1) in the test's home, never the developer's own.
      XDG_CACHE_HOME: path.join(home, '.cache'),
      RDL_SYNC_CONFIG_DIR: '',
      RDL_SYNC_QUIET: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rdl-sync ${args.join(' ')} did not finish in ${COMMAND_TIMEOUT_MS} ms`));
    }, COMMAND_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const chunksWith = (marker: string): string[] => chunksOf(cliDir, marker);

test('dist/cli is split: --help loads neither the engine nor nodemailer, the engine not nodemailer', () => {
  const engine = chunksWith('// src/engine/engine.ts');
  const mail = chunksWith('node_modules/nodemailer/');
  assert.equal(engine.length, 1, `the engine in one chunk: ${engine.join(', ')}`);
  assert.equal(mail.length, 1, `nodemailer in one chunk: ${mail.join(', ')}`);
  const atStart = staticGraph(cliDir, 'cli.mjs');
  assert.ok(!atStart.has(engine[0]!), `cli.mjs imports the engine statically: ${[...atStart]}`);
  assert.ok(!atStart.has(mail[0]!), `cli.mjs imports nodemailer statically: ${[...atStart]}`);
  const withEngine = staticGraph(cliDir, engine[0]!);
  assert.ok(
    !withEngine.has(mail[0]!),
    `the engine imports nodemailer statically: ${[...withEngine]}`,
  );
});

test('the engine does not load the scheduler: node-schedule, cron-parser and luxon wait for a daemon or a cron setting', () => {
  // About 310 KB that `once` over an interval schedule never runs (cron-check.ts, lifecycle.ts).
  const engine = chunksWith('// src/engine/engine.ts');
  const withEngine = staticGraph(cliDir, engine[0]!);
  for (const marker of [
    'node_modules/node-schedule/',
    'node_modules/cron-parser/',
    'node_modules/luxon/',
    '// src/engine/scheduler.ts',
  ]) {
    const holders = chunksWith(marker);
    assert.ok(holders.length > 0, `${marker} is in the bundle`);
    for (const chunk of holders)
      assert.ok(!withEngine.has(chunk), `the engine loads ${marker} at start (${chunk})`);
  }
});

test('the engine does not load the settings writer: conf, ajv and semver wait for an engine that may write', () => {
  // About 420 KB that `once` only reads around (settings/store.ts, loadSettingsWriter).
  const engine = chunksWith('// src/engine/engine.ts');
  const withEngine = staticGraph(cliDir, engine[0]!);
  for (const marker of ['node_modules/conf/', 'node_modules/ajv/', 'node_modules/semver/']) {
    const holders = chunksWith(marker);
    assert.ok(holders.length > 0, `${marker} is in the bundle`);
    for (const chunk of holders)
      assert.ok(!withEngine.has(chunk), `the engine loads ${marker} at start (${chunk})`);
  }
});

test("zod's locales other than English stay out of the CLI bundle", () => {
  // They are dropped only when zod is imported as a namespace (eslint.config.js says why).
  const locales = readdirSync(cliDir).flatMap((f) =>
    [...readFileSync(path.join(cliDir, f), 'utf8').matchAll(/zod\/v4\/locales\/(\w+)\.js/g)]
      .map((m) => m[1]!)
      .filter((l) => l !== 'en' && l !== 'index'),
  );
  assert.deepEqual(locales, []);
});

test('the installed CLI answers --help as the source does', async () => {
  const home = path.join(work, 'home-help');
  const [built, source] = await Promise.all([
    runInstalled(['--help'], home),
    runCli(['--help'], { home }),
  ]);
  assert.equal(built.code, 0, built.stderr);
  assert.match(built.stdout, /^Usage: rdl-sync <command>/m);
  assert.equal(built.stdout, source.stdout, 'the bundle is the same CLI as src/cli');
});

test('started through a link of another name (a wrapper, systemd ExecStart), the installed CLI runs its command', async () => {
  // It used to know it was the entry by the name it was started as (rdl-sync, rdl-sync.js,
  // cli.mjs): under any other it did nothing and exited 0, a service that never synced and that
  // systemd, seeing success, never restarted.
  const links = path.join(work, 'links');
  await fs.mkdir(links, { recursive: true });
  const daemon = path.join(links, 'rdlsync-daemon');
  const bare = path.join(links, 'rdl');
  await fs.symlink(path.join(pkg, 'bin/rdl-sync.js'), daemon);
  await fs.symlink(path.join(cliDir, 'cli.mjs'), bare);
  const home = path.join(work, 'home-links');
  const configDir = path.join(home, 'nothing-set-up');
  const run = await runInstalled(['run', '--config-dir', configDir], home, {}, daemon);
  assert.equal(run.code, 2, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /Not starting: RDL Sync is not set up yet/);
  const help = await runInstalled(['--help'], home, {}, bare);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: rdl-sync <command>/m);
  // Run once, not twice, by its usual name.
  const usual = await runInstalled(['run', '--config-dir', configDir], home);
  assert.equal(usual.code, 2, usual.stderr);
  assert.equal(usual.stdout.match(/Not starting/g)?.length, 1, usual.stdout);
});

test('the installed CLI runs once against the emulator: every file on Dropbox and the card', async () => {
  const dirs = await makeDirs('rdl-built-cli-once-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Built' }), emulator);
    const files = ['RDL/USB0/2026-12-01.csv', 'RDL/USB0/2026-12-02.csv', 'cameras/cam1/0001.jpg'];
    for (const rel of files) await writeFileIn(dirs.watchDir, rel, `${rel}\n`.repeat(50));

    const r = await runInstalled(['once', '--config-dir', dirs.configDir], dirs.root);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Staged 3, uploaded 3, archived 3, done 3; 0 still queued in transit\./);
    assert.deepEqual(await listFilesRel(dirs.archiveDir), [...files].sort());
    for (const rel of files) assert.ok(emulator.getFile(`/RDL/Built/${rel}`), `${rel} on Dropbox`);
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('a finished command ends by process.exit once nothing is left to run, its output, log and status complete', async () => {
  // Node's own teardown after the event loop empties (freeing the heap, joining its threads) took
  // 60-140 ms of `once` after its work was done. A preload tells how the process ended: through
  // process.exit (reallyExit), and whether anything was still pending then (it never may be).
  const dirs = await makeDirs('rdl-built-cli-exit-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Exit' }), emulator);
    const files = ['RDL/USB0/2026-12-03.csv', 'RDL/USB0/2026-12-04.csv'];
    for (const rel of files) await writeFileIn(dirs.watchDir, rel, `${rel}\n`.repeat(20));
    const preload = path.join(dirs.root, 'how-it-ended.mjs');
    await fs.writeFile(
      preload,
      [
        "import { writeSync } from 'node:fs';",
        'const reallyExit = process.reallyExit;',
        'process.reallyExit = (code) => {',
        "  const pending = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');",
        '  writeSync(2, `ended by process.exit(${code}); pending: ${pending.join(",") || "none"}\\n`);',
        '  return reallyExit.call(process, code);',
        '};',
      ].join('\n'),
    );
    const r = await runInstalled(['once', '--config-dir', dirs.configDir], dirs.root, {
      NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Staged 2, uploaded 2, archived 2, done 2; 0 still queued in transit\./);
    assert.match(r.stderr, /^ended by process\.exit\(0\); pending: none$/m);
    // What `once` writes last is all there: its final status (no pid: no one runs) and its log.
    const status = await readPublishedStatus(dirs.configDir);
    assert.equal(status?.pid, null, JSON.stringify(status));
    const log = await fs.readFile(path.join(dirs.configDir, 'logs', 'rdl-sync.log'), 'utf8');
    assert.match(log, /\[info\] +pass \{"staged":2,"uploaded":2,"archived":2,"done":2,/);
    // A command that fails ends the same way, with its own code.
    const bad = await runInstalled(
      ['once', '--config-dir', path.join(dirs.root, 'none')],
      dirs.root,
      {
        NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
      },
    );
    assert.notEqual(bad.code, 0, bad.stdout + bad.stderr);
    assert.match(
      bad.stderr,
      new RegExp(`^ended by process\\.exit\\(${bad.code}\\); pending: none$`, 'm'),
    );
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

/** Whether this runtime has V8's compile cache for modules (Node >= 22.1; Node 20 has not). */
const runtimeHasCompileCache =
  typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

test(`the compile cache is used exactly when the runtime has it (here: ${runtimeHasCompileCache ? 'has' : 'lacks'} it, Node ${process.versions.node})`, async () => {
  const dirs = await makeDirs('rdl-built-cli-cache-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Cache' }), emulator);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/2026-12-03.csv', 'timestamp,value\n');
    const xdg = path.join(dirs.root, 'xdg-cache');
    const cache = path.join(xdg, 'rdl-sync', 'compile-cache');
    const tmp = path.join(dirs.root, 'tmp');
    await fs.mkdir(tmp);
    const env = {
      XDG_CACHE_HOME: xdg,
      TMPDIR: tmp,
      // Unset (spawn leaves undefined out): Node reads either, even empty, as an admin's choice.
      NODE_COMPILE_CACHE: undefined,
      NODE_DISABLE_COMPILE_CACHE: undefined,
    };
    const r = await runInstalled(['once', '--config-dir', dirs.configDir], dirs.root, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /done 1; 0 still queued in transit\./);
    const entries = await listFilesRel(cache).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
    if (runtimeHasCompileCache) {
      // One entry per module compiled: at least bin/rdl-sync.js, cli.mjs and the engine's chunk.
      assert.ok(entries.length >= 3, `compiled modules cached in ${cache}: ${entries.join(', ')}`);
    } else {
      assert.deepEqual(entries, [], `nothing written to ${cache} by a runtime without the cache`);
      await assert.rejects(fs.stat(path.join(xdg, 'rdl-sync')), { code: 'ENOENT' });
    }
    // Not in the temp folder, where Node puts it by default (os.tmpdir()/node-compile-cache).
    assert.deepEqual(await fs.readdir(tmp), []);
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

interface InstalledDaemon {
  /** The package's copy this daemon runs from (the test may change its files). */
  pkgDir: string;
  dirs: Awaited<ReturnType<typeof makeDirs>>;
  smtp: LoopbackSmtp;
  daemon: ChildProcess;
  /** Its log file's text so far. */
  log(): Promise<string>;
  /** Waits for a log line containing `text` (bounded); fails at once if the daemon exited. */
  logLine(text: string): Promise<string>;
}

/**
 * `rdl-sync run` from a copy of the installed package (named `copy`; `prepare` may change its
 * files first), set up to mail its alerts to a loopback SMTP server. Everything is stopped and
 * removed after `run`, whatever happens.
 */
async function withInstalledDaemon(
  copy: string,
  site: string,
  prepare: (pkgDir: string) => Promise<void>,
  run: (d: InstalledDaemon) => Promise<void>,
): Promise<void> {
  const pkgDir = path.join(work, copy);
  await fs.cp(pkg, pkgDir, { recursive: true });
  await prepare(pkgDir);
  const dirs = await makeDirs(`rdl-built-cli-${copy}-`);
  let smtp: LoopbackSmtp | undefined;
  let daemon: ChildProcess | undefined;
  try {
    smtp = await startSmtp();
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, {
        site,
        alertEmailTo: ['ops@example.org'],
        alertEmailFrom: 'hub@example.org',
        smtpHost: '127.0.0.1',
        smtpPort: smtp.port,
        smtpSecurity: 'none',
        alertFlapMinutes: 0,
      }),
      emulator,
    );
    const child = spawn(
      process.execPath,
      [path.join(pkgDir, 'bin/rdl-sync.js'), 'run', '--config-dir', dirs.configDir],
      {
        cwd: work,
        env: {
          ...process.env,
          HOME: dirs.root,
          XDG_CACHE_HOME: path.join(dirs.root, '.cache'),
          RDL_SYNC_CONFIG_DIR: '',
          RDL_SYNC_QUIET: '1',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    daemon = child;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const logFile = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
    const log = (): Promise<string> => fs.readFile(logFile, 'utf8').catch(() => '');
    await run({
      pkgDir,
      dirs,
      smtp,
      daemon: child,
      log,
      // The mail module loads 5 s after start: the deadline leaves a loaded machine room.
      logLine: (text) =>
        waitFor(
          `a log line with "${text}"`,
          async () => {
            if (child.exitCode !== null) throw new Error(`the daemon exited: ${stderr}`);
            return (await log()).split('\n').find((l) => l.includes(text));
          },
          40_000,
        ),
    });
  } finally {
    if (daemon) {
      daemon.kill('SIGKILL');
      await exited(daemon);
    }
    await smtp?.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
}

const fixOfMissingMail =
  /restart RDL Sync \(sudo systemctl restart rdl-sync, or quit the app and start it\)/;

test("a running daemon mails its alerts after the package's files were replaced under it (an upgrade)", async () => {
  await withInstalledDaemon(
    'upgraded',
    'Upgraded',
    async () => undefined,
    async ({ pkgDir, dirs, smtp, log, logLine }) => {
      await logLine('email alerts ready');
      // As an upgrade does: the new version's chunks have other names, and scripts/build.mjs
      // empties dist first.
      await fs.rm(path.join(pkgDir, 'dist'), { recursive: true });

      // A real condition: the card folder goes away. Its alert must still reach the mailbox.
      await fs.rename(dirs.archiveDir, `${dirs.archiveDir}.away`);
      const mail = await waitFor(
        'the archive-missing alert by email',
        async () =>
          smtp.mails.find((m) =>
            /needs attention: the archive out of reach \(archive-missing\)/.test(m.subject),
          ),
        40_000,
      );
      assert.deepEqual(mail.to, ['ops@example.org']);
      assert.doesNotMatch(await log(), /mail module did not load|cannot load the mail module/);
    },
  );
});

test('a daemon whose mail module is gone says so, naming the file and the fix, in the log and as a problem', async () => {
  const [mailChunk] = chunksWith('node_modules/nodemailer/');
  await withInstalledDaemon(
    'nomail',
    'NoMail',
    (pkgDir) => fs.rm(path.join(pkgDir, 'dist', 'cli', mailChunk!)),
    async ({ dirs, smtp, logLine }) => {
      const line = await logLine('the mail module did not load');
      assert.ok(line.includes(mailChunk!), `the missing file is named: ${line}`);
      assert.match(line, fixOfMissingMail);

      // An alert then fails on email, and that failure is a problem shown with the same fix.
      await fs.rename(dirs.archiveDir, `${dirs.archiveDir}.away`);
      const problem = await waitFor(
        'the email channel to be a problem',
        async () =>
          (await readPublishedStatus(dirs.configDir))?.status.problems.find(
            (p) => p.id === 'alert-channel-failing:email',
          ),
        40_000,
      );
      assert.match(problem.message, fixOfMissingMail);
      assert.deepEqual(smtp.mails, []);
    },
  );
});

test('a checkout installed without its dev dependencies (no tsx) runs its build, not a crash on the missing package', async () => {
  // src/ beside dist/ (a checkout, built) but no tsx: npm ci --omit=dev on a hub.
  const checkout = path.join(work, 'checkout-no-dev');
  await fs.cp(pkg, checkout, { recursive: true });
  await fs.mkdir(path.join(checkout, 'src', 'cli'), { recursive: true });
  await fs.writeFile(path.join(checkout, 'src', 'cli', 'main.ts'), 'throw new Error("not run");\n');
  const home = path.join(work, 'home-no-dev');
  const r = await runInstalled(['--version'], home, {}, path.join(checkout, 'bin/rdl-sync.js'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^rdl-sync \d+\.\d+\.\d+ \(Node /);
  // And with no build either: said what to run.
  await fs.rm(path.join(checkout, 'dist'), { recursive: true });
  const none = await runInstalled(['--version'], home, {}, path.join(checkout, 'bin/rdl-sync.js'));
  assert.equal(none.code, 1);
  assert.match(
    none.stderr,
    /tsx \(a dev dependency\) is not installed to run src\/: run npm ci, then npm run build/,
  );
});
