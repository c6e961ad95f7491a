// `rdl-sync once` tells the truth, and what it leaves on disk is private and secret-free:
//  - a file Dropbox refuses stays in transit: exit 1 and a line naming it and why;
//  - a file still held open by a writer is waited for (bounded), then named as left behind;
//  - `status` without a daemon then shows the failure instead of "Up to date";
//  - every file the engine wrote is 0600 in a 0700 folder (looser ones from before are fixed),
//    the refresh token, app secret and access tokens appear in none of them, and the log keeps
//    the error codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { makeDirs, testSettings, listFilesRel } from '../engine/harness.js';
import { exited, runCli, waitFor, writeFileIn } from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-honest-');
});

after(async () => {
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

test('once: exit 1 naming the failing and the unsettled files; private, secret-free files', async () => {
  // As an older version left it: folder and files readable by everyone.
  await fs.mkdir(dirs.configDir, { recursive: true, mode: 0o755 });
  await fs.chmod(dirs.configDir, 0o755);
  await fs.writeFile(
    path.join(dirs.configDir, 'config.json'),
    JSON.stringify(testSettings(dirs, emulator, { site: 'Honest', stableSeconds: 1 }), null, 2),
    { mode: 0o644 },
  );
  await fs.writeFile(path.join(dirs.configDir, 'history.jsonl'), '', { mode: 0o644 });
  const refreshToken = emulator.issueRefreshToken();
  await new FileCredentialStore(dirs.configDir).save({
    appKey: emulator.appKey,
    appSecret: emulator.appSecret,
    refreshToken,
  });

  await writeFileIn(dirs.watchDir, 'RDL/good.csv', 't,v\n1,2\n');
  // Dropbox refuses names with a DEL character; the card takes it, so it waits in transit.
  await writeFileIn(dirs.watchDir, 'RDL/del\x7f.csv', 't,v\n3,4\n');
  const heldPath = await writeFileIn(dirs.watchDir, 'RDL/held.csv', 't,v\n');
  await fs.utimes(heldPath, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  // A writer that keeps held.csv open (and unchanged) for longer than once waits.
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `require('fs').openSync(${JSON.stringify(heldPath)}, 'a'); setTimeout(() => {}, 120000)`,
    ],
    { stdio: 'ignore' },
  );
  try {
    const opened = async () => {
      for (const fd of await fs.readdir(`/proc/${writer.pid}/fd`).catch(() => [] as string[])) {
        const target = await fs.readlink(`/proc/${writer.pid}/fd/${fd}`).catch(() => '');
        if (target === heldPath) return true;
      }
      return false;
    };
    await waitFor('the writer to hold held.csv open', opened, 10_000);

    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      // The name's DEL is printed escaped (engine/log/printable.ts), never raw to the terminal.
      /Not done: 1 file failing in transit, kept there safely: RDL\/del\\u007f\.csv \(malformed-path: /,
    );
    assert.ok(emulator.getFile('/RDL/Honest/RDL/good.csv'), 'the good file moved');
    const left = await listFilesRel(dirs.watchDir);
    // The scanner decides what is open; where it cannot tell (no writer detection yet), held.csv
    // is staged by age and only the transit failure remains. Either way the summary is honest.
    if (left.includes('RDL/held.csv')) {
      // Named, while it waits (a silent wait of up to 100 s read as a hang) and at the end.
      assert.match(
        r.stdout,
        // (The other files too, when written less than the stable time before the first pass.)
        /^Waiting up to \d+ s for \d+ files? still being written or settling \(unchanged for stableSeconds, \d+ s, before moving\): [^\n]*RDL\/held\.csv[^\n]*\. Ctrl-C ends the wait; nothing is lost\.$/m,
      );
      assert.match(
        r.stdout,
        /^Left 1 file in the watch folder: still being written \(or changed\) after waiting \d+ s; the next run takes it: RDL\/held\.csv\.$/m,
      );
    }

    const status = await runCli(['status', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Daemon not running\./m);
    assert.doesNotMatch(status.stdout, /Up to date/);
    // One failure: not yet a problem (a running engine raises it at the third), but named, with
    // its reason, in the sentence.
    assert.match(
      status.stdout,
      /^State: idle\. RDL\/del\\u007f\.csv could not be synced yet and will be retried: Dropbox refused the path/m,
    );
    assert.doesNotMatch(status.stdout, /failed 1 times/);
    assert.match(status.stdout, /Failing: 1\b/);
  } finally {
    writer.kill('SIGKILL');
    await exited(writer);
  }

  // Modes: the folder 0700, every file 0600, including those an older version made 0644.
  assert.equal((await fs.stat(dirs.configDir)).mode & 0o777, 0o700);
  const files = await allFiles(dirs.configDir);
  const names = files.map((f) => path.relative(dirs.configDir, f)).sort();
  for (const expected of ['config.json', 'credentials.json', 'history.jsonl', 'journal.json'])
    assert.ok(names.includes(expected), `${expected} written: ${names.join(', ')}`);
  assert.ok(
    names.some((n) => n.startsWith('logs/')),
    'a log was written',
  );
  for (const f of files) assert.equal((await fs.stat(f)).mode & 0o777, 0o600, f);
  assert.equal((await fs.stat(path.join(dirs.configDir, 'logs'))).mode & 0o777, 0o700);

  // Secrets: in credentials.json only, and the access token the run kept for the next one in
  // access-token.json (0600 as checked above), which holds neither the refresh token nor the app
  // secret. Access tokens are whatever the emulator issued.
  const access = [
    ...(
      emulator as unknown as { state: { auth: { access: Map<string, unknown> } } }
    ).state.auth.access.keys(),
  ];
  assert.ok(access.length > 0, 'the run used at least one access token');
  const secrets = {
    refreshToken,
    appSecret: emulator.appSecret,
    ...Object.fromEntries(access.map((a, i) => [`access${i}`, a])),
  };
  const log = await fs.readFile(path.join(dirs.configDir, 'logs', 'rdl-sync.log'), 'utf8');
  assert.match(log, /"code":"malformed-path"/, 'the log keeps error codes');
  for (const f of [...files, ...(await allFiles(dirs.transitDir))]) {
    if (path.basename(f) === 'credentials.json') continue;
    const text = await fs.readFile(f, 'utf8');
    const kept = path.basename(f) === 'access-token.json';
    for (const [name, secret] of Object.entries(secrets)) {
      if (kept && name.startsWith('access')) continue;
      assert.ok(!text.includes(secret), `${name} found in ${f}`);
    }
  }
});

test('status after a run that found the token revoked says so, not "connected"', async () => {
  const d = await makeDirs('rdl-cli-revoked-');
  try {
    await fs.mkdir(d.configDir, { recursive: true });
    await fs.writeFile(
      path.join(d.configDir, 'config.json'),
      JSON.stringify(testSettings(d, emulator, { site: 'Revoked' }), null, 2),
    );
    const token = emulator.issueRefreshToken();
    await new FileCredentialStore(d.configDir).save({
      appKey: emulator.appKey,
      refreshToken: token,
    });
    emulator.revokeRefreshToken(token);
    await writeFileIn(d.watchDir, 'RDL/a.csv', 't,v\n1,2\n');
    const env = { home: d.root };
    const once = await runCli(['once', '--config-dir', d.configDir], env);
    assert.equal(once.code, 1, once.stdout + once.stderr);
    assert.match(once.stdout, /! .*(revoked|reconnect|Reconnect)/);

    const [text, json] = await Promise.all([
      runCli(['status', '--config-dir', d.configDir], env),
      runCli(['status', '--json', '--config-dir', d.configDir], env),
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Dropbox: not connected$/m);
    assert.doesNotMatch(text.stdout, /Up to date/);
    const parsed = JSON.parse(json.stdout) as {
      daemonRunning: boolean;
      status: { dropbox: { connected: boolean }; problems: { code: string }[] };
    };
    assert.equal(parsed.daemonRunning, false);
    assert.equal(parsed.status.dropbox.connected, false);
    assert.ok(parsed.status.problems.some((p) => p.code === 'auth-revoked'));

    // Reconnecting (new credentials saved) ends the remembered state.
    await new FileCredentialStore(d.configDir).save({
      appKey: emulator.appKey,
      refreshToken: emulator.issueRefreshToken(),
    });
    const after_ = await runCli(['status', '--json', '--config-dir', d.configDir], env);
    assert.equal(
      (JSON.parse(after_.stdout) as { status: { dropbox: { connected: boolean } } }).status.dropbox
        .connected,
      true,
    );
  } finally {
    await fs.rm(d.root, { recursive: true, force: true });
  }
});
