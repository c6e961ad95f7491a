// Finds the files in the watch folder that are finished. A file is finished when no process
// holds it open for writing (asked of the kernel, see open-writers.ts) and its mtime is at least
// `stableSeconds` old. A file whose mtime is younger needs a second sighting, `stableSeconds`
// later, with nothing changed, so a file written moments ago is never taken at once. Where open
// writers cannot be detected (no /proc), every file needs the two sightings: timing is then the
// only guard, and `stableSeconds` must outlast the longest time a logger keeps a file open.
// So does a file owned by another user while some process could not be inspected: a logger
// running as another user is such a process, and could be holding it.
import { runningUser } from '../fsutil/running-user.js';
import { monotonicNow, systemClock, silentLogger, type Clock, type Logger } from '../ports.js';
import { SyncError } from '../errors.js';
import { EmptyFolderMemo, walkTree } from '../fsutil/walk.js';
import { errnoCode } from '../fsutil/fsync.js';
import { fileSystemTypeOf } from '../fsutil/mount.js';
import { compileIgnore, type IgnoreMatcher } from './ignore.js';
import { snapshotOpenWriters, type WriterProbe } from './open-writers.js';
import { TRANSIT_TEMP_DIR } from '../stage/transit-names.js';

/** A user folder of this name at the top would land among the engine's temporaries: escaped. */
const RESERVED_TOP_NAMES: ReadonlySet<string> = new Set([TRANSIT_TEMP_DIR]);

export interface ScannedFile {
  /**
   * Path below the watch folder, '/'-separated on every OS, in mapped names (fsutil/name-map.ts):
   * the one name the file keeps in transit, on Dropbox and on the card.
   */
  rel: string;
  /**
   * The watch folder joined with the mapped names: the real path, except where a name had to be
   * escaped. Staging finds the original from `rel` (rel-path.ts rawPathOf), never from this.
   */
  absPath: string;
  size: number;
  mtimeMs: number;
}

/** A file seen in the watch folder but not finished yet. */
export interface PendingFile {
  rel: string;
  mtimeMs: number;
}

export interface ScanResult {
  /** Finished files, oldest mtime first. */
  stable: ScannedFile[];
  /** Files seen but not yet stable. */
  pending: number;
  /**
   * Those files: seen, so still there (a failure kept for one must not be forgotten), and when
   * each was last written (its logger is alive: the silent-logger check counts it).
   */
  pendingFiles: PendingFile[];
  /** Entries left out: ignore patterns, Dropbox-ignored names, symlinks, fifos, sockets, devices. */
  ignored: number;
  /** Parts of the tree that could not be read; each is a problem for the person, with the fix. */
  errors: ScanError[];
  /** Files some process holds open for writing (counted in `pending` too). */
  openForWriting: number;
  /** The watch folder itself cannot be read: nothing was scanned. */
  watchProblem: SyncError | null;
}

export interface ScanError {
  rel: string;
  message: string;
  /** 'unreadable-folder': a folder could not be listed; 'unreadable-name': an entry could not be examined. */
  code: 'unreadable-folder' | 'unreadable-name';
}

export interface StabilityScannerOptions {
  watchDir: string;
  stableSeconds: number;
  ignorePatterns: string[];
  clock?: Clock;
  logger?: Logger;
  /** Absolute folders inside the watch folder never scanned (e.g. transit placed inside it). */
  excludeDirs?: string[];
  /**
   * Finds files open for writing, once per scan; null means this system cannot tell (then the
   * two-sightings rule applies to every file). Defaults to the /proc probe.
   */
  writers?: WriterProbe | null;
  /** The watch folder's file system type (remoteFileSystem); defaults to /proc/self/mountinfo's. */
  fileSystemType?: (dir: string) => Promise<string | undefined>;
}

/**
 * The wall clock moved this much further than the monotonic one between two scans: it stepped
 * (NTP setting a Pi's clock after a boot without a real-time clock, a person's date command).
 */
const CLOCK_STEP_MS = 2_000;

/** Names of links and special files said in the log, at most (a folder of thousands says enough). */
const TOLD_NOT_REGULAR_MAX = 1_000;

