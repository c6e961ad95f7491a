// The progress cache. The transit folder is the queue; the journal only saves work: known content
// hashes, finished legs, retry timing, open upload sessions. Losing it costs re-reading and
// re-sending bytes, never correctness, so a missing or damaged journal starts empty.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { silentLogger, type Logger, type SessionStore, type UploadSessionState } from '../ports.js';
import { atomicWriteFile } from '../fsutil/index.js';

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
  z.object({ path: z.string(), contentHash: z.string(), rev: z.string().optional() }),
);

const failureSchema = z.object({ code: z.string(), message: z.string(), atMs: z.number() });

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
});

export type JournalEntry = z.infer<typeof entrySchema>;
export type LegDone = z.infer<typeof legDoneSchema>;
export type OwnCopyRecord = z.infer<typeof ownCopySchema>;
export type LegRetry = z.infer<typeof legRetrySchema>;
export type FailureRecord = z.infer<typeof failureSchema>;

const JOURNAL_VERSION = 1;
/** Coalescing window of scheduleFlush(): at most one write per this many ms. */
export const FLUSH_DELAY_MS = 500;

interface JournalFile {
  version: number;
  entries: Record<string, JournalEntry>;
  sessions: Record<string, UploadSessionState>;
}

export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  private readonly sessionMap = new Map<string, UploadSessionState>();
  private dirty = false;
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
      this.changed();
    },
    delete: (rel) => {
      if (this.sessionMap.delete(rel)) this.changed();
    },
  };

  private constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** A missing or damaged file gives an empty journal and a warning; this never throws for that. */
  static async open(file: string, logger: Logger = silentLogger): Promise<Journal> {
    const journal = new Journal(file, logger);
    await journal.loadFromDisk();
    return journal;
  }

  entry(rel: string): JournalEntry | undefined {
    const e = this.entries.get(rel);
    return e && copyOf(e);
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
  update(rel: string, patch: Partial<JournalEntry>): JournalEntry {
    const old = this.entries.get(rel);
    const sameFile =
      old !== undefined &&
      (patch.size === undefined || patch.size === old.size) &&
      (patch.mtimeMs === undefined || patch.mtimeMs === old.mtimeMs);
    const base: JournalEntry = sameFile
      ? old
      : { size: old?.size ?? 0, mtimeMs: old?.mtimeMs ?? 0, attempts: 0, nextTryMs: 0 };
    const next: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete next[key];
      else next[key] = copyOf(value);
    }
    this.entries.set(rel, next as JournalEntry);
    this.changed();
    return copyOf(next as JournalEntry);
  }

  /** Sets the entry as given, dropping whatever was there (a new version of the file). */
  put(rel: string, entry: JournalEntry): void {
    this.entries.set(rel, withoutUndefined(copyOf(entry)));
    this.changed();
  }

  /** Forgets the file: its entry and any upload session. */
  delete(rel: string): void {
    const hadEntry = this.entries.delete(rel);
    const hadSession = this.sessionMap.delete(rel);
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

  /** Writes now if anything changed: temp file, fsync, rename, fsync of the folder. */
  flush(): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => this.writeIfDirty());
    return this.writing;
  }

  /**
   * Coalesced flush: at most one write per FLUSH_DELAY_MS however many changes arrive. A big
   * journal (a week's offline backlog) waits longer, so saving never takes more than ~20% of the time.
   */
  scheduleFlush(): void {
    if (this.timer || this.closed) return;
    const delay = Math.max(FLUSH_DELAY_MS, 4 * this.lastWriteMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((e: unknown) => {
        this.logger.warn('Could not save the journal; will retry', {
          file: this.file,
          error: String(e),
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
    await this.flush();
  }

  private changed(): void {
    this.dirty = true;
    this.scheduleFlush();
  }

  private async writeIfDirty(): Promise<void> {
    if (!this.dirty) return;
    const snapshot: JournalFile = {
      version: JOURNAL_VERSION,
      entries: Object.fromEntries(this.entries),
      sessions: Object.fromEntries(this.sessionMap),
    };
    this.dirty = false;
    const started = performance.now();
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await atomicWriteFile(this.file, JSON.stringify(snapshot));
      this.writes++;
      this.lastWriteMs = performance.now() - started;
    } catch (e) {
      this.dirty = true;
      throw e;
    }
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
    const { entries, sessions } = data as Partial<JournalFile>;
    let dropped = 0;
    for (const [rel, raw] of Object.entries(entries ?? {})) {
      const parsed = entrySchema.safeParse(raw);
      if (parsed.success) this.entries.set(rel, withoutUndefined(parsed.data));
      else dropped++;
    }
    for (const [rel, raw] of Object.entries(sessions ?? {})) {
      const parsed = sessionSchema.safeParse(raw);
      if (parsed.success) this.sessionMap.set(rel, parsed.data);
      else dropped++;
    }
    if (dropped > 0) {
      this.logger.warn('Journal had damaged records; they were dropped', {
        file: this.file,
        dropped,
      });
      this.dirty = true;
    }
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
