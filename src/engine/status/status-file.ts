// A running daemon publishes its status to <configDir>/status.json so that `rdl-sync status`
// (another process) can read it without any network service. Written atomically, at most once
// a second; the last write on a clean stop clears the pid.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../fsutil/index.js';
import type { Logger } from '../ports.js';
import type { StatusSnapshot } from './types.js';

export interface PublishedStatus {
  /** The daemon's pid while it runs, null after a clean stop. */
  pid: number | null;
  updatedAtMs: number;
  status: StatusSnapshot;
}

export function statusFilePath(configDir: string): string {
  return path.join(configDir, 'status.json');
}

export async function readStatusFile(configDir: string): Promise<PublishedStatus | null> {
  try {
    return JSON.parse(await fs.readFile(statusFilePath(configDir), 'utf8')) as PublishedStatus;
  } catch {
    return null;
  }
}

/**
 * When the last process that published here ended its last pass, if that is not in the future
 * (a clock set back, a Pi booted in 1970: the alert policy reads a pass after its start as having
 * looked at every carried condition). Null when none is known.
 */
export function publishedLastPassMs(
  published: PublishedStatus | null,
  nowMs: number,
): number | null {
  const last = published?.status?.lastPassMs;
  return typeof last === 'number' && Number.isFinite(last) && last <= nowMs ? last : null;
}

export class StatusFilePublisher {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly configDir: string,
    private readonly snapshot: () => StatusSnapshot,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
    /** After each write: null when it was saved, else why not. */
    private readonly onWritten: (error: unknown) => void = () => {},
    /** Asked before each write: false leaves the file to the process whose status it is. */
    private readonly mayWrite: () => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  /** Coalesces bursts of status changes into one write. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write(false);
    }, this.intervalMs);
    this.timer.unref();
  }

  async write(final: boolean): Promise<void> {
    if (final && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!(await this.mayWrite())) return;
    const file = statusFilePath(this.configDir);
    const body: PublishedStatus = {
      pid: final ? null : process.pid,
      updatedAtMs: this.now(),
      status: this.snapshot(),
    };
    try {
      // Not durable: it is rewritten every second while anything changes, and a daemon that
      // starts again publishes afresh, so a power cut costs nothing but SD-card wear would.
      await atomicWriteFile(file, JSON.stringify(body), { durable: false });
    } catch (e) {
      this.logger.debug('status file not written', { reason: (e as Error).message });
      this.onWritten(e);
      return;
    }
    this.onWritten(null);
  }
}
