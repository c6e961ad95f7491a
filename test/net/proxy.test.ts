// A hub or lab desktop that reaches the internet only through an HTTP proxy. The old syncer's
// uploader (curl) followed https_proxy; RDL Sync must too, and say plainly what a proxy refuses.
// The real CLI, with no Dropbox endpoint set (Dropbox's own host names, over TLS), through a proxy
// on loopback that tunnels to a TLS front of the emulator (loopback-proxy.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  exited,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  type CliEnv,
  type CliResult,
} from '../cli/cli-harness.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { faketimeEnv, findLibfaketime, MISSING_LIBFAKETIME } from '../fault/faketime.js';
import { freePort, startWebhookServer, type LoopbackHttp } from '../alerts/loopback.js';
import {
  proxyEnv,
  startLoopbackProxy,
  startTlsFront,
  type LoopbackProxy,
  type TlsFront,
} from './loopback-proxy.js';

let emulator: Emulator;
let front: TlsFront;
let proxy: LoopbackProxy;
let hook: LoopbackHttp;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
const LOGIN = 'lab:s3cret-Pass';

before(async () => {
  emulator = await startEmulator({});
  hook = await startWebhookServer(() => 200);
  const port = (url: string): number => Number(new URL(url).port);
  front = await startTlsFront({
    'api.dropboxapi.com': port(emulator.url),
    'content.dropboxapi.com': port(emulator.url),
    'hooks.lab.example': port(hook.url),
  });
  proxy = await startLoopbackProxy({
    routes: {
      'api.dropboxapi.com:443': front.port,
      'content.dropboxapi.com:443': front.port,
      'hooks.lab.example:443': front.port,
    },
    login: LOGIN,
  });
  dirs = await makeDirs('rdl-proxy-');
  // No endpoint: the client asks for Dropbox by its real names, as on a hub.
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Site5_Greenhouse', dropboxEndpoint: '' }),
    emulator,
  );
});

