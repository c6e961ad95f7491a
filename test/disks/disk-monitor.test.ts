// Disks that never fill, on real small tmpfs mounts: status lists each disk once with the folders
// it holds and what waits in transit; a disk above the warning level raises a problem naming it,
// which clears when space is freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  canMount,
  canMountExt4,
  mountExt4Image,
  fill,
  fillToTheByte,
  mountTmpfs,
  removeDir,
  tempDir,
  unmount,
} from '../archive/helpers.js';
import { startHarness } from '../engine/harness.js';
import { diskProblem, measureDisks } from '../../src/engine/disks/disk-check.js';
import { checkDisks } from '../../src/engine/disks/disk-monitor.js';
import { isRdlHubLayout } from '../../src/engine/disks/hub-layout.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';

const MiB = 1024 * 1024;

test('one card holding all folders, offline: listed once with its backlog; above 90 % a problem, cleared when freed', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const card = await tempDir('rdl-disk-');
  mountTmpfs(card, 8 * 1024);
  const folder = join(card, 'logging-folder');
  const watchDir = join(folder, '2_tosync');
  const transitDir = join(folder, '3_transit');
  const archiveDir = join(folder, '4_synced');
  await mkdir(archiveDir, { recursive: true });
  // An RDL hub's layout: the loggers write their growing files into 1_inprogress beside it.
  await mkdir(join(folder, '1_inprogress'), { recursive: true });
  // Dropbox not connected: files wait in transit, which is what grows on a hub that is offline.
  const h = await startHarness({ settings: { watchDir, transitDir, archiveDir }, connect: false });
  try {
    await mkdir(join(watchDir, 'RDL', 'USB0'), { recursive: true });
    await writeFile(join(watchDir, 'RDL', 'USB0', 'day1.txt'), Buffer.alloc(MiB, 1));
    for (let i = 0; i < 3; i++) await h.engine.runPassNow();
    let s = h.engine.getStatus();
    assert.equal(s.disks?.length, 1, JSON.stringify(s.disks));
    const disk = s.disks![0]!;
    assert.deepEqual(disk.roles.sort(), ['archive', 'transit', 'watch']);
    assert.equal(disk.transitBytes, MiB, 'the backlog in transit');
    assert.ok(disk.usedPercent < 90, `${disk.usedPercent}`);
    assert.ok(!s.problems.some((p) => p.code === 'disk-nearly-full'));
    t.diagnostic(`before: ${JSON.stringify(disk)}`);

    // Something else fills the card to above 90 % (7.5 of 8 MiB).
    const filler = join(card, 'other-program.bin');
    await writeFile(filler, Buffer.alloc(6.5 * MiB, 2));
    await h.engine.runPassNow();
    s = h.engine.getStatus();
    const problem = s.problems.find((p) => p.code === 'disk-nearly-full');
    assert.ok(problem, JSON.stringify(s.problems));
    t.diagnostic(`raised: ${problem.message}`);
    assert.match(
      problem.message,
      /The disk holding the watch, transit and archive folders \(.*2_tosync\) is 9\d(\.\d)? % full, .* free \(warning level 90 %\); 1\.0 MB wait in transit/,
    );
    // The disk the hub's loggers write to: what a full one does to them is known.
    assert.match(problem.message, /before it fills; at 95 % the hub stops its loggers$/);

    await rm(filler);
    await h.engine.runPassNow();
    s = h.engine.getStatus();
    assert.ok(!s.problems.some((p) => p.code === 'disk-nearly-full'), 'cleared when freed');

    // A lower warning level is a setting.
    const saved = await h.engine.saveSettings({ ...h.engine.getSettings(), diskFullPercent: 50 });
    assert.ok(saved.ok);
    await writeFile(filler, Buffer.alloc(4 * MiB, 2));
    await h.engine.runPassNow();
    assert.ok(h.engine.getStatus().problems.some((p) => /warning level 50 %/.test(p.message)));
  } finally {
    await h.close();
    unmount(card);
    await removeDir(card);
  }
});

