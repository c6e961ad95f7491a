// The "Resolved" alerts the repeat guard holds (AlertPolicy.held), kept in alerts-held.json in the
// settings folder: when each condition went. A restart used to lose it, and the next process,
// finding the condition gone at its first look, told "began 10:40 and lasted 4 min" of an outage
// that went at 10:42 (the restart's time, not the outage's). Written only when the held set
// changes (rare), by the process that syncs; a file that cannot be read is no hold.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../fsutil/index.js';
import type { HeldResolved } from '../status/types.js';

export const ALERT_HELD_FILE = 'alerts-held.json';

/** A condition whose "Resolved" was held, and when it went. */
export interface Went {
  id: string;
  atMs: number;
}

export class HeldResolvedFile {
  readonly file: string;
  /** What the file holds (as last read or written), to write only a change. */
  private saved = '[]';

  constructor(configDir: string) {
    this.file = path.join(configDir, ALERT_HELD_FILE);
  }

  async read(): Promise<Went[]> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(this.file, 'utf8'));
    } catch {
      return []; // none (nothing held), or damaged: the "Resolved" then says "lasted" as before
    }
    const went = (Array.isArray(parsed) ? (parsed as Partial<Went>[]) : []).filter(
      (w): w is Went => typeof w?.id === 'string' && typeof w.atMs === 'number',
    );
    this.saved = JSON.stringify(went);
    return went;
  }

  /** The file says otherwise than `held` (a hold began or ended; one left by the last process). */
  differs(held: readonly HeldResolved[]): boolean {
    return asText(held) !== this.saved;
  }

  /** Records what is held now; nothing when it has not changed. */
  async save(held: readonly HeldResolved[]): Promise<void> {
    const text = asText(held);
    if (text === this.saved) return;
    await atomicWriteFile(this.file, text);
    this.saved = text;
  }
}

function asText(held: readonly HeldResolved[]): string {
  return JSON.stringify(held.map((h): Went => ({ id: h.conditionId, atMs: h.wentMs })));
}
