// The progress cache. The transit folder is the queue; the journal only saves work: known content
// hashes, finished legs, retry timing, open upload sessions. Losing it costs re-reading and
// re-sending bytes, never correctness, so a missing or damaged journal starts empty.
//
// On disk: a snapshot (`journal.json`, replaced atomically) and an append log beside it
// (`journal.json.log`). A save appends one line holding every entry changed since the last save,
// then fsyncs: its cost follows the changes, not the size of the journal (a week's backlog is
// tens of thousands of entries). When the log outgrows the snapshot, or the snapshot is mostly
// entries the log has deleted, the next save writes a fresh snapshot and starts a new log. Each log begins with the generation of the snapshot it follows;
// a log of another generation (a crash between the two writes of a compaction) is ignored, as the
// snapshot already holds it. A line cut short by a crash is one save lost whole, never half of it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import * as z from 'zod';
import { silentLogger, type Logger, type SessionStore, type UploadSessionState } from '../ports.js';
import { atomicWriteFile } from '../fsutil/index.js';
import { RepeatQuieter } from '../log/repeats.js';

// The one declaration of a journal entry: the pipeline's types are derived from these schemas.
// Leg records are keyed by leg id ('upload', 'archive': persisted ids that never change).

/**
 * Journals written before the legs were one kind named the Dropbox copy's path `remotePath`; they
 * still load (the field is read as `path`).
 */
function legacyRemotePath(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('remotePath' in raw)) return raw;
  const { remotePath, ...rest } = raw as Record<string, unknown>;
  return { path: remotePath, ...rest };
}

/** A leg's verified copy of this version of the file. */
const legDoneSchema = z.preprocess(
  legacyRemotePath,
  z.object({
    path: z.string(),
    contentHash: z.string(),
    /** Dropbox's revision (the Dropbox leg only): what a later version replaces. */
    rev: z.string().optional(),
    atMs: z.number(),
    alreadyPresent: z.boolean(),
  }),
);

/** A copy RDL Sync itself wrote of an earlier version: replaced, never kept beside. */
const ownCopySchema = z.preprocess(
  legacyRemotePath,
  z.object({
    path: z.string(),
    contentHash: z.string(),
    rev: z.string().optional(),
    /**
     * What our own earlier writes left at this path, should the write of `contentHash` not have
     * landed (it was noted before the write and its outcome never saved: pipeline/file-version.ts
     * ownCopiesOf). A copy there holding any of these is ours too.
     */
    earlierContentHashes: z.array(z.string()).optional(),
  }),
);

/**
 * A failure: the last one, and `sinceMs` when the failures in a row began before it (absent: at
 * `atMs`). A failing file's problem and its alert say "since" the first of them, not the third
 * (the raise), nor the last restart (which raised it again from the journal).
 */
const failureSchema = z.object({
  code: z.string(),
  message: z.string(),
  atMs: z.number(),
  sinceMs: z.number().optional(),
});

/** One leg's back-off: a file Dropbox refuses does not delay its card copy (and the reverse). */
const legRetrySchema = z.object({
  attempts: z.number().int().nonnegative(),
  nextTryMs: z.number(),
  lastError: failureSchema.optional(),
});

const entrySchema = z.object({
  size: z.number().nonnegative(),
  mtimeMs: z.number(),
  dev: z.number().optional(),
  ino: z.number().optional(),
  contentHash: z.string().optional(),
  supersedes: z
    .object({ upload: ownCopySchema.optional(), archive: ownCopySchema.optional() })
    .optional(),
  finishedAtMs: z.number().optional(),
  /**
   * Copies a leg was about to write for this version, saved before the write (PlaceSink
   * beforeWrite): until the leg's outcome is saved, one may be there, written by us.
   */
  writing: z
    .object({ upload: ownCopySchema.optional(), archive: ownCopySchema.optional() })
    .optional(),
  upload: legDoneSchema.optional(),
  archive: legDoneSchema.optional(),
  retry: z
    .object({ upload: legRetrySchema.optional(), archive: legRetrySchema.optional() })
    .optional(),
  /**
   * The file's own wait, apart from any leg's: settling after it changed in transit, the legs'
   * hashes disagreeing. (Journals written before back-off was per leg kept every failure here.)
   */
  attempts: z.number().int().nonnegative(),
  nextTryMs: z.number(),
  lastError: failureSchema.optional(),
});

const sessionSchema = z.object({
  sessionId: z.string().min(1),
  offset: z.number().int().nonnegative(),
  blockDigests: z.array(z.string()),
  size: z.number().nonnegative(),
  mtimeMs: z.number(),
  startedAtMs: z.number(),
  chunks: z
    .array(
      z.object({
        offset: z.number().int().nonnegative(),
        length: z.number().int().positive(),
        landed: z.boolean(),
      }),
    )
    .optional(),
});

