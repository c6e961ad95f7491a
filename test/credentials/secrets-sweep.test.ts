// Secrets never leave their two files. The real daemon (`rdl-sync run`, a child process) runs
// against the emulator with an imported-style connection (app key, app SECRET and refresh token),
// an SMTP relay that refuses its password and a webhook with a token in its path and query that
// answers 500; its access tokens expire (a refresh), then its refresh token is revoked (alerts go
// out, both channels fail). Then every file it wrote (settings folder, logs, status, history,
// journal, alerts, transit, archive), everything on "Dropbox" (the fleet heartbeat included),
// what status, history, doctor and alert test print, and its command line and environment are
// searched for each secret, and so are the alert bodies the webhook received. Only
// credentials.json and alert-secrets.json may hold them, 0600. And the daemon holds no listening
// socket (TCP or UDP) meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { listeners } from '../main/sockets.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, spawnCli, waitFor, writeFileIn, exited } from '../cli/cli-harness.js';
import {
  startSmtp,
  startWebhookServer,
  type LoopbackHttp,
  type LoopbackSmtp,
} from '../alerts/loopback.js';

const token = (n: number): string => crypto.randomBytes(n).toString('base64url');
const APP_SECRET = token(12);
const SMTP_PASSWORD = `Wrong-${token(12)}`;
const HOOK_PATH = `/hooks/${token(18)}`;
const HOOK_QUERY = token(15);
/** Dropbox access tokens have this shape (the emulator's too): none may be written anywhere. */
const ACCESS_TOKEN = /sl\.[A-Za-z0-9._~+/=-]{16,}/;

let emulator: Emulator;
let smtp: LoopbackSmtp;
let hook: LoopbackHttp;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({ appSecret: APP_SECRET });
  smtp = await startSmtp({ auth: { user: 'alerts', pass: `Right-${token(12)}` } });
  hook = await startWebhookServer(() => 500);
});

