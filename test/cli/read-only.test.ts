// Side commands never disturb: `status`, `history`, `pause`, `resume`, `settings`, `auth` and
// `import-legacy` create no data folders, and beside a running daemon they leave its staging
// temps in transit alone (only the holder of the run lock may clean those).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { TRANSIT_TEMP_DIR } from '../../src/engine/stage/transit-names.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import {
  exited,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  type CliEnv,
} from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
let daemon: ChildProcess | null = null;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-readonly-');
});

after(async () => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  if (daemon) await exited(daemon);
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

/** Every side command, each once; `pause` before `resume`. */
async function sideCommands(configDir: string, env: CliEnv): Promise<string[]> {
  const cli = (...args: string[]) => runCli([...args, '--config-dir', configDir], env);
  // One after another: the machine is shared, and each CLI start loads the whole engine.
  const results = [];
  for (const args of [
    ['status'],
    ['status', '--json'],
    ['history'],
    ['settings'],
    ['settings', 'check'],
    ['auth'],
    ['import-legacy', '--config', path.join(dirs.root, 'no-such-old-config.json')],
    ['pause'],
    ['resume'],
  ])
    results.push(await cli(...args));
  for (const r of results) assert.equal(r.code === null, false, 'each command finished');
  return results.map((r) => `${r.code}: ${r.stdout}${r.stderr}`);
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true }))
    out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  return out.sort();
}

test('with the data folders missing, no side command creates them', async () => {
  const configDir = path.join(dirs.root, 'config-missing');
  const watchDir = path.join(dirs.root, 'not-yet', 'tosync');
  const transitDir = path.join(dirs.root, 'not-yet', 'transit');
  await writeConfig(
    configDir,
    testSettings({ watchDir, transitDir, archiveDir: dirs.archiveDir }, emulator),
    emulator,
  );
  const outputs = await sideCommands(configDir, { home: dirs.root });
  await assert.rejects(fs.stat(path.join(dirs.root, 'not-yet')), /ENOENT/, outputs.join('\n'));
});

test('beside a running daemon, its staging temps and folders are left alone', async () => {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
  const env = { home: dirs.root };
  daemon = spawnCli(['run', '--config-dir', dirs.configDir], env);
  // status.json is first written a second after the engine opens, which on a loaded machine can
  // come before start() has taken the lock and cleared the leftover temps (ours, below, would go
  // with them): wait until it shows a finished pass, which comes after that.
  await waitFor(
    'the daemon to publish a finished pass',
    async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p !== null && p.pid === daemon!.pid && p.status.lastPassMs !== null;
    },
    30_000,
  );
  // What a staging copy in progress looks like to everyone but the daemon doing it.
  const temp = path.join(dirs.transitDir, TRANSIT_TEMP_DIR, 'stage-in-progress');
  await fs.mkdir(path.dirname(temp), { recursive: true });
  await fs.writeFile(temp, 'half a file');
  const before_ = { transit: await tree(dirs.transitDir), watch: await tree(dirs.watchDir) };

  const outputs = await sideCommands(dirs.configDir, env);
  assert.equal(await fs.readFile(temp, 'utf8'), 'half a file', outputs.join('\n'));
  assert.deepEqual(await tree(dirs.transitDir), before_.transit);
  assert.deepEqual(await tree(dirs.watchDir), before_.watch);
  assert.equal(daemon.exitCode, null, 'the daemon still runs');

  daemon.kill('SIGTERM');
  assert.deepEqual(await exited(daemon), { code: 0, signal: null });
});
