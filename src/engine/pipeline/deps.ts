// What one pass needs from the rest of the engine, described by shape only, so the pipeline can
// be read (and tested) without knowing how scanning, staging or archiving are implemented.
import type { SyncError } from '../errors.js';
import type { Clock, Logger } from '../ports.js';
import type { HistoryRecord } from '../status/types.js';
import type { JournalEntry } from '../journal/journal.js';
import type { DestinationLeg } from '../legs/leg.js';
import type { PassEvent } from './events.js';
import type { TransitLook, TransitPlace } from '../stage/transit-place.js';

export interface FileRef {
  rel: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  /** Identity of the transit inode: a file is done only while these still match what the legs verified. */
  dev?: number;
  ino?: number;
  /**
   * Staging fsynced these bytes in this pass, and any write since changes mtimeMs
   * (stage-file.ts, writesShowInMtime): while size and mtime are these, they are on disk.
   */
  bytesSynced?: true;
}

export interface ScanOutcome {
  stable: FileRef[];
  pending: number;
  /** The pending files, with their mtimes (absent from scanners that do not say). */
  pendingFiles?: Array<{ rel: string; mtimeMs: number }>;
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
  /** `identity`: the transit file's, when staging knows it (the same inode moved). */
  | { status: 'staged'; transitPath: string; identity?: TransitStat }
  | { status: 'busy' }
  | { status: 'changed' }
  | { status: 'vanished' }
  /** This file alone cannot be staged (unreadable, read-only parent folder, bad name): recorded on it. */
  | { status: 'failed'; error: SyncError }
  /**
   * The transit disk has no room for this file now (it waits in the watch folder); smaller files
   * may still fit, so staging goes on.
   */
  | {
      status: 'no-room';
      error: SyncError;
      /** The transit disk's free space then (null: not known): larger files need not be tried. */
      freeBytes: number | null;
    }
  /** The transit folder cannot take files (not writable, missing): staging stops for this pass only. */
  | { status: 'blocked'; error: SyncError };

/** A journal entry is declared once, by the journal's schema (journal/journal.ts). */
export type { JournalEntry };

export interface JournalPort {
  /** The entry whatever version of the file it describes. */
  entry(rel: string): JournalEntry | undefined;
  entryFor(rel: string, size: number, mtimeMs: number): JournalEntry | undefined;
  update(rel: string, patch: Partial<JournalEntry>): void;
  /** Replaces the entry whole (a new version of the file starts from scratch). */
  put(rel: string, entry: JournalEntry): void;
  /** Every rel with an entry or an upload session. */
  rels(): string[];
  delete(rel: string): void;
  /** Whether a restart could find an entry for `rel`: one is kept, or its deletion is unsaved. */
  knows(rel: string): boolean;
  scheduleFlush(): void;
  flush(): Promise<void>;
}

export interface HistoryPort {
  append(rec: Omit<HistoryRecord, 'id'>): HistoryRecord;
  /** Writes what was appended; resolves once it is on disk. */
  flush(): Promise<void>;
  /** Whether a record of this file finished at this time is kept (recovery after a crash). */
  hasRecord(rel: string, finishedAtMs: number): boolean;
  /** The newest kept record of this file, if any. */
  newestOf(rel: string): HistoryRecord | undefined;
}

/** A transit file's identity now, or null when it is gone. */
export interface TransitStat {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  /** Staging's, when it fsynced the bytes itself (FileRef.bytesSynced). */
  bytesSynced?: true;
}

export interface PassDeps {
  transitDir: string;
  /** `onSighting` hears of each file the walk meets, before the scan decides which are finished. */
  scanner: {
    scan(signal?: AbortSignal, onSighting?: (size: number) => void): Promise<ScanOutcome>;
  };
  stage(file: FileRef): Promise<StageOutcome>;
  /**
   * `onError` hears of parts of transit that cannot be read (their files wait, visibly); files
   * `known` answers true for (the pass has them already) are passed over without a look.
   */
  listTransit(
    onError?: (rel: string, error: unknown) => void,
    known?: (rel: string) => boolean,
  ): AsyncIterable<FileRef>;
  statTransit(rel: string): Promise<TransitStat | null>;
  /**
   * Whether transit can be trusted as the queue, looked at once per pass before anything is
   * staged (stage/transit-place.ts): `known`, the last trusted look's; `queued`, whether the
   * journal knows files there. Makes a missing transit folder on a first run. Absent: trusted.
   */
  lookAtTransit?(known: TransitPlace | null, queued: () => boolean): Promise<TransitLook>;
  /** `keepFolders`: emptied folders are left for `pruneTransit`, called once per window. */
  removeFromTransit(rel: string, opts?: { keepFolders?: boolean }): Promise<void>;
  /** Removes the emptied folders of these removed files (not transit itself). */
  pruneTransit?(rels: string[]): Promise<void>;
  /**
   * Which files processes hold open for writing right now (one snapshot per group of files settled): a
   * writer whose descriptor followed its file into transit must not have it deleted under it.
   * Absent where the OS does not tell; then size, mtime and inode decide alone.
   */
  openWriters?(): Promise<{ has(dev: number, ino: number): boolean } | null>;
  /** How long a file that changed in transit must stay unchanged before its legs run again. */
  settleMs?: number;
  /**
   * The enabled destinations, keyed by their ids (legs/ids.ts). A leg turned off in settings is
   * absent and counts as done; the Dropbox leg is always here (not connected: its check says so).
   */
  legs: DestinationLeg[];
  journal: JournalPort;
  history: HistoryPort;
  /** What the pass does, as events; the engine's status reducer folds them into the status. */
  emit(event: PassEvent): void;
  clock: Clock;
  logger: Logger;
  /** Files between found and settled at once (default 2000): bounds memory however long the backlog. */
  windowSize?: number;
}
