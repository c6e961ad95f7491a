// The simulated link: a fixed latency per request and one shared bandwidth budget for every body
// that crosses it, in either direction (like a single uplink that all transfers share).
import { setTimeout as sleep } from 'node:timers/promises';

/** How much idle link time a burst may use up: a small router queue's worth. */
const QUEUE_CREDIT_MS = 20;

export interface LinkShape {
  latencyMs?: number;
  bytesPerSecond?: number;
}

export class Link {
  private latencyMs = 0;
  private bytesPerSecond = 0;
  /** When the link will have sent everything already reserved (ms, monotonic). */
  private busyUntil = 0;

  shape(opts: LinkShape): void {
    this.latencyMs = Math.max(0, opts.latencyMs ?? 0);
    this.bytesPerSecond = Math.max(0, opts.bytesPerSecond ?? 0);
  }

  async delay(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }

  /** Wait until `bytes` may pass. Reservations queue up, so concurrent transfers share the cap. */
  async pass(bytes: number): Promise<void> {
    if (this.bytesPerSecond <= 0 || bytes <= 0) return;
    const now = performance.now();
    // A real bottleneck has a queue: bytes that arrive while it is briefly idle are sent at once.
    // Without this credit every late timer wake-up and every moment spent handling a piece here
    // would be lost link time, and no client could reach the configured rate.
    const start = Math.max(now - QUEUE_CREDIT_MS, this.busyUntil);
    this.busyUntil = start + (bytes / this.bytesPerSecond) * 1000;
    const wait = this.busyUntil - now;
    if (wait > 1) await sleep(wait);
  }
}
