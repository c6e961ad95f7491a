// The tray app's security rules, checked in the PACKAGED app on the test Electron (33.2.1) under a
// private X server, from inside its own window (what a page that ran code not ours could try):
// no Node in the page, the CSP in force (no eval, no inline script, no remote content), no
// navigation away, no window.open (inside the app or in the system browser), every permission
// refused, only the authorize page main issued handed to the browser, and nothing listening on
// the network but the test's own DevTools port, and the demo's emulator on 127.0.0.1 while the
// demo runs. The page comes from rdl-sync://app/ and reads no file outside its folder. The system browser is a recording stand-in for xdg-open (Electron's openExternal
// on Linux), first in PATH.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { INVOKE_CHANNELS, EVENT_CHANNELS } from '../../src/shared/ipc-channels.js';
import { PAGE_CSP } from '../../src/main/app-protocol.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { writeFileIn } from '../cli/cli-harness.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { startDesktop, waitFor } from './desktop.js';
import { listeners } from '../main/sockets.js';
import { launchApp, packageApp, type PackagedApp } from './packaged-app.js';

let app: PackagedApp;
let emulator: Emulator;

before(async () => {
  app = await packageApp();
  emulator = await startEmulator({ appSecret: crypto.randomBytes(12).toString('base64url') });
});

after(async () => {
  await emulator?.close();
  app?.remove();
});

/** A probe for waitFor: whether the app's log (not written yet: no) matches `re`. */
function appLogSays(appLog: string) {
  return (re: RegExp) => () => fs.existsSync(appLog) && re.test(fs.readFileSync(appLog, 'utf8'));
}