test('folders on different disks are listed apart; a missing card is left out, not an error', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-disks-');
  const card = join(base, 'card');
  await mkdir(card);
  mountTmpfs(card, 2 * 1024);
  try {
    await mkdir(join(base, 'watch'));
    await mkdir(join(base, 'transit'));
    const disks = await measureDisks([
      { role: 'watch', path: join(base, 'watch') },
      { role: 'transit', path: join(base, 'transit') },
      { role: 'archive', path: card },
      { role: 'archive', path: join(base, 'absent-card') },
    ]);
    assert.deepEqual(
      disks.map((d) => d.roles),
      [['watch', 'transit'], ['archive']],
    );
    assert.equal(disks[1]!.totalBytes, 2 * MiB);
    assert.equal(disks[0]!.transitBytes, 0);
    assert.equal(disks[1]!.transitBytes, null);
  } finally {
    unmount(card);
    await removeDir(base);
  }
});

test('an SD card: measured only while mounted (its empty mount point is the system disk), and a full one is to be swapped, as the full archive says', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-disk-card-');
  const card = join(base, 'card');
  await mkdir(card);
  await mkdir(join(base, 'watch'));
  try {
    const folders = [
      { role: 'watch' as const, path: join(base, 'watch') },
      { role: 'archive' as const, path: card, card: true },
    ];
    // The card out: its mount point is an empty folder on the watch folder's disk.
    assert.deepEqual(
      (await measureDisks(folders)).map((d) => d.roles),
      [['watch']],
      'the system disk does not hold the archive while the card is out',
    );
    mountTmpfs(card, 2 * 1024);
    await writeFile(join(card, 'data.bin'), Buffer.alloc(1.9 * MiB, 2));
    const disks = await measureDisks(folders);
    assert.deepEqual(
      disks.map((d) => d.roles),
      [['watch'], ['archive']],
    );
    const full = disks[1]!;
    assert.match(
      diskProblem(full, 90, false, null, false, true)?.message ?? '',
      /: free space or swap the card before it fills$/,
    );
    assert.match(
      diskProblem(full, 90, true, null, false, true)?.message ?? '',
      /: free space or swap the card \(archive retention is on\) before it fills$/,
    );
    // A folder on the hub's own disk is not swapped: retention is what frees it.
    assert.match(
      diskProblem(full, 90, false)?.message ?? '',
      /: free space or turn on archive retention before it fills$/,
    );
  } finally {
    unmount(card);
    await removeDir(base);
  }
});

test('a nearly full disk without the archive is not told to turn on archive retention', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const disk = await tempDir('rdl-disk-noarchive-');
  mountTmpfs(disk, 2 * 1024);
  try {
    await mkdir(join(disk, 'watch'));
    await mkdir(join(disk, 'transit'));
    await writeFile(join(disk, 'other-program.bin'), Buffer.alloc(1.9 * MiB, 2));
    const [measured] = await measureDisks([
      { role: 'watch', path: join(disk, 'watch') },
      { role: 'transit', path: join(disk, 'transit') },
    ]);
    assert.ok(measured);
    // Retention frees the archive's disk only; off or on, this disk gains nothing from it.
    for (const retentionOn of [false, true]) {
      const message = diskProblem(measured, 90, retentionOn)?.message ?? '';
      assert.match(message, /: free space before it fills$/);
      assert.doesNotMatch(message, /retention/);
      // Not an RDL hub's layout (no 1_inprogress beside the watch folder): nothing is known of
      // what its loggers do on a full disk, so nothing is said.
      assert.doesNotMatch(message, /loggers/);
    }
  } finally {
    unmount(disk);
    await removeDir(disk);
  }
});

