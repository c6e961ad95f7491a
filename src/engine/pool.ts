// The one bounded-concurrency pool of the engine: async work over a list, or over a source as its
// items come, with at most `limit` in flight (Dropbox batches, large uploads, archive copies).
import type { Source } from './channel.js';

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** `fn` over the items of a source as they come, at most `limit` at a time. */
export async function forEachLimit<T>(
  source: Source<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const got = await source.take(1, signal);
      if (got.length === 0) return;
      await fn(got[0] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

/**
 * At most `limit` holders at a time, served in the order they asked. For work that gives its turn
 * up while it waits on something other than its own progress (a save shared by a group).
 */
export class Slots {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(limit: number) {
    this.free = Math.max(1, limit);
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }

  /** Runs `wait` without holding a slot (the caller holds one), and takes one again after it. */
  async without<T>(wait: () => Promise<T>): Promise<T> {
    this.release();
    try {
      return await wait();
    } finally {
      await this.acquire();
    }
  }
}
