// Shared by the file-system tests: fresh temp folders and real mounts (tests run as root here,
// where chmod does not stop writes, so read-only and full disks are produced by real mounts).
import { mkdtemp, rm, mkdir, open, readFile } from 'node:fs/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseMountInfo } from '../../src/engine/fsutil/mount.js';

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

/** `inodes` caps the files and folders it holds (tmpfs nr_inodes), as a card out of inodes. */
export function mountTmpfs(dir: string, sizeKiB: number, readOnly = false, inodes?: number): void {
  const opts = `size=${sizeKiB}k${readOnly ? ',ro' : ''}${inodes ? `,nr_inodes=${inodes}` : ''}`;
  const r = run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  if (!r.ok) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr}`);
}

export function bindMount(from: string, to: string, readOnly = false): void {
  const r = run('mount', ['--bind', ...(readOnly ? ['-o', 'ro'] : []), from, to]);
  if (!r.ok) throw new Error(`bind mount ${from} -> ${to} failed: ${r.stderr}`);
}

/**
 * Remounts read-only. The kernel refuses ("mount point is busy") while any file on it is open for
 * writing, and a running daemon opens files there for writing for moments (its log, journal,
 * status and alert files): a CI run met one such moment. Tried again for up to 5 s, 50 ms apart;
 * the kernel's own remount after disk errors does not wait, but what the tests check starts once
 * the card is read-only.
 */
export function remountReadOnly(dir: string): void {
  let r = run('mount', ['-o', 'remount,ro', dir]);
  for (let i = 0; i < 100 && !r.ok && /busy/i.test(r.stderr); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    r = run('mount', ['-o', 'remount,ro', dir]);
  }
  if (!r.ok) throw new Error(`remount ro ${dir} failed: ${r.stderr}`);
}

/** Unmount, lazily so an open handle cannot keep a test's mount alive; ignores "not mounted". */
export function unmount(dir: string): void {
  run('umount', ['-l', dir]);
}

/** A fresh folder with a tmpfs of `sizeKiB` on it, unmounted and removed when the test ends. */
export function smallTmpfs(t: TestContext, prefix: string, sizeKiB: number): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mountTmpfs(dir, sizeKiB);
  t.after(() => {
    unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills the file system holding `dir` with one file; returns its path. */
export async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler');
  const fh = await open(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 10_000; i++) await fh.write(chunk); // bounded: far more than the disk
    throw new Error('the small disk never filled up');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    await fh.close();
  }
  return filler;
}

/** Fills what `fill` left (less than one of its chunks) with smaller writes to the same file. */
export async function fillToTheByte(filler: string): Promise<void> {
  const fh = await open(filler, 'a');
  try {
    for (const size of [4096, 1]) {
      try {
        for (let i = 0; i < 64 * 1024; i++) await fh.write(Buffer.alloc(size, 1)); // bounded
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    await fh.close();
  }
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
export async function mountExt4Image(
  dir: string,
  sizeMiB: number,
  /** How many inodes the file system has (mkfs.ext4 -N): a test can leave just a few free. */
  inodes?: number,
): Promise<() => Promise<void>> {
  const imageDir = await tempDir('rdl-ext4img-');
  const image = join(imageDir, 'card.img');
  const cleanup = async (): Promise<void> => {
    unmount(dir);
    await removeDir(imageDir);
  };
  const steps: [string, string[]][] = [
    ['truncate', ['-s', `${sizeMiB}M`, image]],
    ['mkfs.ext4', ['-q', '-F', ...(inodes === undefined ? [] : ['-N', String(inodes)]), image]],
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

// ---- Real SD-card file systems: exFAT and FAT through FUSE ----
// Hubs archive to cards and sticks formatted exFAT or FAT32. This kernel may have no vfat/exfat
// driver, but FUSE has both (exfat-fuse, fusefat; scripts/setup.sh installs them), so the tests
// mount a real image of each. The FUSE daemon runs in the foreground as this process's child:
// its pid is known (a test kills it to yank the card) and it never outlives the test run.

export type CardFormat = 'exfat' | 'fat16' | 'fat32';

/** The programs a card needs, by format; setup.sh installs the Debian packages holding them. */
const CARD_TOOLS: Record<CardFormat, string[]> = {
  exfat: ['mkfs.exfat', 'losetup', 'mount.exfat-fuse'],
  fat16: ['mkfs.vfat', 'fusefat'],
  fat32: ['mkfs.vfat', 'fusefat'],
};

/**
 * Why this machine cannot mount real cards, or null when it can. Not root (or not Linux) is a
 * reason to skip; as root a missing program or /dev/fuse is a broken set-up the tests report.
 */
export function cardsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'real SD-card file systems are mounted on Linux only';
  if (process.getuid?.() !== 0) return 'mounting a card image needs root';
  return null;
}

function missingCardTools(format: CardFormat): string[] {
  return CARD_TOOLS[format].filter(
    (tool) => spawnSync('sh', ['-c', `command -v "$1"`, '_', tool]).status !== 0,
  );
}

/**
 * Every driver runs under `timeout`, killed after this long whatever happens: a driver that hangs
 * (fusefat can spin on a damaged card) would keep the test process blocked in the kernel, unable
 * to exit and unmount; once the driver dies its calls fail with ENOTCONN and the process ends.
 */
const DRIVER_LIFETIME = ['-s', 'KILL', '600'];

/** Cards mounted and not yet destroyed: unmounted on exit whatever happened to the test. */
const liveCards = new Set<CardImage>();
let exitHookSet = false;
function registerCard(card: CardImage): void {
  liveCards.add(card);
  if (exitHookSet) return;
  exitHookSet = true;
  process.once('exit', () => {
    for (const c of liveCards) c.destroySync();
  });
}

async function mountPointListed(dir: string): Promise<boolean> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8')).has(dir);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A card: an image file formatted exFAT or FAT, mounted and unmounted like a card taken in and
 * out. `mount` then `unmount` (eject), `yank` (the card pulled with the driver still mounted: its
 * FUSE daemon killed, every call on the mount fails with ENOTCONN), `destroy` (always, in finally).
 */
/** Whether a process still runs (a zombie, killed and awaiting its parent, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

export class CardImage {
  private daemon: ChildProcess | null = null;
  private loop: string | null = null;
  private mountedAt: string | null = null;

  private constructor(
    readonly format: CardFormat,
    readonly image: string,
    private readonly imageDir: string,
  ) {}

  /** A freshly formatted card image of `sizeMiB` (FAT32 needs at least 33 MiB). */
  static async create(format: CardFormat, sizeMiB = 64, label = 'RDLCARD'): Promise<CardImage> {
    const missing = missingCardTools(format);
    if (missing.length > 0) {
      throw new Error(
        `cannot make a ${format} card: ${missing.join(', ')} not installed; run bash scripts/setup.sh`,
      );
    }
    const imageDir = await tempDir('rdl-cardimg-');
    const image = join(imageDir, 'card.img');
    const mkfs: [string, string[]] =
      format === 'exfat'
        ? ['mkfs.exfat', ['-L', label, image]]
        : // No volume label on FAT: fusefat lists the label's directory entry as an empty file
          // at the top of the card (the kernel's vfat does not), which no test wants to see.
          ['mkfs.vfat', ['-F', format === 'fat32' ? '32' : '16', image]];
    const steps: [string, string[]][] = [['truncate', ['-s', `${sizeMiB}M`, image]], mkfs];
    for (const [cmd, args] of steps) {
      const r = run(cmd, args);
      if (!r.ok) {
        await removeDir(imageDir);
        throw new Error(`${cmd} failed: ${r.stderr}`);
      }
    }
    return new CardImage(format, image, imageDir);
  }

  get mountPoint(): string | null {
    return this.mountedAt;
  }

  /**
   * Mount at `dir` (an empty folder); resolves once the mount is listed, within 15 s. `tz`: the
   * driver's time zone.
   */
  async mount(dir: string, opts: { tz?: string } = {}): Promise<void> {
    if (this.mountedAt)
      throw new Error(`card ${this.image} is already mounted at ${this.mountedAt}`);
    registerCard(this);
    const log = join(this.imageDir, `driver-${Date.now()}.log`);
    const logFd = openSync(log, 'a');
    // FAT keeps local times: the driver's time zone is the card's (a hub's, not always UTC).
    const env = opts.tz ? { ...process.env, TZ: opts.tz } : process.env;
    try {
      if (this.format === 'exfat') {
        // exfat-fuse needs a block device; -d keeps it in the foreground (its debug output goes
        // to the log file).
        const r = spawnSync('losetup', ['-f', '--show', this.image], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`losetup failed: ${r.stderr}`);
        this.loop = r.stdout.trim();
        this.daemon = spawn(
          'timeout',
          [...DRIVER_LIFETIME, 'mount.exfat-fuse', '-d', this.loop, dir],
          {
            stdio: ['ignore', logFd, logFd],
            env,
          },
        );
      } else {
        this.daemon = spawn(
          'timeout',
          [...DRIVER_LIFETIME, 'fusefat', '-f', '-s', '-o', 'rw+', this.image, dir],
          {
            stdio: ['ignore', logFd, logFd],
            env,
          },
        );
      }
    } finally {
      closeSync(logFd);
    }
    const daemon = this.daemon;
    let exited = false;
    daemon.once('exit', () => (exited = true));
    const deadline = Date.now() + 15_000;
    while (!(await mountPointListed(dir))) {
      if (exited || Date.now() > deadline) {
        const tail = readFileSync(log, 'utf8').slice(-2000);
        await this.destroy();
        throw new Error(`the ${this.format} card did not mount at ${dir}: ${tail}`);
      }
      await sleep(20);
    }
    this.mountedAt = dir;
  }

  /**
   * Repair the file system as fsck would when the card is next inserted (after `yank`: a write
   * cut off leaves a FAT cluster chain open, on which fusefat spins for ever). Unmounted only.
   */
  repair(): void {
    if (this.mountedAt) throw new Error('repair an unmounted card only');
    const [cmd, args]: [string, string[]] =
      this.format === 'exfat'
        ? ['fsck.exfat', ['-y', this.image]]
        : ['fsck.vfat', ['-a', this.image]];
    // fsck exits 1 when it repaired something: only a status above that is a failure.
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status === null || r.status > 1) throw new Error(`${cmd} failed: ${r.stdout}${r.stderr}`);
  }

  /**
   * The card stops answering without failing (a reader's firmware hung): its driver is stopped,
   * and every call on the mount waits in the kernel until `thaw`. Never leave a card frozen: a
   * call of this process on it would keep the process from exiting.
   */
  freeze(): void {
    for (const pid of this.driverPids()) process.kill(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.driverPids()) process.kill(pid, 'SIGCONT');
  }

  /**
   * Another process, started now, that will thaw the card `ms` after `freeze()`: the thaw then
   * happens even while this process is held by a call on the card made on its main thread (a
   * timer here would never fire). Arm it before this process opens anything on the card: a
   * process started while it holds a file open on a stopped card waits in its exec for the card
   * (closing the inherited descriptor asks a FUSE driver), and would thaw nothing. `stop`
   * cancels it and says whether it had to thaw. It gives up by itself after 10 minutes.
   */
  armThawFromOutside(ms: number): { freeze(): void; stop(): boolean } {
    const pids = this.driverPids().join(' ');
    const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const trigger = join(this.imageDir, `freeze-${stamp}`);
    const marker = join(this.imageDir, `thawed-${stamp}`);
    const script = [
      'i=0',
      `while [ ! -e '${trigger}' ] && [ $i -lt 6000 ]; do sleep 0.1; i=$((i+1)); done`,
      `[ -e '${trigger}' ] || exit 0`,
      `sleep ${ms / 1000}`,
      `: > '${marker}'`,
      `kill -CONT ${pids}`,
    ].join('\n');
    const rescuer = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    rescuer.unref();
    return {
      freeze: () => {
        closeSync(openSync(trigger, 'w'));
        this.freeze();
      },
      stop: () => {
        try {
          process.kill(-(rescuer.pid as number), 'SIGKILL');
        } catch {
          // (it has ended: it thawed, or gave up)
        }
        try {
          readFileSync(marker);
          return true;
        } catch {
          return false;
        }
      },
    };
  }

  private driverPids(): number[] {
    const runner = this.daemon?.pid;
    if (runner === undefined) return [];
    try {
      const children = readFileSync(`/proc/${runner}/task/${runner}/children`, 'utf8').trim();
      return children.split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** The card pulled out while mounted: the driver dies, the mount stays and fails ENOTCONN. */
  yank(): void {
    const runner = this.daemon?.pid;
    if (runner === undefined) return;
    // The driver is the child of `timeout` (see mount): kill the driver itself, by its pid.
    let children: string;
    try {
      children = readFileSync(`/proc/${runner}/task/${runner}/children`, 'utf8').trim();
    } catch {
      return; // timeout has already ended, and its driver with it
    }
    const pids = children.split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    // Returns only once the driver is gone (bounded): a SIGKILL is delivered asynchronously, and
    // a copy that went on meanwhile could finish and fsync on the live card (it did, 1 run in
    // many), so the "pulled mid-copy" test saw no pull at all.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 400 && pids.some(alive); i++) Atomics.wait(pause, 0, 0, 5);
  }

  /** Unmount (lazily if something still holds it), end the driver, detach the loop device. */
  async unmount(): Promise<void> {
    this.thaw();
    const daemon = this.daemon;
    if (this.mountedAt && !run('umount', [this.mountedAt]).ok) unmount(this.mountedAt);
    this.mountedAt = null;
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const gone = new Promise<void>((r) => daemon.once('exit', () => r()));
      const deadline = sleep(5_000).then(() => {
        this.yank();
        daemon.kill('SIGKILL');
      });
      await Promise.race([gone, deadline]);
      await gone;
    }
    this.daemon = null;
    if (this.loop) {
      // The loop device stays busy until the driver has closed it: a few tries, a few ms apart.
      for (let i = 0; i < 50 && !run('losetup', ['-d', this.loop]).ok; i++) await sleep(20);
      this.loop = null;
    }
  }

  /** Unmount and delete the image. Safe to call more than once. */
  async destroy(): Promise<void> {
    await this.unmount();
    liveCards.delete(this);
    await removeDir(this.imageDir);
  }

  /** What destroy does, synchronously, for the process's exit hook. */
  destroySync(): void {
    this.thaw();
    if (this.mountedAt) unmount(this.mountedAt);
    this.yank();
    this.daemon?.kill('SIGKILL');
    if (this.loop) run('losetup', ['-d', this.loop]);
    spawnSync('rm', ['-rf', this.imageDir]);
  }
}

/** A fresh card of `format` mounted at a new folder `<tmp>/card`; `destroy()` it in finally. */
export async function mountedCard(
  format: CardFormat,
  sizeMiB = 64,
): Promise<{ card: CardImage; dir: string; base: string; done: () => Promise<void> }> {
  const base = await tempDir(`rdl-${format}-`);
  const dir = join(base, 'card');
  await mkdir(dir);
  let card: CardImage | undefined;
  try {
    card = await CardImage.create(format, sizeMiB);
    await card.mount(dir);
  } catch (e) {
    await card?.destroy();
    await removeDir(base);
    throw e;
  }
  const c = card;
  return {
    card: c,
    dir,
    base,
    done: async () => {
      await c.destroy();
      await removeDir(base);
    },
  };
}