/**
 * File systems whose files other machines write: /proc shows this machine's writers only, so a
 * file there that no process here holds open may still be written (a logger on a PC writing to
 * a share). Their times, too, come from that machine's clock.
 */
const REMOTE_FILE_SYSTEM =
  /^(nfs4?|cifs|smb3?|smbfs|ncpfs|9p|ceph|glusterfs|afs|lustre|davfs|vboxsf|virtiofs|drvfs|fuse\.(sshfs|rclone|s3fs|davfs2?|gvfsd-fuse|gcsfuse|curlftpfs|glusterfs|vmhgfs-fuse|cephfs))$/;

/** How long the watch folder's file system type is taken as known. */
const FILE_SYSTEM_RECHECK_MS = 60_000;

interface Sighting {
  file: ScannedFile;
  dev: number;
  ino: number;
  uid: number;
}

/** This process's user, or null where there is none (Windows). */
const OWN_UID: number | null = process.getuid?.() ?? null;

interface Observation {
  size: number;
  mtimeMs: number;
  ino: number;
  /** When this (size, mtime, inode) was first seen, in monotonic time (a clock step moves it not). */
  sinceMono: number;
  /** Scan number that last saw the file; older ones are forgotten after each scan. */
  scan: number;
}

const FS_MESSAGES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error (failing disk or card?)',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
};

