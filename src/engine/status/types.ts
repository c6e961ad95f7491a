// The one status model every front end reads (tray, window, CLI, notifications).
// Plain serialisable data only: it crosses IPC and is printed by `rdl-sync status --json`.
import type { ErrorCode } from '../errors.js';
import type { LegId } from '../legs/ids.js';

export type EngineState =
  | 'idle' // nothing pending, all good
  | 'syncing' // a pass is moving files
  | 'paused' // a person paused it
  | 'offline' // Dropbox unreachable; archive leg may still run
  | 'attention' // a person should act soon, nothing is lost (SD card missing, a file failing)
  | 'error'; // sync is stopped on a leg until a person acts (reconnect needed, quota full)

export type ProblemSeverity = 'attention' | 'error';

/** A condition a person must act on. One per condition: it is raised once and cleared once. */
export interface Problem {
  /** Stable id of the condition, e.g. 'archive-missing' or 'file-failing:RDL/USB0/a.csv'. */
  id: string;
  code: ErrorCode;
  severity: ProblemSeverity;
  /** One sentence: what is wrong, what to do, and that nothing is lost when that is true. */
  message: string;
  sinceMs: number;
  /** Which window tab helps: 'status' | 'transfers' | 'settings' | 'log'. */
  tab: 'status' | 'transfers' | 'settings' | 'log';
  /**
   * Why, where one condition has causes with different fixes (offline: 'network', 'server',
   * 'rate-limit'). The alert policy announces a change of cause once; figures never are.
   */
  cause?: string;
  /**
   * A person's ask ("Sync now", `rdl-sync sync`) tries it again at once, instead of after its
   * back-off (up to an hour): the window offers that on the problem's card. Set on a failing
   * file's problem (pipeline/problems.ts triedAgainWhenAsked); absent elsewhere.
   */
  triedOnAsk?: boolean;
}

export interface StageCounts {
  /** Finished files waiting in the watch folder to be staged. */
  waiting: number;
  /**
   * Of `waiting`, those still being written or changing; the others cannot be staged now (a file
   * failing, no room in transit). Absent from a status.json an older version wrote.
   */
  settling?: number;
  /** Files in transit (the queue). */
  transit: number;
  /** In transit with the upload leg still to do. */
  uploadPending: number;
  /** In transit with the archive leg still to do. */
  archivePending: number;
  /** Files failing on their own (bad name, unreadable). */
  failed: number;
  /** Completed since the engine started. */
  doneThisRun: number;
}

export interface ActiveTransfer {
  rel: string;
  /** Which destination (legs/ids.ts). */
  leg: LegId;
  bytesDone: number;
  size: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  startedAtMs: number;
}

/** The SD card / archive folder as one check saw it: the one shape of the card's state. */
export interface CardState {
  present: boolean;
  writable: boolean;
  freeBytes: number | null;
  totalBytes: number | null;
}

/** The card as the status shows it: its state, and which folder (and whether it is used at all). */
export interface ArchiveStatus extends CardState {
  enabled: boolean;
  path: string;
  /**
   * A removable card (written only while mounted) rather than a folder on the hub's own disk: how
   * the window and the CLI name it. Absent in an older version's status.json: a card, as it said.
   */
  card?: boolean;
  /**
   * Not present because its mount is there but does not answer: its calls hang (a reader or a
   * driver stopped) or fail with a dead mount's errors (a card pulled out while still mounted,
   * which needs unmounting before it can be inserted again). Not an empty card slot or an
   * unmounted card. Absent in an older version's status.json.
   */
  notAnswering?: boolean;
}

/** One file system holding some of the folders RDL Sync uses (shown once however many it holds). */
export interface DiskStatus {
  /** Which folders live on it. */
  roles: ('watch' | 'transit' | 'archive')[];
  /** The first of those folders, to name the disk by. */
  path: string;
  freeBytes: number;
  totalBytes: number;
  usedPercent: number;
  /** Bytes queued in transit, when the transit folder is on this disk (what grows while offline). */
  transitBytes: number | null;
}

/** A source folder (e.g. RDL/USB0, cameras/reolink1) and how regularly it delivers. */
export interface SourceStatus {
  source: string;
  lastFileMs: number;
  lastFileRel: string;
  /** The learned usual interval between new files; null until enough samples. */
  usualIntervalMs: number | null;
  /** How long a silence is reported after (learned × factor, or the override); null when off. */
  silentAfterMs: number | null;
  silent: boolean;
}

export interface DropboxStatus {
  connected: boolean;
  accountName: string | null;
  email: string | null;
  usedBytes: number | null;
  allocatedBytes: number | null;
  /** Last time a request reached Dropbox. */
  lastContactMs: number | null;
}

