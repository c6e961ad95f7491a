// Watch folder -> transit/<rel>. On one disk this is a single no-replace link/rename, so a file
// is always wholly in one place or the other. Across disks (EXDEV) the bytes are copied to a
// temporary name, synced, verified by hash, given their final name, and only then is the source
// removed: a crash at any point leaves at least one complete copy.
//
// stageFile never throws for a problem of one file: it answers 'failed' (this file alone, with a
// message naming it and the fix) or 'blocked' (the transit folder cannot take files: staging stops
// for this pass, the queue still drains). Only an abort is thrown.
import { runningUser } from '../fsutil/running-user.js';
import { shellWord } from '../shell-word.js';
import { access, constants, lstat, rename, rmdir, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { printable } from '../log/printable.js';
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  openSync,
  type Stats,
} from 'node:fs';
import { SyncError } from '../errors.js';
import { STAGE_PLACE_ATTEMPTS } from '../retry-policy.js';
import {
  copyFileHashed,
  CopyError,
  hashFileDropbox,
  SOURCE_SWAPPED,
} from '../fsutil/copy-hashed.js';
import { fsyncDir, fsyncFile, isCode, errnoCode } from '../fsutil/fsync.js';
import { placeWithoutReplacing, realPlaceOps, type PlaceOps } from '../fsutil/place.js';
import type { FolderSyncs } from '../fsutil/folder-syncs.js';
import type { FreshWriters } from '../scan/fresh-writers.js';
import { quickLstat, quickUnlink } from '../fsutil/quick-fs.js';
import { rawPathOf, resolveRel } from '../fsutil/rel-path.js';
import type { ScannedFile } from '../scan/stability-scanner.js';
import { isReservedTransitRel, transitTempDir } from './transit-names.js';
import { freeSpace } from '../fsutil/free-space.js';
import { FOLDER_MODE } from '../fsutil/folder-mode.js';
import { LinkedLevel, makeFoldersInside } from '../fsutil/make-folders.js';
import { formatBytes } from '../format-bytes.js';

export type StageResult =
  | {
      status: 'staged';
      transitPath: string;
      /** Dropbox content hash, known when the bytes had to be copied across disks. */
      contentHash?: string;
      /**
       * The transit file's identity, known when it is the watch folder's inode under a new name
       * (a link or a rename): as looked at just before the move, so it needs no look of its own.
       */
      identity?: {
        size: number;
        mtimeMs: number;
        dev: number;
        ino: number;
        /**
         * Staging fsynced these bytes, and any write since changes the mtime (writesShowInMtime):
         * while size and mtime are still these, they are the bytes on disk.
         */
        bytesSynced?: true;
      };
    }
  /** transit already holds this rel: the file waits in the watch folder until that one is done. */
  | { status: 'busy' }
  /** size or mtime differ from the scan: not stable after all; the next scan decides again. */
  | { status: 'changed' }
  | { status: 'vanished' }
  /** This file alone cannot be staged now; it stays in the watch folder. */
  | { status: 'failed'; error: SyncError }
  /**
   * Copying across disks, the transit disk has no room for this file now: it stays in the watch
   * folder, and smaller files may still fit. (One file larger than the free space used to block
   * all staging, pass after pass, while transit held room for every other file.)
   */
  | { status: 'no-room'; error: SyncError; freeBytes: number | null }
  /** The transit folder cannot take files (read-only, missing): stop staging this pass. */
  | { status: 'blocked'; error: SyncError };

export interface StageOptions {
  watchDir: string;
  transitDir: string;
  file: ScannedFile;
  signal?: AbortSignal;
  /** File-system calls used to place the file; tests replace them to simulate EXDEV. */
  fsOps?: Partial<PlaceOps>;
  /**
   * Shared by files staged at the same time: the transit folder is synced once for all of them,
   * still before each one's watch-folder name is removed. Without it, each file syncs alone.
   */
  folderSyncs?: FolderSyncs;
  /**
   * Whether someone holds the file open for writing, asked after a copy across disks and before
   * the original's removal (scan/fresh-writers.ts). Absent where this cannot be known (no /proc).
   */
  writers?: FreshWriters;
}

