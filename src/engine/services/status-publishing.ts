// Status publishing: a daemon (or the tray app) writes its status to status.json beside the
// settings, so `rdl-sync status`, `pause` and `resume` in another process can read it. Bursts of
// changes are coalesced into one write; the final write (pid null) is what a later `status`
// shows of a stopped engine.
import type { Clock, Logger } from '../ports.js';
import type { StatusModel } from '../status/model.js';
import { StatusFilePublisher } from '../status/status-file.js';

export interface StatusPublishing {
  /** Writes the final snapshot and stops following changes. */
  stop(): Promise<void>;
}

export function publishStatus(
  configDir: string,
  status: StatusModel,
  clock: Clock,
  logger: Logger,
): StatusPublishing {
  const publisher = new StatusFilePublisher(
    configDir,
    () => status.snapshot(),
    () => clock.now(),
    logger,
  );
  const unsubscribe = status.onChange(() => publisher.schedule());
  publisher.schedule();
  return {
    async stop() {
      unsubscribe();
      await publisher.write(true);
    },
  };
}
