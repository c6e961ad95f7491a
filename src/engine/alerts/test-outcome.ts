// The outcome of the last `rdl-sync alert test`, for the process that syncs. A channel that failed
// (a relay down, a webhook refusing) is a problem in that process's status, cleared only when one
// of its own sends goes through: after the person fixed the relay and saw "ok" from `alert test`
// (another process), `rdl-sync status` still said alerts by email fail, for as long as no alert
// was owed or due. The test writes this file; the syncing process reads it at its next tick.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../fsutil/index.js';
import type { ChannelId } from './channels/types.js';

export const ALERT_TEST_FILE = 'alert-test.json';

export interface AlertTestOutcome {
  atMs: number;
  /** The process that ran the test (the syncing one ignores its own: it saw the results). */
  pid: number;
  /** The channels the test went through. */
  ok: ChannelId[];
}

const CHANNELS = new Set<string>(['email', 'webhook', 'command']);

export async function writeAlertTestOutcome(
  configDir: string,
  outcome: AlertTestOutcome,
): Promise<void> {
  await atomicWriteFile(path.join(configDir, ALERT_TEST_FILE), JSON.stringify(outcome), {
    otherWriters: true,
  });
}

/** The last test's outcome, or null (none, or a file this version cannot read). */
export async function readAlertTestOutcome(configDir: string): Promise<AlertTestOutcome | null> {
  try {
    const raw = JSON.parse(
      await fs.readFile(path.join(configDir, ALERT_TEST_FILE), 'utf8'),
    ) as Partial<AlertTestOutcome>;
    if (typeof raw.atMs !== 'number' || typeof raw.pid !== 'number' || !Array.isArray(raw.ok))
      return null;
    const ok = raw.ok.filter((c): c is ChannelId => typeof c === 'string' && CHANNELS.has(c));
    return { atMs: raw.atMs, pid: raw.pid, ok };
  } catch {
    return null;
  }
}
