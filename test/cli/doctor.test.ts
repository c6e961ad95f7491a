// `rdl-sync doctor` as a separate process: against the emulator it prints each check and exits 0;
// with Dropbox unreachable it says so plainly and exits 1; not connected, it says what to run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { createServer } from 'node:net';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

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
  assert.match(r.stdout, /No problems found\./);
  assert.deepEqual(
    emulator.listFiles().filter((f) => f.pathDisplay.includes('.rdl-sync-doctor')),
    [],
  );
});

test('doctor without a reachable Dropbox says so plainly (exit 1)', async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const dirs = await setUp(`http://127.0.0.1:${port}`);
  const r = await runCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /Dropbox could not be reached .* needs the network\. Nothing was changed\./,
  );
  assert.doesNotMatch(r.stdout + r.stderr, /at .*\.ts:\d+/, 'no stack trace');
});

test('doctor when not connected names the command to run (exit 2)', async () => {
  const dirs = await setUp(undefined, false);
  const r = await runCli(['doctor', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /not connected to Dropbox: run `rdl-sync auth` first/);
});
