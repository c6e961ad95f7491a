// Shared by the file-system tests: fresh temp folders and real mounts (tests run as root here,
// where chmod does not stop writes, so read-only and full disks are produced by real mounts).
import { mkdtemp, rm, mkdir, open } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(prefix = 'rdl-fs-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function run(cmd: string, args: string[]): { ok: boolean; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, stderr: `${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

let mountProbe: boolean | undefined;

/** Whether this sandbox lets us mount a tmpfs (checked once, with a real mount). */
export async function canMount(): Promise<boolean> {
  if (mountProbe !== undefined) return mountProbe;
  if (process.platform !== 'linux') return (mountProbe = false);
  const dir = await tempDir('rdl-mountprobe-');
  try {
    mountProbe = run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).ok;
    if (mountProbe) unmount(dir);
  } finally {
    await removeDir(dir);
  }
  return mountProbe;
}

export function mountTmpfs(dir: string, sizeKiB: number, readOnly = false): void {
  const opts = `size=${sizeKiB}k${readOnly ? ',ro' : ''}`;
  const r = run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  if (!r.ok) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr}`);
}

export function bindMount(from: string, to: string, readOnly = false): void {
  const r = run('mount', ['--bind', ...(readOnly ? ['-o', 'ro'] : []), from, to]);
  if (!r.ok) throw new Error(`bind mount ${from} -> ${to} failed: ${r.stderr}`);
}

export function remountReadOnly(dir: string): void {
  const r = run('mount', ['-o', 'remount,ro', dir]);
  if (!r.ok) throw new Error(`remount ro ${dir} failed: ${r.stderr}`);
}

/** Unmount, lazily so an open handle cannot keep a test's mount alive; ignores "not mounted". */
export function unmount(dir: string): void {
  run('umount', ['-l', dir]);
}

/** Write `size` bytes of a repeating, position-dependent pattern, a chunk at a time. */
export async function writePatternFile(path: string, size: number, seed = 1): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const fh = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(256 * 1024);
    let written = 0;
    while (written < size) {
      const n = Math.min(chunk.length, size - written);
      for (let i = 0; i < n; i++) chunk[i] = (written + i) * 31 + seed * 7 + ((written + i) >> 12);
      await fh.write(chunk, 0, n);
      written += n;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Build `rel0/<long>/<long>/…/deep.csv` whose absolute path is longer than PATH_MAX (4096), so
 * reading it fails for real with ENAMETOOLONG even as root. Built with relative steps in a
 * shell, since no absolute-path call can create it. Returns the top folder's name.
 */
export function makeTooDeepTree(root: string): string {
  const long = 'd'.repeat(250);
  const steps = Array.from({ length: 18 }, () => `mkdir ${long} && cd ${long}`).join(' && ');
  const r = spawnSync(
    'bash',
    ['-c', `cd "$1" && mkdir deep && cd deep && ${steps} && echo x > deep.csv`, '_', root],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`could not build the deep tree: ${r.stderr}`);
  return 'deep';
}

/** rm -rf copes with paths longer than PATH_MAX; fs.rm may not. */
export function removeDeep(dir: string): void {
  spawnSync('rm', ['-rf', dir]);
}

/**
 * Mount a fresh ext4 file system (a sparse image on a loop device) at `dir`: the file system a
 * Pi's SD card really has, whose statfs counts inodes as ext4 does (tmpfs charges one per link).
 * Returns a function that unmounts it and removes the image.
 */
export async function mountExt4Image(dir: string, sizeMiB: number): Promise<() => Promise<void>> {
  const imageDir = await tempDir('rdl-ext4img-');
  const image = join(imageDir, 'card.img');
  const cleanup = async (): Promise<void> => {
    unmount(dir);
    await removeDir(imageDir);
  };
  const steps: [string, string[]][] = [
    ['truncate', ['-s', `${sizeMiB}M`, image]],
    ['mkfs.ext4', ['-q', '-F', image]],
    ['mount', ['-o', 'loop', image, dir]],
  ];
  for (const [cmd, args] of steps) {
    const r = run(cmd, args);
    if (!r.ok) {
      await cleanup();
      throw new Error(`${cmd} failed: ${r.stderr}`);
    }
  }
  return cleanup;
}

let loopProbe: boolean | undefined;

/** Whether loop-mounting an ext4 image works here (checked once, with a real mount). */
export async function canMountExt4(): Promise<boolean> {
  if (loopProbe !== undefined) return loopProbe;
  if (!(await canMount())) return (loopProbe = false);
  const dir = await tempDir('rdl-loopprobe-');
  try {
    const cleanup = await mountExt4Image(dir, 16);
    await cleanup();
    loopProbe = true;
  } catch {
    loopProbe = false;
  } finally {
    await removeDir(dir);
  }
  return loopProbe;
}
