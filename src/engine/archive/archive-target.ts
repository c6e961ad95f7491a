// The SD-card leg. Writes only below a root that exists (and, by default, is a mounted card).
// On the same file system as the transit copy the archive copy is a hard link (no second copy of
// the bytes); elsewhere it is written under a temporary name in the reserved folder, fsynced, read
// back and verified, then given its final name and the folder fsynced. Either way a file under its
// final name is always complete and verified.
import {
  access,
  constants,
  lstat,
  mkdir,
  open,
  readdir,
  rmdir,
  unlink,
  utimes,
} from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Stats } from 'node:fs';
import { SyncError, isSyncError } from '../errors.js';
import { silentLogger, type Logger } from '../ports.js';
import type { CardState } from '../status/types.js';
import {
  copyFileHashed,
  CopyError,
  hashFileDropbox,
  hashFilePrefix,
} from '../fsutil/copy-hashed.js';
import { fsyncDir, fsyncFile, errnoCode, isCode } from '../fsutil/fsync.js';
import { freeSpace, knownFreeSpace, usableSpace, type FreeSpace } from '../fsutil/free-space.js';
import { FOLDER_MODE } from '../fsutil/folder-mode.js';
import { pruneEmptyDirs } from '../fsutil/prune.js';
import { NO_HARD_LINKS, placeWithoutReplacing, type PlaceOps } from '../fsutil/place.js';
import { relSegments, resolveRel } from '../fsutil/rel-path.js';
import { inlineCalls, pooledCalls, type FileCalls } from '../fsutil/quick-fs.js';
import {
  archiveFull,
  archiveMissing,
  archiveReadOnly,
  type FullShortOf,
  type RetentionNote,
  type RootOwner,
} from './problems.js';
import { placeNamed, thePlace, type ArchivePlace } from './archive-place.js';
import { checkArchiveRoot, type RootMissing } from './root-check.js';
import { cardNameTrouble, refusedNameMessage } from './card-names.js';
import { folderRefused, refusesNewEntries } from './folder-refusal.js';
import { fileSizeLimitOf } from './file-size-limit.js';
import { formatBytes } from '../format-bytes.js';
import { keepBothName } from '../legs/keep-both.js';
import { CopiesInFlight, DEFAULT_RESERVE_BYTES } from './room.js';
import {
  ARCHIVE_WORK_DIR,
  cleanWorkDir,
  ensureWorkDir,
  isReservedRel,
  workTempPath,
} from './work-dir.js';

export { DEFAULT_RESERVE_BYTES };

/** More numbered copies than this means something is wrong, not that the logger is busy. */
const MAX_KEEP_BOTH = 1000;

/** FAT keeps file times to 2 s: a copy's mtime within this of the source's is the same time. */
const FAT_TIME_STEP_MS = 2000;

/**
 * How long a write that failed with ENOENT, the root still there, looks for the root to go (a
 * recursive removal in progress: see archiveWentAway), and how often. Bounded, as the copy's place
 * at the card's gate is held meanwhile. A removal slower than that to reach the root leaves the
 * failure charged to the file, as it was before this look.
 */
const ROOT_SETTLE_MS = 2000;
const ROOT_SETTLE_STEP_MS = 50;

export interface ArchiveTargetOptions {
  root: string;
  mustBeMountPoint: boolean;
  logger?: Logger;
  /** Fixed room that must stay free beyond each copy's own blocks (default 1 MiB, see room.ts). */
  reserveBytes?: number;
  /** Archive retention now, for the advice when the archive is full (default: off). */
  retention?: () => RetentionNote;
  /**
   * The calls that name things on the card. Only tests replace them: to act like the kernel's
   * vfat/exfat drivers (EINVAL for a refused name), which the test machines cannot load, or to
   * fail one call at a chosen moment. Real FAT and exFAT cards are tested through FUSE drivers
   * (test/archive/real-card*.test.ts).
   */
  fsOps?: Partial<ArchiveFsOps>;
}

export interface ArchiveFsOps extends PlaceOps {
  mkdir: (path: string) => Promise<unknown>;
}

/** The card's state (status/types.ts CardState) and what blocks the leg, if anything. */
export interface ArchiveCheck extends CardState {
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
  /**
   * The copy RDL Sync itself wrote for an earlier version of this staged file: replaced in place
   * when it still holds `contentHash` (or one of `earlierContentHashes`: a replace of ours that
   * may not have taken its name); otherwise it is not ours any more and keep-both applies.
   */
  replace?: { path: string; contentHash: string; earlierContentHashes?: string[] };
  /**
   * The source's identity as the caller saw it (the transit walk): a hard link must name this
   * very inode, or the file was replaced under us and is done again.
   */
  dev?: number;
  ino?: number;
  /**
   * Staging fsynced the bytes of the inode `dev`/`ino` while it had this size and mtime, and any
   * write since changes its mtime (stage/stage-file.ts, writesShowInMtime). A hard link that finds
   * them unchanged needs no fsync of those bytes again (linkStillSynced).
   */
  syncedAs?: { size: number; mtimeMs: number };
  /**
   * Leave the fsync of the file's folder to the caller, who syncs each folder of a group of files
   * once (`syncFolders`) before treating any of them as stored. The result's `folder` says which.
   */
  deferFolderSync?: boolean;
  /**
   * Told before a copy (not a link: that shares the transit file's inode) takes its final name,
   * and awaited: the caller saves it, so a kill right after the rename still leaves the copy
   * known as ours (a later version replaces it instead of landing beside it as `name (1)`).
   * An error it answers stops the copy (thrown; the temporary removed).
   */
  beforePlace?: (path: string, contentHash: string) => Promise<SyncError | undefined>;
}

