// Every alert emitted, one JSON line each, so the digest (and `rdl-sync report` in another
// process) can list the alerts of the period. Bounded: trimmed to the newest lines when it grows.
// It is also what the next process knows of the alerts sent (AlertService.carryOver), so each
// line is on the disk before the alert goes out: a raise sent and then lost in a power cut was
// never cleared, since the next start did not know it had been announced.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, fsyncDir, isCode } from '../fsutil/index.js';
import type { Alert } from './types.js';

export const ALERT_LOG_FILE = 'alerts.jsonl';
/**
 * Room kept for the alert records on a disk that fills up. On a hub the settings folder is on the
 * one card with the data: when it fills, the "disk full" raise could not be recorded, and a
 * restart before the disk was freed (systemd, a reboot) then never sent its "resolved", since the
 * next process did not know it had been announced. This file is written once with zeros; a record
 * that meets a full disk is written over those zeros, in place, so it needs no new room and frees
 * none (freed room would be taken by the next write of anything else, leaving the disk as full and
 * the reserve gone). Its records are read after the log's, and moved into the log, ahead of the
 * next record, once the log takes writes again.
 */
export const ALERT_RESERVE_FILE = 'alerts.reserve';
const RESERVE_BYTES = 64 * 1024;
const KEEP_LINES = 1_000;
const TRIM_AT_LINES = 2_000;

export class AlertLog {
  readonly file: string;
  private readonly reserve: string;
  private lines: number | null = null;
  /** The folder was synced once the log file existed (its name is then durable). */
  private folderSynced = false;

  constructor(configDir: string) {
    this.file = path.join(configDir, ALERT_LOG_FILE);
    this.reserve = path.join(configDir, ALERT_RESERVE_FILE);
  }

  /** Resolves once the line is on the disk (alerts are rare: one fsync each costs nothing). */
  async append(alert: Alert): Promise<void> {
    const line = `${JSON.stringify(alert)}\n`;
    // Records kept in the reserve go into the log first, so the log stays in order. A write that
    // fails is taken back whole (writeLines); a crash before the reserve is zeroed leaves them in
    // both places: read twice, which changes nothing of what carryOver concludes (the last record
    // of a condition wins).
    // Counted in bytes, not characters: a record with “quotes” or a site named Forêt is longer
    // on the disk than its string, and the next record written at its character count overwrote
    // its end, losing both.
    const held = await this.reservedBytes();
    // A record there cut by a power loss (no line end) is ended first, as in the log: the next
    // one was glued to it and lost with it.
    const next = held.length > 0 && held[held.length - 1] !== 0x0a ? `\n${line}` : line;
    try {
      await this.writeLines(held.toString('utf8') + next);
    } catch (e) {
      if (!isCode(e, 'ENOSPC') || !(await this.writeInReserve(held.length, next))) throw e;
      return;
    }
    if (held.length > 0) await this.emptyReserve(held.length);
    if (!this.folderSynced) {
      await fsyncDir(path.dirname(this.file));
      this.folderSynced = true;
    }
    this.lines = (this.lines ?? (await this.read()).length) + 1;
    if (this.lines > TRIM_AT_LINES) {
      const keep = (await this.read()).slice(-KEEP_LINES);
      await atomicWriteFile(this.file, keep.map((a) => JSON.stringify(a)).join('\n') + '\n', {
        otherWriters: true,
      });
      this.lines = keep.length;
    }
    await this.keepReserve();
  }

  /**
   * Makes the reserve when it is missing (at start, and after a record once space is back).
   * Best effort: on a disk already full it is made later.
   */
  keepReserve(): Promise<void> {
    return this.makeReserve(true);
  }

  /** `remake`: an unfinished reserve found is removed and made again, once. */
  private async makeReserve(remake: boolean): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.reserve, 'wx', 0o600);
    } catch (e) {
      // There already, or no room even for its name. One left shorter than a reserve by a power
      // cut while it was made (0 bytes, or part of its zeros) holds no record: it was never
      // used, and kept as it is the next full disk would find no room in it. Made again.
      if (!remake || !isCode(e, 'EEXIST') || !(await this.unfinishedReserve())) return;
      await fs.rm(this.reserve, { force: true }).catch(() => undefined);
      return this.makeReserve(false);
    }
    try {
      // Real zeros, not a sparse file: the blocks must be allocated now, while there is room.
      await handle.writeFile(Buffer.alloc(RESERVE_BYTES));
      await handle.sync();
      await handle.close();
    } catch {
      await handle.close().catch(() => undefined);
      await fs.rm(this.reserve, { force: true }).catch(() => undefined);
    }
  }

  /** A reserve file shorter than a reserve, with no record in it: its making was cut short. */
  private async unfinishedReserve(): Promise<boolean> {
    const size = await fs.stat(this.reserve).then(
      (st) => (st.isFile() ? st.size : null),
      () => null,
    );
    return size !== null && size < RESERVE_BYTES && (await this.reservedBytes()).length === 0;
  }

  /** The records written in the reserve (the bytes before its first zero); empty when none. */
  private async reservedBytes(): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await fs.readFile(this.reserve);
    } catch {
      return Buffer.alloc(0);
    }
    const end = data.indexOf(0);
    return end === -1 ? data : data.subarray(0, end);
  }

  /** Writes `line` over the reserve's zeros at `used`, in place; false when it has no room. */
  private async writeInReserve(used: number, line: string): Promise<boolean> {
    const bytes = Buffer.from(line);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.reserve, 'r+');
    } catch {
      return false;
    }
    try {
      const { size } = await handle.stat();
      if (used + bytes.length > size) return false;
      await handle.write(bytes, 0, bytes.length, used);
      await handle.sync();
      return true;
    } finally {
      await handle.close();
    }
  }

  /** Zeros the reserve's records again, in place (they are in the log now). */
  private async emptyReserve(used: number): Promise<void> {
    const handle = await fs.open(this.reserve, 'r+');
    try {
      await handle.write(Buffer.alloc(used), 0, used, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async writeLines(text: string): Promise<void> {
    const handle = await fs.open(this.file, 'a+', 0o600);
    try {
      // writeFile, not write: on a disk filling up one write() stores what fits and answers
      // success. A line cut there (or by a power loss) is ended first, so this one is not glued
      // to it and lost with it.
      const { size } = await handle.stat();
      const cut = await endsCut(handle, size);
      try {
        await handle.writeFile(`${cut ? '\n' : ''}${text}`);
        await handle.sync();
      } catch (e) {
        // All or nothing: what fitted is taken back (shrinking needs no room). Records from the
        // reserve left whole in the log were written there again at the next append, and listed
        // twice in the digest; and meanwhile read from both places.
        await handle.truncate(size).catch(() => undefined);
        throw e;
      }
    } finally {
      await handle.close();
    }
  }

  /** All alerts kept, oldest first; a damaged line is skipped, never fatal. */
  async read(): Promise<Alert[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      text = '';
    }
    // The reserve's records are newer than every line of the log (see ALERT_RESERVE_FILE).
    text += `\n${(await this.reservedBytes()).toString('utf8')}`;
    const out: Alert[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as Alert);
      } catch {
        // a line cut by a power loss
      }
    }
    return out;
  }

  async since(startMs: number): Promise<Alert[]> {
    return (await this.read()).filter((a) => a.atMs >= startMs);
  }
}

/** Whether the file's last line has no end (a write cut short): one byte read, alerts are rare. */
async function endsCut(handle: fs.FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}
