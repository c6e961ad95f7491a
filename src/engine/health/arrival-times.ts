// When each file waiting in transit arrived (PassMemory.arrivedMs), kept by source (sourceOf) with a
// stamp per source that changes whenever that source's arrivals change. The silent-logger check
// learns again only the sources whose stamp moved since its last look (source-learner.ts): during
// a long outage the queue is all arrivals and hardly changes, and copying, grouping and sorting
// all of it after every pass cost tens of ms of CPU a pass at 20,000 queued files.
import { sourceOf } from './silent-sources.js';

/**
 * Stamps are unique across instances (one module counter): a learner that saw another engine's
 * arrivals (a restart in the same process, `status` before the daemon's first pass) never takes a
 * new set for the one it learnt from.
 */
let lastStamp = 0;

export class ArrivalTimes {
  /** Per source, each file's arrival, in the order the files were first recorded. */
  private readonly bySource = new Map<string, Map<string, number>>();
  private readonly stamps = new Map<string, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(rel: string): number | undefined {
    return this.bySource.get(sourceOf(rel))?.get(rel);
  }

  has(rel: string): boolean {
    return this.bySource.get(sourceOf(rel))?.has(rel) ?? false;
  }

  set(rel: string, atMs: number): this {
    const source = sourceOf(rel);
    let files = this.bySource.get(source);
    if (!files) this.bySource.set(source, (files = new Map()));
    if (!files.has(rel)) this.count++;
    files.set(rel, atMs);
    this.stamps.set(source, ++lastStamp);
    return this;
  }

  delete(rel: string): boolean {
    const source = sourceOf(rel);
    const files = this.bySource.get(source);
    if (!files?.delete(rel)) return false;
    this.count--;
    if (files.size === 0) this.bySource.delete(source);
    this.stamps.set(source, ++lastStamp);
    return true;
  }

  /** The sources with a file waiting. */
  sources(): IterableIterator<string> {
    return this.bySource.keys();
  }

  /** A source's files and their arrivals, in the order first recorded; empty when it has none. */
  of(source: string): ReadonlyMap<string, number> {
    return this.bySource.get(source) ?? EMPTY;
  }

  /** Changes whenever the source's arrivals change (0: never held any here). */
  stampOf(source: string): number {
    return this.stamps.get(source) ?? 0;
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();
