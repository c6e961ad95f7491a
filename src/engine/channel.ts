// Items handed from a producer to a consumer while the producer is still finding them: the pass
// gives each leg its files through one, so a leg starts on the first file staged while the rest
// are still being moved into transit (DESIGN.md, the life of a file).

/** Items as they come; ends when the producer is done (or the consumer gave up). */
export interface Source<T> extends AsyncIterable<T> {
  /**
   * Waits until an item is here (or the source ended, or `signal` aborted), then takes up to
   * `max` of the items here. Returns [] only at the end (or on abort).
   */
  take(max: number, signal?: AbortSignal): Promise<T[]>;
  /** Items here now, not yet taken: 0 means a consumer that takes now would wait. */
  readonly buffered: number;
  /** No more items will come: those still to take are all here. */
  readonly complete: boolean;
  /** No item is here and none will come. */
  readonly ended: boolean;
}

export class Channel<T> implements Source<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private dropped = false;
  private waiters: Array<() => void> = [];

  /** Hands an item over; dropped when the consumer gave up. */
  push(item: T): void {
    if (this.dropped) return;
    if (this.closed) throw new Error('push after end');
    this.items.push(item);
    this.wake();
  }

  /** No more items: a consumer drains what is here, then sees the end. */
  end(): void {
    this.closed = true;
    this.wake();
  }

  /** The consumer stopped taking: what is here is let go and later pushes are dropped. */
  abandon(): void {
    this.dropped = true;
    this.closed = true;
    this.items = [];
    this.head = 0;
    this.wake();
  }

  get buffered(): number {
    return this.items.length - this.head;
  }

  get complete(): boolean {
    return this.closed;
  }

  get ended(): boolean {
    return this.closed && this.buffered === 0;
  }

  async take(max: number, signal?: AbortSignal): Promise<T[]> {
    while (this.buffered === 0 && !this.closed) {
      if (signal?.aborted) return [];
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (signal?.aborted) return [];
    const n = Math.min(Math.max(1, max), this.buffered);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    // Taken items are let go in bulk, not one shift() at a time (that copies the whole array).
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const got = await this.take(1);
      if (got.length === 0) return;
      yield got[0] as T;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A source of items known at once (ended from the start). */
export function sourceOf<T>(items: Iterable<T>): Source<T> {
  const c = new Channel<T>();
  for (const item of items) c.push(item);
  c.end();
  return c;
}

/** The same source, each item seen through `fn` as it is taken (no queue, no loop in between). */
export function mapSource<T, U>(source: Source<T>, fn: (item: T) => U): Source<U> {
  return {
    get buffered() {
      return source.buffered;
    },
    get complete() {
      return source.complete;
    },
    get ended() {
      return source.ended;
    },
    async take(max, signal) {
      return (await source.take(max, signal)).map(fn);
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const got = await this.take(1);
        if (got.length === 0) return;
        yield got[0] as U;
      }
    },
  };
}

/** Callers with a list in hand may pass the list. */
export function asSource<T>(items: readonly T[] | Source<T>): Source<T> {
  return Array.isArray(items) ? sourceOf(items) : (items as Source<T>);
}
