// The alert secrets file (SMTP password, webhook URL) as a hub gets it wrong: a file the service's
// user cannot read (a `sudo rdl-sync alert secret` leaves it root's) was taken for "no secrets", so
// the webhook was silently not set up, `alert test` said "No alert channel is set up", and setting
// a secret replaced the file, dropping the other one. A damaged file's error said "set them again
// with rdl-sync alert secret", which failed on the same damaged file. Real CLI processes, the
// unreadable case as the unprivileged user nobody (permission bits do not bind root).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { repo, runCli, type CliEnv, type CliResult } from '../cli/cli-harness.js';
import { cannotDropPrivileges, NOBODY } from '../stage/unprivileged.js';
import { startWebhookServer, type LoopbackHttp } from './loopback.js';
import { cliCommand } from '../cli/cli-command.js';

let emulator: Emulator;
let hook: LoopbackHttp;

before(async () => {
  emulator = await startEmulator({});
  hook = await startWebhookServer();
});

after(async () => {
  await hook.close();
  await emulator.close();
});

/** `rdl-sync alert secret NAME` with the value on stdin, as a setup script does. */
function setSecret(
  name: string,
  value: string,
  configDir: string,
  env: CliEnv,
): Promise<CliResult> {
  const cli = [
    process.execPath,
    ...cliCommand(),
    'alert',
    'secret',
    name,
    '--config-dir',
    configDir,
  ];
  const argv =
    env.asUid === undefined
      ? cli
      : ['setpriv', `--reuid=${env.asUid}`, `--regid=${env.asUid}`, '--clear-groups', ...cli];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: repo,
    env: { ...process.env, HOME: env.home, RDL_SYNC_QUIET: '1', NODE_ENV: 'test' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(`${value}\n`);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await fs.chown(dir, uid, uid);
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(p, uid);
    else await fs.chown(p, uid, uid);
  }
}

test(
  "a secrets file the service's user cannot read is named with its fix, never taken for none nor replaced",
  { skip: cannotDropPrivileges() ?? false },
  async () => {
    const dirs = await makeDirs('rdl-secrets-unreadable-');
    try {
      await writeConfig(
        dirs.configDir,
        testSettings(dirs, emulator, { site: 'Hub7', alertWebhookFormat: 'slack' }),
        emulator,
      );
      await fs.chmod(dirs.root, 0o755);
      await chownTree(dirs.root, NOBODY);
      // As `sudo rdl-sync alert secret …` leaves it: root's, 0600, in the service user's folder.
      const file = path.join(dirs.configDir, 'alert-secrets.json');
      const saved = JSON.stringify({
        smtpPassword: 'Smtp-Pa55-Kept',
        webhookUrl: `${hook.url}/t/Tok3n-Unread-1`,
      });
      await fs.writeFile(file, saved, { mode: 0o600 });
      await fs.chown(file, 0, 0);
      const asNobody: CliEnv = { home: dirs.root, asUid: NOBODY };

      const tried = await runCli(['alert', 'test', '--config-dir', dirs.configDir], asNobody);
      assert.equal(tried.code, 1, tried.stdout + tried.stderr);
      assert.match(
        tried.stdout,
        /FAILED {2}the alert secrets \(SMTP password, webhook URL\): Cannot read the alert secrets file .*alert-secrets\.json \(EACCES\): make it this user's \(nobody\): sudo chown nobody '.*alert-secrets\.json'/,
      );
      assert.doesNotMatch(tried.stdout, /No alert channel is set up/);
      assert.equal(hook.requests.length, 0);

      const set = await setSecret(
        'webhook-url',
        `${hook.url}/t/New-Tok3n`,
        dirs.configDir,
        asNobody,
      );
      assert.notEqual(set.code, 0, set.stdout + set.stderr);
      assert.match(set.stdout + set.stderr, /Cannot read the alert secrets file .* \(EACCES\)/);
      // Not replaced: the SMTP password in it is not lost.
      assert.equal((await fs.stat(file)).uid, 0);
      assert.equal(await fs.readFile(file, 'utf8'), saved);

      // The fix the message gives works.
      await fs.chown(file, NOBODY, NOBODY);
      const fixed = await runCli(['alert', 'test', '--config-dir', dirs.configDir], asNobody);
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.match(fixed.stdout, /ok {6}webhook \(slack\)/);
      assert.equal(hook.requests.length, 1);
      assert.equal(hook.requests[0]!.path, '/t/Tok3n-Unread-1');
      assert.ok(!(fixed.stdout + fixed.stderr).includes('Tok3n'));
    } finally {
      hook.requests.length = 0;
      await fs.rm(dirs.root, { recursive: true, force: true });
    }
  },
);

test('a damaged secrets file is replaced by setting a secret, as its error says, and the loss is said', async () => {
  const dirs = await makeDirs('rdl-secrets-damaged-');
  try {
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { site: 'Hub8', alertWebhookFormat: 'slack' }),
      emulator,
    );
    const file = path.join(dirs.configDir, 'alert-secrets.json');
    await fs.writeFile(file, '{"smtpPassword": "cut off', { mode: 0o600 });
    const env: CliEnv = { home: dirs.root };

    const before = await runCli(['alert', 'test', '--config-dir', dirs.configDir], env);
    assert.equal(before.code, 1, before.stdout + before.stderr);
    assert.match(before.stdout, /is damaged: set them again with rdl-sync alert secret/);
    assert.ok(!before.stdout.includes('cut off'));

    const set = await setSecret('webhook-url', `${hook.url}/t/Fresh-Tok3n`, dirs.configDir, env);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    assert.match(
      set.stdout,
      /The damaged .*alert-secrets\.json was replaced: set the smtp-password again if you use it\./,
    );
    assert.match(set.stdout, /Saved the webhook-url/);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);

    const after = await runCli(['alert', 'test', '--config-dir', dirs.configDir], env);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.deepEqual(
      hook.requests.map((r) => r.path),
      ['/t/Fresh-Tok3n'],
    );
  } finally {
    hook.requests.length = 0;
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
