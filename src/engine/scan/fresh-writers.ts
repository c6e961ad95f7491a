// "Is anyone writing this file now?", asked right before a file copied across disks loses its
// watch-folder name. A logger that opened the file while it was being copied (one that opens its
// file, then blocks on a serial read) and wrote after the removal wrote into the removed file:
// the line was lost, and the copy recorded as done (found by an integrity trial with a 200 MB file
// on a transit disk of its own). The scan's snapshot is older than the copy, so a new one is
// taken; files staged side by side share it (open-writers.ts: a few ms each, not per file).
import type { WriterProbe, WriterSnapshot } from './open-writers.js';

export interface FreshWriters {
  /** A snapshot of the open writers begun after this call; null where it cannot be known. */
  fresh(): Promise<WriterSnapshot | null>;
}

export function freshWriters(probe: WriterProbe): FreshWriters {
  /** The snapshot under way, if any: begun before some caller asked, so not fresh for them. */
  let running: Promise<WriterSnapshot | null> | null = null;
  /** The next one, to begin once the running one has ended: fresh for everyone asking now. */
  let next: Promise<WriterSnapshot | null> | null = null;
  const begin = (): Promise<WriterSnapshot | null> => {
    const snapshot = probe().catch(() => null);
    running = snapshot;
    void snapshot.then(() => {
      if (running === snapshot) running = null;
    });
    return snapshot;
  };
  return {
    fresh() {
      if (next) return next;
      if (!running) return begin();
      // One at a time: two would each cost as much and answer nothing more.
      const queued = running.then(() => {
        next = null;
        return begin();
      });
      next = queued;
      return queued;
    },
  };
}