/** Processes running the packaged executable (main, renderer, GPU, utility). */
function processesOf(executable: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/exe`) === executable) pids.push(Number(name));
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

type Rdl = Record<
  string,
  (...a: unknown[]) => Promise<{ ok: boolean; value?: unknown; error?: { message: string } }>
>;

function call(page: Page, channel: string, ...args: unknown[]) {
  return page.evaluate(
    ([c, a]) => (window as unknown as { rdl: Rdl }).rdl[c as string]!(...(a as unknown[])),
    [channel, args] as const,
  );
}

test('the packaged window: no Node, CSP, no navigation or window.open, no permission, no listener', async () => {
  const desktop = await startDesktop({ trayHost: true });
  const dirs = await makeDirs('rdl-hardening-');
  // The system browser: records every address it is asked to open.
  const bin = path.join(dirs.root, 'bin');
  const opened = path.join(dirs.root, 'opened.txt');
  fs.mkdirSync(bin);
  for (const name of ['xdg-open', 'gio', 'x-www-browser', 'sensible-browser'])
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\necho "$@" >> '${opened}'\n`, {
      mode: 0o755,
    });
  // A web server the page must never reach.
  let remoteHits = 0;
  const remote = http.createServer((_req, res) => {
    remoteHits++;
    res.end('x');
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  const remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
  const configDir = path.join(dirs.root, 'config');
  // Real Dropbox's endpoint and no connection: the authorize page is https (made locally, no
  // network), and nothing is sent anywhere.
  await writeConfig(
    configDir,
    testSettings(dirs, emulator, { site: 'Hardened', dropboxEndpoint: '' }),
    null,
  );
  const appLog = path.join(configDir, 'logs', 'rdl-sync-app.log');
  const logSays = appLogSays(appLog);

  const running = await launchApp(app, desktop, {
    HOME: dirs.root,
    RDL_SYNC_CONFIG_DIR: configDir,
    PATH: `${bin}:${process.env.PATH}`,
    BROWSER: path.join(bin, 'x-www-browser'),
  });
  try {
    const page = await running.window();
    await page.waitForSelector('#tab-status');

    // No Node in the page; window.rdl is the contract's methods and nothing else.
    assert.deepEqual(
      await page.evaluate(() =>
        ['require', 'process', 'module', 'Buffer', 'global'].map(
          (n) => typeof (globalThis as Record<string, unknown>)[n],
        ),
      ),
      ['undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
    );
    const subscriptions = EVENT_CHANNELS.map((e) => `on${e[0]!.toUpperCase()}${e.slice(1)}`);
    assert.deepEqual(
      await page.evaluate(() => Object.keys((window as unknown as { rdl: object }).rdl).sort()),
      [...INVOKE_CHANNELS, ...subscriptions].sort(),
    );

    // CSP: no eval, no inline script, nothing fetched from the network. (Tried from a timer: what
    // DevTools evaluates itself is allowed eval whatever the CSP says.)
    assert.deepEqual(
      await page.evaluate(
        () =>
          new Promise<string[]>((resolve) =>
            setTimeout(() =>
              resolve(
                [() => eval('1 + 1'), () => new Function('return 1')()].map((f) => {
                  try {
                    f();
                    return 'ran';
                  } catch (e) {
                    return (e as Error).name;
                  }
                }),
              ),
            ),
          ),
      ),
      ['EvalError', 'EvalError'],
    );
    const inline = await page.evaluate(
      () =>
        new Promise<{ violated: string; ran: boolean }>((resolve) => {
          document.addEventListener(
            'securitypolicyviolation',
            (e) =>
              resolve({
                violated: e.violatedDirective,
                ran: (window as unknown as { inlineRan?: boolean }).inlineRan === true,
              }),
            { once: true },
          );
          const s = document.createElement('script');
          s.textContent = 'window.inlineRan = true';
          document.body.append(s);
        }),
    );
    assert.deepEqual(inline, { violated: 'script-src-elem', ran: false });
    const remoteLoad = await page.evaluate(
      (url) =>
        new Promise<string[]>((resolve) => {
          // The policy is both index.html's meta tag and the scheme's header, so each refusal
          // may be reported twice: wait for both directives.
          const seen = new Set<string>();
          document.addEventListener('securitypolicyviolation', (e) => {
            seen.add(e.violatedDirective);
            if (seen.size === 2) resolve([...seen].sort());
          });
          const img = new Image();
          img.src = `${url}/pixel.png`;
          void fetch(`${url}/data`).catch(() => {});
        }),
      remoteUrl,
    );
    assert.deepEqual(remoteLoad, ['connect-src', 'img-src']);
    assert.equal(remoteHits, 0, 'the page reached a web server');

    // window.open: nothing opens, in the app or in the browser (main logs the refusal).
    assert.equal(
      await page.evaluate(() => window.open('https://example.com/phish') === null),
      true,
    );
    await waitFor('the refused window.open in the log', logSays(/Blocked a window the page/));
    assert.equal(running.browser.contexts().flatMap((c) => c.pages()).length, 1);
    // Navigation away: refused, the page stays.
    await page.evaluate(() => {
      location.href = 'https://example.com/elsewhere';
    });
    await waitFor('the refused navigation in the log', logSays(/Blocked navigation away/));
    assert.equal(page.url(), 'rdl-sync://app/index.html');
    assert.equal(await page.evaluate(() => typeof (window as { rdl?: unknown }).rdl), 'object');

    // Permissions: every one refused.
    assert.equal(await page.evaluate(() => Notification.requestPermission()), 'denied');
    const names = ['geolocation', 'camera', 'microphone', 'clipboard-read', 'notifications'];
    assert.deepEqual(
      await page.evaluate(
        (ns) =>
          Promise.all(
            ns.map((name) =>
              navigator.permissions
                .query({ name: name as PermissionName })
                .then((p) => p.state as string)
                .catch((e: Error) => e.name),
            ),
          ),
        names,
      ),
      names.map(() => 'denied'),
    );
    assert.equal(
      await page.evaluate(
        () =>
          new Promise<number>((resolve) =>
            navigator.geolocation.getCurrentPosition(
              () => resolve(0),
              (e) => resolve(e.code),
            ),
          ),
      ),
      1, // PERMISSION_DENIED
    );

    // The browser gets only the authorize page main made, never another https page.
    const lookAlike = await call(page, 'openAuthorizeUrl', 'https://www.dropbox.com.example.net/');
    assert.equal(lookAlike.ok, false);
    const started = await call(page, 'connectDropboxStart');
    assert.ok(started.ok, JSON.stringify(started));
    const issued = (started.value as { authorizeUrl: string }).authorizeUrl;
    const openIssued = await call(page, 'openAuthorizeUrl', issued);
    assert.equal(openIssued.ok, true, JSON.stringify({ issued, openIssued }));
    const browserSaw = await waitFor('the browser asked to open the authorize page', () =>
      fs.existsSync(opened) ? fs.readFileSync(opened, 'utf8') : null,
    );
    assert.deepEqual(browserSaw.trim().split('\n'), [issued], 'only the issued page was opened');

    // Nothing listens but Chromium's DevTools port, which only the test asked for.
    const devtools = /DevTools listening on ws:\/\/([\d.]+:\d+)\//.exec(running.output())![1]!;
    assert.deepEqual(listeners(processesOf(app.executable)), [`tcp ${devtools}`]);
    // The demo's emulator listens while the demo runs, on 127.0.0.1 only, and stops with it.
    const demo = await call(page, 'startDemo');
    assert.ok(demo.ok, JSON.stringify(demo));
    const demoAt = new URL((demo.value as { dropboxUrl: string }).dropboxUrl).host;
    assert.match(demoAt, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      listeners(processesOf(app.executable)),
      [`tcp ${devtools}`, `tcp ${demoAt}`].sort(),
    );
    assert.ok((await call(page, 'leaveDemo')).ok);
    await waitFor('the demo emulator to stop listening', () => {
      const now = listeners(processesOf(app.executable));
      return now.length === 1 && now[0] === `tcp ${devtools}`;
    });
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    await new Promise((resolve) => remote.close(resolve));
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('the window comes from rdl-sync://app/ and reads no file beside it, even with its CSP out of the way', async () => {
  const desktop = await startDesktop({ trayHost: true });
  const dirs = await makeDirs('rdl-app-scheme-');
  const configDir = path.join(dirs.root, 'config');
  await writeConfig(configDir, testSettings(dirs, emulator, { site: 'Scheme' }), emulator);
  const appLog = path.join(configDir, 'logs', 'rdl-sync-app.log');
  const logSays = appLogSays(appLog);
  const running = await launchApp(app, desktop, {
    HOME: dirs.root,
    RDL_SYNC_CONFIG_DIR: configDir,
  });
  try {
    const page = await running.window();
    await page.waitForSelector('#tab-status');
    // Served by the app scheme (app-protocol.ts), and working: the status is shown, the IPC
    // sender check knows the new address.
    assert.equal(page.url(), 'rdl-sync://app/index.html');
    await waitFor('the status line', async () => {
      const line = await page.textContent('#state-line');
      return line && line !== 'Loading…' ? line : null;
    });
    const status = await call(page, 'getStatus');
    assert.equal(status.ok, true, JSON.stringify(status));
    const stays = async (what: string) => {
      assert.equal(page.url(), 'rdl-sync://app/index.html', what);
      assert.equal(await page.evaluate(() => typeof (window as { rdl?: unknown }).rdl), 'object');
    };

    // The page navigating to a file, or out of its folder: it stays where it is. (Chromium
    // refuses file: from a non-file page by itself; the folded `..` reaches main's check, logged.)
    await page.evaluate(() => {
      location.href = 'file:///etc/passwd';
    });
    await page.evaluate(() => {
      location.href = 'rdl-sync://app/../../../etc/passwd';
    });
    await waitFor('the refused navigation in the log', logSays(/Blocked navigation.*etc\/passwd/));
    await stays('after navigating to file:///etc/passwd and rdl-sync://app/../../../etc/passwd');

    // What a page running code not ours would do: with the CSP out of the way (DevTools'
    // Page.setBypassCSP, then a reload), read files by XMLHttpRequest. Its own stylesheet still
    // reads (so the refusals below are the scheme's and the session's, not a broken probe); a
    // file: URL is cancelled by the session (the old file:// page, with the fuse on, read
    // /etc/passwd here); every traversal is the scheme's 404; another host is not even asked.
    const read = (urls: string[]) =>
      page.evaluate(
        (list) =>
          Promise.all(
            list.map(
              (url) =>
                new Promise<string>((resolve) => {
                  const xhr = new XMLHttpRequest();
                  xhr.onload = () => resolve(`${xhr.status} ${xhr.responseText.slice(0, 12)}`);
                  xhr.onerror = () => resolve('refused');
                  xhr.open('GET', url);
                  xhr.send();
                }),
            ),
          ),
        urls,
      );
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.setBypassCSP', { enabled: true });
    const reloaded = await page.reload();
    // The scheme sends the page's CSP as a header too (the same as index.html's meta tag).
    assert.equal(reloaded?.headers()['content-security-policy'], PAGE_CSP);
    await page.waitForSelector('#tab-status');
    const hostile = [
      'file:///etc/passwd',
      'rdl-sync://app/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      'rdl-sync://app/..%2f..%2f..%2f..%2fetc%2fpasswd',
      'rdl-sync://app/..%5c..%5c..%5c..%5cetc%5cpasswd',
      // Files of a type the scheme serves, beside the renderer folder: the app's icon in the
      // asar, Chromium's licence page beside the executable.
      'rdl-sync://app/..%2fassets%2ficon.png',
      'rdl-sync://app/..%2f..%2f..%2f..%2fLICENSES.chromium.html',
      'rdl-sync://app/',
      'rdl-sync://other/index.html',
    ];
    assert.deepEqual(await read(['rdl-sync://app/app.css', ...hostile]), [
      '200 /* One style',
      'refused',
      '404 Not found',
      '404 Not found',
      '404 Not found',
      '404 Not found',
      '404 Not found',
      '404 Not found',
      'refused', // another host is another origin
    ]);

    // Loads DevTools starts (past the page's navigation check): a file: URL is cancelled by the
    // session, a traversal is the scheme's 404 (the traversal first: the cancelled load leaves
    // Chromium's error page behind).
    const traversal = await page.goto('rdl-sync://app/..%2f..%2f..%2f..%2fetc%2fpasswd');
    assert.equal(traversal?.status(), 404);
    assert.equal(await traversal?.text(), 'Not found');
    await assert.rejects(page.goto('file:///etc/passwd'), /ERR_BLOCKED_BY_CLIENT/);
    assert.ok(logSays(/Refused a request for a file the window does not have/)());
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

/** Every regular file below `dir` (Chromium's profile included), as bytes. */
function filesBelow(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => fs.lstatSync(file).isFile());
}

test('the tray app with a revoked Dropbox token: no secret in any file it or Chromium wrote, nor in its processes', async () => {
  const desktop = await startDesktop({ trayHost: true });
  const dirs = await makeDirs('rdl-app-secrets-');
  const configDir = path.join(dirs.root, '.config', 'rdl-sync');
  const refreshToken = emulator.issueRefreshToken({ needsSecret: true });
  await writeConfig(configDir, testSettings(dirs, emulator, { site: 'AppSweep' }), null);
  await new FileCredentialStore(configDir).save({
    appKey: emulator.appKey,
    appSecret: emulator.appSecret,
    refreshToken,
  });
  const secrets = [refreshToken, emulator.appSecret];
  const appLog = path.join(configDir, 'logs', 'rdl-sync-app.log');
  const logSays = appLogSays(appLog);
  const running = await launchApp(app, desktop, { HOME: dirs.root, RDL_SYNC_CONFIG_DIR: '' });
  try {
    const page = await running.window();
    await page.waitForSelector('#tab-status');
    await writeFileIn(dirs.watchDir, 'RDL/a.csv', 'a\n');
    await waitFor('a file on Dropbox', () => emulator.getFile('/RDL/AppSweep/RDL/a.csv'), 60_000);
    // The window asks for everything it shows (status, settings, app info, the log tail).
    for (const channel of [
      'getStatus',
      'getSettings',
      'getAppInfo',
      'queryHistory',
      'readLogTail',
    ]) {
      const r = await call(
        page,
        channel,
        ...(channel === 'queryHistory' ? [{}] : channel === 'readLogTail' ? [500] : []),
      );
      assert.ok(r.ok, `${channel}: ${JSON.stringify(r)}`);
      const text = JSON.stringify(r.value);
      assert.ok(!secrets.some((s) => text.includes(s)), `${channel} handed a secret to the window`);
    }
    emulator.revokeRefreshToken(refreshToken);
    emulator.expireAccessTokens({ afterSeconds: 0 });
    await writeFileIn(dirs.watchDir, 'RDL/b.csv', 'b\n');
    await waitFor('the revoked connection in the app log', logSays(/auth-revoked/), 60_000);
    for (const pid of processesOf(app.executable)) {
      for (const what of ['cmdline', 'environ']) {
        const bytes = fs.readFileSync(`/proc/${pid}/${what}`);
        for (const s of secrets) assert.ok(!bytes.includes(s), `/proc/${pid}/${what}`);
      }
    }
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
  }
  try {
    const stores = [
      path.join(configDir, 'credentials.json'),
      path.join(configDir, 'credentials.enc.json'),
    ];
    const written = filesBelow(dirs.root);
    assert.ok(written.includes(appLog));
    assert.ok(
      written.some((f) => f.includes(path.join('.cache', 'rdl-sync', 'browser'))),
      'Chromium wrote its profile',
    );
    for (const file of written) {
      const bytes = fs.readFileSync(file);
      const found = secrets.filter((s) => bytes.includes(s));
      if (stores.includes(file)) {
        assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600', file);
        continue;
      }
      assert.deepEqual(
        found.map((s) => s.slice(0, 6)),
        [],
        file,
      );
      assert.ok(
        !/sl\.[A-Za-z0-9._~+/=-]{16,}/.test(bytes.toString('latin1')),
        `an access token in ${file}`,
      );
    }
  } finally {
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

test('a file name with markup reaches the desktop notification as text, never as markup', async () => {
  const desktop = await startDesktop({ trayHost: true, notifications: true });
  const dirs = await makeDirs('rdl-notice-markup-');
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Markup', intervalSeconds: 2 }),
    emulator,
  );
  // A name Dropbox refuses (the DEL), so the file fails three times and is alerted; its folders
  // and name hold markup ('/' cannot be in a name, so the link's address has one slash).
  await writeFileIn(
    dirs.watchDir,
    'RDL/<b>urgent</b> <a href="https:/evil.example/">Reconnect</a>\x7f.csv',
    'a',
  );
  const running = await launchApp(app, desktop, {
    HOME: dirs.root,
    RDL_SYNC_CONFIG_DIR: dirs.configDir,
  });
  try {
    const page = await running.window();
    await page.waitForSelector('#tab-status');
    // dunst keeps what it was sent; shown notifications move to its history when closed.
    const bodies = await waitFor(
      'the failing-file notification',
      async () => {
        // "Sync now" tries the failing file again at once (its own back-off is 30 s, then 60 s).
        assert.ok((await call(page, 'syncNow')).ok);
        await desktop.run('dunstctl', ['close-all']);
        const history = JSON.parse(await desktop.run('dunstctl', ['history'])) as {
          data: { body: { data: string } }[][];
        };
        const all = (history.data[0] ?? []).map((n) => n.body.data);
        return all.some((b) => b.includes('failed 3 times')) ? all : null;
      },
      60_000,
      1000,
    );
    const body = bodies.find((b) => b.includes('failed 3 times'))!;
    assert.match(body, /urgent/, body);
    assert.doesNotMatch(body, /[<>]/, `markup reached the notification server: ${body}`);
    // …and it says how to have the file tried at once, once its cause is fixed.
    assert.match(
      body,
      /Fixed the cause\? "Sync now" in the tray menu \(after Resume, if paused\) tries again at once\.$/,
      body,
    );
  } finally {
    await running.browser.close().catch(() => {});
    await running.kill();
    await desktop.stop();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
