// The Dropbox connection between the two front ends with a REAL OS keyring (issue 11, defect 3):
// the PACKAGED tray app under X with GNOME Keyring on its session bus (safeStorage's
// gnome_libsecret backend), and the headless daemon from the same binary with no session bus,
// as systemd runs it, against the emulator. Set up in one front end, the other works or says
// exactly why and how to fix it; the token is never in plain text in the tray app's files nor
// in any log. One package for the whole file (packaging takes ~15 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { root } from '../../scripts/build.mjs';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import type { StatusSnapshot } from '../../src/engine/status/types.js';
import type { AppInfo } from '../../src/shared/ipc.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { readPublishedStatus, runCli, writeFileIn } from '../cli/cli-harness.js';
import { killChild, startDesktop, waitFor, within, type Desktop } from './desktop.js';
import { decryptWithKeyringKey, startKeyring, type KeyringDaemon } from './keyring-daemon.js';
import { launchApp, packageApp, type PackagedApp, type RunningApp } from './packaged-app.js';

const PASSWORD = 'test login password';
const ARTIFACTS = path.join(root, 'test-artifacts', 'electron');
const USER = os.userInfo().username;

let app: PackagedApp;
let emulator: Emulator;

before(async () => {
  app = await packageApp();
  emulator = await startEmulator({});
});

after(async () => {
  await emulator?.close();
  app?.remove();
});

type Dirs = Awaited<ReturnType<typeof makeDirs>>;

/** A GNOME session's desktop name: Chromium then keeps safeStorage's key in the Secret Service. */
function trayEnv(dirs: Dirs): NodeJS.ProcessEnv {
  return { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: dirs.configDir, XDG_CURRENT_DESKTOP: 'GNOME' };
}

/** As the systemd unit runs it: no display, no session bus (so no keyring). */
function serviceEnv(dirs: Dirs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dirs.root, RDL_SYNC_QUIET: '1' };
  delete env.DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.RDL_SYNC_CONFIG_DIR;
  return env;
}

interface Rdl {
  getStatus(): Promise<{ value: StatusSnapshot }>;
  getAppInfo(): Promise<{ value: AppInfo }>;
}
const windowStatus = (page: Page): Promise<StatusSnapshot> =>
  page.evaluate(async () => (await (window as unknown as { rdl: Rdl }).rdl.getStatus()).value);
const windowAppInfo = (page: Page): Promise<AppInfo> =>
  page.evaluate(async () => (await (window as unknown as { rdl: Rdl }).rdl.getAppInfo()).value);
const text = async (page: Page, selector: string): Promise<string> =>
  (await page.textContent(selector))?.trim() ?? '';

/** Every notification dunst has shown (closed ones go to its history, so close them first). */
async function notificationsShown(desktop: Desktop): Promise<{ summary: string; body: string }[]> {
  await desktop.run('dunstctl', ['close-all']);
  const history = JSON.parse(await desktop.run('dunstctl', ['history'])) as {
    data: { summary: { data: string }; body: { data: string } }[][];
  };
  return (history.data[0] ?? []).map((n) => ({ summary: n.summary.data, body: n.body.data }));
}

