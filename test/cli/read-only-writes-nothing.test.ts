// Commands that only read, and dry runs, write nothing on a fresh machine: `rdl-sync retention
// --dry-run` made ~/.config/rdl-sync and a log file in it before anything was set up, and
// `status`, `settings`, `doctor`, `history`, `fleet`, `report` and `alert test` each made its logs/ folder. A
// dry run writes nothing on a set-up machine either: no log line, no file in the settings folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliEnv } from './cli-harness.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { startEmulator } from '../../tools/emulator/index.js';
import { writeConfig } from '../engine/harness.js';

/** Every entry below `dir` (folders too), but the test harness's own compile cache. */
async function entriesBelow(dir: string): Promise<string[]> {
  const all = (await fs.readdir(dir, { recursive: true })) as string[];
  return all.filter((e) => e !== '.cache' && !e.startsWith(`.cache${path.sep}`)).sort();
}

/** A fresh machine: an empty home, its settings where XDG_CONFIG_HOME says. */
async function freshMachine(base: string, name: string): Promise<CliEnv> {
  const home = path.join(base, name);
  await fs.mkdir(home);
  return { home, extraEnv: { XDG_CONFIG_HOME: path.join(home, '.config') } };
}

const READ_ONLY: string[][] = [
  ['retention', '--dry-run'],
  ['import-legacy', '--dry-run', '--root', '/nonexistent-hub'],
  ['status'],
  ['settings'],
  ['settings', 'show'],
  ['settings', 'check'],
  ['settings', 'path'],
  ['doctor'],
  ['history'],
  ['fleet'],
  ['report'],
  // Nothing to send through on a machine not set up: it left the settings folder, a log and its
  // outcome file behind.
  ['alert', 'test'],
];

test('on a fresh machine, a dry run or a command that only reads creates nothing, not even the settings folder', async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-fresh-'));
  try {
    for (const [i, args] of READ_ONLY.entries()) {
      const env = await freshMachine(base, `home${i}`);
      const r = await runCli(args, env);
      assert.notEqual(r.code, null, `${args.join(' ')} ended`);
      assert.deepEqual(
        await entriesBelow(env.home),
        [],
        `${args.join(' ')} wrote nothing (exit ${r.code}: ${r.stdout}${r.stderr})`,
      );
    }
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
});

test('retention --dry-run on a set-up machine lists what it would delete and writes nothing in the settings folder', async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-retention-dry-'));
  const emulator = await startEmulator();
  try {
    const env = await freshMachine(base, 'home');
    const configDir = path.join(env.home, '.config', 'rdl-sync');
    const archive = path.join(base, 'archive');
    await fs.mkdir(path.join(archive, 'USB0'), { recursive: true });
    await fs.writeFile(path.join(archive, 'USB0', 'old.csv'), 'a\n1\n');
    const settings = {
      ...defaultSettings(env.home),
      archiveEnabled: true,
      archiveDir: archive,
      archiveMustBeMountPoint: false,
      site: 'Lake',
      dropboxAppKey: emulator.appKey,
      dropboxEndpoint: emulator.url,
    };
    // Settings and a Dropbox connection, as a set-up hub has them (retention asks Dropbox).
    await writeConfig(configDir, settings, emulator);
    await fs.chmod(configDir, 0o700);
    await fs.chmod(path.join(configDir, 'config.json'), 0o600);
    const before = await entriesBelow(env.home);
    const r = await runCli(['retention', '--dry-run'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Within the limits: nothing to delete\./);
    assert.deepEqual(await entriesBelow(env.home), before, 'nothing written (no log, no journal)');
    assert.deepEqual(await fs.readdir(path.join(archive, 'USB0')), ['old.csv']);
  } finally {
    await emulator.close();
    await fs.rm(base, { recursive: true, force: true });
  }
});
