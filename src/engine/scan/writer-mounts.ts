// Which file system an open descriptor is on, told without asking that file system. The writers'
// snapshot (open-writers.ts) stats each descriptor open for writing, and a stat reaches the file
// system the file is on: one whose server or driver hangs (a stale NFS share, a FUSE driver
// stopped) holds the caller in the kernel until it answers. The snapshot runs on the main thread,
// so a process writing to a hung file system anywhere on the machine froze the whole daemon: no
// pass, no status (found by stopping a FUSE card's driver under another process that wrote to it).
// So a descriptor is stat'ed only when it may be on the file system of a folder we sync: its
// fdinfo names its mount (mnt_id), and the mountinfo of its process's mount namespace names that
// mount's device; both are kernel tables, read without a call on any file system. Devices are
// compared as mountinfo writes them ("major:minor", the superblock's), on both sides alike, so a
// bind mount or another namespace's view of the same file system matches. Whatever cannot be told
// (an old kernel without mnt_id, a namespace whose mountinfo cannot be read) is stat'ed as before:
// a writer is never missed for it.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';

/** Mount ID -> its file system's device ("major:minor"), from a mountinfo text. */
export function deviceByMount(mountinfo: string): Map<string, string> {
  const devices = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields[0] && fields[2]) devices.set(fields[0], fields[2]);
  }
  return devices;
}

const unescape = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/**
 * The devices of the mounts at or above `folders` (real paths) or anywhere below them, from a
 * mountinfo text: every file system a file of those folders can be on.
 */
export function devicesOfFolders(folders: readonly string[], mountinfo: string): Set<string> {
  const mounts = mountinfo
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] && f[4])
    .map((f) => ({ device: f[2] as string, point: unescape(f[4] as string) }));
  const devices = new Set<string>();
  const under = (path: string, point: string): boolean =>
    path === point || point === '/' || path.startsWith(point.endsWith('/') ? point : `${point}/`);
  // Every mount at or above a folder, not only the longest: a later mount over a parent hides the
  // longer one, and which holds the folder then takes more than prefixes to tell. A device too
  // many is only stat'ed as before; one too few would miss a writer.
  for (const folder of folders)
    for (const m of mounts)
      if (under(folder, m.point) || under(m.point, folder)) devices.add(m.device);
  return devices;
}

/**
 * Tells, for one snapshot, whether a descriptor may be on one of the synced folders' file systems.
 * Null when that cannot be told for any descriptor (a folder that cannot be resolved, no
 * mountinfo): then every descriptor is stat'ed, as before.
 */
export function descriptorFilter(
  folders: readonly string[],
  procRoot: string,
): ((pidDir: string, fdinfo: string) => boolean) | null {
  let devices: Set<string>;
  try {
    const real = folders.map((f) => realpathSync(f));
    devices = devicesOfFolders(real, readFileSync(`${procRoot}/self/mountinfo`, 'utf8'));
  } catch {
    return null;
  }
  if (devices.size === 0) return null;
  /** Per mount namespace: its mounts' devices (null: its mountinfo could not be read). */
  const byNamespace = new Map<string, Map<string, string> | null>();
  let lastPid = '';
  let lastDevices: Map<string, string> | null = null;
  const devicesFor = (pidDir: string): Map<string, string> | null => {
    if (pidDir === lastPid) return lastDevices;
    lastPid = pidDir;
    lastDevices = null;
    let namespace: string;
    try {
      namespace = readlinkSync(`${pidDir}/ns/mnt`);
    } catch {
      return null;
    }
    if (!byNamespace.has(namespace)) {
      let map: Map<string, string> | null = null;
      try {
        map = deviceByMount(readFileSync(`${pidDir}/mountinfo`, 'latin1'));
      } catch {
        // unreadable: its descriptors are stat'ed
      }
      byNamespace.set(namespace, map);
    }
    lastDevices = byNamespace.get(namespace) ?? null;
    return lastDevices;
  };
  return (pidDir, fdinfo) => {
    const mount = /^mnt_id:\s*(\d+)/m.exec(fdinfo)?.[1];
    if (mount === undefined) return true;
    const device = devicesFor(pidDir)?.get(mount);
    return device === undefined || devices.has(device);
  };
}
