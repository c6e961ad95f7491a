// Group commit for folder fsyncs. A new name is durable only once its folder is synced, and a
// burst of files moved into one folder would otherwise pay one fsync each (on an SD card, a
// journal commit each: most of the time of a small file). Callers moving files at the same time
// ask for a sync of the folder and wait; one fsync answers everyone who asked before it started.
import { fsyncDir } from './fsync.js';

interface FolderState {
  /** The sync that will start once the running one is done; joins everyone asking meanwhile. */
  queued: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null;
  running: boolean;
}

export class FolderSyncs {
  private readonly folders = new Map<string, FolderState>();

  constructor(private readonly syncFolder: (dir: string) => Promise<void> = fsyncDir) {}

  /**
   * Resolves once an fsync of `dir` that started after this call has completed (so whatever the
   * caller did in the folder before calling is on disk); rejects with that fsync's error.
   */
  sync(dir: string): Promise<void> {
    let state = this.folders.get(dir);
    if (!state) {
      state = { queued: null, running: false };
      this.folders.set(dir, state);
    }
    if (state.queued) return state.queued.promise;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    state.queued = { promise, resolve, reject };
    if (!state.running) this.start(dir, state);
    return promise;
  }

  private start(dir: string, state: FolderState): void {
    const batch = state.queued;
    if (!batch) {
      this.folders.delete(dir);
      return;
    }
    state.queued = null;
    state.running = true;
    this.syncFolder(dir)
      .then(batch.resolve, batch.reject)
      .finally(() => {
        state.running = false;
        this.start(dir, state);
      });
  }
}
