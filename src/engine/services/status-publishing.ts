// Status publishing: a daemon (or the tray app) writes its status to status.json beside the
// settings, so `rdl-sync status`, `pause` and `resume` in another process can read it. Bursts of
// changes are coalesced into one write; the final write (pid null) is what a later `status`
// shows of a stopped engine.
import type { Clock, Logger } from '../ports.js';
import type { StatusModel } from '../status/model.js';
import { StatusFilePublisher } from '../status/status-file.js';
import { errnoCode } from '../fsutil/fsync.js';
import { liveLockOwner } from '../run-lock.js';
import {
  SETTINGS_UNWRITABLE_ID,
  settingsUnwritableProblem,
} from '../status/settings-unwritable.js';

/** status.json is written at least this often while the process runs. */
export const STATUS_KEEP_ALIVE_MS = 60_000;

export interface StatusPublishing {
  /** Writes the final snapshot and stops following changes. */
  stop(): Promise<void>;
  /** Writes the status now: whether the settings folder can be written, said as a problem. */
  check(): Promise<void>;
}

export function publishStatus(
  configDir: string,
  status: StatusModel,
  clock: Clock,
  logger: Logger,
  /** This engine holds the run lock (then status.json is its own to write). */
  holdsLock: () => boolean,
  keepAliveMs = STATUS_KEEP_ALIVE_MS,
): StatusPublishing {
  const publisher = new StatusFilePublisher(
    configDir,
    () => status.snapshot(),
    () => clock.now(),
    logger,
    undefined,
    // status.json is written after every pass: the one write that tells whether the folder can
    // be written at all. The problem reaches people by the alert channels; this file cannot.
    (e) => {
      const problem = e === null ? null : settingsUnwritableProblem(configDir, errnoCode(e));
      if (problem) {
        if (!status.hasProblem(SETTINGS_UNWRITABLE_ID)) logger.error(problem.message);
        status.raise(problem);
      } else if (e === null) status.clear(SETTINGS_UNWRITABLE_ID);
    },
    // status.json is the running daemon's: an engine that does not hold the run lock while
    // another live process does (a second `run` or a `once` from cron refused beside the
    // service, a tray app started beside it) leaves it alone. Before, the refused one's final
    // write replaced the daemon's status by its own blank "Up to date." with no problems, which
    // `rdl-sync status` showed until the daemon's next change (on an idle, offline hub: hours).
    async () => holdsLock() || (await liveLockOwner(configDir)) === null,
  );
  const unsubscribe = status.onChange(() => publisher.schedule());
  publisher.schedule();
  // Written at least this often, changed or not: a status that stops being written then means a
  // process that stopped running (frozen, its event loop blocked), which `rdl-sync status` says
  // (cli/stale-status.ts). Mid-pass, nothing may change for minutes (a hung link), and a frozen
  // daemon's "Syncing 1 file…, next pass: running now" was shown as current for good.
  const keepAlive = setInterval(() => publisher.schedule(), keepAliveMs);
  keepAlive.unref();
  return {
    check: () => publisher.write(false),
    async stop() {
      clearInterval(keepAlive);
      unsubscribe();
      await publisher.write(true);
    },
  };
}
