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
  const results = await Promise.all([
    cli('status'),
    cli('status', '--json'),
    cli('history'),
    cli('settings'),
    cli('settings', 'check'),
    cli('auth'),
    cli('import-legacy', '--config', path.join(dirs.root, 'no-such-old-config.json')),
  ]);
  results.push(await cli('pause'), await cli('resume'));
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
  await waitFor(
    'the daemon to publish status.json',
    async () => (await readPublishedStatus(dirs.configDir))?.pid === daemon!.pid,
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
