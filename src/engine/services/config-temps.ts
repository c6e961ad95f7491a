// Temporaries a killed process leaves in the settings folder. The state files written through
// atomicWriteFile reuse one fixed `<file>.tmp`, so a torn one is replaced by the next write; the
// alert files are written by more than one process (the daemon, `rdl-sync alert test`) and so use
// `<file>.tmp-<pid>`, and the run lock writes `engine.lock.<uuid>.tmp` before linking it. A kill
// between write and rename (a power cut on a hub, a SIGKILL) left each of these for good: small,
// but a hub restarted by power cuts for months collects them. Removed when an engine takes the
// run lock: a `.tmp-<pid>` whose process is gone, a lock temporary older than any start-up.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ALERT_LOG_FILE } from '../alerts/alert-log.js';
import { ALERT_STATE_FILE } from '../alerts/alert-service.js';
import { LOCK_FILE, processAlive } from '../run-lock.js';
import type { Logger } from '../ports.js';

/** Files written as `<name>.tmp-<pid>` then renamed over `<name>`. */
const PID_TEMP_OWNERS = [ALERT_STATE_FILE, ALERT_LOG_FILE];
/** A lock temporary lives for one link() call; one this old belongs to a dead start-up. */
const LOCK_TEMP_MAX_AGE_MS = 10 * 60_000;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PID_TEMP = new RegExp(`^(?:${PID_TEMP_OWNERS.map(escape).join('|')})\\.tmp-(\\d+)$`);
const LOCK_TEMP = new RegExp(`^${escape(LOCK_FILE)}\\.[0-9a-f-]{36}\\.tmp$`);

/** Removes the stale temporaries in `configDir`; returns how many. Never throws. */
export async function removeStaleConfigTemps(
  configDir: string,
  logger: Logger,
  nowMs = Date.now(),
): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(configDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = PID_TEMP.exec(name)?.[1];
    const file = path.join(configDir, name);
    try {
      if (pid !== undefined) {
        if (Number(pid) === process.pid || processAlive(Number(pid))) continue;
      } else if (LOCK_TEMP.test(name)) {
        const st = await fs.lstat(file);
        if (nowMs - st.mtimeMs < LOCK_TEMP_MAX_AGE_MS) continue;
      } else continue;
      await fs.rm(file, { force: true });
      removed++;
    } catch (e) {
      logger.debug('could not remove a leftover temporary', {
        file,
        reason: (e as Error).message,
      });
    }
  }
  if (removed > 0) logger.info('removed temporaries left by a stopped process', { removed });
  return removed;
}