/**
 * Transit folders made (or found) recently. A burst of files lands in a few folders, and a
 * recursive mkdir of an existing folder costs two system calls per file; remembering the last
 * few saves them. A remembered folder that was pruned meanwhile only costs one failed place
 * (ENOENT), after which it is forgotten and made again.
 */
class RecentDirs {
  private readonly dirs: string[] = [];
  /**
   * Folders being made now: the files of a burst start together, and each made its own recursive
   * mkdir of the same folder before one had finished (64 at the start of every pass).
   */
  private readonly making = new Map<string, Promise<void>>();
  constructor(private readonly max: number) {}
  /** Makes `dir` unless it was made recently; callers asking meanwhile share the one mkdir. */
  ensure(dir: string, make: (dir: string) => Promise<unknown>): Promise<void> {
    if (this.dirs.includes(dir)) return Promise.resolve();
    let made = this.making.get(dir);
    if (!made) {
      made = make(dir)
        .then(() => this.add(dir))
        .finally(() => this.making.delete(dir));
      this.making.set(dir, made);
    }
    return made;
  }
  private add(dir: string): void {
    if (this.dirs.includes(dir)) return;
    this.dirs.push(dir);
    if (this.dirs.length > this.max) this.dirs.shift();
  }
  forget(dir: string): void {
    const i = this.dirs.indexOf(dir);
    if (i >= 0) this.dirs.splice(i, 1);
  }
}
const madeDirs = new RecentDirs(16);

/**
 * Copies across disks at once. Files are staged many at a time (pipeline/stage-step.ts) so that
 * moves share folder syncs; a copy holds a 1 MiB buffer and reads and writes whole files, so no
 * more of them run together than staging ran files before it took 64 at once.
 */
export const STAGE_COPY_CONCURRENCY = 16;
let copiesInFlight = 0;
const copyWaiters: Array<() => void> = [];

async function withCopySlot<T>(copy: () => Promise<T>): Promise<T> {
  // A freed slot goes straight to the first waiter (the count stays), so a newcomer can never
  // take it first and send that waiter to the back of the queue again.
  if (copiesInFlight >= STAGE_COPY_CONCURRENCY)
    await new Promise<void>((resolve) => copyWaiters.push(resolve));
  else copiesInFlight++;
  try {
    return await copy();
  } finally {
    const next = copyWaiters.shift();
    if (next) next();
    else copiesInFlight--;
  }
}

/** A path for fs: a Buffer when a watch-folder name is not UTF-8 (fsutil/name-map.ts). */
type FsPath = string | Buffer;

async function lstatOrNull(p: FsPath): Promise<Stats | null> {
  try {
    return await quickLstat(p);
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return null;
    throw e;
  }
}

function sameAsScanned(s: Stats, file: ScannedFile): boolean {
  return s.isFile() && s.size === file.size && s.mtimeMs === file.mtimeMs;
}

function transitWriteError(transitDir: string, cause: unknown): SyncError {
  const code = errnoCode(cause) ?? 'unknown error';
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full: free space on it'
      : 'check that it exists and is writable';
  return new SyncError({
    kind: 'blocked',
    code: 'unknown',
    message: `Cannot write to the transit folder ${transitDir} (${code}): ${hint}; files wait in the watch folder`,
    cause,
  });
}

export async function stageFile(opts: StageOptions): Promise<StageResult> {
  try {
    return await stageOrThrow(opts);
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    if (e instanceof SyncError) {
      return e.kind === 'blocked'
        ? { status: 'blocked', error: e }
        : { status: 'failed', error: e };
    }
    return { status: 'failed', error: unexpected(opts.file.rel, e) };
  }
}

function unexpected(rel: string, cause: unknown): SyncError {
  const reason = errnoCode(cause) ?? (cause instanceof Error ? cause.message : String(cause));
  return new SyncError({
    kind: 'file-failed',
    code: 'unknown',
    message: `Cannot stage ${rel} (${reason}): check the file and its folder; it stays in the watch folder and is tried again later`,
    cause,
  });
}

function badRel(rel: string, cause: unknown): SyncError {
  return new SyncError({
    kind: 'file-failed',
    code: 'malformed-path',
    message:
      cause === 'reserved'
        ? `${rel} is inside the folder name RDL Sync reserves for its own temporary files in transit: rename the top folder; the file stays where it is`
        : `The name ${JSON.stringify(rel)} cannot be used as a path below the watch folder: rename the file; it stays where it is`,
    cause,
  });
}

