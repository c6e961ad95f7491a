// User trial: a transit folder on the SD card archive was saved without a word. With the card out,
// the next file was staged into the empty mount point on the main disk (hidden there once the card
// was back, never archived, "Up to date"). Every writer refuses it now, and an existing install
// whose file already holds it does not run its legs: nothing is written into the mount point and
// the files waiting in transit stay where they are. A real tmpfs is the card.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { runCli, type CliEnv, writeSettingsFile } from './cli-harness.js';

let root: string;
let env: CliEnv;
let watchDir: string;
let card: string;
let mounted = false;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-transit-card-'));
  env = { home: path.join(root, 'home') };
  watchDir = path.join(root, 'rdl', 'tosync');
  card = path.join(root, 'card');
  await fs.mkdir(watchDir, { recursive: true });
  await fs.mkdir(card);
});

after(async () => {
  if (mounted) unmount(card);
  await fs.rm(root, { recursive: true, force: true });
});

function configWith(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  return writeSettingsFile(path.join(root, name), {
    ...defaultSettings(env.home),
    watchDir,
    transitDir: path.join(root, 'rdl', 'transit'),
    archiveEnabled: true,
    archiveDir: card,
    archiveMustBeMountPoint: true,
    site: 'Lake',
    ...extra,
  });
}

const inDir = (dir: string, ...args: string[]) => runCli([...args, '--config-dir', dir], env);

test('`settings set transitDir <card>/transit` is refused, naming both folders and the fix', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  mountTmpfs(card, 1024);
  mounted = true;
  try {
    const dir = await configWith('set');
    const file = path.join(dir, 'config.json');
    const before_ = await fs.readFile(file, 'utf8');
    const r = await inDir(dir, 'settings', 'set', 'transitDir', path.join(card, 'transit'));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(
      r.stdout.includes(
        `transitDir: Transit folder (${card}/transit) is inside the archive folder (${card}): the archive would hold RDL Sync's own queue`,
      ),
      r.stdout,
    );
    assert.ok(
      r.stdout.includes(
        `put the transit folder on the hub's own disk, beside the watch folder, e.g. ${root}/rdl/transit`,
      ),
      r.stdout,
    );
    assert.equal(await fs.readFile(file, 'utf8'), before_, 'the settings file is unchanged');
    assert.deepEqual(await fs.readdir(card), [], 'nothing was created on the card');
  } finally {
    unmount(card);
    mounted = false;
  }
});

test('an existing install with transit on the card: refused with the reason, nothing written into the mount point, nothing lost', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const cardTransit = path.join(card, 'transit');
  const dir = await configWith('existing', { transitDir: cardTransit });
  mountTmpfs(card, 1024);
  mounted = true;
  try {
    // A file staged onto the card before this build.
    await fs.mkdir(path.join(cardTransit, 'USB0'), { recursive: true });
    await fs.writeFile(path.join(cardTransit, 'USB0', 'staged.csv'), 'a,b\n1,2\n');
    for (const args of [['once'], ['settings', 'check']]) {
      const r = await inDir(dir, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /Transit folder \(.*\) is inside the archive folder/, args.join(' '));
    }
    assert.equal(
      await fs.readFile(path.join(cardTransit, 'USB0', 'staged.csv'), 'utf8'),
      'a,b\n1,2\n',
      'the waiting file stays in transit',
    );
    // Moving the transit folder away now would leave that file behind, never looked at again.
    const moved = await inDir(dir, 'settings', 'set', 'transitDir', path.join(root, 'rdl', 'q'));
    assert.equal(moved.code, 2, moved.stdout + moved.stderr);
    assert.match(moved.stdout, /still holds files waiting for Dropbox or the archive/);
    assert.match(moved.stdout, /: move its files back into the watch folder, then change it/);
    // Nothing drains that queue while the settings are refused: waiting is no advice.
    assert.doesNotMatch(moved.stdout, /wait until it is empty/);
    // The fix the message gives works: the file back in the watch folder, the new folder is taken.
    // Across disks, as a person does it: copy, then remove.
    const staged = path.join(cardTransit, 'USB0', 'staged.csv');
    await fs.copyFile(staged, path.join(watchDir, 'staged.csv'));
    await fs.rm(staged);
    const fixed = await inDir(dir, 'settings', 'set', 'transitDir', path.join(root, 'rdl', 'q'));
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    await fs.rm(path.join(watchDir, 'staged.csv'));
  } finally {
    unmount(card);
    mounted = false;
  }
  // The card pulled: a new file waits in the watch folder; nothing goes into the mount point.
  const pulled = await configWith('pulled', { transitDir: cardTransit });
  await fs.writeFile(path.join(watchDir, 'next.csv'), 'c,d\n3,4\n');
  const r = await inDir(pulled, 'once');
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.deepEqual(await fs.readdir(card), [], 'nothing written into the empty mount point');
  assert.equal(await fs.readFile(path.join(watchDir, 'next.csv'), 'utf8'), 'c,d\n3,4\n');
  await fs.rm(path.join(watchDir, 'next.csv'));
});