test("the loggers are named only for the watch folder's disk in an RDL hub's layout", async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-disk-hub-');
  const card = join(base, 'card');
  await mkdir(card);
  mountTmpfs(card, 2 * 1024);
  try {
    const logging = join(base, 'logging-folder');
    const watchDir = join(logging, '2_tosync');
    await mkdir(watchDir, { recursive: true });
    await mkdir(join(logging, 'transit'));
    assert.equal(await isRdlHubLayout(watchDir), false, 'no in-progress folder: not a hub');
    // Older hubs name it inprogress, newer ones 1_inprogress; a file of that name is not one.
    await writeFile(join(logging, 'inprogress'), 'x');
    assert.equal(await isRdlHubLayout(watchDir), false);
    await rm(join(logging, 'inprogress'));
    await mkdir(join(logging, 'inprogress'));
    assert.equal(await isRdlHubLayout(watchDir), true);

    // An Orange Pi's separate archive card, nearly full, on a hub: its loggers write elsewhere.
    await writeFile(join(card, 'old-data.bin'), Buffer.alloc(1.9 * MiB, 2));
    const settings = {
      ...defaultSettings(),
      watchDir,
      transitDir: join(logging, 'transit'),
      archiveEnabled: true,
      archiveDir: card,
    };
    const { problems } = await checkDisks(settings);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]!.message, /The disk holding the archive folder/);
    assert.doesNotMatch(problems[0]!.message, /loggers/);
  } finally {
    unmount(card);
    await removeDir(base);
  }
});

// The hubs' most common fault is the disk full (WORKLOAD.md): the warning said of a disk with
// 0 B free "… is 100 % full, 0 B free …: free space before it fills", telling the person reading
// it that there was still time; and on a hub "at 95 % the hub stops its loggers" of a disk past it.
test('a disk already full is said to be full, not "before it fills"; on a hub, the loggers may have stopped', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-disk-full-');
  const card = join(base, 'card');
  await mkdir(card);
  mountTmpfs(card, 2 * 1024);
  try {
    const logging = join(card, 'logging-folder');
    const watchDir = join(logging, '2_tosync');
    await mkdir(watchDir, { recursive: true });
    await mkdir(join(logging, '1_inprogress'));
    await mkdir(join(logging, '3_transit'));
    const settings = {
      ...defaultSettings(),
      watchDir,
      transitDir: join(logging, '3_transit'),
      archiveEnabled: false,
    };
    await fillToTheByte(await fill(card));
    const { problems } = await checkDisks(settings);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    const message = problems[0]!.message;
    assert.match(message, /2_tosync\) is full, 0 B free \(warning level 90 %\)/);
    assert.match(message, /: free space now: nothing more can be written there/);
    assert.doesNotMatch(message, /before it fills/);
    assert.match(message, /the hub stops its loggers at 95 %: they may have stopped already$/);
  } finally {
    unmount(card);
    await removeDir(base);
  }
});

// "% used" as df says it: the blocks ext4 reserves for root (5 %) are neither used nor free to
// RDL Sync, and counting them as used read about 5 points above df, the figure a technician
// checks (and the loggers stop at). A real ext4 image, half filled, against df itself.
test('a disk’s % used is df’s Use%, root’s reserved blocks left out', async (t) => {
  if (!(await canMountExt4())) return t.skip('this machine cannot loop-mount an ext4 image');
  const base = await tempDir('rdl-disks-df-');
  const done = await mountExt4Image(base, 64);
  try {
    await writeFile(join(base, 'half'), Buffer.alloc(28 * MiB, 1));
    const [disk] = await measureDisks([{ role: 'archive', path: base }]);
    const df = spawnSync('df', ['--output=pcent', base], { encoding: 'utf8' });
    const dfPercent = Number(/(\d+)%/.exec(df.stdout)?.[1]);
    t.diagnostic(`RDL Sync ${disk!.usedPercent} %, df ${dfPercent} %`);
    // df rounds up to a whole percent.
    assert.equal(Math.ceil(disk!.usedPercent), dfPercent);
    const naive = (1 - disk!.freeBytes / disk!.totalBytes) * 100;
    assert.ok(naive - disk!.usedPercent > 3, 'the reserve is large enough to tell the two apart');
  } finally {
    await done();
    await removeDir(base);
  }
});