export interface StatusSnapshot {
  state: EngineState;
  /** One sentence for the status line, tray tooltip and `rdl-sync status`. */
  sentence: string;
  counts: StageCounts;
  transfers: ActiveTransfer[];
  lastSuccessMs: number | null;
  lastPassMs: number | null;
  /** Null while a pass runs (the next is armed when it ends) and when none is scheduled. */
  nextPassMs: number | null;
  /**
   * A pass is running now (scheduled or asked for): "Next pass" then says so instead of "never".
   * Absent from a status.json an older version wrote.
   */
  passRunning?: boolean;
  /**
   * The latest `rdl-sync sync` ask (when it was saved) whose pass has ended: that command waits
   * for it. Null: none served since the engine started. Absent from a status.json an older
   * version wrote, which is how that command knows the running one follows no asks.
   */
  syncAskServedMs?: number | null;
  pausedUntilMs: number | null;
  paused: boolean;
  /**
   * Of the files counted as failing, the one with the most attempts and why (null: none): named
   * by `rdl-sync status` when no sentence or problem does. Absent from an older status.json.
   */
  failing?: NamedFailure | null;
  archive: ArchiveStatus;
  dropbox: DropboxStatus;
  problems: Problem[];
  /** Free space of the disks holding the watch, transit and archive folders. */
  disks?: DiskStatus[];
  /** Each source folder with its last file and usual interval. */
  sources?: SourceStatus[];
  /**
   * Present only while Dropbox is out of reach, and why (the state word may be another: paused,
   * an error). The digest said "connected as …" beside an outage.
   */
  offlineCause?: OfflineCause;
  /**
   * "Resolved" alerts held back by the alert policy's repeat guard (alertFlapMinutes: a condition
   * that came and went is told healed once it has stayed away that long). Absent when none: a
   * person reading a healthy status knows a "Resolved" is still to come, and when.
   */
  resolvedHeld?: HeldResolved[];
}

/** A "Resolved" alert the repeat guard holds back (see StatusSnapshot.resolvedHeld). */
export interface HeldResolved {
  conditionId: string;
  /** What the condition was, in a few words ("the archive out of reach"). */
  title: string;
  /** When the condition went (its "Resolved" says until when it came and went). */
  wentMs: number;
  /** When the "Resolved" is sent, if the condition stays away until then. */
  dueMs: number;
}

/** A file whose last attempt failed, and why: the one the status sentence names. */
export interface NamedFailure {
  rel: string;
  message: string;
}

export type OfflineCause = 'network' | 'server' | 'rate-limit';

/** Why Dropbox made a call wait (DropboxWait.why): its rate limit, its lock, its servers. */
export type DropboxWaitWhy = 'rate-limit' | 'contention' | 'server';

/** A wait Dropbox asked for, long enough to be told (dropbox/calls.ts WAIT_TOLD_MS). */
export interface DropboxWait {
  why: DropboxWaitWhy;
  /** When the call is tried again (wall clock, for display). */
  untilMs: number;
}

/** The facts the status model holds; the state word and the sentence are derived from them. */
export interface StatusFacts {
  counts: StageCounts;
  /** Of the files counted as failed, the one with the most attempts (null: none). */
  failing: NamedFailure | null;
  passRunning: boolean;
  offline: boolean;
  /**
   * Why Dropbox is out of reach: no answer, server errors for every file (its outage), or "too
   * many requests" for every file (its rate limit).
   */
  offlineCause?: OfflineCause;
  /**
   * What is known of a network cause beyond "no answer": the proxy's words (cannot connect to it,
   * it could not reach Dropbox). Said in the state sentence from the first pass, not only in the
   * problem raised after the offline delay.
   */
  offlineDetail?: string | null;
  paused: boolean;
  pausedUntilMs: number | null;
  lastSuccessMs: number | null;
  lastPassMs: number | null;
  nextPassMs: number | null;
  /** See StatusSnapshot. */
  syncAskServedMs: number | null;
  archive: ArchiveStatus;
  dropbox: DropboxStatus;
  disks: DiskStatus[];
  sources: SourceStatus[];
  /** See StatusSnapshot.resolvedHeld (the alert service sets it). */
  resolvedHeld?: HeldResolved[];
  /**
   * A long wait Dropbox asked for before uploads go on (dropbox/calls.ts): said in the sentence
   * while a pass syncs, which otherwise read "Syncing 16 files…" through minutes of waiting.
   */
  dropboxWait?: DropboxWait | null;
}

export type LegResult =
  | { status: 'done'; atMs: number; path: string; alreadyPresent: boolean; contentHash: string }
  | { status: 'failed'; atMs: number; code: ErrorCode; message: string }
  | { status: 'skipped'; atMs: number; reason: string };

/** One finished (or given-up) file, newest first in queries. */
export interface HistoryRecord {
  id: number;
  rel: string;
  size: number;
  contentHash: string | null;
  startedAtMs: number;
  finishedAtMs: number;
  /** 'archive-removed': retention deleted the archive copy after verifying the Dropbox copy. */
  outcome: 'done' | 'failed' | 'archive-removed';
  upload: LegResult;
  archive: LegResult;
}

export interface HistoryQuery {
  limit?: number;
  beforeId?: number;
  onlyFailures?: boolean;
  search?: string;
}