/** Every regular file below `dir`, read whole. */
function filesBelow(dir: string): { file: string; data: Buffer }[] {
  const out: { file: string; data: Buffer }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    try {
      out.push({ file, data: fs.readFileSync(file) });
    } catch (e) {
      // The running app's browser profile comes and goes (temporary files): gone is fine.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

/** The files below `dir` that hold `secret` in plain text. */
function filesHolding(dir: string, secret: string): string[] {
  return filesBelow(dir)
    .filter(({ data }) => data.includes(secret))
    .map(({ file }) => path.relative(dir, file));
}

/** Connects Dropbox in the real window: Settings, Connect, the code Dropbox shows pasted. */
async function connectInWindow(page: Page): Promise<string> {
  await page.click('#tab-settings');
  await page.click('#dropbox-connect');
  const url = await waitFor(
    'the authorize address',
    async () => (await text(page, '#dropbox-steps .url')) || null,
  );
  const challenge = new URL(url).searchParams.get('code_challenge');
  assert.ok(challenge, `no code_challenge in ${url}`);
  // What the person would copy from Dropbox's page after approving.
  const code = emulator.approveAuthorization({ codeChallenge: challenge });
  await page.fill('#dropbox-code', code);
  await page.click('#dropbox-finish');
  await waitFor('connected', async () =>
    /^Connected to Dropbox as /.test(await text(page, '#notice')),
  );
  return code;
}

/** `rdl-sync auth` with the node CLI, the way the README's headless set-up does it. */
async function authWithCli(dirs: Dirs): Promise<string> {
  const cli = (...args: string[]) =>
    runCli([...args, '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: { DISPLAY: undefined, DBUS_SESSION_BUS_ADDRESS: undefined },
    });
  const start = await cli('auth');
  assert.equal(start.code, 0, start.stdout + start.stderr);
  const url = /^\s+(http\S+)$/m.exec(start.stdout)?.[1];
  assert.ok(url, start.stdout);
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(await (await fetch(url)).text())?.[1];
  assert.ok(code);
  const finish = await cli('auth', '--code', code);
  assert.equal(finish.code, 0, finish.stdout + finish.stderr);
  return code;
}

interface DaemonRun {
  output: string;
  status: StatusSnapshot;
}

/**
 * The packaged binary's headless daemon beside the config, with no session bus: runs until
 * `until` holds for its published status, then stops it with SIGTERM (it must exit 0).
 */
async function runServiceDaemon(
  dirs: Dirs,
  until: (s: StatusSnapshot) => boolean | Promise<boolean>,
  what: string,
): Promise<DaemonRun> {
  const daemon = spawn(
    app.executable,
    [
      '--headless',
      'run',
      '--config-dir',
      dirs.configDir,
      '--ozone-platform=headless',
      '--no-sandbox', // the test runs as root; the unit does not
    ],
    { env: serviceEnv(dirs), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  daemon.stdout.on('data', (c: Buffer) => (output += c.toString()));
  daemon.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null }>((resolve) =>
    daemon.once('exit', (code) => resolve({ code })),
  );
  try {
    const published = await waitFor(
      what,
      async () => {
        if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${output}`);
        const p = await readPublishedStatus(dirs.configDir);
        return p && p.pid === daemon.pid && (await until(p.status)) ? p : null;
      },
      60_000,
    );
    daemon.kill('SIGTERM');
    const end = await within('the daemon to exit after SIGTERM', exited, 40_000);
    assert.equal(end.code, 0, output);
    return { output, status: published.status };
  } finally {
    await killChild(daemon);
  }
}

/** `rdl-sync status` from the packaged binary, as a person in a terminal without the desktop. */
async function statusFromBinary(dirs: Dirs): Promise<string> {
  const child = spawn(
    app.executable,
    [
      '--headless',
      'status',
      '--config-dir',
      dirs.configDir,
      '--ozone-platform=headless',
      '--no-sandbox',
    ],
    { env: serviceEnv(dirs), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const end = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    assert.equal(await within('rdl-sync status', end, 60_000), 0, out);
    return out;
  } finally {
    await killChild(child);
  }
}

function appLog(dirs: Dirs): string {
  const file = path.join(dirs.configDir, 'logs', 'rdl-sync-app.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

async function quit(running: RunningApp): Promise<void> {
  await running.browser.close().catch(() => {});
  running.child.kill('SIGTERM');
  const end = await within('the app to quit', running.exited, 60_000);
  assert.equal(end.code, 0, running.output());
}

/** Every log and every child's output of a run: none may hold a secret. */
function allLogs(dirs: Dirs, outputs: string[]): string {
  const logs = path.join(dirs.configDir, 'logs');
  const files = fs.existsSync(logs) ? filesBelow(logs).map(({ data }) => data.toString()) : [];
  return [...files, ...outputs].join('\n');
}

test('connected in the tray app with a real keyring: encrypted, the service says why and how, a start without the keyring too', async (t) => {
  const desktop = await startDesktop({ trayHost: true, notifications: true, activation: false });
  const dirs = await makeDirs('rdl-keyring-tray-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'KeyTray' }), null);
  const outputs: string[] = [];
  let keyring: KeyringDaemon | null = await startKeyring(desktop, dirs.root, PASSWORD);
  let running: RunningApp | null = null;
  const encFile = path.join(dirs.configDir, 'credentials.enc.json');
  const plainFile = path.join(dirs.configDir, 'credentials.json');
  let token = '';
  let keyringKey = '';
  let code = '';
  /** The connection made again without the keyring (the message's other fix). */
  let plainToken = '';
  let plainCode = '';
  /** An app a failed step left running would hold the single-instance lock for the next. */
  const leftover = async (): Promise<void> => {
    await running?.browser.close().catch(() => {});
    await running?.kill();
    running = null;
  };
  try {
    await t.test(
      'a: connect in the window; the token is kept encrypted by the keyring',
      async () => {
        running = await launchApp(app, desktop, trayEnv(dirs));
        const page = await running.window();
        await page.waitForSelector('#tab-status');
        const before = await windowAppInfo(page);
        assert.equal(before.credentials.backend, 'gnome_libsecret', 'safeStorage uses the keyring');
        code = await connectInWindow(page);

        assert.ok(fs.existsSync(encFile), 'credentials.enc.json written');
        assert.equal(fs.statSync(encFile).mode & 0o777, 0o600);
        assert.equal(fs.existsSync(plainFile), false, 'no plain credentials.json');
        // The keyring holds safeStorage's key (secret-tool, from outside the app), and that key
        // decrypts the file: the token is protected by the keyring, not by a fixed key.
        const keys = await keyring!.safeStorageKeys();
        // One item, under the app's product name (`secret-tool search application 'RDL Sync'`).
        assert.deepEqual([...keys.keys()], ['RDL Sync']);
        keyringKey = [...keys.values()][0]!;
        const envelope = JSON.parse(fs.readFileSync(encFile, 'utf8')) as { data: string };
        const saved = JSON.parse(
          decryptWithKeyringKey(Buffer.from(envelope.data, 'base64'), keyringKey),
        ) as { appKey: string; refreshToken: string };
        assert.equal(saved.appKey, emulator.appKey);
        token = saved.refreshToken;
        assert.ok(token.length >= 20);
        // No plain-text token anywhere in the settings folder.
        assert.deepEqual(filesHolding(dirs.configDir, token), []);

        const info = await windowAppInfo(page);
        assert.equal(info.credentials.encrypted, true);
        assert.equal(info.credentials.location, encFile);
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'keyring-connected-settings.png') });
        assert.match(
          info.credentials.summary,
          /encrypted with the system keyring \(gnome_libsecret\)/,
        );

        await writeFileIn(
          dirs.watchDir,
          'RDL/USB0/tray.csv',
          'timestamp,t\n2026-12-01T08:00:00Z,1\n',
        );
        await waitFor('tray.csv on Dropbox', () =>
          emulator.getFile('/RDL/KeyTray/RDL/USB0/tray.csv'),
        );
        await quit(running);
        outputs.push(running.output());
        running = null;
        // Nor (the app gone, its files final) anywhere in the home, Chromium's profile included,
        // nor the keyring's key outside the keyring.
        assert.deepEqual(filesHolding(dirs.root, token), []);
        assert.deepEqual(filesHolding(dirs.root, keyringKey), []);
      },
    );

    // The exact words (the status adds the closing full stop; the log line quotes the reason).
    const trayOnlyReason =
      `The Dropbox connection was saved encrypted with the desktop keyring by the tray app (${encFile}), ` +
      'which the background service and the command line cannot read: ' +
      `run \`rdl-sync auth\` as ${USER} to store a connection they can use (kept readable only by that user in ${plainFile}); ` +
      'the tray app then uses that one too';
    const trayOnly = `${trayOnlyReason}.`;

    await t.test(
      'b: the daemon with no session bus says exactly why and how to fix it',
      async () => {
        await leftover();
        const run = await runServiceDaemon(
          dirs,
          (s) => s.problems.some((p) => p.code === 'auth-missing'),
          'the daemon to publish why it cannot reach Dropbox',
        );
        outputs.push(run.output);
        const problem = run.status.problems.find((p) => p.code === 'auth-missing');
        assert.equal(problem?.message, trayOnly);
        assert.equal(run.status.dropbox.connected, false);
        const log = fs.readFileSync(path.join(dirs.configDir, 'logs', 'rdl-sync.log'), 'utf8');
        assert.ok(
          log.includes(
            `[warn]  Dropbox credentials could not be read {"reason":"${trayOnlyReason}"}`,
          ),
          `the daemon's log names the cause and the fix:\n${log}`,
        );
        // Both front ends' `status`, without the desktop, say the same.
        const fromBinary = await statusFromBinary(dirs);
        outputs.push(fromBinary);
        assert.ok(fromBinary.includes(`! ${trayOnly}`), fromBinary);
        const fromNode = await runCli(['status', '--config-dir', dirs.configDir], {
          home: dirs.root,
        });
        outputs.push(fromNode.stdout, fromNode.stderr);
        assert.ok(fromNode.stdout.includes(`! ${trayOnly}`), fromNode.stdout);
        // The tray app's connection is untouched by the service's attempt.
        assert.ok(fs.existsSync(encFile));
        assert.equal(fs.existsSync(plainFile), false);
      },
    );

    const unavailableReason =
      `The Dropbox connection was saved encrypted with the desktop keyring (${encFile}), which is not available now: ` +
      'log in to the desktop session (or unlock its keyring) and restart RDL Sync, ' +
      `or reconnect Dropbox (Connect in Settings, or \`rdl-sync auth\`; without a keyring it is kept readable only by you in ${plainFile})`;
    const unavailable = `${unavailableReason}.`;

    /** Each start's log lines checked on their own; the old ones still go to the secrets check. */
    const setAsideAppLog = (): void => {
      outputs.push(appLog(dirs));
      fs.rmSync(path.join(dirs.configDir, 'logs', 'rdl-sync-app.log'), { force: true });
    };

    /** A tray start that cannot reach the keyring: the window and the status say why and how. */
    const startWithoutKeyring = async (
      shots: string | null,
      notified: boolean,
      extraEnv: NodeJS.ProcessEnv = {},
    ): Promise<void> => {
      await leftover();
      running = await launchApp(app, desktop, { ...trayEnv(dirs), ...extraEnv });
      const page = await running.window();
      await page.waitForSelector('#tab-status');
      const info = await windowAppInfo(page);
      const problem = await waitFor('the keyring problem in the status', async () =>
        (await windowStatus(page)).problems.find((p) => p.code === 'auth-missing'),
      );
      assert.equal(problem.message, unavailable);
      // The Status tab shows it as a problem to act on.
      await page.waitForSelector('#problems .problem-message');
      const shown = await page.$$eval('#problems .problem-message', (els) =>
        els.map((e) => e.textContent ?? ''),
      );
      assert.ok(shown.includes(unavailable), shown.join('\n'));
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      if (shots) await page.screenshot({ path: path.join(ARTIFACTS, `${shots}-status.png`) });
      if (notified) {
        // The tray app's desktop notification says it too (read from dunst's history).
        const notice = await waitFor('a notification about the keyring', async () =>
          (await notificationsShown(desktop)).find((n) => n.body.includes('not available now')),
        );
        assert.equal(notice.summary, 'RDL Sync needs action now');
        assert.equal(notice.body, unavailable);
      }
      // Settings says where the connection is and that the keyring is missing, not that it is
      // stored unencrypted somewhere else.
      await page.click('#tab-settings');
      await page.waitForSelector('#credential-storage');
      assert.equal(await text(page, '#dropbox-state'), `Not connected: ${unavailable}`);
      const storage = await waitFor(
        'the storage line',
        async () => (await text(page, '#credential-storage')) || null,
      );
      assert.equal(
        storage,
        `The Dropbox connection is saved encrypted with the system keyring in ${encFile}, ` +
          'but the keyring is not available now, so RDL Sync cannot use it: log in to the desktop session ' +
          '(or unlock its keyring) and restart RDL Sync, or connect again (Connect to Dropbox above, or `rdl-sync auth`).',
      );
      assert.equal(info.credentials.location, encFile);
      if (shots) await page.screenshot({ path: path.join(ARTIFACTS, `${shots}-settings.png`) });
      // `rdl-sync status` beside the running tray app says it too.
      const status = await runCli(['status', '--config-dir', dirs.configDir], { home: dirs.root });
      outputs.push(status.stdout, status.stderr);
      assert.ok(status.stdout.includes(`! ${unavailable}`), status.stdout);
      assert.ok(
        appLog(dirs).includes(
          `Dropbox credentials could not be read {"reason":"${unavailableReason}"}`,
        ),
        appLog(dirs),
      );
      await quit(running);
      outputs.push(running.output());
      running = null;
      assert.ok(fs.existsSync(encFile), 'the saved connection is kept, not dropped');
      assert.equal(fs.existsSync(plainFile), false, 'and not moved to a plain file');
    };

    await t.test('c: a tray start with the keyring daemon stopped', async () => {
      await keyring!.stop();
      outputs.push(keyring!.output());
      keyring = null;
      setAsideAppLog();
      await startWithoutKeyring('keyring-stopped', true);
    });

    await t.test('c: a tray start with the keyring locked (nobody unlocked it)', async () => {
      keyring = await startKeyring(desktop, dirs.root, null);
      setAsideAppLog();
      await startWithoutKeyring(null, false);
      await keyring.stop();
      outputs.push(keyring.output());
      keyring = null;
    });

    await t.test('c: a tray start with no D-Bus session at all', async () => {
      setAsideAppLog();
      // "disabled:" rather than unset: unset, libdbus and GLib would start a bus of their own
      // for the X display (dbus-launch --autolaunch), outside the test's control.
      await startWithoutKeyring(null, false, { DBUS_SESSION_BUS_ADDRESS: 'disabled:' });
    });

    await t.test(
      'c: unlocking the keyring and restarting, as the message says, connects',
      async () => {
        await leftover();
        keyring ??= await startKeyring(desktop, dirs.root, PASSWORD);
        running = await launchApp(app, desktop, trayEnv(dirs));
        const page = await running.window();
        await waitFor('connected again', async () => {
          const s = await windowStatus(page);
          return s.dropbox.connected && !s.problems.some((p) => p.code === 'auth-missing');
        });
        await writeFileIn(
          dirs.watchDir,
          'RDL/USB0/again.csv',
          'timestamp,t\n2026-12-01T09:00:00Z,2\n',
        );
        await waitFor('again.csv on Dropbox', () =>
          emulator.getFile('/RDL/KeyTray/RDL/USB0/again.csv'),
        );
        await quit(running);
        outputs.push(running.output());
        running = null;
      },
    );

    await t.test(
      'c: reconnecting without the keyring, as the message offers, serves both front ends',
      async () => {
        await leftover();
        await keyring?.stop();
        outputs.push(keyring?.output() ?? '');
        keyring = null;
        setAsideAppLog();
        running = await launchApp(app, desktop, trayEnv(dirs));
        const page = await running.window();
        await page.waitForSelector('#tab-status');
        plainCode = await connectInWindow(page);
        // Kept in the file both front ends read, readable only by this user; the encrypted copy
        // it replaces is gone (one truth on disk).
        assert.equal(fs.statSync(plainFile).mode & 0o777, 0o600);
        assert.equal(fs.existsSync(encFile), false);
        plainToken = (JSON.parse(fs.readFileSync(plainFile, 'utf8')) as { refreshToken: string })
          .refreshToken;
        assert.match(
          appLog(dirs),
          /\[warn\] {2}System keyring unavailable: Dropbox connection saved unencrypted/,
        );
        // The storage line follows the new connection, without reopening the window.
        await waitFor('the storage line to follow', async () =>
          (await text(page, '#credential-storage')).startsWith('No system keyring is available'),
        );
        assert.equal(
          await text(page, '#credential-storage'),
          `No system keyring is available, so the Dropbox connection is stored unencrypted in ${plainFile}, ` +
            'readable only by your user account. Install and unlock a keyring (for example GNOME Keyring) to encrypt it.',
        );
        assert.match(await text(page, '#dropbox-state'), /^Connected as /);
        await quit(running);
        outputs.push(running.output());
        running = null;

        // And the daemon, which could not read the keyring's copy, now works with this one.
        await writeFileIn(
          dirs.watchDir,
          'RDL/USB0/service.csv',
          'timestamp,t\n2026-12-01T12:00:00Z,5\n',
        );
        const run = await runServiceDaemon(
          dirs,
          () => Boolean(emulator.getFile('/RDL/KeyTray/RDL/USB0/service.csv')),
          'service.csv on Dropbox from the daemon',
        );
        outputs.push(run.output);
        assert.equal(
          run.status.problems.find((p) => p.code === 'auth-missing'),
          undefined,
        );
      },
    );

    await t.test('secrets stay out of every log of these runs', () => {
      const logs = allLogs(dirs, outputs);
      assert.ok(logs.length > 1000, 'the logs were read');
      for (const [name, secret] of [
        ['refresh token', token],
        ['keyring key', keyringKey],
        ['authorization code', code],
        ['refresh token saved without the keyring', plainToken],
        ['authorization code used without the keyring', plainCode],
      ] as const) {
        assert.ok(secret.length > 0, `${name} known`);
        assert.ok(!logs.includes(secret), `the ${name} is in a log`);
      }
    });
  } finally {
    if (running) {
      await (running as RunningApp).browser.close().catch(() => {});
      await (running as RunningApp).kill();
    }
    await keyring?.stop();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('connected with `rdl-sync auth` first: the tray app with a keyring uses it, the daemon still works', async () => {
  const desktop = await startDesktop({ trayHost: true, activation: false });
  const dirs = await makeDirs('rdl-keyring-cli-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'KeyCli' }), null);
  const outputs: string[] = [];
  const keyring = await startKeyring(desktop, dirs.root, PASSWORD);
  let running: RunningApp | null = null;
  const plainFile = path.join(dirs.configDir, 'credentials.json');
  try {
    const code = await authWithCli(dirs);
    assert.equal(fs.statSync(plainFile).mode & 0o777, 0o600);
    const saved = fs.readFileSync(plainFile, 'utf8');
    const token = (JSON.parse(saved) as { refreshToken: string }).refreshToken;

    running = await launchApp(app, desktop, trayEnv(dirs));
    const page = await running.window();
    await waitFor('the tray app connected', async () => {
      const s = await windowStatus(page);
      return s.dropbox.connected && !s.problems.some((p) => p.code.startsWith('auth'));
    });
    const info = await windowAppInfo(page);
    assert.equal(info.credentials.encrypted, false);
    assert.equal(info.credentials.location, plainFile);
    assert.match(
      info.credentials.summary,
      /so the background service and the command line can use it too\. To keep it only in the system keyring \(gnome_libsecret\) instead, Disconnect and Connect again/,
    );
    await writeFileIn(dirs.watchDir, 'RDL/USB0/tray.csv', 'timestamp,t\n2026-12-01T10:00:00Z,3\n');
    await waitFor('tray.csv on Dropbox', () => emulator.getFile('/RDL/KeyCli/RDL/USB0/tray.csv'));
    await quit(running);
    outputs.push(running.output());
    running = null;
    // The service's file is as `rdl-sync auth` left it; no second, encrypted copy.
    assert.equal(fs.readFileSync(plainFile, 'utf8'), saved);
    assert.equal(fs.statSync(plainFile).mode & 0o777, 0o600);
    assert.equal(fs.existsSync(path.join(dirs.configDir, 'credentials.enc.json')), false);

    // The daemon from the app binary, no session bus, still works after the tray app.
    await writeFileIn(
      dirs.watchDir,
      'RDL/USB0/service.csv',
      'timestamp,t\n2026-12-01T11:00:00Z,4\n',
    );
    const run = await runServiceDaemon(
      dirs,
      () => Boolean(emulator.getFile('/RDL/KeyCli/RDL/USB0/service.csv')),
      'service.csv on Dropbox from the daemon',
    );
    outputs.push(run.output);
    assert.equal(run.status.dropbox.connected, true);
    assert.equal(
      run.status.problems.find((p) => p.code === 'auth-missing'),
      undefined,
    );

    const logs = allLogs(dirs, [...outputs, keyring.output()]);
    assert.ok(logs.length > 1000, 'the logs were read');
    assert.ok(!logs.includes(token), 'the refresh token is in a log');
    assert.ok(!logs.includes(code), 'the authorization code is in a log');
  } finally {
    if (running) {
      await (running as RunningApp).browser.close().catch(() => {});
      await (running as RunningApp).kill();
    }
    await keyring.stop();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
