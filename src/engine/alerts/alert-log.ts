// Every alert emitted, one JSON line each, so the digest (and `rdl-sync report` in another
// process) can list the alerts of the period. Bounded: trimmed to the newest lines when it grows.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Alert } from './types.js';

export const ALERT_LOG_FILE = 'alerts.jsonl';
const KEEP_LINES = 1_000;
const TRIM_AT_LINES = 2_000;

export class AlertLog {
  readonly file: string;
  private lines: number | null = null;

  constructor(configDir: string) {
    this.file = path.join(configDir, ALERT_LOG_FILE);
  }

  async append(alert: Alert): Promise<void> {
    await fs.appendFile(this.file, `${JSON.stringify(alert)}\n`, { mode: 0o600 });
    this.lines = (this.lines ?? (await this.read()).length) + 1;
    if (this.lines > TRIM_AT_LINES) {
      const keep = (await this.read()).slice(-KEEP_LINES);
      const tmp = `${this.file}.tmp-${process.pid}`;
      await fs.writeFile(tmp, keep.map((a) => JSON.stringify(a)).join('\n') + '\n', {
        mode: 0o600,
      });
      await fs.rename(tmp, this.file);
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
