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
 * next process did not know it had been announced. This file holds that room; a record that meets
 * a full disk frees it and is written in its place.
 */
export const ALERT_RESERVE_FILE = 'alerts.reserve';
const RESERVE_BYTES = 64 * 1024;
const KEEP_LINES = 1_000;
const TRIM_AT_LINES = 2_000;

export class AlertLog {
  readonly file: string;
  private lines: number | null = null;
  /** The folder was synced once the log file existed (its name is then durable). */
  private folderSynced = false;

  constructor(configDir: string) {
    this.file = path.join(configDir, ALERT_LOG_FILE);
  }

  /** Resolves once the line is on the disk (alerts are rare: one fsync each costs nothing). */
  async append(alert: Alert): Promise<void> {
    try {
      await this.writeLine(alert);
    } catch (e) {
      if (!isCode(e, 'ENOSPC') || !(await this.releaseReserve())) throw e;
      await this.writeLine(alert); // a line cut by the first try is ended first (endsCut)
    }
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
  async keepReserve(): Promise<void> {
    const reserve = path.join(path.dirname(this.file), ALERT_RESERVE_FILE);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(reserve, 'wx', 0o600);
    } catch {
      return; // there already (or no room even for its name)
    }
    try {
      // Real bytes, not a sparse file: only written blocks are given back by the unlink.
      await handle.writeFile(Buffer.alloc(RESERVE_BYTES));
      await handle.sync();
      await handle.close();
    } catch {
      await handle.close().catch(() => undefined);
      await fs.rm(reserve, { force: true }).catch(() => undefined);
    }
  }

  /** Frees the reserve's room for a record; false when there was none. */
  private async releaseReserve(): Promise<boolean> {
    try {
      await fs.unlink(path.join(path.dirname(this.file), ALERT_RESERVE_FILE));
      return true;
    } catch {
      return false;
    }
  }

  private async writeLine(alert: Alert): Promise<void> {
    const handle = await fs.open(this.file, 'a+', 0o600);
    try {
      // writeFile, not write: on a disk filling up one write() stores what fits and answers
      // success. A line cut there (or by a power loss) is ended first, so this one is not glued
      // to it and lost with it.
      const cut = await endsCut(handle);
      await handle.writeFile(`${cut ? '\n' : ''}${JSON.stringify(alert)}\n`);
      await handle.sync();
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
      return [];
    }
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
async function endsCut(handle: fs.FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}
