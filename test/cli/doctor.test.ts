// `rdl-sync doctor` as a separate process: against the emulator it prints each check and exits 0;
// with Dropbox unreachable it says so plainly and exits 1; not connected, it says what to run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { createServer } from 'node:net';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { exited, runCli, spawnCli, waitFor } from './cli-harness.js';

let emulator: Emulator;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

async function setUp(endpoint?: string, connect = true) {
  const dirs = await makeDirs('rdl-cli-doctor-');
  roots.push(dirs.root);
  const settings = testSettings(dirs, emulator, endpoint ? { dropboxEndpoint: endpoint } : {});
  await writeConfig(dirs.configDir, settings, connect ? emulator : null);
  return dirs;
}

test('doctor against a reachable account prints every check and cleans up (exit 0)', async () => {
  const dirs = await setUp();
  const r = await runCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ok {5} {2}account: Emma Ulator/);
  assert.match(r.stdout, /largest request header: \d+ bytes accepted, \d+ refused \(HTTP 431\)/);
  assert.match(r.stdout, /replayed closing append: append_v2: closed; append_batch: closed/);
  assert.match(
    r.stdout,
    /^No problems found with Dropbox\. \(rdl-sync status tells of the SD card, the folders and the loggers\.\)$/m,
  );
  assert.deepEqual(
    emulator.listFiles().filter((f) => f.pathDisplay.includes('.rdl-sync-doctor')),
    [],
  );
});

test('doctor without a reachable Dropbox names the cause and where to look, as the daemon does (exit 1)', async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const dirs = await setUp(`http://127.0.0.1:${port}`);
  const r = await runCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // The cause and where to look, as the daemon says them: it said "no network connection, or
  // Dropbox is down", though the connection was refused at a known address.
  assert.ok(
    r.stdout.includes(
      `Dropbox could not be reached: the connection to 127.0.0.1:${port} was refused (ECONNREFUSED); check the hub's firewall, and the Dropbox endpoint if one is set. The check needs Dropbox; nothing was changed.`,
    ),
    r.stdout,
  );
  assert.doesNotMatch(r.stdout + r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

test('doctor when not connected names the command to run (exit 2)', async () => {
  const dirs = await setUp(undefined, false);
  const r = await runCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /not connected to Dropbox: run `rdl-sync auth` first/);
});

test('Ctrl-C during doctor still removes its scratch folder, and a folder an earlier doctor left is removed by the next', async () => {
  const dirs = await setUp();
  // One an earlier doctor left (killed before its clean-up), with the .txt file it wrote then: the
  // sites' merge tool joins every *.txt below the site folder.
  emulator.putFile('/RDL/site1/.rdl-sync-doctor-0badc0de/known-A.txt', Buffer.from('A'));
  const scratch = () =>
    emulator.listFiles().filter((f) => f.pathDisplay.includes('/.rdl-sync-doctor-'));
  // Slow answers: the probe is still under way when it is interrupted.
  emulator.shapeLink({ latencyMs: 300 });
  try {
    const proc = spawnCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const probing = await waitFor('the probe to write its known file', async () => {
      const mine = scratch().filter((f) => !f.pathDisplay.includes('0badc0de'));
      return mine.length > 0 ? mine : null;
    });
    assert.ok(probing[0]!.pathDisplay.endsWith('/known-A.bin'), probing[0]!.pathDisplay);
    // The earlier one went first.
    assert.deepEqual(
      scratch().filter((f) => f.pathDisplay.includes('0badc0de')),
      [],
    );
    proc.kill('SIGINT');
    await exited(proc);
    assert.equal(proc.exitCode, 130, stdout + stderr);
    assert.match(stderr, /interrupted; removing its scratch folder from Dropbox first/);
    assert.match(stdout, /^Interrupted: nothing of the check is left in Dropbox\.$/m);
    assert.deepEqual(scratch(), []);
  } finally {
    emulator.shapeLink({ latencyMs: 0 });
  }
  // Run whole, it says what it removed of an earlier run; one made minutes ago may be another
  // doctor's at work now (two ssh sessions): left alone.
  const secs = Math.floor(Date.now() / 1000);
  emulator.putFile('/RDL/site1/.rdl-sync-doctor-0badc0de/known-A.txt', Buffer.from('A'));
  emulator.putFile(
    `/RDL/site1/.rdl-sync-doctor-${secs - 7200}-dead0001/known-A.bin`,
    Buffer.from('A'),
  );
  const young = `/RDL/site1/.rdl-sync-doctor-${secs - 60}-beef0001/known-A.bin`;
  emulator.putFile(young, Buffer.from('A'));
  const r = await runCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /ok {5} {2}earlier scratch folder: removed \/RDL\/site1\/\.rdl-sync-doctor-0badc0de, \/RDL\/site1\/\.rdl-sync-doctor-\d+-dead0001, left by a doctor that was interrupted/,
  );
  assert.deepEqual(
    scratch().map((f) => f.pathDisplay),
    [young],
  );
});
