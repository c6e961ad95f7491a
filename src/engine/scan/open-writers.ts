// Which files does some process still hold open for writing? A logger that keeps its file open
// while the size and mtime stand still (the infrared camera holds its CSV ~60 s) cannot be told
// apart from a finished file by timing alone, so on Linux we ask the kernel: every open
// descriptor is listed in /proc/<pid>/fd, and /proc/<pid>/fdinfo/<fd> gives the open flags (octal;
// O_WRONLY = 01, O_RDWR = 02). Files are matched by device and inode, which survive renames and
// bind mounts, never by path.
//
// One snapshot is taken per scan and answers every file of that scan from a Set, so the cost is
// proportional to the descriptors open on the machine, not to the files in the watch folder.
// The /proc reads are synchronous: they never touch a disk, and one async call per descriptor
// would cost more in scheduling than the read itself. Processes we may not inspect (another
// user's, with hidepid) are skipped and counted; loggers normally run as the same user as RDL
// Sync. Where /proc is missing (macOS, Windows) there is no snapshot and the caller falls back to
// the stability time alone.
import {
  closeSync,
  existsSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { descriptorFilter } from './writer-mounts.js';

export interface WriterSnapshot {
  /** True when some inspected process holds (dev, ino) open for writing. */
  has(dev: number, ino: number): boolean;
  /** Processes whose descriptors were read. */
  readonly processes: number;
  /** Processes that could not be read (permission): a writer among them would go unseen. */
  readonly skippedProcesses: number;
  /** Descriptors that name a file-system object (pipes and sockets are not counted). */
  readonly descriptors: number;
  /** Distinct files open for writing. */
  readonly writableFiles: number;
  readonly elapsedMs: number;
}

/** Takes one snapshot, or returns null where writers cannot be detected on this system. */
export type WriterProbe = () => Promise<WriterSnapshot | null>;

const ACCESS_MODE_MASK = 0o3;
const O_WRONLY = 0o1;
const O_RDWR = 0o2;
/** Yield to the event loop after this many processes, so a busy machine never stalls it long. */
const PROCESSES_PER_SLICE = 64;

function key(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

/** Whether this system exposes open descriptors and their flags the way the probe reads them. */
export function canDetectWriters(procRoot = '/proc'): boolean {
  return existsSync(join(procRoot, 'self', 'fdinfo'));
}

function openedForWriting(fdinfo: string): boolean {
  const m = /^flags:\s*([0-7]+)/m.exec(fdinfo);
  if (!m?.[1]) return false;
  const mode = parseInt(m[1], 8) & ACCESS_MODE_MASK;
  return mode === O_WRONLY || mode === O_RDWR;
}

/** fdinfo is a few short lines; `flags:` is the second. One buffer serves every read. */
const fdinfoBuffer = Buffer.alloc(512);

/** open/read/close into a shared buffer: several times cheaper than readFileSync here. */
function readFdinfo(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, fdinfoBuffer, 0, fdinfoBuffer.length, 0);
    return fdinfoBuffer.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads one process's descriptors into `out`; false when the process cannot be inspected. Paths
 * are built by concatenation (`pidDir` is normalized): a path.join per descriptor cost more than
 * the readlink it names.
 */
function readProcess(
  pidDir: string,
  out: Set<string>,
  counts: { descriptors: number },
  mayBeOurs: ((pidDir: string, fdinfo: string) => boolean) | null,
): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`${pidDir}/fd`);
  } catch (e) {
    // ENOENT: the process ended while we looked; that is not a blind spot.
    return (e as { code?: string }).code === 'ENOENT';
  }
  for (const fd of fds) {
    const link = `${pidDir}/fd/${fd}`;
    let target: string;
    try {
      target = readlinkSync(link);
    } catch (e) {
      // Listed but not readable (another user's process in some setups, another namespace's):
      // its descriptors are a blind spot, counted as such, not tried one error at a time.
      if (isDenied(e)) return false;
      continue; // closed between the listing and the read: nothing open to report
    }
    try {
      // Pipes, sockets and anonymous inodes read as 'pipe:[…]', 'socket:[…]', 'anon_inode:…'.
      if (!target.startsWith('/')) continue;
      counts.descriptors++;
      const fdinfo = readFdinfo(`${pidDir}/fdinfo/${fd}`);
      if (!openedForWriting(fdinfo)) continue;
      // On another file system than the synced folders': never asked (writer-mounts.ts).
      if (mayBeOurs && !mayBeOurs(pidDir, fdinfo)) continue;
      // stat through the descriptor link reaches the open file itself, even if renamed or deleted.
      const s = statSync(link);
      out.add(key(s.dev, s.ino));
    } catch {
      // The descriptor was closed between the listing and the read: nothing open to report.
    }
  }
  return true;
}

function isDenied(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * One snapshot of every file open for writing, or null when /proc cannot tell. `folders`: the
 * folders whose files it is asked about; descriptors on other file systems are left out unasked
 * (none given: every descriptor is looked at).
 */
export async function snapshotOpenWriters(
  opts: { procRoot?: string; folders?: readonly string[] } = {},
): Promise<WriterSnapshot | null> {
  const { procRoot = '/proc', folders = [] } = opts;
  if (!canDetectWriters(procRoot)) return null;
  const mayBeOurs = folders.length > 0 ? descriptorFilter(folders, procRoot) : null;
  const started = performance.now();
  const writable = new Set<string>();
  const counts = { descriptors: 0 };
  let processes = 0;
  let skippedProcesses = 0;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  const root = join(procRoot);
  for (let i = 0; i < pids.length; i++) {
    if (readProcess(`${root}/${pids[i] as string}`, writable, counts, mayBeOurs)) processes++;
    else skippedProcesses++;
    if ((i + 1) % PROCESSES_PER_SLICE === 0) await new Promise((r) => setImmediate(r));
  }
  const elapsedMs = performance.now() - started;
  return {
    has: (dev, ino) => writable.has(key(dev, ino)),
    processes,
    skippedProcesses,
    descriptors: counts.descriptors,
    writableFiles: writable.size,
    elapsedMs,
  };
}
