// Is a folder the root of a mounted file system? Guards the SD-card leg: with the card out, its
// mount point is an ordinary folder on the main disk and must not receive a single byte.
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Mount points listed in a mountinfo text (field 5), with the kernel's octal escapes undone. */
export function parseMountInfo(text: string): Set<string> {
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field)
      points.add(
        field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
      );
  }
  return points;
}

/** Mount options (field 6, e.g. "ro,nosuid") of the mount whose mount point is exactly `point`. */
export function mountOptionsFromInfo(text: string, point: string): string[] | undefined {
  let found: string[] | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const field = fields[4];
    if (!field) continue;
    const decoded = field.replace(/\\([0-7]{3})/g, (_, oct: string) =>
      String.fromCharCode(parseInt(oct, 8)),
    );
    // Later lines stack on top of earlier ones at the same point, so the last one wins.
    if (decoded === point) found = (fields[5] ?? '').split(',');
  }
  return found;
}

async function readMountInfo(): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * True when `path` is a mount point. A device change against the parent catches ordinary mounts on
 * every OS; on Linux /proc/self/mountinfo also catches bind mounts and mounts of the same device,
 * which have the parent's st_dev. A missing path is not a mount point.
 */
export async function isMountPoint(path: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(path);
    const self = await lstat(real);
    if (!self.isDirectory()) return false;
    const parentDir = dirname(real);
    if (parentDir === real) return true; // the file system root
    const parent = await stat(parentDir);
    if (parent.dev !== self.dev) return true;
  } catch {
    return false;
  }
  const info = await readMountInfo();
  return info !== undefined && parseMountInfo(info).has(real);
}

/** Linux only: true when the mount at exactly `point` is mounted read-only; undefined elsewhere. */
export async function isReadOnlyMount(point: string): Promise<boolean | undefined> {
  const info = await readMountInfo();
  if (info === undefined) return undefined;
  let real: string;
  try {
    real = await realpath(point);
  } catch {
    return undefined;
  }
  const options = mountOptionsFromInfo(info, real);
  return options === undefined ? undefined : options.includes('ro');
}

/**
 * The mount holding `path`: the one whose mount point is the longest prefix of its real path (the
 * last such line, as later mounts stack on top), with its file system type (mountinfo's field
 * after " - ", e.g. "ext4", "vfat", "fuseblk", "fuse.fusefat"). Undefined off Linux or when it
 * cannot be told.
 */
export async function mountHolding(
  path: string,
): Promise<{ point: string; type: string } | undefined> {
  const info = await readMountInfo();
  if (info === undefined) return undefined;
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return undefined;
  }
  let best: { point: string; type: string } | undefined;
  for (const line of info.split('\n')) {
    const fields = line.split(' ');
    const field = fields[4];
    const dash = fields.indexOf('-', 6);
    const type = dash > 0 ? fields[dash + 1] : undefined;
    if (!field || !type) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, oct: string) =>
      String.fromCharCode(parseInt(oct, 8)),
    );
    const inside =
      real === point || point === '/' || real.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, type };
  }
  return best;
}

/** The file system type of the mount holding `path` (mountHolding). */
export async function fileSystemTypeOf(path: string): Promise<string | undefined> {
  return (await mountHolding(path))?.type;
}