export type JournalEntry = z.infer<typeof entrySchema>;
export type LegDone = z.infer<typeof legDoneSchema>;
export type OwnCopyRecord = z.infer<typeof ownCopySchema>;
export type LegRetry = z.infer<typeof legRetrySchema>;
export type FailureRecord = z.infer<typeof failureSchema>;

const JOURNAL_VERSION = 1;
/** Coalescing window of scheduleFlush(): at most one write per this many ms. */
export const FLUSH_DELAY_MS = 500;
/** The log is folded into a new snapshot once it is larger than this and than the snapshot. */
export const LOG_COMPACT_MIN_BYTES = 1024 * 1024;
/**
 * A snapshot at least this large is written afresh once fewer than half the records it holds are
 * still live. Draining a backlog deletes entries only in the log, which stays smaller than the
 * snapshot it empties: the snapshot of a week's 2,000 files then outlived them all, and the next
 * start parsed it and the log deleting it (17-266 ms here, measured by the bench's daemonstart)
 * to find a few entries. Halving bounds the rewrites to about twice the first one's size.
 */
export const STALE_SNAPSHOT_MIN_BYTES = 64 * 1024;
/**
 * A save someone waits for (flush(): a write's note before its commit, finished marks before a
 * removal) appends its line even when a compaction is due, and leaves the compaction to the
 * coalesced save that follows, which no file waits for: written in the wait, a new snapshot (all
 * entries serialized, two atomic writes) held the last files of a big pass 11-18 ms here before
 * they could leave transit. Past this many times the compaction point, the waited-for save
 * compacts anyway: the log stays bounded whatever the timing.
 */
export const LOG_DEFERRED_COMPACTION_FACTOR = 4;

interface JournalFile {
  version: number;
  /** The generation of the log that continues this snapshot (absent before the log existed). */
  generation?: number;
  entries: Record<string, JournalEntry>;
  sessions: Record<string, UploadSessionState>;
}

/** The first line of a log: which snapshot it continues. */
interface LogHeader {
  generation: number;
}

/** One save: entries and sessions set (a value) or removed (null). */
interface LogLine {
  e?: Record<string, JournalEntry | null>;
  s?: Record<string, UploadSessionState | null>;
}

