// How many calls on one archive may be out at once. A card that stops answering holds, in the
// kernel, the thread-pool thread of every call it has, and nothing can take them back; every
// other file call of the process (the upload's reads of transit, the journal's and the status's
// saves) waits for a free thread. The systemd unit gives the pool 24 threads, but the tray app
// and a daemon started by hand run with Node's 4, and a copy of many small files (16 in flight)
// held all of them: the whole process waited until the card came back. So no more calls go to one
// archive at once than the pool has threads, less those kept for the rest.

/**
 * Threads no archive may take: the upload's reads of transit, the journal's and status's saves go
 * on through it while a card hangs, slower. Two kept cost copies to a card a third of their speed
 * with Node's 4 (fsyncs held 20 ms, as on a card: 65 -> 42 files/s; one kept: 52).
 */
export const THREADS_KEPT = 1;
/** libuv's own bounds on its pool. */
const MAX_POOL = 1024;
const DEFAULT_POOL = 4;

/**
 * The thread pool this process has: libuv reads UV_THREADPOOL_SIZE once, as the pool starts (before
 * any code of RDL Sync runs, which never sets it), by its own rule: unset is 4, a value it cannot
 * read (or 0) is 1, anything above 1024 is 1024.
 */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.UV_THREADPOOL_SIZE;
  if (value === undefined) return DEFAULT_POOL;
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n) || n === 0) return 1;
  // (libuv takes it as unsigned: a negative number is past the top.)
  return n < 0 ? MAX_POOL : Math.min(n, MAX_POOL);
}

/** Calls on one archive that may be out at once, with `pool` threads. */
export function cardCallsAtOnce(pool = threadPoolSize()): number {
  return Math.max(1, pool - THREADS_KEPT);
}

/**
 * Calls let through `capacity` at a time, the rest in order of arrival. Waiting calls can be
 * refused all at once: once the archive is known to hang, none of them would be answered.
 */
export class CallGate {
  private out = 0;
  private readonly waiting: { go: () => void; refuse: (e: Error) => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Calls out now (for tests and figures). */
  get inFlight(): number {
    return this.out;
  }

  /** Resolves once the call may go; every `enter` that resolved is paired with one `leave`. */
  enter(): Promise<void> {
    if (this.out < this.capacity) {
      this.out++;
      return Promise.resolve();
    }
    return new Promise<void>((go, refuse) => this.waiting.push({ go, refuse }));
  }

  /** Takes a place now if one is free (and none waits), else false: for a call that will not wait. */
  tryEnter(): boolean {
    if (this.out >= this.capacity) return false;
    this.out++;
    return true;
  }

  leave(): void {
    const next = this.waiting.shift();
    // Its place passes straight to the next call: the count stays as it is.
    if (next) next.go();
    else this.out--;
  }

  refuseWaiting(error: () => Error): void {
    for (const w of this.waiting.splice(0)) w.refuse(error());
  }
}
