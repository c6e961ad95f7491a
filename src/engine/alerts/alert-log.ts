// Every alert emitted, one JSON line each, so the digest (and `rdl-sync report` in another
// process) can list the alerts of the period. Bounded: trimmed to the newest lines when it grows.
// It is also what the next process knows of the alerts sent (AlertService.carryOver), so each
// line is on the disk before the alert goes out: a raise sent and then lost in a power cut was
// never cleared, since the next start did not know it had been announced.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile, fsyncDir } from '../fsutil/index.js';
import type { Alert } from './types.js';

export const ALERT_LOG_FILE = 'alerts.jsonl';
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
