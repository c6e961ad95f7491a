// Empty upload sessions held for the small files still to come, so that a pass's first
// append_batch need not wait a start_batch round trip first. Two kinds are held:
//  - sessions asked for ahead while the pass's scan still runs (prepare: the scan's hint);
//  - spare ones: every start_batch asks SPARE_SESSIONS beyond the files it is for, and those a
//    pass leaves unused are kept for the next. A daemon whose sites drop a few files at a time
//    then sends them in two requests (append_batch, finish_batch_v2) instead of three, and asks
//    for new sessions only when the spare ones fall short (about every 25 passes of 5 files).
// An empty session costs nothing on Dropbox and expires there by itself; one is never used twice
// (a session an append was sent to is closed), so only ids never handed to a file are kept.
import { SyncError } from '../errors.js';
import { monotonicNow, type Clock, type Logger } from '../ports.js';

/** Most ids one start_batch opens (Dropbox's limit). */
export const MAX_SESSIONS_PER_CALL = 1000;

/**
 * Sessions a start_batch asks for beyond its files, kept for the next pass: about two round trips
 * of 8 KiB files at 100 Mbit/s (a pass of more asks for the rest as soon as it starts), and a
 * typical hub's passes (a few files each) for a good while. At real session-id length (~70
 * bytes) about 10 KB more in one answer.
 */
export const SPARE_SESSIONS = 128;

/**
 * Held sessions are used within this long or dropped. Dropbox keeps an unused session for 7 days
 * (48 hours in older documentation): an hour is far inside either, and outlasts the gap between
 * a camera's files (15-30 minutes). Should Dropbox have forgotten one anyway, its file goes the
 * one-file way and the other spare ids are dropped (SessionIds.forgetSpare): nothing is lost.
 */
export const RESERVE_MAX_AGE_MS = 60 * 60 * 1000;

/** Session ids on their way: a start_batch's answer, and when it was asked for. */
export interface AskedIds {
  ids: Promise<string[]>;
  atMs: number;
}

/** What an upload starts with: ids in hand (spare) and the batch asked for ahead, if any. */
export interface HeldSessions {
  spare: string[];
  spareAtMs: number;
  asked: AskedIds | null;
}

export class SessionReserve {
  private spare: { ids: string[]; atMs: number } | null = null;
  private asked: AskedIds | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly startBatch: (count: number, signal?: AbortSignal) => Promise<string[]>,
    private readonly logger: Logger,
  ) {}

  /** Monotonic: an age is a duration, whatever NTP does to the wall clock (a Pi without RTC). */
  now(): number {
    return monotonicNow(this.clock);
  }

  /**
   * The scan's hint: `files` small files are coming; `more`: the walk goes on, so that is only a
   * lower bound. A final count the spare ids already cover asks for nothing; a lower bound asks
   * anyway (the spare ids start the upload, these follow them). What it asks includes
   * SPARE_SESSIONS for the pass after, as every start_batch does: the spare ones are topped up
   * whenever they run short, never left to run out.
   */
  prepare(files: number, more: boolean, signal?: AbortSignal): void {
    if (files <= 0 || (this.asked && this.fresh(this.asked.atMs))) return;
    const need = files - (more ? 0 : this.spareCount());
    if (need <= 0) return;
    const want = Math.min(MAX_SESSIONS_PER_CALL, need + SPARE_SESSIONS);
    const ids = this.startBatch(want, signal);
    // Its failure is the upload's to meet (as that call's own); one never used is no rejection
    // left unhandled. One given up by a stop is no one's failure, and no later pass's to meet.
    ids.catch((e: unknown) => {
      if (signal?.aborted) {
        if (this.asked?.ids === ids) this.asked = null;
        return;
      }
      this.logger.info('Dropbox: upload sessions asked for ahead could not be opened', {
        code: e instanceof SyncError ? e.code : 'unknown',
      });
    });
    this.asked = { ids, atMs: this.now() };
  }

  /** Everything held and still fresh, handed to an upload that needs sessions: held no more. */
  takeAll(): HeldSessions {
    const spare = this.freshSpare();
    const asked = this.asked && this.fresh(this.asked.atMs) ? this.asked : null;
    this.spare = null;
    this.asked = null;
    return { spare: spare?.ids ?? [], spareAtMs: spare?.atMs ?? 0, asked };
  }

  /** Ids an upload got and never handed to a file, asked for at `atMs`: kept for the next. */
  keep(ids: readonly string[], atMs: number): void {
    if (ids.length === 0 || !this.fresh(atMs)) return;
    const held = this.freshSpare();
    this.spare = {
      ids: [...(held?.ids ?? []), ...ids].slice(0, MAX_SESSIONS_PER_CALL),
      // The older asking time: none is kept past its age.
      atMs: Math.min(held?.atMs ?? atMs, atMs),
    };
  }

  /** Spare ids in hand (still fresh). */
  spareCount(): number {
    return this.freshSpare()?.ids.length ?? 0;
  }

  /** The spare ids, unless they have aged out. */
  private freshSpare(): { ids: string[]; atMs: number } | null {
    return this.spare && this.fresh(this.spare.atMs) ? this.spare : null;
  }

  private fresh(atMs: number): boolean {
    return this.now() - atMs <= RESERVE_MAX_AGE_MS;
  }
}
