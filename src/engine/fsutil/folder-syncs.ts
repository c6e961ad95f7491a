// Group commit for folder fsyncs. A new name is durable only once its folder is synced, and a
// burst of files moved into one folder would otherwise pay one fsync each (on an SD card, a
// journal commit each: most of the time of a small file). Callers moving files at the same time
// ask for a sync of the folder and wait; one fsync answers everyone who asked before it started.
import { fsyncDir } from './fsync.js';

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
  /** The callers' own syncs, run together just before the folder's (see `sync`). */
  first: Array<() => Promise<void>>;
}

interface FolderState {
  /** The sync that will start once the running one is done; joins everyone asking meanwhile. */
  queued: Batch | null;
  running: boolean;
}

export class FolderSyncs {
  private readonly folders = new Map<string, FolderState>();

  constructor(private readonly syncFolder: (dir: string) => Promise<void> = fsyncDir) {}

  /**
   * Resolves once an fsync of `dir` that started after this call has completed (so whatever the
   * caller did in the folder before calling is on disk); rejects with that fsync's error.
   *
   * `first`: the caller's own sync to run just before (a moved file's bytes). The whole batch's
   * run at once: on ext4 each forces a journal commit, and run together they share one instead
   * of one each as the callers arrive. Its failure is this caller's alone.
   */
  sync(dir: string, first?: () => Promise<void>): Promise<void> {
    let state = this.folders.get(dir);
    if (!state) {
      state = { queued: null, running: false };
      this.folders.set(dir, state);
    }
    let batch = state.queued;
    if (!batch) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { promise, resolve, reject, first: [] };
      state.queued = batch;
      // Started on the next tick, so the callers of this tick join it (and its syncs run together).
      if (!state.running) {
        state.running = true;
        setImmediate(() => this.start(dir, state));
      }
    }
    if (!first) return batch.promise;
    let ownDone!: () => void;
    let ownFailed!: (e: unknown) => void;
    const own = new Promise<void>((res, rej) => {
      ownDone = res;
      ownFailed = rej;
    });
    batch.first.push(() => Promise.resolve().then(first).then(ownDone, ownFailed));
    return Promise.all([own, batch.promise]).then(() => {});
  }

  private start(dir: string, state: FolderState): void {
    const batch = state.queued;
    if (!batch) {
      state.running = false;
      this.folders.delete(dir);
      return;
    }
    state.queued = null;
    state.running = true;
    Promise.all(batch.first.map((run) => run()))
      .then(() => this.syncFolder(dir))
      .then(batch.resolve, batch.reject)
      .finally(() => {
        state.running = false;
        this.start(dir, state);
      });
  }
}