export interface ArchiveStoreResult {
  /** Absolute final path (differs from root/rel when keep-both numbered it). */
  path: string;
  contentHash: string;
  /** An identical file was already there: nothing was written. */
  alreadyPresent: boolean;
  /** A hard link to the source (same file system): no second copy of the bytes was made. */
  linked?: boolean;
  /** With `deferFolderSync`: the folder to sync before this copy counts as stored. */
  folder?: string;
  /**
   * With `deferFolderSync`, a hard link: its bytes (the transit file's) to sync too, together with
   * the group's, so that they share the card's journal commits.
   */
  file?: string;
}

/**
 * path.join(dir, name) for a normalized folder and a plain name (no separator, not '.' or '..'):
 * nothing to normalize, so a concatenation, once per file.
 */
function inFolder(dir: string, name: string): string {
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}

/** A folder below the root as it was when made or found this pass (see `folderFor`). */
interface KnownFolder {
  dev: number;
  ino: number;
}

type WriteMode = 'new' | 'replace';

/**
 * Whether a hard link's bytes are already on disk: staging fsynced this very inode (same device
 * and number) in this process, and its size and mtime, looked at after the link's bytes were read
 * back, are still what they were then. Any write after that fsync would have changed the mtime
 * (stage-file.ts, writesShowInMtime, argues why), so the bytes read, hashed and reported are the
 * synced ones; the link itself is only a new name for them, which the sync of its folder makes
 * durable (on ext4 that sync commits the journal transaction holding the link's entry and the
 * inode's link count alike). A copy is another inode: it is never asked about here and is synced
 * in full. A file staged by an earlier pass or process comes without `syncedAs` and is synced.
 */
export function linkStillSynced(
  opts: Pick<ArchiveStoreOptions, 'syncedAs' | 'dev' | 'ino'>,
  landed: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>,
): boolean {
  const { syncedAs } = opts;
  return (
    syncedAs !== undefined &&
    opts.dev === landed.dev &&
    opts.ino === landed.ino &&
    syncedAs.size === landed.size &&
    syncedAs.mtimeMs === landed.mtimeMs
  );
}

export class ArchiveTarget {
  readonly root: string;
  /** Where, and whether it is a card: how its sentences name it (archive-place.ts). */
  private readonly place: ArchivePlace;
  private readonly logger: Logger;
  private readonly reserveBytes: number;
  private readonly ops: ArchiveFsOps;
  private readonly retention: () => RetentionNote;
  /**
   * Folders made or found since the last check(): a burst of files lands in a few folders, and a
   * root check plus a mkdir and lstat per level per file cost more than the link itself. A known
   * folder is trusted only while it is still the same directory (device and inode): a card pulled
   * or swapped mid-pass shows a missing folder or another one, and the full checks run again.
   */
  private readonly knownFolders = new Map<string, KnownFolder>();
  /** Folders being checked and made now, by path (see `folderFor`). */
  private readonly makingFolders = new Map<string, Promise<string>>();
  /**
   * The card's device, as its root showed it when last found mounted. A card unmounted after that
   * check (lazily, mid-copy: an automounter, a pulled reader) leaves paths below the root on the
   * disk under the mount point: a copy written there is not on the card (see refuseOffCard).
   */
  private cardDev: number | null = null;
  /**
   * The root's directory (device and inode) as the last root check found it. A write that fails
   * where the root stands again as another directory (the folder removed and made anew, another
   * card in the mount point) failed because the archive went away, not for its file.
   */
  private rootSeen: { dev: number; ino: number } | null = null;
  /** Whether the last write here was a hard link (then a taken name costs only a failed link). */
  private linksWork = false;
  /**
   * The calls made on the archive: on the thread pool, where a card that hangs holds a thread and
   * its deadline runs (card-answers.ts); made inline, a hung one held the whole process, the
   * upload and every timer included, until the card came back. Inline (about 12 µs less CPU per
   * call) only once a hard link here has worked: the archive is then on transit's own file system,
   * and nothing goes on without that one.
   */
  private get calls(): FileCalls {
    return this.linksWork ? inlineCalls : pooledCalls;
  }
  /** The room copies to this card hold until their bytes are on it (room.ts). */
  private readonly inFlight: CopiesInFlight;
  /** Stores in flight: while there are any, the reserved folder holds their temporaries. */
  private storing = 0;
  /** The largest file the card holds (FAT: 4 GiB - 1), asked again after each check(). */
  private fileSizeLimit: Promise<number | null> | null = null;
  /** The card's whole size, asked again after each check() (a file larger can never go). */
  private capacity: Promise<number | null> | null = null;

  constructor(opts: ArchiveTargetOptions) {
    this.root = opts.root;
    this.place = { root: opts.root, card: opts.mustBeMountPoint };
    this.logger = opts.logger ?? silentLogger;
    this.reserveBytes = opts.reserveBytes ?? DEFAULT_RESERVE_BYTES;
    this.inFlight = new CopiesInFlight(this.reserveBytes);
    this.ops = {
      link: (from, to) => this.calls.link(from, to),
      rename: (from, to) => this.calls.rename(from, to),
      unlink: (path) => this.calls.unlink(path),
      lstat: (path) => this.calls.lstat(path),
      mkdir: (p) => mkdir(p, FOLDER_MODE),
      ...opts.fsOps,
    };
    this.retention = opts.retention ?? (() => ({ on: false }));
  }

  private full(freeBytes: number, shortOf: FullShortOf, cause?: unknown): SyncError {
    // A file's need includes the margin kept free: the sentence says how much of it is which.
    const parts =
      shortOf !== 'unknown' && 'file' in shortOf
        ? { ...shortOf, margin: this.reserveBytes }
        : shortOf;
    return archiveFull(this.place, freeBytes, parts, cause, this.retention());
  }

