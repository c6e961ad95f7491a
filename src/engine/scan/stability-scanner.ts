// Finds the files in the watch folder that are finished. A logger appends to its file for a
// while; we only take a file once nothing about it has changed for `stableSeconds`, judged by
// two observations that far apart (so a copy tool that sets an old mtime up front cannot fool
// us) and by the mtime itself being that old (so a restart does not take a file mid-write).
import { systemClock, silentLogger, type Clock, type Logger } from '../ports.js';
import { SyncError } from '../errors.js';
import { walkTree } from '../fsutil/walk.js';
import { errnoCode } from '../fsutil/fsync.js';
import { compileIgnore, type IgnoreMatcher } from './ignore.js';

export interface ScannedFile {
  /** Path below the watch folder, '/'-separated on every OS. */
  rel: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface ScanResult {
  /** Finished files, oldest mtime first. */
  stable: ScannedFile[];
  /** Files seen but not yet stable. */
  pending: number;
  /** Entries left out: ignore patterns, Dropbox-ignored names, symlinks, fifos, sockets, devices. */
  ignored: number;
  errors: { rel: string; message: string }[];
}

export interface StabilityScannerOptions {
  watchDir: string;
  stableSeconds: number;
  ignorePatterns: string[];
  clock?: Clock;
  logger?: Logger;
  /** Absolute folders inside the watch folder never scanned (e.g. transit placed inside it). */
  excludeDirs?: string[];
}

interface Observation {
  size: number;
  mtimeMs: number;
  ino: number;
  /** When this (size, mtime, inode) was first seen. */
  sinceMs: number;
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
  private readonly observations = new Map<string, Observation>();
  private scanCount = 0;
  private running = false;

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
  }

  /** Files currently remembered (seen, present at the last scan). */
  get tracked(): number {
    return this.observations.size;
  }

  async scan(signal?: AbortSignal): Promise<ScanResult> {
    if (this.running)
      throw new Error('StabilityScanner.scan() is already running; passes must not overlap');
    this.running = true;
    try {
      return await this.walk(signal);
    } finally {
      this.running = false;
    }
  }

  private async walk(signal: AbortSignal | undefined): Promise<ScanResult> {
    const scan = ++this.scanCount;
    const now = this.clock.now();
    const result: ScanResult = { stable: [], pending: 0, ignored: 0, errors: [] };
    const entries = walkTree(this.watchDir, {
      signal,
      skip: (name, rel) => this.ignore(name, rel),
      excludeDirs: this.excludeDirs,
    });
    try {
      for await (const entry of entries) {
        switch (entry.kind) {
          case 'file': {
            const { size, mtimeMs, ino } = entry.stats;
            if (this.observe(entry.rel, size, mtimeMs, ino, now, scan)) {
              result.stable.push({ rel: entry.rel, absPath: entry.absPath, size, mtimeMs });
            } else {
              result.pending++;
            }
            break;
          }
          case 'skipped':
            result.ignored++;
            break;
          case 'other':
            // A symlink is skipped even when it points at a file inside the tree: that file is
            // synced under its own name, and moving the link would only move a pointer.
            result.ignored++;
            this.logger.debug('scan: skipped, not a regular file', {
              rel: entry.rel,
              what: entry.what,
            });
            break;
          case 'error':
            result.errors.push({
              rel: entry.rel,
              message: `Cannot read ${entry.rel === '' ? 'the watch folder' : entry.rel}: ${describe(entry.error)}`,
            });
            break;
        }
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new SyncError({
        kind: 'blocked',
        code: 'settings-invalid',
        message: `Watch folder ${this.watchDir} cannot be read (${describe(error)}): check that it exists and is readable, or choose another in settings`,
        cause: error,
      });
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
    rel: string,
    size: number,
    mtimeMs: number,
    ino: number,
    now: number,
    scan: number,
  ): boolean {
    let obs = this.observations.get(rel);
    if (!obs || obs.size !== size || obs.mtimeMs !== mtimeMs || obs.ino !== ino) {
      obs = { size, mtimeMs, ino, sinceMs: now, scan };
      this.observations.set(rel, obs);
    }
    obs.scan = scan;
    const unchangedLongEnough = now - obs.sinceMs >= this.stableMs;
    // An mtime in the future (a logger with a wrong clock, a copy that kept its stamp) says
    // nothing about age; the observations alone decide, or the file would wait forever.
    const oldEnough = mtimeMs > now || now - mtimeMs >= this.stableMs;
    return unchangedLongEnough && oldEnough;
  }
}
