// Disks that never fill: the hubs keep the OS, the data and the archive on one 32 GB card, and at
// 95 % every logging service is disabled. Each pass measures the file systems holding the watch,
// transit and archive folders (each file system once, with the folders it holds), how much the
// transit queue holds (what grows while Dropbox or the archive cannot take it), and raises a
// problem per disk above the warning level, cleared as soon as it is below again.
import { stat } from 'node:fs/promises';
import { formatBytes } from '../format-bytes.js';
import { freeSpace } from '../fsutil/free-space.js';
import { isMountPoint } from '../fsutil/mount.js';
import { walkTree } from '../fsutil/walk.js';
import type { DiskStatus, Problem } from '../status/types.js';

export type DiskRole = DiskStatus['roles'][number];

export const DISK_PROBLEM_PREFIX = 'disk-nearly-full:';

export interface DiskFolder {
  role: DiskRole;
  path: string;
  /**
   * An SD card's folder: measured only while a card is mounted there. With the card out its empty
   * mount point lies on the system's disk, which was then reported as holding the archive.
   */
  card?: boolean;
}

/** Bytes of every file below `dir` (0 when it cannot be read). */
export async function bytesBelow(dir: string, signal?: AbortSignal): Promise<number> {
  let total = 0;
  try {
    for await (const e of walkTree(dir, signal ? { signal } : {})) {
      if (e.kind === 'file') total += e.stats.size;
    }
  } catch {
    return total;
  }
  return total;
}

/**
 * Measures each file system once; a folder that does not exist, or a card's folder with no card
 * mounted there (a card that is out), is left out.
 */
export async function measureDisks(
  folders: DiskFolder[],
  signal?: AbortSignal,
  /** What waits in transit, when the caller has just walked it (a pass): saves a second walk. */
  knownTransitBytes: number | null = null,
  /** Runs each look at a folder's disk (the archive's with a deadline); throwing skips it. */
  answered: <T>(f: DiskFolder, look: () => Promise<T>) => Promise<T> = (_f, look) => look(),
): Promise<DiskStatus[]> {
  const byDev = new Map<number, DiskStatus>();
  for (const f of folders) {
    let dev: number | null;
    try {
      dev = await answered(f, async () =>
        f.card && !(await isMountPoint(f.path)) ? null : (await stat(f.path)).dev,
      );
    } catch {
      continue;
    }
    if (dev === null) continue;
    const known = byDev.get(dev);
    if (known) {
      if (!known.roles.includes(f.role)) known.roles.push(f.role);
    } else {
      let space;
      try {
        space = await answered(f, () => freeSpace(f.path));
      } catch {
        continue;
      }
      // As df counts it, the figure people compare with (the loggers stop at df's 95 %): root's
      // reserve, 5 % of an ext4 card, counted as used read about 5 points higher than df.
      const usable = space.usedBytes + space.freeBytes;
      byDev.set(dev, {
        roles: [f.role],
        path: f.path,
        freeBytes: space.freeBytes,
        totalBytes: space.totalBytes,
        usedPercent: usable > 0 ? Math.round((space.usedBytes / usable) * 1000) / 10 : 0,
        transitBytes: null,
      });
    }
    if (f.role === 'transit')
      byDev.get(dev)!.transitBytes = knownTransitBytes ?? (await bytesBelow(f.path, signal));
  }
  return [...byDev.values()];
}

const ROLE_WORDS: Record<DiskRole, string> = {
  watch: 'watch',
  transit: 'transit',
  archive: 'archive',
};

function rolesText(roles: DiskRole[]): string {
  const words = roles.map((r) => ROLE_WORDS[r]);
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : words[0];
  return `${list} folder${words.length > 1 ? 's' : ''}`;
}

export function diskProblemId(disk: DiskStatus): string {
  return `${DISK_PROBLEM_PREFIX}${disk.path}`;
}

/**
 * A disk problem's message reduced to what a person acts on: which disk and the fix. Its state
 * ("is 93 % full" / "is full", "before it fills" / "now"), what waits in transit and why, and the
 * loggers' 95 % note change from pass to pass with the same fix. The alert policy compares a
 * condition carried over a restart with this: comparing whole sentences, a hub restarted after
 * its WiFi came back (the "grow while Dropbox is unreachable" gone) or a few kB later ("is full"
 * became "is 99 % full") announced its full disk a second time, as a new problem.
 */
export function diskProblemFix(message: string): string {
  return message
    .replace(/\) is .*?: (free space)/, '): $1')
    .replace(/ (?:now: nothing more can be written there|before it fills)(?=;|\.?$)/, '')
    .replace(/; (?:the hub stops its loggers at 95 %|at 95 % the hub stops its loggers).*$/, '');
}

/** The problem for a disk at or above the warning level, or null when it is below. */
export function diskProblem(
  disk: DiskStatus,
  thresholdPercent: number,
  retentionOn: boolean,
  /**
   * Why the queue grows, as the last pass found it ("Dropbox is unreachable", "the SD card is
   * missing"); null when nothing held it back or no pass has run. It was always "while Dropbox is
   * unreachable", also when Dropbox took every file and the card was full.
   */
  heldBy: string | null = null,
  /** The watch folder is in an RDL hub's logging folder (hub-layout.ts). */
  hubLayout = false,
  /** The archive is a removable SD card (archiveMustBeMountPoint). */
  archiveIsCard = false,
): Omit<Problem, 'sinceMs'> | null {
  if (disk.usedPercent < thresholdPercent) return null;
  // Retention frees only the archive's disk, and is worth suggesting only while it is off. A card
  // is swapped for an empty one, as the full archive's own problem says (archive/problems.ts):
  // two alerts about one card gave two different fixes.
  const archive = disk.roles.includes('archive');
  const retention = retentionOn ? ' (archive retention is on)' : '';
  const fix = !archive
    ? 'free space'
    : archiveIsCard
      ? `free space or swap the card${retention}`
      : retentionOn
        ? `free space${retention}`
        : 'free space or turn on archive retention';
  const growing =
    disk.transitBytes && disk.transitBytes > 0
      ? `; ${formatBytes(disk.transitBytes)} wait in transit${heldBy ? ` and grow while ${heldBy}` : ''}`
      : '';
  // The hub's scripts stop its loggers when the disk they write to (the watch folder's) is 95 %
  // full: said only for that disk on a hub, not for a separate archive card nor a lab desktop.
  const loggers =
    hubLayout && disk.roles.includes('watch')
      ? disk.usedPercent >= 95
        ? '; the hub stops its loggers at 95 %: they may have stopped already'
        : '; at 95 % the hub stops its loggers'
      : '';
  // Full already (the hubs' most common fault): "before it fills" was said of a disk with 0 B
  // free, telling a person reading it by email that there was still time.
  const full = disk.freeBytes === 0 || disk.usedPercent >= 100;
  const state = full
    ? `is full, ${formatBytes(disk.freeBytes)} free (warning level ${thresholdPercent} %)`
    : `is ${disk.usedPercent} % full, ${formatBytes(disk.freeBytes)} free (warning level ${thresholdPercent} %)`;
  const when = full ? 'now: nothing more can be written there' : 'before it fills';
  return {
    id: diskProblemId(disk),
    code: 'disk-nearly-full',
    severity: 'attention',
    tab: 'status',
    message: `The disk holding the ${rolesText(disk.roles)} (${disk.path}) ${state}${growing}: ${fix} ${when}${loggers}`,
  };
}