/**
 * The file's name (or a folder's), in the form it keeps in transit, is longer than the disk allows
 * (255 bytes): a name that is not UTF-8, or holds many '%' or '\\', is escaped three bytes for
 * one (fsutil/name-map.ts). This file's fault alone: it was reported as the transit folder not
 * being writable, which stopped staging for the rest of each pass, every pass.
 */
/**
 * A folder in transit is a symbolic link: the file would be moved wherever it points (and later
 * deleted from there), so it is not moved. Nothing of RDL Sync's makes one: someone did.
 */
function linkInTransit(level: string, cause: unknown): SyncError {
  return new SyncError({
    kind: 'file-failed',
    code: 'conflict',
    message: `The folder ${level} in transit is a symbolic link: RDL Sync never moves a file through a link there (it would land wherever the link points); remove the link (rm ${shellWord(level)}); the file stays where it is`,
    cause,
  });
}

function nameTooLong(rel: string, cause: unknown, watchDir?: string, raw?: FsPath): SyncError {
  // Named as it is in the watch folder, quoted (a trailing space shows): its escaped form, "…%20",
  // named a file no `ls` finds (adversarial-files trial). Bytes that are not text stay escaped.
  const onDisk = typeof raw === 'string' && watchDir !== undefined ? relative(watchDir, raw) : null;
  const named =
    onDisk !== null && onDisk !== rel
      ? `"${printable(onDisk)}" (${rel} once escaped for transit)`
      : Buffer.isBuffer(raw)
        ? `${rel} (its bytes that are not text shown as %XX)`
        : rel;
  return new SyncError({
    kind: 'file-failed',
    code: 'malformed-path',
    message: `The name ${named} is too long for the transit folder once escaped (at most 255 bytes a name): shorten the file's name (or its folder's); it stays where it is`,
    cause,
  });
}

/**
 * Permission errors when moving the file out could be either side's. If the watch folder's part
 * cannot be written, the file is at fault (a read-only subfolder); otherwise transit is.
 */