after(async () => {
  await proxy.close();
  await hook.close();
  await front.close();
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

async function dropFile(name: string): Promise<string> {
  const rel = path.join('RDL', 'USB0', '2026-12', name);
  await fs.mkdir(path.dirname(path.join(dirs.watchDir, rel)), { recursive: true });
  await fs.writeFile(path.join(dirs.watchDir, rel), `2026-12-05T00:00:00,USB0,${name}\n`);
  return rel;
}

function once(vars: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return runCli([...args, '--config-dir', dirs.configDir], {
    home: dirs.root,
    extraEnv: { ...proxyEnv(vars), NODE_EXTRA_CA_CERTS: front.caFile },
  });
}

const proxyUrl = (login = LOGIN): string => `http://${login}@127.0.0.1:${proxy.port}`;

async function logText(): Promise<string> {
  return fs.readFile(path.join(dirs.configDir, 'logs', 'rdl-sync.log'), 'utf8').catch(() => '');
}

test('once uploads through the proxy https_proxy names, its login sent and never shown', async () => {
  const rel = await dropFile('RDL_2026-12-05_USB0.txt');
  proxy.connects.length = 0;
  proxy.logins.length = 0;

  const r = await once({ https_proxy: proxyUrl() }, 'once');

  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(emulator.getFile(`/RDL/Site5_Greenhouse/${rel.split(path.sep).join('/')}`));
  assert.ok(await fs.stat(path.join(dirs.archiveDir, rel)));
  // Both of Dropbox's hosts, each through a tunnel, each with the login.
  assert.ok(proxy.connects.includes('api.dropboxapi.com:443'), proxy.connects.join(' '));
  assert.ok(proxy.connects.includes('content.dropboxapi.com:443'), proxy.connects.join(' '));
  assert.ok(proxy.logins.length > 0);
  for (const l of proxy.logins) assert.equal(l, `Basic ${Buffer.from(LOGIN).toString('base64')}`);
  // Tunnels are kept and reused, as direct connections are: not one per request.
  assert.ok(proxy.connects.length <= 6, `${proxy.connects.length} tunnels`);
  assert.ok(!(r.stdout + r.stderr + (await logText())).includes('s3cret'));
});

test('a proxy asking for a login stops uploads with its fix; the card copy goes on', async () => {
  const rel = await dropFile('RDL_2026-12-06_USB0.txt');

  const r = await once({ HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` }, 'once');

  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `the proxy http://127\\.0\\.0\\.1:${proxy.port} \\(from HTTPS_PROXY\\) asks for a user name and password \\(HTTP 407 Proxy Authentication Required\\): put them in HTTPS_PROXY as http://user:password@host:port`,
    ),
    r.stdout,
  );
  assert.ok(await fs.stat(path.join(dirs.transitDir, rel)), 'the file waits in transit');
  assert.ok(await fs.stat(path.join(dirs.archiveDir, rel)), 'the card copy is made');

  const wrong = await once({ HTTPS_PROXY: proxyUrl('lab:typo') }, 'once');
  assert.equal(wrong.code, 1, wrong.stdout + wrong.stderr);
  assert.match(wrong.stdout, /refused the user name and password given in HTTPS_PROXY \(HTTP 407/);
  assert.match(wrong.stdout, /http:\/\/lab:\*\*\*@127\.0\.0\.1/);
  assert.ok(!wrong.stdout.includes('typo'), 'the password is not shown');

  // Put right, the next once uploads what waited.
  const right = await once({ HTTPS_PROXY: proxyUrl() }, 'once');
  assert.equal(right.code, 0, right.stdout + right.stderr);
  assert.ok(emulator.getFile(`/RDL/Site5_Greenhouse/${rel.split(path.sep).join('/')}`));
});

test('a host the proxy forbids, a proxy that is down, a proxy variable that cannot be used', async () => {
  await dropFile('RDL_2026-12-07_USB0.txt');
  proxy.rules.forbidden = ['content.dropboxapi.com:443'];
  try {
    const forbidden = await once({ https_proxy: proxyUrl() }, 'once');
    assert.equal(forbidden.code, 1, forbidden.stdout + forbidden.stderr);
    assert.match(
      forbidden.stdout,
      /^! Uploads cannot reach Dropbox: the proxy .* refused to connect to content\.dropboxapi\.com:443 \(HTTP 403 Forbidden\): ask the network's administrator to allow content\.dropboxapi\.com:443 through it \(it is tried again at each pass\), or, if content\.dropboxapi\.com is reached without the proxy, add it to no_proxy and restart RDL Sync;/m,
      forbidden.stdout,
    );
  } finally {
    proxy.rules.forbidden = [];
  }

  // A port nothing listens on: an outage of the proxy, said as one (network), named.
  const closedPort = await freePort();
  const down = await once({ https_proxy: `http://127.0.0.1:${closedPort}` }, 'once');
  assert.equal(down.code, 1, down.stdout + down.stderr);
  assert.match(
    down.stdout,
    new RegExp(
      `cannot connect to the proxy http://127\\.0\\.0\\.1:${closedPort} \\(from https_proxy\\) \\(ECONNREFUSED\\): nothing takes connections at that address and port`,
    ),
    down.stdout,
  );

  const socks = await once({ ALL_PROXY: 'socks5://127.0.0.1:1080' }, 'once');
  assert.equal(socks.code, 1, socks.stdout + socks.stderr);
  assert.match(
    socks.stdout,
    /ALL_PROXY names socks5:\/\/127\.0\.0\.1:1080, but SOCKS proxies are not supported/,
  );
});

test('doctor says how it reaches Dropbox and probes through the proxy', async () => {
  const r = await once({ https_proxy: proxyUrl() }, 'doctor');
  assert.match(
    r.stdout,
    new RegExp(
      `network: through the proxy http://lab:\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port} \\(from https_proxy\\) \\(as this command runs; the service has its unit's environment\\)$`,
      'm',
    ),
    r.stdout,
  );
  assert.match(r.stdout, /ok +account: /);
  assert.ok(!r.stdout.includes('s3cret'));

  const refused = await once({ https_proxy: `http://127.0.0.1:${proxy.port}` }, 'doctor');
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /asks for a user name and password \(HTTP 407/);
  assert.match(refused.stdout, /nothing was changed\.$/m);
});

test('a webhook alert goes through the proxy too', async () => {
  await new AlertSecretStore(dirs.configDir).set('webhook-url', 'https://hooks.lab.example/hook');
  const set = await once({}, 'settings', 'set', 'alertWebhookFormat', 'generic');
  assert.equal(set.code, 0, set.stdout + set.stderr);
  proxy.connects.length = 0;
  const before = hook.requests.length;

  const r = await once({ https_proxy: proxyUrl() }, 'alert', 'test');

  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(proxy.connects, ['hooks.lab.example:443']);
  assert.equal(hook.requests.length, before + 1);

  // A refusal is a person's to mend: said, and not tried again and again.
  proxy.connects.length = 0;
  const refused = await once({ https_proxy: `http://127.0.0.1:${proxy.port}` }, 'alert', 'test');
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(
    refused.stdout,
    /^FAILED {2}webhook \(generic\) to hooks\.lab\.example: .*the proxy http:\/\/127\.0\.0\.1:\d+ \(from https_proxy\) asks for a user name and password/m,
  );
  assert.equal(proxy.connects.length, 1);
});

test('the service behind a proxy asking for a login: an error in its status, its start line names the way; with the login it syncs', async () => {
  const rel = await dropFile('RDL_2026-12-08_USB0.txt');
  const env = (vars: Record<string, string>): CliEnv => ({
    home: dirs.root,
    extraEnv: { ...proxyEnv(vars), NODE_EXTRA_CA_CERTS: front.caFile },
  });
  const noLogin = env({ https_proxy: `http://127.0.0.1:${proxy.port}` });
  let daemon = spawnCli(['run', '--config-dir', dirs.configDir], noLogin);
  try {
    // Published by this daemon (an earlier once left its own status file).
    const problem = await waitFor("the proxy problem in the daemon's status", async () => {
      const s = await readPublishedStatus(dirs.configDir);
      return (
        s !== null &&
        s.pid === daemon.pid &&
        s.status.problems.find((p) => p.code === 'proxy-refused')
      );
    });
    assert.equal(problem.severity, 'error');
    const status = await runCli(['status', '--config-dir', dirs.configDir], noLogin);
    assert.match(status.stdout, /asks for a user name and password \(HTTP 407/, status.stdout);
    assert.match(
      status.stdout,
      /^Dropbox: .* — not reached now: the proxy does not let the uploads through$/m,
      status.stdout,
    );
    assert.ok(await fs.stat(path.join(dirs.archiveDir, rel)), 'the card copy is made');
  } finally {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
  assert.match(
    await logText(),
    new RegExp(
      `daemon starting.*through the proxy http://127\\.0\\.0\\.1:${proxy.port} \\(from https_proxy\\)`,
    ),
  );
  // The log says why uploads stopped, in the problem's words (it held only the code).
  assert.match(
    await logText(),
    /\[warn\] +problem \{"id":"proxy-refused","message":"Uploads cannot reach Dropbox: the proxy http:\/\/127\.0\.0\.1:\d+ \(from https_proxy\) asks for a user name and password/,
  );

  daemon = spawnCli(['run', '--config-dir', dirs.configDir], env({ https_proxy: proxyUrl() }));
  try {
    await waitFor('the file on Dropbox', async () =>
      emulator.getFile(`/RDL/Site5_Greenhouse/${rel.split(path.sep).join('/')}`),
    );
    await waitFor('the proxy problem cleared', async () => {
      const s = await readPublishedStatus(dirs.configDir);
      return (
        s !== null &&
        s.pid === daemon.pid &&
        !s.status.problems.some((p) => p.code === 'proxy-refused')
      );
    });
  } finally {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
  const log = await logText();
  assert.match(log, /through the proxy http:\/\/lab:\*\*\*@127\.0\.0\.1/);
  assert.ok(!log.includes('s3cret'), 'the password never reaches the log');
});

test('a certificate this machine does not trust, or dates a wrong clock fails: uploads wait with the cause and its fix, no file failing', async () => {
  const libfaketime = findLibfaketime();
  assert.ok(libfaketime, MISSING_LIBFAKETIME);
  const rel = await dropFile('RDL_2026-12-09_USB0.txt');
  const run = (extra: NodeJS.ProcessEnv): Promise<CliResult> =>
    runCli(['once', '--config-dir', dirs.configDir], {
      home: dirs.root,
      extraEnv: { ...proxyEnv({ https_proxy: proxyUrl() }), ...extra },
    });

  // An HTTPS-inspecting proxy whose authority this machine was not given: every request fails
  // alike. Before, each file failed on its own as an "unexpected problem" (3 files: 34 s of
  // retries), the cause said nowhere.
  const untrusted = await run({ NODE_EXTRA_CA_CERTS: '' });
  assert.equal(untrusted.code, 1, untrusted.stdout + untrusted.stderr);
  assert.match(
    untrusted.stdout,
    /^! The connection to Dropbox is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): something on the network answers in Dropbox's place .*NODE_EXTRA_CA_CERTS=\/path\/to\/its-ca\.pem.*; 1 file waits safely in transit\.$/m,
    untrusted.stdout,
  );
  assert.doesNotMatch(untrusted.stdout, /failing|Unexpected/);
  assert.ok(await fs.stat(path.join(dirs.transitDir, rel)));

  // A Raspberry Pi booted without network time: a valid certificate is "not yet valid".
  const offset = path.join(dirs.root, 'faketime');
  const clocked = (at: string): Promise<CliResult> =>
    fs
      .writeFile(offset, `@${at}`)
      .then(() => run({ NODE_EXTRA_CA_CERTS: front.caFile, ...faketimeEnv(libfaketime, offset) }));
  const early = await clocked('2024-03-01 08:00:00');
  assert.equal(early.code, 1, early.stdout + early.stderr);
  assert.match(
    early.stdout,
    /^! Dropbox's certificate cannot be checked \(CERT_NOT_YET_VALID\): the clock reads 2024-03-01 08:0\d UTC, so it has not been set yet .*uploads wait until the clock is set/m,
    early.stdout,
  );
  // A clock years ahead: the certificate "expired".
  const late = await clocked('2031-01-01 00:00:00');
  assert.match(
    late.stdout,
    /^! Dropbox's certificate reads as expired \(CERT_HAS_EXPIRED\) by this machine's clock, which reads 2031-01-01 00:0\d UTC: if that time is wrong, set the clock/m,
    late.stdout,
  );
  assert.ok(await fs.stat(path.join(dirs.transitDir, rel)), 'the file still waits in transit');
});
