// RDL Sync started with umask 000 (a hand-started daemon, a desktop session that sets it, a unit
// with UMask=0000): the folders it makes for the queue and the archive must still not be
// world-writable, or any user of the hub could put files into the queue (uploaded as this site's)
// or swap a queued file for a symlink between staging and upload. Its own settings folder stays
// 0700 and its files 0600. Run as the real CLI, which inherits the umask.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from '../cli/cli-harness.js';

let emulator: Emulator;
let umaskBefore: number;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
  umaskBefore = process.umask(0o000);
});

after(async () => {
  process.umask(umaskBefore);
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

/**
 * Every folder below `root` that others may write, with its mode. (Files keep the mode the logger
 * gave them: a move keeps the inode, a copy its mode.)
 */
async function worldWritable(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of ['', ...(await fs.readdir(root, { recursive: true }))]) {
    const p = path.join(root, name);
    const s = await fs.lstat(p);
    if (s.isDirectory() && (s.mode & 0o002) !== 0)
      found.push(`${name || '.'} ${(s.mode & 0o777).toString(8)}`);
  }
  return found;
}

test('umask 000: transit and archive folders RDL Sync makes are not world-writable', async () => {
  const dirs = await makeDirs('rdl-umask-');
  roots.push(dirs.root);
  // The transit folder does not exist yet: RDL Sync makes it. The card is absent at first, so the
  // files wait in transit, in the folders staging made.
  const card = path.join(dirs.root, 'card');
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Lake', archiveDir: card }),
    emulator,
  );
  await writeFileIn(dirs.watchDir, 'RDL/USB0/2026-12-02.csv', 'a\n');
  await writeFileIn(dirs.watchDir, 'cameras/cam1/0001.jpg', 'jpeg');
  const env = { home: dirs.root };
  const args = ['--config-dir', dirs.configDir];

  const waiting = await runCli(['once', ...args], env);
  assert.equal(waiting.code, 1, waiting.stdout + waiting.stderr);
  assert.ok(await fs.stat(path.join(dirs.transitDir, 'RDL/USB0/2026-12-02.csv')), 'queued');
  assert.deepEqual(await worldWritable(dirs.transitDir), [], 'transit');

  await fs.mkdir(card, { mode: 0o755 });
  const done = await runCli(['once', ...args], env);
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.equal(await fs.readFile(path.join(card, 'cameras/cam1/0001.jpg'), 'utf8'), 'jpeg');
  assert.deepEqual(await worldWritable(card), [], 'archive');

  // The settings folder: 0700, every file in it 0600 (logs included).
  for (const name of ['', ...(await fs.readdir(dirs.configDir, { recursive: true }))]) {
    const s = await fs.lstat(path.join(dirs.configDir, name));
    assert.equal(
      (s.mode & 0o777).toString(8),
      s.isDirectory() ? '700' : '600',
      `${name || 'the settings folder'}`,
    );
  }
});