after(async () => {
  await emulator.close();
  await smtp.close();
  await hook.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

/** Every regular file below `dir`, with its mode. */
async function filesBelow(dir: string): Promise<{ file: string; mode: number }[]> {
  const out: { file: string; mode: number }[] = [];
  for (const name of await fs.readdir(dir, { recursive: true })) {
    const file = path.join(dir, name);
    const s = await fs.lstat(file);
    if (s.isFile()) out.push({ file, mode: s.mode & 0o777 });
  }
  return out;
}

function leaks(text: string, secrets: string[]): string[] {
  const found = secrets.filter((s) => text.includes(s));
  const access = ACCESS_TOKEN.exec(text);
  if (access) found.push(`an access token (${access[0].slice(0, 8)}…)`);
  return found.map((s) => s.slice(0, 12));
}

test('after refreshes, a revoked token and failing alerts, no secret is anywhere but its file', async () => {
  const dirs = await makeDirs('rdl-secrets-');
  roots.push(dirs.root);
  const refreshToken = emulator.issueRefreshToken({ needsSecret: true });
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, {
      site: 'Sweep',
      fleetHeartbeatEnabled: true,
      fleetHeartbeatMinutes: 1,
      alertEmailTo: ['ops@example.org'],
      alertEmailFrom: 'hub@example.org',
      smtpHost: '127.0.0.1',
      smtpPort: smtp.port,
      smtpSecurity: 'none',
      smtpUser: 'alerts',
      alertWebhookFormat: 'generic',
    }),
    null,
  );
  await new FileCredentialStore(dirs.configDir).save({
    appKey: emulator.appKey,
    appSecret: APP_SECRET,
    refreshToken,
  });
  const secretsStore = new AlertSecretStore(dirs.configDir);
  await secretsStore.set('smtp-password', SMTP_PASSWORD);
  await secretsStore.set('webhook-url', `${hook.url}${HOOK_PATH}?token=${HOOK_QUERY}`);
  const secrets = [refreshToken, APP_SECRET, SMTP_PASSWORD, HOOK_PATH.slice(7), HOOK_QUERY];
  const env = { home: dirs.root };
  const args = ['--config-dir', dirs.configDir];
  const log = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
  const logSays = (re: RegExp) => async () =>
    re.test(await fs.readFile(log, 'utf8').catch(() => ''));

  const daemon = spawnCli(['run', ...args], env);
  const stopped = exited(daemon);
  try {
    await writeFileIn(dirs.watchDir, 'RDL/a.csv', 'a\n');
    await waitFor('the first file on Dropbox', async () =>
      emulator.getFile('/RDL/Sweep/RDL/a.csv'),
    );
    await waitFor(
      'the fleet heartbeat on Dropbox',
      async () => emulator.listFiles().some((f) => f.pathDisplay.includes('_fleet')),
      60_000,
    );
    // Access tokens expire: the next upload refreshes with the app secret.
    emulator.expireAccessTokens({ afterSeconds: 0 });
    await writeFileIn(dirs.watchDir, 'RDL/b.csv', 'b\n');
    await waitFor('a file after the refresh', async () => emulator.getFile('/RDL/Sweep/RDL/b.csv'));
    // Revoked: the refresh is refused, the alert goes out and both channels fail.
    emulator.revokeRefreshToken(refreshToken);
    emulator.expireAccessTokens({ afterSeconds: 0 });
    await writeFileIn(dirs.watchDir, 'RDL/c.csv', 'c\n');
    await waitFor('the revoked alert', logSays(/"condition":"auth-revoked"/), 40_000);
    await waitFor(
      'the email channel failing',
      logSays(/alert channel failed \{"channel":"email"/),
      40_000,
    );
    await waitFor(
      'the webhook failing',
      logSays(/alert channel failed \{"channel":"webhook"/),
      60_000,
    );
    assert.ok(smtp.refusedLogins > 0, 'the relay refused the password');
    assert.ok(hook.requests.some((r) => r.path === `${HOOK_PATH}?token=${HOOK_QUERY}`));
    // What the alerts said, to a third party: no secret in any body.
    assert.deepEqual(leaks(JSON.stringify(hook.requests.map((r) => r.body)), secrets), []);

    // Nothing listens: the daemon only ever connects out.
    assert.deepEqual(listeners([daemon.pid!]), [], 'the daemon listens');
    // The running daemon's command line and environment.
    for (const what of ['cmdline', 'environ']) {
      const text = (await fs.readFile(`/proc/${daemon.pid}/${what}`)).toString('utf8');
      assert.deepEqual(leaks(text, secrets), [], `/proc/<daemon>/${what}`);
    }
    // What people run beside it.
    for (const command of [
      ['status'],
      ['status', '--json'],
      ['history'],
      ['doctor'],
      ['alert', 'test'],
    ]) {
      const r = await runCli([...command, ...args], env);
      assert.deepEqual(leaks(r.stdout + r.stderr, secrets), [], `rdl-sync ${command.join(' ')}`);
    }
  } finally {
    daemon.kill('SIGTERM');
    await stopped;
  }

  // Every file it wrote, wherever: only the two stores hold secrets, and they are private.
  const stores = [
    path.join(dirs.configDir, 'credentials.json'),
    path.join(dirs.configDir, 'alert-secrets.json'),
  ];
  const written = await filesBelow(dirs.root);
  assert.ok(written.some((f) => f.file === log));
  assert.ok(written.some((f) => f.file.endsWith('status.json')));
  assert.ok(written.some((f) => f.file.endsWith('history.jsonl')));
  for (const { file, mode } of written) {
    if (stores.includes(file)) {
      assert.equal(mode.toString(8), '600', file);
      // The search finds what is there: the stores do hold secrets.
      assert.notDeepEqual(leaks(await fs.readFile(file, 'utf8'), secrets), [], file);
      continue;
    }
    assert.deepEqual(leaks(await fs.readFile(file, 'utf8'), secrets), [], file);
    assert.ok(!file.endsWith('.tmp'), `a temporary left behind: ${file}`);
  }
  // On "Dropbox": the synced files and the fleet heartbeat.
  const remote = emulator.listFiles();
  assert.ok(
    remote.some((f) => f.pathDisplay.includes('_fleet')),
    'a heartbeat was written',
  );
  for (const f of remote) {
    const text = (await emulator.readFile(f.pathDisplay)).toString('utf8');
    assert.deepEqual(leaks(text, secrets), [], f.pathDisplay);
  }
});
