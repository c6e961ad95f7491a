// Recent transfers, newest first. Persisted as JSON lines: an append per save instead of a
// rewrite, compacted (atomically) when the file grows past the limit by a margin, so it stays
// bounded. A crash can tear the last line; that line is dropped on open and the file repaired.
import fs from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { silentLogger, type Logger } from '../ports.js';
import type { HistoryQuery, HistoryRecord } from '../status/types.js';
import { atomicWriteFile } from '../fsutil/index.js';

export const DEFAULT_QUERY_LIMIT = 100;
const SAVE_DELAY_MS = 500;
/** The history is read in slices of this size at open (a full one is a few MB). */
const LOAD_SLICE_BYTES = 1 << 20;

/** How far past the limit the file may grow before it is rewritten. */
function compactionMargin(limit: number): number {
  return Math.max(50, Math.ceil(limit / 10));
}

/**
 * A save someone waits for (flush(): the records of finished files, before they leave transit)
 * appends even when the file is due to be rewritten, and leaves the rewrite to the coalesced save
 * that follows, which no file waits for: made in the wait, the rewrite (the file read and written
 * again, a few MB when full) held a big pass's finished files in transit 13-48 ms here. Past the
 * limit by this many margins, the waited-for save rewrites anyway: the file stays bounded.
 */
export const DEFERRED_REWRITE_MARGINS = 2;