  async check(): Promise<ArchiveCheck> {
    this.knownFolders.clear();
    // Perhaps another card now, on a file system of its own: its calls on the pool until a hard
    // link shows the archive shares transit's again (a card mounted over a folder that took
    // links was worked inline, review).
    this.linksWork = false;
    this.fileSizeLimit = null;
    this.capacity = null;
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
    // statfs always asks the card's driver (a stat of the root may come from the kernel's cache
    // for a second after a FUSE card's driver died): a card that does not answer is missing.
    const asked = await freeSpace(this.root).catch((e: unknown) => e);
    if (isCode(asked, 'ENOTCONN', 'EIO')) {
      return {
        present: false,
        writable: false,
        freeBytes: null,
        totalBytes: null,
        problem: archiveMissing(this.place, 'not-answering', asked),
      };
    }
    const space = asked instanceof Error ? null : usableSpace(asked as FreeSpace);
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
        problem: archiveReadOnly(this.place, errnoCode(e) ?? 'EACCES', e, await this.rootOwner()),
      };
    }
    if (space && space.freeBytes <= this.reserveBytes) {
      return {
        ...base,
        writable: true,
        problem: this.full(space.freeBytes, { margin: this.reserveBytes }),
      };
    }
    return { ...base, writable: true, problem: null };
  }

  async store(opts: ArchiveStoreOptions): Promise<ArchiveStoreResult> {
    this.storing++;
    try {
      return await this.storeCounted(opts);
    } finally {
      this.storing--;
    }
  }

  private async storeCounted(opts: ArchiveStoreOptions): Promise<ArchiveStoreResult> {
    if (isReservedRel(opts.rel)) {
      throw new SyncError({
        kind: 'file-failed',
        code: 'disallowed-name',
        message: `${opts.rel} cannot go to ${thePlace(this.place.card)}: ${ARCHIVE_WORK_DIR} at its top is RDL Sync's own folder for unfinished copies; rename that folder in the watch folder`,
      });
    }
    await this.refuseIfTooLarge(opts);
    const segments = relSegments(opts.rel);
    const name = segments.pop() as string;
    const folder = await this.folderFor(segments);
    try {
      return await this.refuseOffCard(await this.storeIn(opts, folder.dir, name));
    } catch (e) {
      // A known folder that vanished between its check and the write (a card swapped mid-pass):
      // forget it, check the root and make the folder again, once.
      if (!folder.known || !isSyncError(e) || e.code === 'file-vanished') throw e;
      if (!isCode(e.cause, 'ENOENT')) throw e;
      this.knownFolders.delete(folder.dir);
      // Perhaps another card, perhaps another file system.
      this.fileSizeLimit = null;
      this.capacity = null;
      const again = await this.folderFor(segments);
      return await this.refuseOffCard(await this.storeIn(opts, again.dir, name));
    }
  }

  /** A file larger than the card's file system can hold fails at once, before a byte is written. */
  private async refuseIfTooLarge(opts: ArchiveStoreOptions): Promise<void> {
    // Larger than the whole card: "full: free space or swap the card" sent a person to free
    // space on a card a fifth used, where no freeing could ever make room. It fails alone.
    const capacity = await (this.capacity ??= knownFreeSpace(this.root).then(
      (s) => s?.totalBytes ?? null,
    ));
    if (capacity !== null && opts.size > capacity)
      throw new SyncError({
        kind: 'file-failed',
        code: 'file-too-large',
        message: `${opts.rel} (${formatBytes(opts.size)}) is larger than the whole of ${placeNamed(this.place)} (${formatBytes(capacity)}): ${this.place.card ? 'it needs a larger card' : 'the archive needs a larger disk'}; the other files go on. The file waits in transit; nothing is lost`,
      });
    const limit = await (this.fileSizeLimit ??= fileSizeLimitOf(this.root));
    if (limit === null || opts.size <= limit) return;
    throw new SyncError({
      kind: 'file-failed',
      code: 'file-too-large',
      message: `${opts.rel} (${formatBytes(opts.size)}) is larger than a file on the FAT file system of ${placeNamed(this.place)} can be (4 GiB): ${this.place.card ? 'reformat the card as exFAT, or use a card formatted as ext4' : 'move the archive to a disk formatted as exFAT or ext4'}. The file waits in transit; nothing is lost`,
    });
  }

  /**
   * fsync what `deferFolderSync` stores left to the caller: the linked files' bytes, all at once,
   * then each folder once.
   */
  async syncFolders(dirs: Iterable<string>, files: Iterable<string> = []): Promise<void> {
    await Promise.all(
      [...new Set(files)].map(async (file) => {
        try {
          await fsyncFile(file, this.calls);
        } catch (e) {
          throw await this.destinationError(e, file);
        }
      }),
    );
    for (const dir of new Set(dirs)) {
      try {
        await fsyncDir(dir, this.calls);
      } catch (e) {
        throw await this.destinationError(e, dir);
      }
    }
  }

  /**
   * The folder for a file's segments: a known one after one stat (still the same directory), else
   * after the root checks (present, a mount point) and a mkdir of each level.
   */
  private async folderFor(segments: string[]): Promise<{ dir: string; known: boolean }> {
    // path.join(root, ...segments), the root normalized once (rel-path.ts), not per file.
    const dir = segments.length === 0 ? join(this.root) : resolveRel(this.root, segments.join('/'));
    const known = this.knownFolders.get(dir);
    if (known) {
      const s = await this.calls.stat(dir).catch(() => null);
      if (s?.isDirectory() && s.dev === known.dev && s.ino === known.ino)
        return { dir, known: true };
      this.knownFolders.delete(dir);
    }
    // The files of a group start together: they share one round of checks and mkdirs per folder
    // (each made its own, 16 at once, at the start of every pass).
    let making = this.makingFolders.get(dir);
    if (!making) {
      making = this.makeFolder(segments).finally(() => this.makingFolders.delete(dir));
      this.makingFolders.set(dir, making);
    }
    return { dir: await making, known: false };
  }

  /** The root checks (present, a mount point), a mkdir of each level; the folder is then known. */
  private async makeFolder(segments: string[]): Promise<string> {
    const missing = await this.rootProblem();
    if (missing) throw missing;
    const made = await this.makeFoldersBelowRoot(segments);
    const s = await this.lstatOrNull(made);
    // Made below the mount point of a card gone since the root check: not a folder of the card.
    if (s?.isDirectory() && (!this.place.card || s.dev === this.cardDev))
      this.knownFolders.set(made, { dev: s.dev, ino: s.ino });
    return made;
  }

  private async storeIn(
    opts: ArchiveStoreOptions,
    destDir: string,
    name: string,
  ): Promise<ArchiveStoreResult> {
    const folder = opts.deferFolderSync ? { folder: destDir } : {};
    let sourceHash = opts.knownContentHash;
    const hashSource = async (): Promise<string> =>
      (sourceHash ??= await this.readSource(opts.srcPath, () =>
        hashFileDropbox(opts.srcPath, opts.signal, opts.size),
      ));

    if (opts.replace) {
      const replaced = await this.replaceOwnCopy(opts, opts.replace, destDir, hashSource);
      if (replaced) {
        const file = opts.deferFolderSync && replaced.linked ? { file: replaced.path } : {};
        return { ...replaced, ...folder, ...file };
      }
    }

    let n = 0;
    let races = 0;
    while (n <= MAX_KEEP_BOTH) {
      const candidate = inFolder(destDir, keepBothName(name, n));
      // The first name is tried straight away (a link fails if it is taken); numbered names are
      // looked at first, as there the name is usually taken.
      const tryFirst = n === 0 && races === 0 && this.linksWork;
      const existing = tryFirst ? null : await this.lstatOrNull(candidate);
      /** The size of a cut-short copy of this file found at the name, to be replaced. */
      let cutShortSize: number | null = null;
      if (existing) {
        if (
          (await this.holdsSameContent(candidate, existing, opts.size, hashSource)) &&
          (await this.isNamedExactly(destDir, keepBothName(name, n)))
        ) {
          // A hard link of this very transit file (made by a run killed before its outcome was
          // saved) holds the transit file's bytes as they are now: written since, they may be in
          // memory only, so they are synced as a new link's are before the copy counts.
          const shared = await this.isSourceInode(opts.srcPath, existing);
          if (shared && !opts.deferFolderSync) await this.syncFolders([], [candidate]);
          return {
            path: candidate,
            contentHash: await hashSource(),
            alreadyPresent: true,
            ...folder,
            ...(shared && opts.deferFolderSync ? { file: candidate } : {}),
          };
        }
        // The beginning of this very file (a copy cut short while it was still being written:
        // the old syncer's, on a hub switching over): the whole file replaces it, never goes
        // beside it as `name (1)`, which the merge tool would read as those lines twice.
        if (
          n === 0 &&
          (await this.isBeginningOf(candidate, existing, opts)) &&
          (await this.isNamedExactly(destDir, name))
        ) {
          cutShortSize = existing.size;
        } else {
          n++;
          continue;
        }
      }
      const mode = cutShortSize === null ? 'new' : 'replace';
      const placed = await this.write(opts, destDir, candidate, sourceHash, mode);
      if (placed === 'taken') {
        // The name is taken (or another store took it while we copied): look at what is there
        // now. A few times at most; after that, move on to the next number.
        if (++races > 3) n++;
        continue;
      }
      if (cutShortSize !== null) {
        this.logger.warn(
          'archive: the copy there was the beginning of this file (cut short): replaced by the whole file',
          { rel: opts.rel, path: candidate, wasSize: cutShortSize, size: opts.size },
        );
      } else if (n > 0) {
        this.logger.info('archive: a different file already had this name; kept both', {
          rel: opts.rel,
          path: candidate,
        });
      }
      return {
        path: candidate,
        contentHash: placed.contentHash,
        alreadyPresent: false,
        linked: placed.linked,
        ...folder,
        ...(opts.deferFolderSync && placed.bytesToSync ? { file: candidate } : {}),
      };
    }
    throw new SyncError({
      kind: 'file-failed',
      code: 'conflict',
      message: `${opts.rel} already has ${MAX_KEEP_BOTH} different copies in ${placeNamed(this.place)}: tidy that folder`,
    });
  }

  /**
   * Delete temporaries left by copies that were interrupted (crash, card pulled). They live only in
   * the reserved folder, so a user's file is never taken for one, whatever its name.
   */
  async cleanupTemps(): Promise<number> {
    // A store in flight may have its temporary there: not a leftover.
    if (this.storing > 0 || (await this.rootProblem())) return 0;
    try {
      return await cleanWorkDir(this.root);
    } catch (e) {
      this.logger.warn('archive: could not remove leftover temporary files', {
        path: join(this.root, ARCHIVE_WORK_DIR),
        code: errnoCode(e),
      });
      return 0;
    }
  }

  /**
   * Replace RDL Sync's own copy of an earlier version of this file, in place. Returns null when
   * the normal policy applies instead: the copy is gone, or it no longer holds what we wrote
   * (someone changed it: it is theirs now, and keep-both protects it).
   */
  private async replaceOwnCopy(
    opts: ArchiveStoreOptions,
    replace: { path: string; contentHash: string; earlierContentHashes?: string[] },
    destDir: string,
    hashSource: () => Promise<string>,
  ): Promise<ArchiveStoreResult | null> {
    const target = resolve(replace.path);
    // Only a name in this file's own folder can be its earlier copy; anything else is ignored.
    if (dirname(target) !== resolve(destDir) || basename(target) === ARCHIVE_WORK_DIR) {
      this.logger.warn('archive: ignored a replace request outside the file’s folder', {
        rel: opts.rel,
        path: replace.path,
      });
      return null;
    }
    const existing = await this.lstatOrNull(target);
    if (!existing?.isFile()) return null;
    if (await this.isSourceInode(opts.srcPath, existing)) {
      // Our copy is a hard link to this very transit file, so it already holds these bytes.
      // (Linking again and renaming over it would do nothing: rename() between two names of
      // one inode leaves both, and the temporary would stay behind.) They changed since it was
      // linked, so they may not be on the card yet: synced like a new link.
      const contentHash = await hashSource();
      if (opts.deferFolderSync)
        return { path: target, contentHash, alreadyPresent: true, file: target };
      await this.syncFolders([], [target]);
      return { path: target, contentHash, alreadyPresent: true };
    }
    let there: string;
    try {
      there = await this.hashOnArchive(target, opts.signal, existing.size);
    } catch (e) {
      throw await this.destinationError(e, target);
    }
    if (there !== replace.contentHash && !replace.earlierContentHashes?.includes(there)) {
      // Already the new version (a crash after the replace, or a hard link that followed the
      // transit file): done. Anything else is no longer ours.
      if (there === (await hashSource())) {
        return { path: target, contentHash: there, alreadyPresent: true };
      }
      this.logger.info('archive: our earlier copy was changed by someone else; keeping both', {
        rel: opts.rel,
        path: target,
      });
      return null;
    }
    const placed = await this.write(opts, destDir, target, opts.knownContentHash, 'replace');
    if (placed === 'taken') return null; // only 'new' writes can find the name taken
    this.logger.info('archive: replaced our copy of an earlier version', {
      rel: opts.rel,
      path: target,
    });
    return {
      path: target,
      contentHash: placed.contentHash,
      alreadyPresent: false,
      linked: placed.linked,
    };
  }

  /** Why nothing may be written to the root now, or null. Never creates anything. */
  private async rootProblem(): Promise<SyncError | null> {
    const missing = await this.rootMissing();
    return missing && archiveMissing(this.place, missing.reason, missing.cause);
  }

  private async rootMissing(): Promise<RootMissing | null> {
    const checked = await checkArchiveRoot(this.root, this.place.card);
    if (checked.missing) return checked.missing;
    if (this.place.card) this.cardDev = checked.stats.dev;
    this.rootSeen = { dev: checked.stats.dev, ino: checked.stats.ino };
    return null;
  }

  /**
   * Whether a write that failed (`code`) while the root stands failed because the archive is
   * going or went away: the root is no longer the directory it was (`seen`, before the failure's
   * look). Or the failure is ENOENT or ENOTDIR, and the root goes within ROOT_SETTLE_MS: a
   * recursive removal (rm -rf, a file manager's delete) takes the folder's contents first, the
   * copies' temporaries among them, and the root last, so the copies in flight failed while it
   * still stood and were each charged as their file's failure (user trial). A folder below the
   * root removed alone (a person tidying) leaves the root: that stays the file's failure, tried
   * again. Only failures wait for this, and a removal's last step comes soon after its first.
   */
  private async archiveWentAway(
    code: string,
    seen: { dev: number; ino: number } | null,
  ): Promise<boolean> {
    const replaced = (): boolean =>
      seen !== null &&
      this.rootSeen !== null &&
      (this.rootSeen.dev !== seen.dev || this.rootSeen.ino !== seen.ino);
    if (replaced()) return true;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return false;
    for (let waited = 0; waited < ROOT_SETTLE_MS; waited += ROOT_SETTLE_STEP_MS) {
      await new Promise((r) => setTimeout(r, ROOT_SETTLE_STEP_MS));
      if ((await this.rootMissing()) || replaced()) return true;
    }
    return false;
  }

  /**
   * A card's copy must be on the card. The root checks come before the folders and the write, and
   * a card unmounted in between (lazily: open files stay on it, new paths resolve below the mount
   * point) took the copy onto the disk holding the mount point: read back from there it verified,
   * the file counted as archived and left transit, and once the card was back it lacked the file
   * (the crash torture, split layout, seed 203). Such a copy is removed (it is not ours to keep
   * on that disk) and the card is missing: the file waits in transit.
   */
  private async refuseOffCard(result: ArchiveStoreResult): Promise<ArchiveStoreResult> {
    if (!this.place.card || this.cardDev === null) return result;
    const landed = await this.lstatOrNull(result.path);
    if (landed?.dev === this.cardDev) return result;
    this.knownFolders.clear();
    // Gone already (the card back over it, hiding the copy): nothing to remove, still not stored.
    if (landed && !result.alreadyPresent) {
      const now = await this.lstatOrNull(result.path);
      if (now && now.dev === landed.dev && now.ino === landed.ino)
        await unlink(result.path).catch(() => {});
      // The folders made for it below the mount point, while empty (never the root).
      await pruneEmptyDirs(this.root, dirname(result.path)).catch(() => {});
      await rmdir(join(this.root, ARCHIVE_WORK_DIR)).catch(() => {});
    }
    throw archiveMissing(this.place, 'pulled');
  }

  /** mkdir each level below the root, one at a time: a vanished root is never recreated. */
  private async makeFoldersBelowRoot(segments: string[]): Promise<string> {
    // Normalized like the folders below it, so a file's path is its folder's plus its name.
    let dir = join(this.root);
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
            message: `Cannot archive below ${dir}: a file in ${thePlace(this.place.card)} has that name where a folder is needed; rename it`,
          });
        }
        throw await this.creationError(e, dir);
      }
    }
    return dir;
  }

  /**
   * Whether `name` itself is in `dir`, not only a name the card takes for it. FAT and exFAT
   * ignore case: `STATUS.csv` finds `status.csv`. Counting a case twin's identical copy as this
   * file's would leave both files one copy, and when one of them grows its copy is replaced and
   * the other's bytes are gone from the card. Only asked where hard links fail (FAT, exFAT, other
   * cards), so an ext4 archive never lists a folder for it.
   */
  private async isNamedExactly(dir: string, name: string): Promise<boolean> {
    if (this.linksWork) return true;
    try {
      const names = await readdir(dir);
      // The kernel's vfat drops a name's trailing dots ("data." is stored as "data").
      return names.includes(name) || names.includes(name.replace(/\.+$/, ''));
    } catch (e) {
      throw await this.destinationError(e, dir);
    }
  }

  /** The copy is a hard link of the source: the same inode under another name. */
  private async isSourceInode(srcPath: string, copy: Stats): Promise<boolean> {
    const source = await this.lstatOrNull(srcPath);
    return source !== null && source.dev === copy.dev && source.ino === copy.ino;
  }

  /**
   * Whether the file at `path` holds exactly the first bytes of the source and fewer of them (an
   * empty one too: what an interrupted upload leaves most): an earlier copy of it, cut short. Read errors of the source say no (the usual keep-both
   * then decides); the card's are the card's.
   */
  private async isBeginningOf(
    path: string,
    existing: Stats,
    opts: ArchiveStoreOptions,
  ): Promise<boolean> {
    if (!existing.isFile() || existing.size >= opts.size) return false;
    const ours = await hashFilePrefix(opts.srcPath, existing.size, opts.signal).catch(() => {
      opts.signal?.throwIfAborted(); // a stop is a stop, not an unreadable file
      return null;
    });
    if (ours === null) return false;
    let there: string;
    try {
      there = await this.hashOnArchive(path, opts.signal, existing.size);
    } catch (e) {
      throw await this.destinationError(e, path);
    }
    return there === ours;
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
      there = await this.hashOnArchive(path, undefined, size);
    } catch (e) {
      throw await this.destinationError(e, path);
    }
    return there === (await hashSource());
  }

  /**
   * Put the source's bytes under `finalPath`: 'new' never replaces a file already there (returns
   * 'taken'); 'replace' swaps out our own earlier copy atomically, and only after the new bytes are
   * verified, so the old copy is never lost before the new one is complete.
   */
  private async write(
    opts: ArchiveStoreOptions,
    destDir: string,
    finalPath: string,
    knownHash: string | undefined,
    mode: WriteMode,
  ): Promise<{ contentHash: string; linked: boolean; bytesToSync: boolean } | 'taken'> {
    const linked = await this.writeByLink(opts, destDir, finalPath, knownHash, mode);
    if (linked !== 'cross-device') return linked;
    return this.writeByCopy(opts, destDir, finalPath, knownHash, mode);
  }

  /**
   * Same file system as the source: a hard link, so the card's copy costs no second copy of the
   * bytes (the field case: transit and archive on one 32 GB card). A link shares the source's
   * inode, hence its mtime and permission bits. 'new' links straight to the final name (a link is
   * complete the moment it exists, and fails if the name is taken); 'replace' links to a
   * temporary first and renames it over the old copy.
   */
  private async writeByLink(
    opts: ArchiveStoreOptions,
    destDir: string,
    finalPath: string,
    knownHash: string | undefined,
    mode: WriteMode,
  ): Promise<
    { contentHash: string; linked: true; bytesToSync: boolean } | 'taken' | 'cross-device'
  > {
    const linkPath = mode === 'new' ? finalPath : await this.workTemp();
    try {
      await this.ops.link(opts.srcPath, linkPath);
      this.linksWork = true;
    } catch (e) {
      if (isCode(e, 'EXDEV', ...NO_HARD_LINKS)) {
        this.linksWork = false;
        return 'cross-device';
      }
      if (mode === 'new' && isCode(e, 'EEXIST')) return 'taken';
      if (isCode(e, 'ENOENT') && !(await this.sourceExists(opts.srcPath))) {
        throw this.sourceError(opts.srcPath, e);
      }
      throw mode === 'new'
        ? await this.creationError(e, linkPath)
        : await this.destinationError(e, linkPath);
    }
    try {
      const landed = await this.verifyLanded(opts, linkPath, opts.size, knownHash);
      // The link shares the transit file's bytes, which nobody may have synced (a writer that
      // went on after staging): once transit lets go, a power cut would leave this copy empty.
      // Unless staging synced them and they are unchanged since (linkStillSynced): then only the
      // new name needs its folder synced. Deferred, the caller syncs them with the group's (the
      // result's `file`).
      const bytesToSync = !linkStillSynced(opts, landed.stat);
      if (bytesToSync && !opts.deferFolderSync) await fsyncFile(linkPath, this.calls);
      if (mode === 'replace') await this.ops.rename(linkPath, finalPath);
      if (!opts.deferFolderSync) await fsyncDir(destDir, this.calls);
      opts.onProgress?.(opts.size);
      return { contentHash: landed.contentHash, linked: true, bytesToSync };
    } catch (e) {
      await unlink(linkPath).catch(() => {});
      if (isSyncError(e) || opts.signal?.aborted) throw e;
      // The link is the source's own inode: read back refused, it is that file's permission bits
      // (its owner may link it, not read it), not the card refusing writes, which blocked the leg
      // for every other file.
      if (isCode(e, 'EACCES', 'EPERM') && !(await this.sourceReadable(opts.srcPath)))
        throw this.sourceError(opts.srcPath, e);
      throw await this.destinationError(e, finalPath);
    }
  }

  /** Another file system: copy to the reserved folder, fsync, read back, then place. */
  private async writeByCopy(
    opts: ArchiveStoreOptions,
    destDir: string,
    finalPath: string,
    knownHash: string | undefined,
    mode: WriteMode,
  ): Promise<{ contentHash: string; linked: false; bytesToSync: false } | 'taken'> {
    const room = await this.inFlight.room(opts.size, () => knownFreeSpace(destDir), opts.signal);
    if ('full' in room) throw this.full(room.freeBytes, { file: room.neededBytes });
    const { held, neededBytes: needed } = room;

    let tmp;
    let copied;
    try {
      tmp = await this.workTemp();
      const onProgress = (bytes: number): void => {
        held.written = bytes;
        opts.onProgress?.(bytes);
      };
      try {
        copied = await copyFileHashed(opts.srcPath, tmp, opts.signal, onProgress, {
          timesOptional: true,
        });
      } catch (e) {
        if (!(e instanceof CopyError)) throw e;
        if (e.side === 'source') throw this.sourceError(opts.srcPath, e.cause);
        // A card that took the file but refuses more of its bytes with EPERM is full: fusefat
        // answers so for a card without a free cluster (a write never checks permissions).
        if (e.writing && isCode(e.cause, 'EPERM')) {
          const free = (await knownFreeSpace(this.root))?.freeBytes ?? 0;
          throw this.full(free, { file: needed }, e.cause);
        }
        throw await this.destinationError(e.cause, tmp, room.freeBytes, needed);
      }
    } finally {
      // Its bytes are on the card now, where statfs counts them, or it failed and they are gone.
      held.release();
    }
    try {
      if (
        copied.bytes !== opts.size ||
        (knownHash !== undefined && knownHash !== copied.contentHash)
      ) {
        throw new SyncError({
          kind: 'retry',
          code: 'hash-mismatch',
          message: `${opts.rel} changed while it was copied to ${thePlace(this.place.card)} (expected ${opts.size} bytes, read ${copied.bytes}); it will be copied again`,
        });
      }
      // Read back before the copy takes its final name: in 'replace' mode the old copy is only
      // given up for a new one that is known to be right.
      const landed = await this.hashOnArchive(tmp, opts.signal, opts.size);
      if (landed !== copied.contentHash) {
        throw new SyncError({
          kind: 'retry',
          code: 'hash-mismatch',
          message: `The copy of ${opts.rel} in ${placeNamed(this.place)} read back different from the original: ${this.place.card ? 'the card' : 'its disk'} may be failing; it will be copied again`,
        });
      }
      const refused = await opts.beforePlace?.(finalPath, copied.contentHash);
      if (refused) throw refused;
      let placed;
      try {
        placed =
          mode === 'replace'
            ? await this.ops.rename(tmp, finalPath)
            : await placeWithoutReplacing(tmp, finalPath, this.ops);
      } catch (e) {
        throw await this.creationError(e, finalPath);
      }
      if (placed === 'exists') {
        await unlink(tmp);
        return 'taken';
      }
      await this.keepLoggerTime(finalPath, copied);
      if (!opts.deferFolderSync) await fsyncDir(destDir, this.calls);
    } catch (e) {
      // Not on a card found gone or not answering: refused so as its save waited aside (no place
      // at the card's gate held then), the copy's removal was one more call waiting on the card,
      // outside the gate, and a group of them held every thread of the pool (hands-on trial: 24
      // of 24, the whole daemon frozen). The next check's cleaning removes the temporary.
      if (!(isSyncError(e) && e.code === 'archive-missing')) await unlink(tmp).catch(() => {});
      if (isSyncError(e) || opts.signal?.aborted) throw e;
      throw await this.destinationError(e, finalPath);
    }
    return { contentHash: copied.contentHash, linked: false, bytesToSync: false };
  }

  /**
   * Give the placed copy the logger's mtime again if the rename took it away: fusefat stamps a
   * renamed file with the time of the rename. The card's mtimes are what the weekly email picks the
   * newest files by, and retention the oldest. FAT keeps times to 2 s, so a difference under that
   * is the card's own rounding. A failure here leaves a good copy with a wrong time: logged only.
   */
  private async keepLoggerTime(
    path: string,
    times: { atimeMs: number; mtimeMs: number },
  ): Promise<void> {
    try {
      const s = await this.calls.stat(path);
      if (Math.abs(s.mtimeMs - times.mtimeMs) < FAT_TIME_STEP_MS) return;
      await utimes(path, times.atimeMs / 1000, times.mtimeMs / 1000);
    } catch (e) {
      // A card or disk mounted by another user (exFAT by root: uid=0, mode 777) lets this user
      // write files but not set their times (EPERM): mounting it with this user's uid cures that.
      this.logger.warn(
        this.place.card
          ? 'archive: the card refused the logger’s time for this copy, which keeps the time it was written; mount the card with the uid of the user running RDL Sync'
          : 'archive: the disk of the archive folder refused the logger’s time for this copy, which keeps the time it was written; mount that disk with the uid of the user running RDL Sync',
        {
          path,
          code: errnoCode(e),
        },
      );
    }
  }

  /**
   * Read back what a link made visible and check it is the file the caller meant. Looked at after
   * the read, so that a size and mtime still as staging synced them say the bytes read were those
   * (linkStillSynced).
   */
  private async verifyLanded(
    opts: ArchiveStoreOptions,
    path: string,
    size: number,
    knownHash: string | undefined,
  ): Promise<{ contentHash: string; stat: Stats }> {
    const contentHash = await this.hashOnArchive(path, opts.signal, size);
    const s = await this.calls.lstat(path);
    // A link names the caller's very inode, or the transit file was replaced under us.
    const otherInode =
      opts.dev !== undefined &&
      opts.ino !== undefined &&
      (s.dev !== opts.dev || s.ino !== opts.ino);
    if (otherInode || s.size !== size || (knownHash !== undefined && knownHash !== contentHash)) {
      throw new SyncError({
        kind: 'retry',
        code: 'hash-mismatch',
        message: `${opts.rel} changed while it was linked into ${thePlace(this.place.card)} (expected ${size} bytes, found ${s.size}); it will be done again`,
      });
    }
    return { contentHash, stat: s };
  }

  /** A fresh temporary path in the reserved folder, which is made when missing. */
  private async workTemp(): Promise<string> {
    let state;
    try {
      state = await ensureWorkDir(this.root, this.ops.mkdir);
    } catch (e) {
      throw await this.destinationError(e, join(this.root, ARCHIVE_WORK_DIR));
    }
    if (state === 'occupied') {
      throw new SyncError({
        kind: 'file-failed',
        code: 'conflict',
        message: `${join(this.root, ARCHIVE_WORK_DIR)} in ${thePlace(this.place.card)} is not a folder: RDL Sync needs that name for unfinished copies; move that file away`,
      });
    }
    return workTempPath(this.root);
  }

  private async sourceReadable(srcPath: string): Promise<boolean> {
    return access(srcPath, constants.R_OK).then(
      () => true,
      () => false,
    );
  }

  private async sourceExists(srcPath: string): Promise<boolean> {
    try {
      await lstat(srcPath);
      return true;
    } catch {
      return false;
    }
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
        message: `${srcPath} vanished before it reached ${thePlace(this.place.card)}`,
        cause,
      });
    }
    return new SyncError({
      kind: 'file-failed',
      code: 'file-unreadable',
      message: `Cannot read ${srcPath} to copy it to ${thePlace(this.place.card)} (${errnoCode(cause) ?? 'error'}): check the file's permissions and the disk`,
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
      const free = (await knownFreeSpace(this.root))?.freeBytes ?? freeBytes ?? 0;
      return this.full(free, neededBytes === undefined ? 'unknown' : { file: neededBytes }, cause);
    }
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      return archiveReadOnly(this.place, code, cause, await this.rootOwner());
    }
    if (code === 'EINVAL' || code === 'ENAMETOOLONG') return this.refusedName(code, path, cause);
    if (code === 'EFBIG') {
      return new SyncError({
        kind: 'file-failed',
        code: 'file-too-large',
        message: `${path} is too large for the file system of ${thePlace(this.place.card)} (FAT32 stops at 4 GiB): ${this.place.card ? 'reformat the card as exFAT' : 'move the archive to a disk formatted as exFAT or ext4'}`,
        cause,
      });
    }
    // The card's driver is gone (a FUSE card pulled out, its daemon dead). The root itself may
    // still stat fine for a second from the kernel's cache, so the errno alone decides.
    if (code === 'ENOTCONN') return archiveMissing(this.place, 'not-answering', cause);
    const seen = this.rootSeen;
    const missing = await this.rootMissing();
    if (missing?.reason === 'not-answering' || missing?.reason === 'no-access')
      return archiveMissing(this.place, missing.reason, missing.cause);
    if (missing || (await this.archiveWentAway(code, seen)))
      return archiveMissing(this.place, 'pulled', cause);
    return new SyncError({
      kind: 'retry',
      code: 'unknown',
      message: `Writing ${path} in ${thePlace(this.place.card)} failed (${code}); it will be tried again`,
      cause,
    });
  }

  /**
   * Classify a failure to create `path` (a folder or a file's final name) on the card. FAT and
   * exFAT refuse names Linux allows, and each driver says so differently (card-names.ts): EINVAL
   * or ENAMETOOLONG, ENOENT for a name that cannot exist, EPERM or EACCES. Only this one file can
   * never go there, so it fails alone, naming the trouble, and the others go on; EPERM and EACCES
   * count as the name's only while the card still takes a new file of RDL Sync's own, else the
   * card refuses writes and the leg is blocked.
   */
  private async creationError(cause: unknown, path: string): Promise<SyncError> {
    const code = errnoCode(cause);
    const trouble = cardNameTrouble(basename(path));
    if (code === 'ENOENT' && trouble?.certain && !(await this.rootProblem())) {
      const parent = await this.calls.stat(dirname(path)).catch(() => null);
      if (parent?.isDirectory()) return this.refusedName(code, path, cause);
    }
    if ((code === 'EPERM' || code === 'EACCES') && (await this.takesNewFiles())) {
      // The name, or the folder it goes into? A folder whose permissions or immutable flag refuse
      // every new entry says so to access(2); a card's FUSE driver refusing a name does not.
      // Told "the card does not accept the name", a person renamed a good file and reformatted a
      // good disk while the folder stayed locked.
      const folder = dirname(path);
      if (!trouble?.certain && (await refusesNewEntries(folder))) {
        return folderRefused(this.place, folder, basename(path), code, cause);
      }
      return this.refusedName(code, path, cause);
    }
    return this.destinationError(cause, path);
  }

  private refusedName(code: string, path: string, cause: unknown): SyncError {
    const name = basename(path);
    return new SyncError({
      kind: 'file-failed',
      code: code === 'ENAMETOOLONG' ? 'malformed-path' : 'disallowed-name',
      message: refusedNameMessage(this.place, path, name, code, cardNameTrouble(name)),
      cause,
    });
  }

  /** Whether the card still takes a new file (one of ours, in the reserved folder, removed again). */
  private async takesNewFiles(): Promise<boolean> {
    try {
      if ((await ensureWorkDir(this.root, this.ops.mkdir)) !== 'ready') return false;
      const probe = workTempPath(this.root);
      await (await open(probe, 'wx')).close();
      await unlink(probe);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The root's owner, for the advice when it refuses writes (chmod for a folder RDL Sync's user
   * owns already, chown for another's); undefined when it cannot be looked at.
   */
  private async rootOwner(): Promise<RootOwner | undefined> {
    const s = await this.calls.stat(this.root).catch(() => null);
    if (!s) return undefined;
    return { isRunningUser: s.uid === process.getuid?.(), ownerMayWrite: (s.mode & 0o200) !== 0 };
  }

  /** The content hash of a file on the archive: a small one read inline only where calls are. */
  private hashOnArchive(path: string, signal: AbortSignal | undefined, size: number) {
    return hashFileDropbox(path, signal, this.calls.readsInline ? size : undefined);
  }

  private async lstatOrNull(p: string): Promise<Stats | null> {
    try {
      return await this.calls.lstat(p);
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      throw await this.destinationError(e, p);
    }
  }
}
