// The simulated link: a fixed latency per request and one shared bandwidth budget for every body
// that crosses it, in either direction (like a single uplink that all transfers share), and
// optionally a reset every so often that cuts every open connection at once (a WiFi drop, a
// router's NAT table flushed): whatever was on the wire is lost and must be sent again.
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Timeline } from './timeline.js';

/** How much idle link time a burst may use up: a small router queue's worth. */
const QUEUE_CREDIT_MS = 20;

export interface LinkShape {
  latencyMs?: number;
  bytesPerSecond?: number;
  /** Cut every open API connection this often (0 or absent: never). */
  resetEveryMs?: number;
}

export class Link {
  private latencyMs = 0;
  private bytesPerSecond = 0;
  /** When the link will have sent everything already reserved (ms, monotonic). */
  private busyUntil = 0;
  private readonly sockets = new Set<Socket>();
  private resetTimer: NodeJS.Timeout | undefined;
  /** Resets so far (periodic or asked for). */
  resets = 0;
  /** Request-body bytes that crossed the link, including those later cut off by a reset. */
  receivedBytes = 0;
  /** When requests came and the link was busy, while a recording runs (the benchmark's view). */
  readonly timeline = new Timeline();

  shape(opts: LinkShape): void {
    this.latencyMs = Math.max(0, opts.latencyMs ?? 0);
    this.bytesPerSecond = Math.max(0, opts.bytesPerSecond ?? 0);
    clearInterval(this.resetTimer);
    this.resetTimer = undefined;
    const every = opts.resetEveryMs ?? 0;
    if (every > 0) {
      this.resetTimer = setInterval(() => this.reset(), every);
      this.resetTimer.unref();
    }
  }

  /** Connections carrying API requests; a reset cuts them all (admin requests are not tracked). */
  track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Cuts every tracked connection now; returns how many were open. */
  reset(): number {
    const open = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.resets++;
    return open;
  }

  /** Stops the reset timer (the emulator is closing). */
  stop(): void {
    clearInterval(this.resetTimer);
    this.resetTimer = undefined;
  }

  async delay(): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }

  /** A request body's bytes arrived: counted, then held until the link could have carried them. */
  async receive(bytes: number): Promise<void> {
    this.receivedBytes += bytes;
    await this.pass(bytes);
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
    const wall = performance.timeOrigin;
    this.timeline.linkBusy(wall + start, wall + this.busyUntil);
    const wait = this.busyUntil - now;
    if (wait > 1) await sleep(wait);
  }
}
