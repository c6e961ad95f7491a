// What one pass needs from the rest of the engine, described by shape only, so the pipeline can
// be read (and tested) without knowing how scanning, staging or archiving are implemented.
import type { SyncError } from '../errors.js';
import type { Clock, Logger, RemoteStore } from '../ports.js';
import type { HistoryRecord } from '../status/types.js';
import type { StatusModel } from '../status/model.js';

export interface FileRef {
  rel: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  /** Identity of the transit inode: a file is done only while these still match what the legs verified. */
  dev?: number;
  ino?: number;
}

export interface ScanOutcome {
  stable: FileRef[];
  pending: number;
  ignored: number;
  /**
   * Entries that could not be read (a folder without permission, a name that cannot be decoded):
   * each becomes a problem naming the entry and the fix, never only a log line.
   */
  errors: { rel: string; message: string; code?: string }[];
  /** Files a process still holds open for writing (also counted in `pending`): they wait, whatever their age. */
  openForWriting?: number;
  /** The watch folder itself cannot be read (missing, unmounted, no permission): staging stops, the queue still drains. */
  watchProblem?: SyncError | null;
}

export type StageOutcome =
  | { status: 'staged'; transitPath: string }
  | { status: 'busy' }
  | { status: 'changed' }
  | { status: 'vanished' }
  /** This file alone cannot be staged (unreadable, read-only parent folder, bad name): recorded on it. */
  | { status: 'failed'; error: SyncError }
  /** The transit folder cannot take files (disk full, not writable): staging stops for this pass only. */
  | { status: 'blocked'; error: SyncError };

export interface ArchiveCheckResult {
  present: boolean;
  writable: boolean;
  freeBytes: number | null;
  totalBytes: number | null;
  problem: SyncError | null;
}

export interface ArchivePort {
  readonly root: string;
  check(): Promise<ArchiveCheckResult>;
  store(opts: {
    rel: string;
    srcPath: string;
    size: number;
    signal?: AbortSignal;
    onProgress?: (bytes: number) => void;
    /**
     * The copy RDL Sync itself wrote for an earlier version of this staged file: replace it in
     * place (only if it still holds `contentHash`) instead of keeping both.
     */
    replace?: { path: string; contentHash: string };
  }): Promise<{ path: string; contentHash: string; alreadyPresent: boolean }>;
}

export interface LegRecordUpload {
  remotePath: string;
  contentHash: string;
  rev: string;
  atMs: number;
  alreadyPresent: boolean;
}

export interface LegRecordArchive {
  path: string;
  contentHash: string;
  atMs: number;
  alreadyPresent: boolean;
}

/** RDL Sync's own copies of an earlier version of a staged file: replaced, never kept beside. */
export interface SupersededCopies {
  upload?: { remotePath: string; rev: string; contentHash: string };
  archive?: { path: string; contentHash: string };
}

export interface JournalEntryShape {
  size: number;
  mtimeMs: number;
  /** The transit inode the legs work on; absent in journals written before it was kept. */
  dev?: number;
  ino?: number;
  contentHash?: string;
  supersedes?: SupersededCopies;
  /**
   * Set (and saved) just before the transit copy is removed: a transit file found with this mark
   * and the same identity was finished already, its history record perhaps not yet written.
   */
  finishedAtMs?: number;
  upload?: LegRecordUpload;
  archive?: LegRecordArchive;
  attempts: number;
  nextTryMs: number;
  lastError?: { code: string; message: string; atMs: number };
}

export interface JournalPort {
  /** The entry whatever version of the file it describes. */
  entry(rel: string): JournalEntryShape | undefined;
  entryFor(rel: string, size: number, mtimeMs: number): JournalEntryShape | undefined;
  update(rel: string, patch: Partial<JournalEntryShape>): void;
  /** Replaces the entry whole (a new version of the file starts from scratch). */
  put(rel: string, entry: JournalEntryShape): void;
  /** Every rel with an entry or an upload session. */
  rels(): string[];
  delete(rel: string): void;
  scheduleFlush(): void;
  flush(): Promise<void>;
}

export interface HistoryPort {
  append(rec: Omit<HistoryRecord, 'id'>): HistoryRecord;
  /** Writes what was appended; resolves once it is on disk. */
  flush(): Promise<void>;
  /** Whether a record of this file finished at this time is kept (recovery after a crash). */
  hasRecord(rel: string, finishedAtMs: number): boolean;
}

/** A transit file's identity now, or null when it is gone. */
export interface TransitStat {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export interface PassDeps {
  transitDir: string;
  scanner: { scan(signal?: AbortSignal): Promise<ScanOutcome> };
  stage(file: FileRef): Promise<StageOutcome>;
  /** `onError` hears of parts of transit that cannot be read (their files wait, visibly). */
  listTransit(onError?: (rel: string, error: unknown) => void): AsyncIterable<FileRef>;
  statTransit(rel: string): Promise<TransitStat | null>;
  removeFromTransit(rel: string): Promise<void>;
  /**
   * Which files processes hold open for writing right now (one snapshot per window of files): a
   * writer whose descriptor followed its file into transit must not have it deleted under it.
   * Absent where the OS does not tell; then size, mtime and inode decide alone.
   */
  openWriters?(): Promise<{ has(dev: number, ino: number): boolean } | null>;
  /** How long a file that changed in transit must stay unchanged before its legs run again. */
  settleMs?: number;
  /** Null when Dropbox is not connected: the upload leg waits (the engine raises the problem). */
  remote: RemoteStore | null;
  /**
   * Why remote is null when more is known than "not connected" (a saved connection this process
   * cannot read, e.g. the tray app's keyring-encrypted one): the upload leg's problem then.
   */
  remoteMissing?: SyncError;
  /** Null when the archive is turned off in settings: the archive leg counts as done. */
  archive: ArchivePort | null;
  journal: JournalPort;
  history: HistoryPort;
  status: StatusModel;
  clock: Clock;
  logger: Logger;
  offlineAlertMs: number;
  /** Files handled per window: bounds memory however large the backlog is. */
  windowSize?: number;
  archiveConcurrency?: number;
}