function describe(error: unknown): string {
  const code = errnoCode(error);
  if (code && FS_MESSAGES[code]) return `${FS_MESSAGES[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

export class StabilityScanner {
  private readonly watchDir: string;
  private readonly stableMs: number;
  private readonly ignore: IgnoreMatcher;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly excludeDirs: string[];
  private readonly writers: WriterProbe | null;
  private readonly observations = new Map<string, Observation>();
  /** Emptied date folders are not opened again on every pass while they stay empty. */
  private readonly emptyFolders = new EmptyFolderMemo();
  private scanCount = 0;
  private running = false;
  private readonly fileSystemType: (dir: string) => Promise<string | undefined>;
  /** Wall minus monotonic time at the last scan: a jump says the wall clock stepped. */
  private lastClockOffset: number | null = null;
  /** Links and special files already said in the log (once each per scanner). */
  private readonly toldNotRegular = new Set<string>();
  /** Until then (monotonic), a file's age by its mtime decides nothing (see ageTellsFinished). */
  private ageDistrustedUntilMono = -Infinity;
  /** Whether the watch folder is on another machine's file system, and when that was looked up. */
  private remoteLooked: { remote: boolean; atMono: number } | null = null;

  constructor(opts: StabilityScannerOptions) {
    if (!Number.isFinite(opts.stableSeconds) || opts.stableSeconds < 0) {
      throw new RangeError(`stableSeconds must be a number >= 0, got ${opts.stableSeconds}`);
    }
    this.watchDir = opts.watchDir;
    this.stableMs = opts.stableSeconds * 1000;
    this.ignore = compileIgnore(opts.ignorePatterns);
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.excludeDirs = opts.excludeDirs ?? [];
    this.writers =
      opts.writers === undefined
        ? () => snapshotOpenWriters({ folders: [opts.watchDir] })
        : opts.writers;
    this.fileSystemType = opts.fileSystemType ?? fileSystemTypeOf;
    this.noteClock();
  }

  /**
   * Whether an old mtime and no writer open now may say a file is finished at its first sighting
   * (the one-scan rule `once` relies on). Not on a file system other machines write (a writer
   * there is out of sight, and its clock may be behind: a logger appending every few seconds was
   * taken in 17 pieces); nor for the stable time after the wall clock stepped forward (every file
   * written before the step looks old at once). Then files are judged by sightings alone: seen
   * unchanged for the stable time of monotonic time.
   */
  private async ageTellsFinished(now: number, mono: number): Promise<boolean> {
    this.noteClock(now, mono);
    if (mono < this.ageDistrustedUntilMono) return false;
    // Looked up again after a while, not at every pass (a mountinfo read and a realpath each):
    // a folder's file system changes only when a disk or share is mounted over it.
    if (this.remoteLooked === null || mono - this.remoteLooked.atMono >= FILE_SYSTEM_RECHECK_MS) {
      const type = await this.fileSystemType(this.watchDir).catch(() => undefined);
      this.remoteLooked = {
        remote: type !== undefined && REMOTE_FILE_SYSTEM.test(type),
        atMono: mono,
      };
    }
    return !this.remoteLooked.remote;
  }

  /**
   * Watches for a forward step of the wall clock against the monotonic one: at every scan, files
   * or none (a hub's folder emptied before a reboot, then NTP's step before the logger's first
   * file), and from the scanner's making.
   */
  private noteClock(now = this.clock.now(), mono = monotonicNow(this.clock)): void {
    const offset = now - mono;
    if (this.lastClockOffset !== null && offset - this.lastClockOffset > CLOCK_STEP_MS) {
      this.ageDistrustedUntilMono = mono + this.stableMs;
      // (A suspend looks the same: the monotonic clock stands still through it. Harmless: files
      // only wait their stable time.)
      this.logger.info(
        'scan: the wall clock moved ahead of the monotonic one (a clock step, or a suspend); files are judged by sightings alone for the stable time',
        { steppedMs: Math.round(offset - this.lastClockOffset) },
      );
    }
    this.lastClockOffset = offset;
  }

  /** Files currently remembered (seen, present at the last scan). */
  get tracked(): number {
    return this.observations.size;
  }

  /** `onSighting` hears of each file as the walk meets it (finished or not: decided at the end). */
  async scan(signal?: AbortSignal, onSighting?: (size: number) => void): Promise<ScanResult> {
    if (this.running)
      throw new Error('StabilityScanner.scan() is already running; passes must not overlap');
    this.running = true;
    try {
      return await this.walk(signal, onSighting);
    } finally {
      this.running = false;
    }
  }

  private async walk(
    signal: AbortSignal | undefined,
    onSighting: ((size: number) => void) | undefined,
  ): Promise<ScanResult> {
    const scan = ++this.scanCount;
    this.noteClock();
    const result: ScanResult = {
      stable: [],
      pending: 0,
      pendingFiles: [],
      ignored: 0,
      errors: [],
      openForWriting: 0,
      watchProblem: null,
    };
    const sightings: Sighting[] = [];
    const entries = walkTree(this.watchDir, {
      signal,
      skip: (name, rel) => this.ignore(name, rel),
      excludeDirs: this.excludeDirs,
      // Every name becomes a Dropbox-safe rel both legs share (fsutil/name-map.ts).
      names: 'escape',
      reservedTopNames: RESERVED_TOP_NAMES,
      emptyFolders: this.emptyFolders,
    });
    try {
      for await (const entry of entries) {
        switch (entry.kind) {
          case 'file': {
            const { size, mtimeMs, dev, ino, uid } = entry.stats;
            sightings.push({
              file: { rel: entry.rel, absPath: entry.absPath, size, mtimeMs },
              dev,
              ino,
              uid,
            });
            onSighting?.(size);
            break;
          }
          case 'skipped':
            result.ignored++;
            break;
          case 'other':
            // A symlink is skipped even when it points at a file inside the tree: that file is
            // synced under its own name, and moving the link would only move a pointer.
            result.ignored++;
            // Said once per name in the log, not silently skipped (found by a trial: a logger's
            // file reached through a link from outside the tree was never synced, and only a
            // debug line, never written, knew why).
            if (
              this.toldNotRegular.size < TOLD_NOT_REGULAR_MAX &&
              !this.toldNotRegular.has(entry.rel)
            ) {
              this.toldNotRegular.add(entry.rel);
              this.logger.info(
                entry.what === 'symlink'
                  ? 'not synced: a symbolic link (RDL Sync syncs the files themselves, never follows a link)'
                  : 'not synced: not a regular file (a FIFO, socket or device)',
                { rel: entry.rel },
              );
            }
            break;
          case 'error':
            result.errors.push(scanError(entry.rel, entry.error, entry.what));
            break;
        }
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      // Not thrown: the queue already in transit must still drain while the folder is away.
      result.watchProblem = watchFolderProblem(this.watchDir, error);
      return result;
    }
    // Taken after the walk, as close to staging as possible, and only when there is a file to ask about.
    const writers = sightings.length > 0 && this.writers ? await this.writers() : null;
    if (writers) {
      this.logger.debug('scan: open writers checked', {
        processes: writers.processes,
        skippedProcesses: writers.skippedProcesses,
        descriptors: writers.descriptors,
        ms: Math.round(writers.elapsedMs * 10) / 10,
      });
    }
    const now = this.clock.now();
    const mono = monotonicNow(this.clock);
    const ageDecides = writers !== null && (await this.ageTellsFinished(now, mono));
    for (const { file, dev, ino, uid } of sightings) {
      const open = writers?.has(dev, ino) ?? false;
      if (open) result.openForWriting++;
      // Another user's file while some process could not be inspected (another user's: we may
      // not read its /proc/<pid>/fd): its writer may be among them, so its writers are unknown.
      const oneSighting =
        ageDecides &&
        writers !== null &&
        (writers.skippedProcesses === 0 || OWN_UID === null || uid === OWN_UID);
      if (this.observe(file, ino, { now, mono }, scan, open, oneSighting)) result.stable.push(file);
      else {
        result.pending++;
        result.pendingFiles.push({ rel: file.rel, mtimeMs: file.mtimeMs });
      }
    }
    for (const [rel, obs] of this.observations) {
      if (obs.scan !== scan) this.observations.delete(rel);
    }
    result.stable.sort(
      (a, b) => a.mtimeMs - b.mtimeMs || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0),
    );
    return result;
  }

  /** Record one sighting; true when the file counts as finished. */
  private observe(
    file: ScannedFile,
    ino: number,
    { now, mono }: { now: number; mono: number },
    scan: number,
    openForWriting: boolean,
    /** Its writers are known and its age may decide (ageTellsFinished): one sighting can do. */
    oneSighting: boolean,
  ): boolean {
    const { rel, size, mtimeMs } = file;
    let obs = this.observations.get(rel);
    if (!obs || obs.size !== size || obs.mtimeMs !== mtimeMs || obs.ino !== ino) {
      obs = { size, mtimeMs, ino, sinceMono: mono, scan };
      this.observations.set(rel, obs);
    }
    obs.scan = scan;
    // Open for writing: never, whatever its age; more bytes may come at any moment.
    if (openForWriting) return false;
    const unchangedLongEnough = mono - obs.sinceMono >= this.stableMs;
    // An mtime in the future (a logger with a wrong clock, a copy that kept its stamp) says
    // nothing about age; the observations alone decide, or the file would wait forever.
    if (mtimeMs > now) return unchangedLongEnough;
    const oldEnough = now - mtimeMs >= this.stableMs;
    // With writers known, an old file nobody holds open is finished now: one scan decides, so
    // `rdl-sync once` moves it in its single pass. Without that knowledge, two sightings.
    return oldEnough && (unchangedLongEnough || oneSighting);
  }
}

function scanError(rel: string, error: unknown, what: 'folder' | 'entry'): ScanError {
  const folder = what === 'folder';
  const name = rel === '' ? 'the watch folder' : rel;
  const fix =
    errnoCode(error) === 'EACCES' || errnoCode(error) === 'EPERM'
      ? folder
        ? `give the user RDL Sync runs as (${runningUser()}) read and search (x) permission on it`
        : `give the user RDL Sync runs as (${runningUser()}) search (x) permission on its folder`
      : errnoCode(error) === 'ENAMETOOLONG'
        ? 'shorten the folder names above it'
        : 'check the disk';
  return {
    rel,
    code: folder ? 'unreadable-folder' : 'unreadable-name',
    message: `Cannot read ${name}: ${describe(error)}; ${fix}. Its files are not synced until then`,
  };
}

function watchFolderProblem(watchDir: string, error: unknown): SyncError {
  const code = errnoCode(error);
  const what =
    code === 'ENOENT'
      ? 'does not exist (a USB stick pulled or a disk not mounted?)'
      : code === 'ENOTDIR'
        ? 'is not a folder'
        : `cannot be read (${describe(error)})`;
  return new SyncError({
    kind: 'blocked',
    code: 'settings-invalid',
    message: `Watch folder ${watchDir} ${what}: check that it exists and is readable, or choose another in settings. Files already in transit are still sent`,
    cause: error,
  });
}
