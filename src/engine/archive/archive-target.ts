// The SD-card leg. Writes only below a root that exists (and, by default, is a mounted card),
// through a temporary name, fsync, rename, fsync of the folder, and a read-back hash check, so a
// file under its final name is always complete and verified.
import { access, constants, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { SyncError, isSyncError } from '../errors.js';
import { silentLogger, type Logger } from '../ports.js';
import { copyFileHashed, CopyError, hashFileDropbox } from '../fsutil/copy-hashed.js';
import { fsyncDir, errnoCode, isCode } from '../fsutil/fsync.js';
import { freeSpace } from '../fsutil/free-space.js';
import { isMountPoint } from '../fsutil/mount.js';
import { placeWithoutReplacing, realPlaceOps, type PlaceOps } from '../fsutil/place.js';
import { relSegments } from '../fsutil/rel-path.js';
import { walkTree } from '../fsutil/walk.js';
import { archiveFull, archiveMissing, archiveReadOnly } from './problems.js';
import { keepBothName } from './keep-both.js';

/** Prefix of the temporary names in the card's folders; anything with it is ours to delete. */
export const ARCHIVE_TEMP_PREFIX = '.rdl-partial-';

/** Default room left free on the card beyond each file: file-system metadata, other users. */
export const DEFAULT_RESERVE_BYTES = 8 * 1024 * 1024;

/** More numbered copies than this means something is wrong, not that the logger is busy. */
const MAX_KEEP_BOTH = 1000;

export interface ArchiveTargetOptions {
  root: string;
  mustBeMountPoint: boolean;
  logger?: Logger;
  /** Bytes that must stay free after each copy (default 8 MiB). */
  reserveBytes?: number;
  /**
   * The calls that name things on the card. Only tests replace them, to act like a FAT/exFAT
   * card (no hard links, some characters refused), which this kernel may not be able to mount.
   */
  fsOps?: Partial<ArchiveFsOps>;
}

export interface ArchiveFsOps extends PlaceOps {
  mkdir: (path: string) => Promise<unknown>;
}

export interface ArchiveCheck {
  present: boolean;
  writable: boolean;
  freeBytes: number | null;
  totalBytes: number | null;
  /** blocked: archive-missing | archive-readonly | archive-full; null when the card is usable. */
  problem: SyncError | null;
}

export interface ArchiveStoreOptions {
  rel: string;
  srcPath: string;
  size: number;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
  /** Content hash of the source if already known; saves a read when the name is taken. */
  knownContentHash?: string;
}

export interface ArchiveStoreResult {
  /** Absolute final path (differs from root/rel when keep-both numbered it). */
  path: string;
  contentHash: string;
  /** An identical file was already there: nothing was written. */
  alreadyPresent: boolean;
}

export class ArchiveTarget {
  private readonly root: string;
  private readonly mustBeMountPoint: boolean;
  private readonly logger: Logger;
  private readonly reserveBytes: number;
  private readonly ops: ArchiveFsOps;

  constructor(opts: ArchiveTargetOptions) {
    this.root = opts.root;
    this.mustBeMountPoint = opts.mustBeMountPoint;
    this.logger = opts.logger ?? silentLogger;
    this.reserveBytes = opts.reserveBytes ?? DEFAULT_RESERVE_BYTES;
    this.ops = { ...realPlaceOps, mkdir: (p) => mkdir(p), ...opts.fsOps };
  }

  async check(): Promise<ArchiveCheck> {
    const missing = await this.rootProblem();
    if (missing) {
      return {
        present: false,
        writable: false,
        freeBytes: null,
        totalBytes: null,
        problem: missing,
      };
    }
    const space = await freeSpace(this.root).catch(() => null);
    const base = {
      present: true,
      freeBytes: space?.freeBytes ?? null,
      totalBytes: space?.totalBytes ?? null,
    };
    try {
      await access(this.root, constants.W_OK);
    } catch (e) {
      return {
        ...base,
        writable: false,
        problem: archiveReadOnly(this.root, errnoCode(e) ?? 'EACCES', e),
      };
    }
    if (space && space.freeBytes <= this.reserveBytes) {
      return {
        ...base,
        writable: true,
        problem: archiveFull(this.root, space.freeBytes, this.reserveBytes),
      };
    }
    return { ...base, writable: true, problem: null };
  }

  async store(opts: ArchiveStoreOptions): Promise<ArchiveStoreResult> {
    const segments = relSegments(opts.rel);
    const name = segments.pop() as string;
    const missing = await this.rootProblem();
    if (missing) throw missing;
    const destDir = await this.makeFoldersBelowRoot(segments);
    let sourceHash = opts.knownContentHash;
    const hashSource = async (): Promise<string> =>
      (sourceHash ??= await this.readSource(opts.srcPath, () =>
        hashFileDropbox(opts.srcPath, opts.signal),
      ));

    let n = 0;
    let races = 0;
    while (n <= MAX_KEEP_BOTH) {
      const candidate = join(destDir, keepBothName(name, n));
      const existing = await this.lstatOrNull(candidate);
      if (existing) {
        if (await this.holdsSameContent(candidate, existing, opts.size, hashSource)) {
          return { path: candidate, contentHash: await hashSource(), alreadyPresent: true };
        }
        n++;
        continue;
      }
      const placed = await this.writeNew(opts, destDir, candidate, sourceHash);
      if (placed === 'taken') {
        // Another store took this name while we copied: look at what is there now. A few
        // times at most; after that, move on to the next number.
        if (++races > 3) n++;
        continue;
      }
      if (n > 0) {
        this.logger.info('archive: a different file already had this name; kept both', {
          rel: opts.rel,
          path: candidate,
        });
      }
      return { path: candidate, contentHash: placed.contentHash, alreadyPresent: false };
    }
    throw new SyncError({
      kind: 'file-failed',
      code: 'conflict',
      message: `${opts.rel} already has ${MAX_KEEP_BOTH} different copies on the SD card at ${this.root}: tidy that folder`,
    });
  }

  /** Delete temporaries left by copies that were interrupted (crash, card pulled). */
  async cleanupTemps(): Promise<number> {
    if (await this.rootProblem()) return 0;
    let removed = 0;
    for await (const entry of walkTree(this.root, {
      skip: (n) => n.startsWith(ARCHIVE_TEMP_PREFIX),
    })) {
      if (entry.kind !== 'skipped') continue;
      try {
        await unlink(entry.absPath);
        removed++;
      } catch (e) {
        this.logger.warn('archive: could not remove a leftover temporary file', {
          path: entry.absPath,
          code: errnoCode(e),
        });
      }
    }
    return removed;
  }

  /** Why nothing may be written to the root now, or null. Never creates anything. */
  private async rootProblem(): Promise<SyncError | null> {
    let s: Stats;
    try {
      s = await stat(this.root);
    } catch (e) {
      return archiveMissing(this.root, 'absent', e);
    }
    if (!s.isDirectory()) return archiveMissing(this.root, 'not-a-folder');
    if (this.mustBeMountPoint && !(await isMountPoint(this.root))) {
      return archiveMissing(this.root, 'not-mounted');
    }
    return null;
  }

  /** mkdir each level below the root, one at a time: a vanished root is never recreated. */
  private async makeFoldersBelowRoot(segments: string[]): Promise<string> {
    let dir = this.root;
    for (const segment of segments) {
      dir = join(dir, segment);
      try {
        await this.ops.mkdir(dir);
      } catch (e) {
        if (isCode(e, 'EEXIST')) {
          const s = await this.lstatOrNull(dir);
          if (s?.isDirectory()) continue;
          throw new SyncError({
            kind: 'file-failed',
            code: 'conflict',
            message: `Cannot archive below ${dir}: a file on the SD card has that name where a folder is needed; rename it`,
          });
        }
        throw await this.destinationError(e, dir);
      }
    }
    return dir;
  }

  private async holdsSameContent(
    path: string,
    existing: Stats,
    size: number,
    hashSource: () => Promise<string>,
  ): Promise<boolean> {
    if (!existing.isFile() || existing.size !== size) return false;
    let there: string;
    try {
      there = await hashFileDropbox(path);
    } catch (e) {
      throw await this.destinationError(e, path);
    }
    return there === (await hashSource());
  }

  /** Copy to a temp name, place it under `finalPath` unless taken, and verify what landed. */
  private async writeNew(
    opts: ArchiveStoreOptions,
    destDir: string,
    finalPath: string,
    knownHash: string | undefined,
  ): Promise<{ contentHash: string } | 'taken'> {
    const space = await freeSpace(destDir).catch(() => null);
    const needed = opts.size + this.reserveBytes;
    if (space && space.freeBytes < needed) throw archiveFull(this.root, space.freeBytes, needed);

    const tmp = join(destDir, `${ARCHIVE_TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    let copied;
    try {
      copied = await copyFileHashed(opts.srcPath, tmp, opts.signal, opts.onProgress);
    } catch (e) {
      if (!(e instanceof CopyError)) throw e;
      if (e.side === 'source') throw this.sourceError(opts.srcPath, e.cause);
      throw await this.destinationError(e.cause, tmp, space?.freeBytes, needed);
    }
    try {
      if (
        copied.bytes !== opts.size ||
        (knownHash !== undefined && knownHash !== copied.contentHash)
      ) {
        throw new SyncError({
          kind: 'retry',
          code: 'hash-mismatch',
          message: `${opts.rel} changed while it was copied to the SD card (expected ${opts.size} bytes, read ${copied.bytes}); it will be copied again`,
        });
      }
      if ((await placeWithoutReplacing(tmp, finalPath, this.ops)) === 'exists') {
        await unlink(tmp);
        return 'taken';
      }
    } catch (e) {
      await unlink(tmp).catch(() => {});
      if (isSyncError(e)) throw e;
      throw await this.destinationError(e, finalPath);
    }
    try {
      await fsyncDir(destDir);
      const landed = await hashFileDropbox(finalPath, opts.signal);
      if (landed !== copied.contentHash) {
        await unlink(finalPath).catch(() => {});
        throw new SyncError({
          kind: 'retry',
          code: 'hash-mismatch',
          message: `The copy of ${opts.rel} on the SD card at ${this.root} read back different from the original: the card may be failing; it will be copied again`,
        });
      }
    } catch (e) {
      if (isSyncError(e) || opts.signal?.aborted) throw e;
      throw await this.destinationError(e, finalPath);
    }
    return { contentHash: copied.contentHash };
  }

  private async readSource<T>(srcPath: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (e) {
      throw this.sourceError(srcPath, e);
    }
  }

  private sourceError(srcPath: string, cause: unknown): SyncError {
    if (isCode(cause, 'ENOENT')) {
      return new SyncError({
        kind: 'file-failed',
        code: 'file-vanished',
        message: `${srcPath} vanished before it reached the SD card`,
        cause,
      });
    }
    return new SyncError({
      kind: 'file-failed',
      code: 'file-unreadable',
      message: `Cannot read ${srcPath} to copy it to the SD card (${errnoCode(cause) ?? 'error'}): check the file's permissions and the disk`,
      cause,
    });
  }

  /** Classify a failed write on the card. A vanished root means the card was pulled. */
  private async destinationError(
    cause: unknown,
    path: string,
    freeBytes?: number,
    neededBytes?: number,
  ): Promise<SyncError> {
    const code = errnoCode(cause) ?? 'unknown';
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      const free = (await freeSpace(this.root).catch(() => null))?.freeBytes ?? freeBytes ?? 0;
      return archiveFull(this.root, free, neededBytes ?? 0, cause);
    }
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      return archiveReadOnly(this.root, code, cause);
    }
    if (code === 'EINVAL' || code === 'ENAMETOOLONG') {
      // FAT and exFAT refuse names Linux allows (: * ? " < > | and trailing dots or spaces);
      // retrying cannot help, so this one file fails visibly and the others go on.
      return new SyncError({
        kind: 'file-failed',
        code: code === 'EINVAL' ? 'disallowed-name' : 'malformed-path',
        message: `The SD card at ${this.root} does not accept the name ${path} (${code}); FAT and exFAT cards refuse : * ? " < > | and very long names: rename the file at its source, or use a card formatted as ext4`,
        cause,
      });
    }
    if (code === 'EFBIG') {
      return new SyncError({
        kind: 'file-failed',
        code: 'file-too-large',
        message: `${path} is too large for the SD card's file system (FAT32 stops at 4 GiB): reformat the card as exFAT`,
        cause,
      });
    }
    const missing = await this.rootProblem();
    if (missing) return archiveMissing(this.root, 'pulled', cause);
    return new SyncError({
      kind: 'retry',
      code: 'unknown',
      message: `Writing ${path} on the SD card failed (${code}); it will be tried again`,
      cause,
    });
  }

  private async lstatOrNull(p: string): Promise<Stats | null> {
    try {
      return await lstat(p);
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      throw await this.destinationError(e, p);
    }
  }
}