export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  private readonly sessionMap = new Map<string, UploadSessionState>();
  private dirty = false;
  /** What changed since the last save (what the next log line holds). */
  private readonly changedEntries = new Set<string>();
  private readonly changedSessions = new Set<string>();
  /**
   * Entries deleted since the last save that succeeded, and those the save under way holds: until
   * a save holds the deletion, a restart finds the entry again (see knows()).
   */
  private unsavedDeletions = new Set<string>();
  private savingDeletions = new Set<string>();
  /** The generation of the snapshot on disk and of the log continuing it (null: none yet). */
  private generation: number | null = null;
  private logBytes = 0;
  private snapshotBytes = 0;
  /** Entries and sessions the snapshot on disk holds. */
  private snapshotRecords = 0;
  /**
   * The next save writes a snapshot instead of appending: no log of this generation yet, or the
   * log on disk may end in a cut line that a new line must not be glued to.
   */
  private compactNext = true;
  /** A compaction was due at a save someone waited for: the coalesced save makes it. */
  private compactionOwed = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writes = 0;
  private lastWriteMs = 0;

  /** Upload sessions, persisted in the same file (the uploader's SessionStore port). */
  readonly sessions: SessionStore = {
    get: (rel) => this.sessionMap.get(rel),
    set: (rel, state) => {
      this.sessionMap.set(rel, structuredClone(state));
      this.changedSessions.add(rel);
      this.changed();
    },
    delete: (rel) => {
      if (this.sessionMap.delete(rel)) {
        this.changedSessions.add(rel);
        this.changed();
      }
    },
    persist: () => this.flush(),
  };

  /** Saves that failed one after another (a full disk): see scheduleFlush. */
  private readonly failedSaves = new RepeatQuieter(() => performance.now());

  private constructor(
    readonly file: string,
    private readonly logger: Logger,
    private readonly saveDelayMs: number,
  ) {}

  /**
   * A missing or damaged file gives an empty journal and a warning; this never throws for that.
   * `saveDelayMs`: scheduleFlush's coalescing window (FLUSH_DELAY_MS; tests change it).
   */
  static async open(
    file: string,
    logger: Logger = silentLogger,
    { saveDelayMs = FLUSH_DELAY_MS }: { saveDelayMs?: number } = {},
  ): Promise<Journal> {
    const journal = new Journal(file, logger, saveDelayMs);
    await journal.loadFromDisk();
    return journal;
  }

  entry(rel: string): JournalEntry | undefined {
    const e = this.entries.get(rel);
    return e && copyOf(e);
  }

  /**
   * Whether a process started now could find an entry for `rel`: one is kept, or its deletion is
   * not saved yet (a kill, or a full settings disk, between the deletion and its save).
   */
  knows(rel: string): boolean {
    return this.entries.has(rel) || this.unsavedDeletions.has(rel) || this.savingDeletions.has(rel);
  }

  /** The entry only if it still describes the file as it is now (same size and mtime). */
  entryFor(rel: string, size: number, mtimeMs: number): JournalEntry | undefined {
    const e = this.entries.get(rel);
    return e && e.size === size && e.mtimeMs === mtimeMs ? copyOf(e) : undefined;
  }

  /**
   * Merges `patch` into the entry, creating it when missing (attempts 0, nextTryMs 0); a field set
   * to undefined is removed. A patch that changes size or mtime starts a fresh entry: hashes and
   * finished legs belonged to other bytes. Schedules a flush.
   */
  update(rel: string, patch: Partial<JournalEntry>): void {
    const old = this.entries.get(rel);
    const sameFile =
      old !== undefined &&
      (patch.size === undefined || patch.size === old.size) &&
      (patch.mtimeMs === undefined || patch.mtimeMs === old.mtimeMs);
    const base: JournalEntry = sameFile
      ? old
      : { size: old?.size ?? 0, mtimeMs: old?.mtimeMs ?? 0, attempts: 0, nextTryMs: 0 };
    const next: Record<string, unknown> = { ...base };
    // Runs a few times per file: no entries array, and no copy handed back (entry() gives one).
    for (const key in patch) {
      const value = (patch as Record<string, unknown>)[key];
      if (value === undefined) delete next[key];
      else next[key] = copyOf(value);
    }
    this.entries.set(rel, next as JournalEntry);
    this.changedEntries.add(rel);
    this.changed();
  }

  /** Sets the entry as given, dropping whatever was there (a new version of the file). */
  put(rel: string, entry: JournalEntry): void {
    this.entries.set(rel, copyOf(entry));
    this.changedEntries.add(rel);
    this.changed();
  }

  /** Forgets the file: its entry and any upload session. */
  delete(rel: string): void {
    const hadEntry = this.entries.delete(rel);
    const hadSession = this.sessionMap.delete(rel);
    if (hadEntry) {
      this.changedEntries.add(rel);
      this.unsavedDeletions.add(rel);
    }
    if (hadSession) this.changedSessions.add(rel);
    if (hadEntry || hadSession) this.changed();
  }

  /** Number of times the file has been written by this instance (diagnostics, tests). */
  get writeCount(): number {
    return this.writes;
  }

  /** Every rel with an entry or a session (to prune those whose transit file is gone). */
  rels(): string[] {
    return [...new Set([...this.entries.keys(), ...this.sessionMap.keys()])];
  }

  /**
   * Saves now if anything changed: one log line and an fsync, or a new snapshot when the log must
   * be folded in (see top, and LOG_DEFERRED_COMPACTION_FACTOR for a compaction that can wait).
   */
  flush(): Promise<void> {
    return this.save(false);
  }

  /** `mayCompact`: no caller waits for this save (the coalesced one, or close), so a due compaction goes in it. */
  private save(mayCompact: boolean): Promise<void> {
    this.writing = this.writing
      .catch(() => {})
      .then(() => this.writeIfDirty(mayCompact))
      // Saved: a failure after this one is news again.
      .then(() => this.failedSaves.settled());
    return this.writing;
  }

  /**
   * Coalesced flush: at most one write per FLUSH_DELAY_MS however many changes arrive. A big
   * journal (a week's offline backlog) waits longer, so saving never takes more than ~20% of the time.
   */
  scheduleFlush(): void {
    if (this.timer || this.closed) return;
    const delay = Math.max(this.saveDelayMs, 4 * this.lastWriteMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save(true).catch((e: unknown) => {
        // Retried every half second while the disk stays full: that was two lines a second
        // (172,800 a day) in the service's journal. The first at once, then one per half hour.
        const heldBack = this.failedSaves.admit('save');
        if (heldBack !== null)
          this.logger.warn('Could not save the journal; will retry', {
            file: this.file,
            error: String(e),
            ...(heldBack > 0 ? { triesNotLogged: heldBack } : {}),
          });
        this.scheduleFlush();
      });
    }, delay);
    // A pending save must not keep a finished process alive; close() flushes what is left.
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.save(true);
  }

  private changed(): void {
    this.dirty = true;
    this.scheduleFlush();
  }

  private get logFile(): string {
    return `${this.file}.log`;
  }

  private async writeIfDirty(mayCompact: boolean): Promise<void> {
    const owed = mayCompact && this.compactionOwed;
    if (!this.dirty && !owed) return;
    const compactionPoint = Math.max(LOG_COMPACT_MIN_BYTES, this.snapshotBytes);
    const due = this.logBytes > compactionPoint || this.snapshotMostlyStale();
    const compact =
      this.compactNext ||
      this.generation === null ||
      this.logBytes > LOG_DEFERRED_COMPACTION_FACTOR * compactionPoint ||
      (due && mayCompact);
    this.compactionOwed = due && !compact;
    // Owed: the coalesced save (due in saveDelayMs) makes it, even with nothing else to save.
    if (this.compactionOwed) this.scheduleFlush();
    if (!this.dirty && !compact) return;
    // What this save holds is taken now; changes made while it is written go in the next one.
    const line = compact ? null : this.takeLogLine();
    if (compact) {
      this.changedEntries.clear();
      this.changedSessions.clear();
    }
    this.dirty = false;
    const deletions = this.unsavedDeletions;
    this.savingDeletions = deletions;
    this.unsavedDeletions = new Set();
    const started = performance.now();
    try {
      if (line === null) await this.writeSnapshot();
      else await this.appendLogLine(line);
      this.writes++;
      this.lastWriteMs = performance.now() - started;
    } catch (e) {
      // Whatever failed is saved whole by a new snapshot next time (a log line may be half there).
      this.dirty = true;
      this.compactNext = true;
      for (const rel of deletions) if (!this.entries.has(rel)) this.unsavedDeletions.add(rel);
      throw e;
    } finally {
      this.savingDeletions = new Set();
    }
  }

  /** Fewer than half the snapshot's records are live: it is mostly what the log deletes. */
  private snapshotMostlyStale(): boolean {
    return (
      this.snapshotBytes >= STALE_SNAPSHOT_MIN_BYTES &&
      2 * (this.entries.size + this.sessionMap.size) < this.snapshotRecords
    );
  }

  /** The log line of everything changed since the last save; forgets those changes. */
  private takeLogLine(): string {
    const line: LogLine = {};
    if (this.changedEntries.size > 0) {
      line.e = {};
      for (const rel of this.changedEntries) line.e[rel] = this.entries.get(rel) ?? null;
    }
    if (this.changedSessions.size > 0) {
      line.s = {};
      for (const rel of this.changedSessions) line.s[rel] = this.sessionMap.get(rel) ?? null;
    }
    this.changedEntries.clear();
    this.changedSessions.clear();
    return `${JSON.stringify(line)}\n`;
  }

  private async appendLogLine(line: string): Promise<void> {
    const handle = await fs.open(this.logFile, 'a', 0o600);
    try {
      // writeFile, not write: on a disk filling up, one write() stores what fits and answers
      // success (tmpfs: the slack of the log's last page). Such a cut line counted as saved, the
      // next save was glued to it, and a restart dropped every save from the cut on (finished
      // marks, the legs' answers, the notes of writes). writeFile writes the rest or throws; the
      // catch in writeIfDirty then makes the next save a snapshot.
      await handle.writeFile(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.logBytes += Buffer.byteLength(line);
  }

  /** A new snapshot, then a new log continuing it; either crash point leaves a consistent pair. */
  private async writeSnapshot(): Promise<void> {
    // Never a number used before, not even by a journal set aside as damaged: a stale log must
    // never pass for the continuation of a new snapshot.
    let generation = randomInt(1, 2 ** 47);
    if (generation === this.generation) generation++;
    const snapshot: JournalFile = {
      version: JOURNAL_VERSION,
      generation,
      entries: Object.fromEntries(this.entries),
      sessions: Object.fromEntries(this.sessionMap),
    };
    const text = JSON.stringify(snapshot);
    const records = this.entries.size + this.sessionMap.size;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await atomicWriteFile(this.file, text);
    this.generation = generation;
    this.snapshotBytes = Buffer.byteLength(text);
    this.snapshotRecords = records;
    const header = `${JSON.stringify({ generation } satisfies LogHeader)}\n`;
    await atomicWriteFile(this.logFile, header);
    this.logBytes = Buffer.byteLength(header);
    this.compactNext = false;
  }

  private async loadFromDisk(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn('Journal unreadable; starting empty (work already done is re-checked)', {
          file: this.file,
          error: String(e),
        });
      }
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      await this.setAside('not valid JSON');
      return;
    }
    if (
      typeof data !== 'object' ||
      data === null ||
      (data as JournalFile).version !== JOURNAL_VERSION
    ) {
      await this.setAside('unknown format');
      return;
    }
    const { entries, sessions, generation } = data as Partial<JournalFile>;
    this.snapshotBytes = Buffer.byteLength(text);
    let dropped = 0;
    for (const [rel, raw] of Object.entries(entries ?? {})) {
      if (!this.loadEntry(rel, raw)) dropped++;
    }
    for (const [rel, raw] of Object.entries(sessions ?? {})) {
      if (!this.loadSession(rel, raw)) dropped++;
    }
    this.snapshotRecords = this.entries.size + this.sessionMap.size;
    if (typeof generation === 'number') {
      this.generation = generation;
      dropped += await this.replayLog(generation);
    }
    if (dropped > 0) {
      this.logger.warn('Journal had damaged records; they were dropped', {
        file: this.file,
        dropped,
      });
      this.dirty = true;
    }
  }

  private loadEntry(rel: string, raw: unknown): boolean {
    const parsed = entrySchema.safeParse(raw);
    if (parsed.success) this.entries.set(rel, withoutUndefined(parsed.data));
    return parsed.success;
  }

  private loadSession(rel: string, raw: unknown): boolean {
    const parsed = sessionSchema.safeParse(raw);
    if (parsed.success) this.sessionMap.set(rel, parsed.data);
    return parsed.success;
  }

  /**
   * Applies the saves logged after the snapshot of `generation`, in order, up to a line cut short
   * by a crash (that save is lost whole). Returns how many records were damaged.
   */
  private async replayLog(generation: number): Promise<number> {
    let text: string;
    try {
      text = await fs.readFile(this.logFile, 'utf8');
    } catch {
      return 0; // no log: the snapshot is everything
    }
    const lines = text.split('\n');
    const header = parseLine<LogHeader>(lines[0] ?? '');
    // A log of another generation was already folded into this snapshot (or belongs to none).
    if (header?.generation !== generation) return 0;
    this.logBytes = Buffer.byteLength(text);
    // The last line may be cut: a new line must not be glued to it, so the next save compacts.
    this.compactNext = true;
    let dropped = 0;
    const saves = lines.slice(1);
    for (const [i, raw] of saves.entries()) {
      if (raw === '') continue;
      const line = parseLine<LogLine>(raw);
      if (!line) {
        // Cut short by a crash: this save and nothing after it happened. Saves after it mean
        // the log was damaged in the middle instead (an SD card returning a torn block): those
        // are not applied either, but a person should know, and have the log as found.
        const after = saves.slice(i + 1).filter((l) => l !== '').length;
        if (after > 0) await this.keepDamagedLog(text, after + 1);
        break;
      }
      for (const [rel, value] of Object.entries(line.e ?? {})) {
        if (value === null) this.entries.delete(rel);
        else if (!this.loadEntry(rel, value)) dropped++;
      }
      for (const [rel, value] of Object.entries(line.s ?? {})) {
        if (value === null) this.sessionMap.delete(rel);
        else if (!this.loadSession(rel, value)) dropped++;
      }
    }
    return dropped;
  }

  /** A copy of a log damaged before its end, kept beside it (the next snapshot replaces the log). */
  private async keepDamagedLog(text: string, skipped: number): Promise<void> {
    const aside = `${this.logFile}.corrupt`;
    await fs.writeFile(aside, text, { mode: 0o600 }).catch(() => {});
    this.logger.warn(
      'Journal log was damaged before its end; the saves from there on were not applied (work already done is re-checked)',
      { file: this.logFile, skipped, keptAs: aside },
    );
  }

  /** Keeps the damaged file for diagnosis (one copy) and starts empty. */
  private async setAside(why: string): Promise<void> {
    const aside = `${this.file}.corrupt`;
    await fs.rename(this.file, aside).catch(() => {});
    this.logger.warn(
      `Journal was damaged (${why}); starting empty (work already done is re-checked)`,
      {
        file: this.file,
        keptAs: aside,
      },
    );
  }
}

function parseLine<T>(line: string): T | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}

/**
 * A deep copy of journal data (plain objects, arrays, strings, numbers, booleans), so no caller
 * shares an object with the journal. Several times cheaper than structuredClone for these small
 * records, which are copied a few times per file.
 */
function copyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyOf) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyOf(v);
  }
  return out as T;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