export class History {
  /**
   * Oldest first. The newest `limit` are the history; up to a margin more, older, wait to be
   * dropped together (see append) and are never shown.
   */
  private records: HistoryRecord[] = [];
  private pending: string[] = [];
  private linesOnDisk = 0;
  private lastId = 0;
  private needsRewrite = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private limit: number,
    private readonly logger: Logger,
    private readonly saveDelayMs: number,
  ) {}

  /** `saveDelayMs`: the coalescing window of saves no caller waits for (SAVE_DELAY_MS; tests change it). */
  static async open(
    file: string,
    limit: number,
    logger: Logger = silentLogger,
    { saveDelayMs = SAVE_DELAY_MS }: { saveDelayMs?: number } = {},
  ): Promise<History> {
    const history = new History(file, checkLimit(limit), logger, saveDelayMs);
    await history.load();
    // The repair can wait for room: a full disk (a torn last line is what a full disk leaves)
    // made the daemon's start fail on a bare "ENOSPC … write" until space was freed (the crash
    // torture, onecard). needsRewrite stays set, so no line is appended to the torn one.
    if (history.needsRewrite)
      await history.flush().catch((e: unknown) =>
        logger.warn('Could not repair transfer history yet; will retry', {
          file,
          error: String(e),
        }),
      );
    return history;
  }

  append(rec: Omit<HistoryRecord, 'id'>): HistoryRecord {
    const record: HistoryRecord = { ...copyRecord(rec), id: ++this.lastId };
    this.records.push(record);
    // The oldest go a margin's worth at a time: dropping one per append moved the whole array
    // (5,000 records by default) for every file once the history was full.
    if (this.records.length > this.limit + compactionMargin(this.limit))
      this.records.splice(0, this.records.length - this.limit);
    this.pending.push(JSON.stringify(record));
    this.scheduleFlush();
    return copyRecord(record);
  }

  /** When the newest file that reached both legs finished, or null (read without copying). */
  newestDoneMs(): number | null {
    for (let i = this.records.length - 1; i >= this.firstKept(); i--) {
      const r = this.records[i]!;
      if (r.outcome === 'done') return r.finishedAtMs;
    }
    return null;
  }

  /** Newest first. `search` is a case-insensitive substring of rel; `beforeId` pages backwards. */
  query(q: HistoryQuery = {}): HistoryRecord[] {
    const limit = Math.max(0, Math.floor(q.limit ?? DEFAULT_QUERY_LIMIT));
    const needle = q.search?.trim().toLowerCase() ?? '';
    const out: HistoryRecord[] = [];
    const first = this.firstKept();
    for (let i = this.records.length - 1; i >= first && out.length < limit; i--) {
      const r = this.records[i]!;
      if (q.beforeId !== undefined && r.id >= q.beforeId) continue;
      if (q.onlyFailures && r.outcome !== 'failed') continue;
      if (needle && !r.rel.toLowerCase().includes(needle)) continue;
      out.push(copyRecord(r));
    }
    return out;
  }

  /**
   * When each of the newest `limit` records' files arrived, newest first, leaving out the card's
   * retention deletions (not arrivals). Read without copying the records: the silent-source check
   * reads up to 5,000 after every pass that moved files, on the way to the pass's end.
   */
  recentArrivals(limit: number): Array<{ rel: string; atMs: number }> {
    const out: Array<{ rel: string; atMs: number }> = [];
    const first = Math.max(this.firstKept(), this.records.length - limit);
    for (let i = this.records.length - 1; i >= first; i--) {
      const r = this.records[i]!;
      if (r.outcome !== 'archive-removed') out.push({ rel: r.rel, atMs: r.startedAtMs });
    }
    return out;
  }

  /** Whether a record of `rel` finished at `finishedAtMs` is kept (crash recovery of the pipeline). */
  hasRecord(rel: string, finishedAtMs: number): boolean {
    const first = this.firstKept();
    for (let i = this.records.length - 1; i >= first; i--) {
      const r = this.records[i]!;
      if (r.rel === rel && r.finishedAtMs === finishedAtMs) return true;
    }
    return false;
  }

  /** The newest kept record of `rel`, if any (scanned from the newest: a file's recent past). */
  newestOf(rel: string): HistoryRecord | undefined {
    const first = this.firstKept();
    for (let i = this.records.length - 1; i >= first; i--) {
      const r = this.records[i]!;
      if (r.rel === rel) return r;
    }
    return undefined;
  }

  count(): number {
    return this.records.length - this.firstKept();
  }

  /** Index of the oldest record that is part of the history (older ones wait to be dropped). */
  private firstKept(): number {
    return Math.max(0, this.records.length - this.limit);
  }

  /** Applies a new historyLimit setting; the file shrinks on the next save. */
  setLimit(limit: number): void {
    this.limit = checkLimit(limit);
    if (this.records.length > this.limit) {
      this.records.splice(0, this.records.length - this.limit);
      this.scheduleFlush();
    }
  }

  /** Saves the records appended since the last save (see DEFERRED_REWRITE_MARGINS). */
  flush(): Promise<void> {
    return this.save(false);
  }

  /** `mayRewrite`: no caller waits for this save (the coalesced one, or close). */
  private save(mayRewrite: boolean): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => this.write(mayRewrite));
    return this.writing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.save(true);
  }

  private scheduleFlush(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save(true).catch((e: unknown) => {
        this.logger.warn('Could not save transfer history; will retry', {
          file: this.file,
          error: String(e),
        });
        this.scheduleFlush();
      });
    }, this.saveDelayMs);
    this.timer.unref();
  }

  private async write(mayRewrite: boolean): Promise<void> {
    const lines = this.pending;
    const margin = compactionMargin(this.limit);
    const onDisk = this.linesOnDisk + lines.length;
    const overLimit = onDisk > this.limit + margin;
    const rewrite =
      this.needsRewrite ||
      onDisk > this.limit + DEFERRED_REWRITE_MARGINS * margin ||
      (overLimit && mayRewrite);
    // Put off: the coalesced save (due in saveDelayMs) rewrites, even with no new line.
    if (overLimit && !rewrite) this.scheduleFlush();
    if (lines.length === 0 && !rewrite) return;
    this.pending = [];
    // The records as of these lines, taken before any await: a record appended meanwhile is in
    // the next save's lines, and written into this rewrite too it would be on disk twice. (Only
    // for a rewrite: a plain append, every few dozen files, needs no copy of 5,000 records.)
    const kept = rewrite ? this.records.slice(this.firstKept()) : [];
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      if (rewrite) {
        const tail = this.needsRewrite ? null : await this.newestLinesOnDisk(lines);
        await atomicWriteFile(
          this.file,
          tail ?? kept.map((r) => `${JSON.stringify(r)}\n`).join(''),
        );
        this.linesOnDisk = kept.length;
        this.needsRewrite = false;
      } else {
        const handle = await fs.open(this.file, 'a', 0o600);
        try {
          await handle.writeFile(lines.map((l) => `${l}\n`).join(''));
          await handle.sync();
        } catch (e) {
          // Part of the lines may be there: the next save rewrites the file whole.
          this.needsRewrite = true;
          throw e;
        } finally {
          await handle.close();
        }
        this.linesOnDisk += lines.length;
      }
    } catch (e) {
      this.pending = [...lines, ...this.pending];
      throw e;
    }
  }

  /**
   * The bytes of the compacted file, taken from the file itself: its newest lines and the pending
   * ones, the newest `limit` of them, without serializing every kept record again (a full history
   * is compacted every few hundred files, and serializing its 5,000 records cost more than the
   * files did; the kept lines are not decoded either). Null when the file is not exactly the
   * lines this history wrote (then the caller writes the records out).
   */
  private async newestLinesOnDisk(pending: string[]): Promise<Buffer | null> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.file);
    } catch {
      return null;
    }
    const total = this.linesOnDisk + pending.length;
    const skip = Math.max(0, total - this.limit);
    let start = 0;
    let lines = 0;
    for (let at = 0; at < bytes.length; lines++) {
      const nl = bytes.indexOf(0x0a, at);
      if (nl === -1) return null; // a last line without its end: not ours
      // Blank lines are not counted on load: a file holding any is not line for line ours.
      if (nl === at) return null;
      at = nl + 1;
      if (lines + 1 === skip) start = at;
    }
    if (lines !== this.linesOnDisk) return null;
    const fromPending = pending.slice(Math.max(0, skip - this.linesOnDisk));
    const head = skip >= this.linesOnDisk ? bytes.subarray(0, 0) : bytes.subarray(start);
    return Buffer.concat([head, Buffer.from(fromPending.map((l) => `${l}\n`).join(''), 'utf8')]);
  }

  private async load(): Promise<void> {
    let endsWithNewline: boolean;
    let bad = 0;
    const take = (line: string): void => {
      if (line.trim() === '') return;
      this.linesOnDisk++;
      const record = parseRecord(line);
      if (!record) {
        bad++;
        return;
      }
      this.lastId = Math.max(this.lastId, record.id);
      this.records.push(record);
      // Trim as we go so a long file never sits in memory whole.
      if (this.records.length > this.limit * 2)
        this.records.splice(0, this.records.length - this.limit);
    };
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.logger.warn('Transfer history unreadable; starting a new one', {
        file: this.file,
        error: String(e),
      });
      this.needsRewrite = true;
      return;
    }
    try {
      // Read in large slices and split here: a line iterator (readline) paid a promise and a
      // string event per line, about 60 ms for a full history (5,000 records, 2.7 MB) at every
      // start of a daemon, before its first upload.
      const buffer = Buffer.allocUnsafe(LOAD_SLICE_BYTES);
      const decoder = new StringDecoder('utf8');
      let carry = '';
      let lastByte = -1;
      for (;;) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
        } catch (e) {
          if (lastByte !== -1) throw e;
          // Not readable at all (a folder of that name, an unreadable block at its start).
          this.logger.warn('Transfer history unreadable; starting a new one', {
            file: this.file,
            error: String(e),
          });
          this.needsRewrite = true;
          return;
        }
        if (bytesRead === 0) break;
        lastByte = buffer[bytesRead - 1]!;
        const text = carry + decoder.write(buffer.subarray(0, bytesRead));
        let at = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', at)) {
          take(text.slice(at, nl));
          at = nl + 1;
        }
        carry = text.slice(at);
      }
      carry += decoder.end();
      if (carry !== '') take(carry);
      if (lastByte === -1) return; // empty
      endsWithNewline = lastByte === 0x0a;
    } finally {
      await handle.close();
    }
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
    this.records.sort((a, b) => a.id - b.id);
    if (bad > 0 || !endsWithNewline) {
      // A torn last line would otherwise be glued to the next append.
      if (bad > 0) {
        // The rewrite drops them: a copy of the file as found stays for a person to look at (a
        // power cut can leave a block of NULs where records were).
        const keptAs = `${this.file}.damaged`;
        const kept = await fs.copyFile(this.file, keptAs).then(
          () => true,
          () => false,
        );
        this.logger.warn('Transfer history had damaged lines; they were dropped', {
          file: this.file,
          dropped: bad,
          ...(kept ? { keptAs } : {}),
        });
      }
      this.needsRewrite = true;
    }
  }
}

/**
 * A copy no caller shares with the kept records. A record is flat apart from its two leg results,
 * whose fields are plain values: copying those two levels is a deep copy, at a fraction of
 * structuredClone's cost (a record is copied twice per file, and a query copies thousands).
 */
function copyRecord<T extends Omit<HistoryRecord, 'id'>>(r: T): T {
  return { ...r, upload: { ...r.upload }, archive: { ...r.archive } };
}

function parseRecord(line: string): HistoryRecord | undefined {
  try {
    const r = JSON.parse(line) as Partial<HistoryRecord> | null;
    if (
      r &&
      Number.isSafeInteger(r.id) &&
      typeof r.rel === 'string' &&
      (r.outcome === 'done' || r.outcome === 'failed' || r.outcome === 'archive-removed') &&
      typeof r.upload === 'object' &&
      typeof r.archive === 'object'
    ) {
      return r as HistoryRecord;
    }
  } catch {
    // falls through: a damaged line
  }
  return undefined;
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`History limit must be a whole number of at least 1 (got ${limit})`);
  }
  return limit;
}
