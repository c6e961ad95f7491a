// A real power cut, on a real ext4 file system. The file system lives in an image on a loop
// device: every block ext4 has sent to its "disk" is in the image at once, while what it still
// holds in memory (a file's bytes waiting for delayed allocation, a folder entry not yet
// committed) is not. A copy of the image taken at any instant is therefore what the card would
// hold had the power gone then; mounting the copy replays ext4's journal as a reboot would.
// Mounted with commit=60, so only our own fsyncs (and not ext4's 5 s timer) make things durable
// during a test, and nothing reaches the image by luck.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { canMountExt4, removeDir, tempDir, unmount } from '../archive/helpers.js';

export { canMountExt4 };

export interface PowerCutDisk {
  /** Where the live file system is mounted. */
  dir: string;
  /** Cuts the power now: mounts what the disk holds at this instant and returns where. */
  cut(): Promise<string>;
  /**
   * Cuts the power now and boots again: the live file system is dropped (whatever it still held
   * in memory is gone) and what the disk held at the cut is mounted at `dir` in its place. Every
   * process using the disk is stopped (frozen, with no call in flight) before, and `killAll`
   * ends them once the disk's state at the cut is taken.
   */
  cutAndReboot(killAll: () => Promise<void>): Promise<void>;
  /** Unmounts everything and removes the images. */
  cleanup(): Promise<void>;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr ?? ''}`);
}

export async function mountPowerCutDisk(sizeMiB = 64): Promise<PowerCutDisk> {
  const base = await tempDir('rdl-powercut-');
  const image = join(base, 'card.img');
  const dir = join(base, 'live');
  await mkdir(dir);
  const mounted: string[] = [];
  const cleanup = async (): Promise<void> => {
    for (const m of mounted.reverse()) unmount(m);
    await removeDir(base);
  };
  try {
    run('truncate', ['-s', `${sizeMiB}M`, image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    run('mount', ['-o', 'loop,commit=60', image, dir]);
    mounted.push(dir);
  } catch (e) {
    await cleanup();
    throw e;
  }
  let cuts = 0;
  let live = image;
  return {
    dir,
    cleanup,
    async cutAndReboot(killAll) {
      cuts++;
      const copy = join(base, `rebooted-${cuts}.img`);
      await copyFile(live, copy);
      await killAll();
      run('umount', [dir]);
      await rm(live, { force: true });
      run('mount', ['-o', 'loop,commit=60', copy, dir]);
      live = copy;
    },
    async cut() {
      cuts++;
      const copy = join(base, `after-cut-${cuts}.img`);
      const after = join(base, `after-cut-${cuts}`);
      await copyFile(live, copy);
      await mkdir(after);
      run('mount', ['-o', 'loop', copy, after]);
      mounted.push(after);
      return after;
    },
  };
}
