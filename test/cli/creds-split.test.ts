// Set up in one front end, the other works or says exactly why and how to fix it: the real CLI
// (child processes) against a tray-style engine (EncryptedCredentialStore with a keyring cipher)
// on the same config folder, the emulator over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/engine.js';
import { EncryptedCredentialStore } from '../../src/engine/credentials/index.js';
import { clearRegisteredSecrets } from '../../src/engine/log/redact.js';
import { AesTestCipher } from '../credentials/test-cipher.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  exited,
  exitedWithin,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  writeFileIn,
} from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-creds-');
});

after(async () => {
  clearRegisteredSecrets();
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

async function authWithCli(configDir: string): Promise<string> {
  const cli = (...args: string[]) =>
    runCli([...args, '--config-dir', configDir], { home: dirs.root });
  const start = await cli('auth');
  assert.equal(start.code, 0, start.stdout + start.stderr);
  const url = /^\s+(http\S+)$/m.exec(start.stdout)?.[1];
  assert.ok(url, start.stdout);
  const page = await (await fetch(url)).text();
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(code, page);
  const finish = await cli('auth', '--code', code);
  assert.equal(finish.code, 0, finish.stdout + finish.stderr);
  return finish.stdout;
}

test('connected in the tray app (keyring): status, once and doctor name the cause and the fix; `rdl-sync auth` fixes it for both', async () => {
  const configDir = path.join(dirs.root, 'tray-first');
  await writeConfig(configDir, testSettings(dirs, emulator, { site: 'TrayFirst' }), null);
  const keyring = new AesTestCipher();
  const token = emulator.issueRefreshToken();
  await new EncryptedCredentialStore(configDir, keyring).save({
    appKey: emulator.appKey,
    refreshToken: token,
  });
  const cli = (...args: string[]) =>
    runCli([...args, '--config-dir', configDir], { home: dirs.root });

  const status = await cli('status');
  assert.equal(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /^Dropbox: not connected$/m);
  assert.match(
    status.stdout,
    /^! The Dropbox connection was saved encrypted with the desktop keyring by the tray app \(.*credentials\.enc\.json\), which the background service and the command line cannot read: run `rdl-sync auth` as \S+ to store a connection they can use/m,
  );
  const json = JSON.parse((await cli('status', '--json')).stdout) as {
    status: { problems: { code: string; message: string }[] };
  };
  const problem = json.status.problems.find((p) => p.code === 'auth-missing');
  assert.match(problem?.message ?? '', /desktop keyring by the tray app/);

  await writeFileIn(dirs.watchDir, 'RDL/USB0/split.csv', 't,v\n1,2\n');
  const once = await cli('once');
  assert.equal(once.code, 1, once.stdout + once.stderr);
  assert.match(
    once.stdout,
    /^! The Dropbox connection was saved encrypted with the desktop keyring by the tray app/m,
  );

  const doctor = await cli('doctor');
  assert.equal(doctor.code, 2, doctor.stdout + doctor.stderr);
  assert.match(doctor.stdout, /desktop keyring by the tray app .* run `rdl-sync auth`/);

  // Doing what the message says.
  const done = await authWithCli(configDir);
  assert.match(done, /^Saved in .*credentials\.json \(readable only by this user\)/m);
  const fixed = await cli('once');
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.ok(
    emulator.getFile('/RDL/TrayFirst/RDL/USB0/split.csv'),
    'uploaded after `rdl-sync auth`',
  );

  const log = await fs.readFile(path.join(configDir, 'logs', 'rdl-sync.log'), 'utf8');
  assert.match(log, /Dropbox credentials could not be read/);
  assert.ok(!log.includes(token), 'the tray app’s token never reaches the log');
  const plain = JSON.parse(await fs.readFile(path.join(configDir, 'credentials.json'), 'utf8')) as {
    refreshToken: string;
  };
  assert.ok(!log.includes(plain.refreshToken), 'nor the one `rdl-sync auth` saved');
});

test('connected with `rdl-sync auth`: a tray-style engine with a working keyring uses it and leaves it for the service', async () => {
  const configDir = path.join(dirs.root, 'cli-first');
  await writeConfig(configDir, testSettings(dirs, emulator, { site: 'CliFirst' }), null);
  await authWithCli(configDir);
  const before = await fs.readFile(path.join(configDir, 'credentials.json'), 'utf8');

  const engine = await createEngine({
    configDir,
    home: dirs.root,
    credentials: new EncryptedCredentialStore(configDir, new AesTestCipher()),
  });
  try {
    assert.equal(engine.getStatus().dropbox.connected, true);
    assert.equal(
      engine.getStatus().problems.find((p) => p.id === 'auth-missing'),
      undefined,
    );
    await writeFileIn(dirs.watchDir, 'RDL/USB0/from-tray.csv', 't,v\n3,4\n');
    const r = await engine.runPassNow();
    assert.equal(r.uploaded, 1);
    assert.ok(emulator.getFile('/RDL/CliFirst/RDL/USB0/from-tray.csv'));
  } finally {
    await engine.stop();
  }
  // The service's file is still there, unchanged, and no encrypted copy split the truth.
  assert.equal(await fs.readFile(path.join(configDir, 'credentials.json'), 'utf8'), before);
  await assert.rejects(fs.stat(path.join(configDir, 'credentials.enc.json')), { code: 'ENOENT' });
  const status = await runCli(['status', '--config-dir', configDir], { home: dirs.root });
  assert.doesNotMatch(status.stdout, /not connected/);
});

test('the running daemon publishes the cause and fix, and `rdl-sync auth` beside it connects it without a restart', async () => {
  const configDir = path.join(dirs.root, 'daemon');
  const watchDir = path.join(dirs.root, 'daemon-watch');
  await fs.mkdir(watchDir, { recursive: true });
  await writeConfig(
    configDir,
    testSettings(
      { ...dirs, watchDir, transitDir: path.join(dirs.root, 'daemon-transit') },
      emulator,
      {
        site: 'Daemon',
      },
    ),
    null,
  );
  await new EncryptedCredentialStore(configDir, new AesTestCipher()).save({
    appKey: emulator.appKey,
    refreshToken: emulator.issueRefreshToken(),
  });
  const daemon = spawnCli(['run', '--config-dir', configDir], { home: dirs.root });
  try {
    const published = await waitFor('the daemon to publish the credentials problem', async () => {
      const p = await readPublishedStatus(configDir);
      return p?.status.problems.find((x) => /desktop keyring by the tray app/.test(x.message));
    });
    assert.equal(published.code, 'auth-missing');
    const status = await runCli(['status', '--config-dir', configDir], { home: dirs.root });
    assert.match(status.stdout, /^Daemon running \(pid \d+\)\.$/m);
    assert.match(
      status.stdout,
      /^! The Dropbox connection was saved encrypted with the desktop keyring by the tray app/m,
    );

    await authWithCli(configDir);
    await writeFileIn(watchDir, 'RDL/USB0/daemon.csv', 't,v\n5,6\n');
    await waitFor('the daemon to upload with the new connection', async () =>
      emulator.getFile('/RDL/Daemon/RDL/USB0/daemon.csv'),
    );
    const after = await waitFor('the published status to drop the problem', async () => {
      const p = await readPublishedStatus(configDir);
      return p && !p.status.problems.some((x) => x.code === 'auth-missing') ? p : null;
    });
    assert.equal(after.status.dropbox.connected, true);
  } finally {
    daemon.kill('SIGTERM');
    const end = await exitedWithin(daemon, 15_000);
    if (!end) {
      daemon.kill('SIGKILL');
      await exited(daemon);
    }
  }
});