async function placeDenied(
  src: string,
  srcRawDir: FsPath,
  transitDir: string,
  cause: unknown,
): Promise<SyncError> {
  const srcWritable = await access(srcRawDir, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (!srcWritable) return cannotMoveOut(src, new CopyError('source', cause));
  // Both folders writable and still refused: the file itself (immutable or append-only, which
  // refuse root too; a sticky folder's file of another user). It was reported as the transit
  // folder not writable, naming no file, while every other file went through it.
  const transitWritable = await access(transitDir, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  );
  if (transitWritable) return fileRefusesMove(src, cause);
  return transitWriteError(transitDir, cause);
}

function fileRefusesMove(src: string, cause: unknown): SyncError {
  const code = errnoCode(cause) ?? 'error';
  const file = shellWord(src);
  return new SyncError({
    kind: 'file-failed',
    code: 'file-unreadable',
    message: `Cannot move ${src} out of the watch folder (${code}), though both folders may be written: the file itself refuses, marked immutable or append-only (lsattr ${file}; sudo chattr -i -a ${file} clears that), or it is another user's in a folder with the sticky bit; the file stays there`,
    cause,
  });
}

async function stageOrThrow(opts: StageOptions): Promise<StageResult> {
  const { watchDir, transitDir, file } = opts;
  const ops: PlaceOps = { ...realPlaceOps, ...opts.fsOps };
  // `src` names the file for people; `raw` and `rawDir()` reach it on disk (the rel's names may
  // be in escaped form, and the original bytes are recovered from them).
  let src: string;
  let raw: FsPath;
  let dest: string;
  try {
    src = resolveRel(watchDir, file.rel);
    raw = rawPathOf(watchDir, file.rel);
    dest = resolveRel(transitDir, file.rel);
  } catch (e) {
    throw badRel(file.rel, e);
  }
  // Only a refused move looks at the file's folder: not worked out for every file. (The rel
  // passed the checks above, so its parent does too.)
  const rawDir = (): FsPath => {
    const slash = file.rel.lastIndexOf('/');
    return slash === -1 ? watchDir : rawPathOf(watchDir, file.rel.slice(0, slash));
  };
  if (isReservedTransitRel(file.rel)) throw badRel(file.rel, 'reserved');

  let before: Stats | null;
  try {
    before = await lstatOrNull(raw);
  } catch (e) {
    throw cannotRead(src, e);
  }
  if (!before) return { status: 'vanished' };
  if (!sameAsScanned(before, file)) return { status: 'changed' };
  // A move needs no read permission: a file this user cannot read was moved into transit, where
  // both legs then failed on it and the person found it gone from the watch folder. It stays.
  const unreadable = await cannotBeRead(raw, before);
  if (unreadable) throw cannotRead(src, unreadable);

  // No look at transit first: placing never replaces, and a name already taken answers 'exists'
  // (then it is either this very file, a move cut short, or another one to wait behind).
  const destDir = dirname(dest);
  for (let attempt = 1; ; attempt++) {
    try {
      // Never transit itself: the pass made it, after a look at its disk (transit-place.ts).
      await madeDirs.ensure(destDir, (dir) =>
        makeFoldersInside(transitDir, dir, FOLDER_MODE, false),
      );
    } catch (e) {
      if (e instanceof LinkedLevel) throw linkInTransit(e.level, e);
      // A file in transit holds a name this path needs as a folder: wait until it has gone.
      if (isCode(e, 'EEXIST', 'ENOTDIR')) return { status: 'busy' };
      if (isCode(e, 'ENAMETOOLONG')) throw nameTooLong(file.rel, e, opts.watchDir, raw);
      throw await folderRefused(transitDir, e);
    }
    try {
      // The transit name is durable before the watch-folder name goes; and it must name the
      // file looked at above (swappedIn says why), or the watch-folder name stays. So are the
      // bytes: loggers do not fsync, and a file uploaded from memory and then emptied by a power
      // cut would come back in transit as a changed version and replace the good copies.
      const syncs = opts.folderSyncs;
      const sync = syncs ? () => syncs.sync(destDir) : () => fsyncDir(destDir);
      let bytesSynced = false;
      const durable = async (): Promise<void> => {
        const moved = await refuseSwappedIn(dest, before);
        // The bytes and the name side by side: both are on disk before the watch-folder name
        // goes, in either order. One after the other, a name's sync was asked for only once its
        // bytes' fsync was through, behind the other files' in the thread pool (4 threads, 64
        // files staged at once): the first file of a pass was staged only after about all of
        // them, and its upload waited.
        const [synced] = await Promise.all([syncBytes(dest), sync()]);
        bytesSynced = synced && writesShowInMtime(before, moved);
      };
      let placed;
      try {
        placed = await placeWithoutReplacing(raw, dest, ops, durable, before);
      } catch (e) {
        if (!(e instanceof SwappedIn)) throw e;
        await giveBackSwappedIn(raw, dest);
        return { status: 'changed' };
      }
      if (placed === 'exists') return await finishCutMove(raw, src, dest);
      // A link or a rename keeps the inode: what was looked at before the move is the transit
      // file's identity (a write since then changes its size or mtime, and the removal check
      // compares those with what it is then, so the file waits rather than being lost).
      const { size, mtimeMs, dev, ino } = before;
      const identity = {
        size,
        mtimeMs,
        dev,
        ino,
        ...(bytesSynced ? { bytesSynced: true as const } : {}),
      };
      return { status: 'staged', transitPath: dest, identity };
    } catch (e) {
      // The folder may have been pruned since it was remembered: make it again next attempt.
      madeDirs.forget(destDir);
      if (e instanceof CopyError) throw cannotMoveOut(src, e);
      if (isCode(e, 'EXDEV')) {
        return await withCopySlot(async () => {
          try {
            return await copyAcrossDisks(opts, ops, { src, raw, looked: before }, dest);
          } finally {
            // Keep transit tidy for people looking at it; only an empty folder can go, and only
            // when no other copy is under way: one between making the folder and creating its
            // temporary would find the folder gone (and staging blocked for the pass).
            if (copiesInFlight === 1) await rmdir(transitTempDir(transitDir)).catch(() => {});
          }
        });
      }
      if (isCode(e, 'ENOTDIR')) return { status: 'busy' };
      if (isCode(e, 'EACCES', 'EPERM', 'EROFS'))
        throw await placeDenied(src, rawDir(), transitDir, e);
      if (isCode(e, 'ENAMETOOLONG')) throw nameTooLong(file.rel, e, opts.watchDir, raw);
      if (!isCode(e, 'ENOENT')) throw transitWriteError(transitDir, e);
      if (!(await lstatOrNull(raw))) return { status: 'vanished' };
      if (attempt >= STAGE_PLACE_ATTEMPTS) throw transitWriteError(transitDir, e);
      // The source is there, so the transit parent vanished under us (pruned): make it again.
    }
  }
}

/**
 * fsync the staged file's bytes. A file this user may not read is staged all the same, as before
 * (a link needs no read access): its legs cannot read it either and say so, naming the file.
 */
async function syncBytes(dest: string): Promise<boolean> {
  try {
    await fsyncFile(dest);
    return true;
  } catch (e) {
    if (!isCode(e, 'EACCES', 'EPERM')) throw e;
    return false;
  }
}

/**
 * Whether every write to the file after this moment changes its mtime, so that an unchanged mtime
 * later says the bytes are still the ones synced now (the archive's hard link then needs no fsync
 * of its own: archive-target.ts, linkStillSynced). `moved` is the look after staging's own link or
 * rename, whose ctime that move set. A write (write, truncate, a store through mmap) sets mtime to
 * the file system's clock at the time, cut to its granularity; that clock set `moved.ctimeMs` at
 * the move, before the fsync, and does not run back (a clock stepped back would have to land on the
 * logger's mtime to the nanosecond), so a later write's mtime is at least that ctime. When the
 * logger's mtime is older than that ctime, a later write's cannot equal it. It is not older when the
 * logger wrote in the same clock tick as the move (or a writer set a time to come): then no
 * promise, and the link is synced as before. (FAT keeps the creation time as ctime; it has no hard
 * links, so the archive never links there.) A writer that sets the mtime back by hand after
 * writing defeats this as it defeats the removal check (size and mtime) already.
 */
function writesShowInMtime(looked: Stats, moved: Stats): boolean {
  return (
    moved.size === looked.size && moved.mtimeMs === looked.mtimeMs && looked.mtimeMs < moved.ctimeMs
  );
}

/**
 * The watch folder may be shared: another user who can write it can swap a finished file, between
 * staging's look at it and the move, for a symlink to a file only RDL Sync's user may read (link()
 * takes the symlink itself into transit, and the legs would read through it and upload its
 * target), a FIFO, or a hard link to another file. Whatever now holds the transit name must be
 * the very file looked at (same device and inode, a regular file).
 */
class SwappedIn extends Error {}

async function refuseSwappedIn(dest: string, before: Stats): Promise<Stats> {
  const now = await quickLstat(dest);
  if (!now.isFile() || now.dev !== before.dev || now.ino !== before.ino)
    throw new SwappedIn(`${dest} is not the file looked at`);
  return now;
}

/**
 * After a refused swap: placing took the transit name back when it had linked; when it had
 * renamed (no hard links, or a link refused, as protected_hardlinks refuses linking another
 * user's symlink) the entry is in transit now and goes back to its name, untouched.
 */
async function giveBackSwappedIn(raw: FsPath, dest: string): Promise<void> {
  if (!(await lstatOrNull(dest)) || (await lstatOrNull(raw))) return;
  await rename(dest, raw).catch(() => {});
}

async function copyAcrossDisks(
  opts: StageOptions,
  ops: PlaceOps,
  { src, raw, looked }: { src: string; raw: FsPath; looked: Stats },
  dest: string,
): Promise<StageResult> {
  const { file, transitDir, signal } = opts;
  // In the reserved folder (same disk as dest, so placing it is a link or a rename).
  const tmpDir = transitTempDir(transitDir);
  try {
    await makeFoldersInside(transitDir, tmpDir, FOLDER_MODE, false);
  } catch (e) {
    if (e instanceof LinkedLevel) throw linkInTransit(e.level, e);
    throw await folderRefused(transitDir, e);
  }
  // Not started when it cannot fit: a full disk would otherwise cost every waiting file a copy
  // cut short, every pass.
  const before = await room(transitDir, file.size);
  if (before.verdict === 'no-files') throw noFilesLeft(transitDir);
  if (before.verdict === 'too-small') return noRoom(file, transitDir, before.freeBytes);
  const tmp = join(tmpDir, `stage-${randomBytes(8).toString('hex')}`);
  let copied;
  try {
    // Only the file looked at: not a symlink, FIFO or other file swapped in since (swappedIn).
    copied = await copyFileHashed(raw, tmp, signal, undefined, { expected: looked });
  } catch (e) {
    if (!(e instanceof CopyError)) throw e;
    if (e.side === 'destination' && isCode(e.cause, 'ENOSPC', 'EDQUOT')) {
      // ENOSPC also means no file can be made at all (the inodes are used up): every file
      // would meet it, whatever its size, so that stops staging like any unwritable transit.
      const after = await room(transitDir, file.size);
      if (after.verdict === 'no-files') throw noFilesLeft(transitDir, e.cause);
      // The room went to other files meanwhile (copies run side by side): this one waits.
      return noRoom(file, transitDir, after.freeBytes);
    }
    if (e.side === 'destination') throw transitWriteError(transitDir, e.cause);
    if (e.code === 'ENOENT') return { status: 'vanished' };
    // Swapped since the look (ELOOP: a symlink, refused by O_NOFOLLOW): the next scan decides.
    if (e.code === SOURCE_SWAPPED || e.code === 'ELOOP') return { status: 'changed' };
    throw cannotRead(src, e.cause);
  }
  try {
    const after = await lstatOrNull(raw);
    if (!after) return await discard(tmp, { status: 'vanished' });
    if (!sameAsScanned(after, file) || copied.bytes !== file.size) {
      return await discard(tmp, { status: 'changed' });
    }
    const reread = await hashFileDropbox(tmp, signal);
    if (reread !== copied.contentHash) {
      throw new SyncError({
        kind: 'retry',
        code: 'hash-mismatch',
        message: `The copy of ${file.rel} in the transit folder ${transitDir} did not read back identical; the disk may be failing. The original stays in the watch folder`,
      });
    }
    const placed = await placeWithoutReplacing(tmp, dest, ops);
    if (placed === 'exists') return await discard(tmp, { status: 'busy' });
  } catch (e) {
    await unlink(tmp).catch(() => {});
    if (e instanceof SyncError || signal?.aborted) throw e;
    if (isCode(e, 'ENAMETOOLONG')) throw nameTooLong(file.rel, e, opts.watchDir, raw);
    throw transitWriteError(transitDir, e);
  }
  // The copy is complete and durable under its final name before the original goes.
  await fsyncDir(dirname(dest));
  // Opened for writing since the scan (it saw no writer): what it writes after the removal would
  // go into the removed file, unread. The file waits; the scan sees the writer and waits too.
  const writers = await opts.writers?.fresh();
  if (writers?.has(looked.dev, looked.ino)) {
    await unlink(dest).catch(() => {});
    return { status: 'changed' };
  }
  // The original goes only as it was copied. The last look was before the copy's re-hash, its
  // placing and the folder's sync (a second and more for a large file), and a line a logger
  // appended meanwhile, or a new version renamed over the name, was deleted unread with it.
  let original: ReturnType<typeof originalNow>;
  try {
    original = originalNow(raw, looked);
  } catch (e) {
    // The name cannot be looked at now (a folder's permissions changed, the disk or share
    // failing): keep only the original.
    await unlink(dest).catch(() => {});
    throw cannotLookAgain(src, e);
  }
  switch (original) {
    case 'gone':
      break;
    case 'grown':
      // The same file with more in it: the copy is a part of it. It goes again whole, later.
      await unlink(dest).catch(() => {});
      return { status: 'changed' };
    case 'replaced':
      // A new file under the name: the copy is the version that was there, complete. It goes
      // on; the new one stays where its writer put it, for a later pass.
      break;
    case 'as-copied':
      try {
        // Right after the look, with nothing between (both inline, see originalNow).
        await quickUnlink(raw);
      } catch (e) {
        if (!isCode(e, 'ENOENT')) {
          // The original cannot leave the watch folder: keep only it, or the file would go twice.
          await unlink(dest).catch(() => {});
          throw cannotMoveOut(src, new CopyError('source', e));
        }
      }
  }
  return { status: 'staged', transitPath: dest, contentHash: copied.contentHash };
}

/**
 * What the watch folder's name holds now, against the file copied from it: an inline look, so
 * that the removal right after it follows with nothing of this process between. Through an open
 * and fstat, not lstat: on a network share (the usual case across disks) lstat may answer from
 * the client's attribute cache, seconds old, while an open makes NFS and CIFS ask the server.
 */
function originalNow(raw: FsPath, looked: Stats): 'as-copied' | 'grown' | 'replaced' | 'gone' {
  let now: Stats;
  try {
    // Non-blocking: a FIFO swapped in must not hang the open; no-follow: a symlink is not it.
    const fd = openSync(
      raw,
      fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK,
    );
    try {
      now = fstatSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return 'gone';
    // A symlink (ELOOP) or a device or socket (ENXIO) now holds the name: not the file copied.
    if (isCode(e, 'ELOOP', 'ENXIO')) return 'replaced';
    // Read permission taken away since the copy: the name's look is all there is.
    if (!isCode(e, 'EACCES', 'EPERM')) throw e;
    now = lstatSync(raw);
  }
  if (!now.isFile()) return 'replaced';
  if (now.dev !== looked.dev || now.ino !== looked.ino) return 'replaced';
  return now.size === looked.size && now.mtimeMs === looked.mtimeMs ? 'as-copied' : 'grown';
}

/**
 * Whether the file fits on the transit disk now (statfs): its blocks in the free space, and a file
 * to hold them ('no-files': the disk's inodes are used up, however much space is free).
 */
async function room(
  transitDir: string,
  size: number,
): Promise<{ verdict: 'fits' | 'too-small' | 'no-files'; freeBytes: number | null }> {
  const space = await freeSpace(transitDir).catch(() => null);
  if (!space) return { verdict: 'fits', freeBytes: null }; // not known: the copy will tell
  const { freeBytes } = space;
  if (space.freeFiles === 0) return { verdict: 'no-files', freeBytes };
  const block = space.blockSize > 0 ? space.blockSize : 4096;
  const fits = Math.ceil(size / block) * block <= freeBytes;
  return { verdict: fits ? 'fits' : 'too-small', freeBytes };
}

/** A folder in transit could not be made: ENOSPC there is mostly the inodes, not the space. */
async function folderRefused(transitDir: string, cause: unknown): Promise<SyncError> {
  if (isCode(cause, 'ENOSPC') && (await room(transitDir, 0)).verdict === 'no-files')
    return noFilesLeft(transitDir, cause);
  return transitWriteError(transitDir, cause);
}

function noFilesLeft(transitDir: string, cause?: unknown): SyncError {
  return new SyncError({
    kind: 'blocked',
    code: 'unknown',
    message: `Cannot write to the transit folder ${transitDir} (ENOSPC): its disk can hold no more files (no free inodes, however much space is free): remove files from that disk or move the transit folder; files wait in the watch folder`,
    cause,
  });
}

/** `freeBytes`: as room() just measured it (not asked of the disk again). */
function noRoom(file: ScannedFile, transitDir: string, freeBytes: number | null): StageResult {
  const free = freeBytes === null ? 'free space unknown' : `${formatBytes(freeBytes)} free`;
  return {
    status: 'no-room',
    freeBytes,
    error: new SyncError({
      kind: 'blocked',
      code: 'transit-unwritable',
      message: `${file.rel} (${formatBytes(file.size)}) does not fit on the disk of the transit folder ${transitDir} (${free}): it waits in the watch folder; free space on that disk or move the transit folder to a larger one. Smaller files go on`,
    }),
  };
}

function cannotMoveOut(src: string, e: CopyError): SyncError {
  const folder = shellWord(dirname(src));
  // EPERM where permission bits would say EACCES: an immutable folder, which refuses root too.
  const immutable =
    e.code === 'EPERM'
      ? `, and check that it is not marked immutable (lsattr -d ${folder}; sudo chattr -i ${folder} clears that)`
      : '';
  return new SyncError({
    kind: 'file-failed',
    code: 'file-unreadable',
    message: `Cannot move ${src} out of the watch folder (${e.code ?? 'error'}): give the user RDL Sync runs as (${runningUser()}) write access to the folder ${dirname(src)}${immutable}; the file stays there`,
    cause: e.cause,
  });
}

/** The original could not be looked at again before its removal: it stays, and why is said. */
function cannotLookAgain(src: string, cause: unknown): SyncError {
  const code = errnoCode(cause) ?? 'error';
  const fix =
    code === 'EACCES' || code === 'EPERM'
      ? `give the user RDL Sync runs as (${runningUser()}) read and search (x) permission on its folders`
      : 'check the disk or share it is on';
  return new SyncError({
    kind: 'file-failed',
    code: 'file-unreadable',
    message: `Cannot check ${src} again before moving it out of the watch folder (${code}): ${fix}; the file stays there`,
    cause,
  });
}

/**
 * Why this user cannot read the file, or null when it can. Told by the mode bits at no cost (the
 * look made before); only a file they refuse is asked of the kernel (an ACL may still allow it).
 */
async function cannotBeRead(raw: FsPath, st: Stats): Promise<unknown> {
  const uid = process.geteuid?.();
  if (uid === undefined || uid === 0) return null;
  const inGroup = (): boolean =>
    st.gid === process.getegid?.() || (process.getgroups?.() ?? []).includes(st.gid);
  const bit = st.uid === uid ? 0o400 : inGroup() ? 0o040 : 0o004;
  if ((st.mode & bit) !== 0) return null;
  return access(raw, constants.R_OK).then(
    () => null,
    (e: unknown) => e,
  );
}

function cannotRead(src: string, cause: unknown): SyncError {
  return new SyncError({
    kind: 'file-failed',
    code: 'file-unreadable',
    message: `Cannot read ${src} (${errnoCode(cause) ?? 'error'}): give the user RDL Sync runs as (${runningUser()}) read permission on it and its folders; it stays in the watch folder`,
    cause,
  });
}

async function discard<T>(tmp: string, result: T): Promise<T> {
  await unlink(tmp);
  return result;
}

/**
 * Transit already holds the rel. If it is this very file, finish the move, or the watch name would
 * be staged and synced again once transit is done (read and sent again, a second history record).
 * It is this very file when both names are one inode (a move cut short by a kill between link and
 * unlink), or, across disks, when transit holds a complete copy of it (a kill after the verified
 * copy took its transit name and before the watch name was removed): same size, the mtime the
 * copy was given, the same bytes. Otherwise wait behind it.
 */
async function finishCutMove(
  raw: string | Buffer,
  src: string,
  dest: string,
): Promise<StageResult> {
  const same = await sameFile(raw, dest);
  if (!same) return { status: 'busy' };
  const { looked, ...known } = same;
  try {
    // Only as it was compared (a copy's comparison hashes both: seconds for a large file), the
    // look and the removal inline, back to back, as in copyAcrossDisks.
    if (originalNow(raw, looked) !== 'as-copied') return { status: 'busy' };
    await quickUnlink(raw);
  } catch {
    return { status: 'busy' };
  }
  await fsyncDir(dirname(src)).catch(() => {});
  return { status: 'staged', transitPath: dest, ...known };
}

/**
 * Whether the transit name holds this very file: one inode under both names, or its copy across
 * disks (then with the content hash both hold). Hashes only a candidate copy: same size and mtime.
 */
async function sameFile(
  a: string | Buffer,
  b: string,
): Promise<{ contentHash?: string; looked: Stats } | null> {
  try {
    const [x, y] = await Promise.all([lstat(a), lstat(b)]);
    if (x.dev === y.dev) return x.ino === y.ino ? { looked: x } : null;
    // copyFileHashed gives the copy the source's mtime (through a float of seconds: within 1 ms).
    if (!x.isFile() || !y.isFile() || x.size !== y.size || Math.abs(x.mtimeMs - y.mtimeMs) >= 1)
      return null;
    const [hx, hy] = await Promise.all([hashFileDropbox(a), hashFileDropbox(b)]);
    return hx === hy ? { contentHash: hy, looked: x } : null;
  } catch {
    return null;
  }
}
