// What each channel still owes a person: an alert a channel did not accept (the relay down, the
// webhook answering 503, the command failing) is kept here and tried again for that channel
// alone, with growing delays, across passes and restarts. Before, such an alert was recorded as
// announced and never sent again: on a headless hub only a local "channel failing" problem said
// so, and no one was told to act.
//
// Per channel and condition only what the person still needs is kept:
//  - a raise or reminder not yet delivered is replaced by a newer one (the latest words);
//  - a clear whose raise this channel was certainly never told (every try of it refused) cancels
//    both: the condition came and went without this channel hearing of it, and a late "needs
//    action now" would send someone to a field site for nothing (the digest still lists it). A
//    clear after a raise the channel was told, or may have been (a power cut fell during its
//    send), is owed like any alert: a person told of a problem is always told it healed;
//  - a raise after an owed clear (the condition is back) waits behind it, so the channel ends on
//    the truth;
//  - a raise that replaces another problem of its leg (Alert.replaces: the card full, now pulled)
//    takes the place of that problem's raise or reminder still owed: it names it, and sent late
//    the old one told of a problem the leg no longer has.
// Bounded: a raise owed longer than a day is given up (an open condition's reminder is owed
// afresh), a clear after a week, and at most maxEntries are kept, the oldest given up first.
//
// Written only by the process that syncs (the run lock's holder), or by a daemon stopping on an
// error while no other process syncs (its "stopped"): `alert test` and `report --send` never touch
// it, so no second writer can bring back an alert already delivered.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../fsutil/index.js';
import type { ChannelId } from './channels/types.js';
import type { Alert } from './types.js';

export const ALERT_OUTBOX_FILE = 'alerts-outbox.json';

export interface AlertRetry {
  /** The delay after a channel's first failure; doubled after each further one. */
  firstDelayMs: number;
  /** The longest delay between two tries of a channel. */
  maxDelayMs: number;
  /** A raise or reminder not delivered after this long is given up (a reminder owes it afresh). */
  maxAgeMs: number;
  /**
   * A clear, longer: nothing brings a clear back, and without it the person believes the
   * condition still open (and may drive out to a site for it).
   */
  maxClearAgeMs: number;
  /** At most this many owed alerts in all (a permanently broken channel grows nothing). */
  maxEntries: number;
}

/** From a minute up to an hour: a relay restarting is caught soon, a dead one costs a try an hour. */
export const ALERT_RETRY: AlertRetry = {
  firstDelayMs: 60_000,
  maxDelayMs: 3_600_000,
  maxAgeMs: 24 * 3_600_000,
  maxClearAgeMs: 7 * 24 * 3_600_000,
  maxEntries: 100,
};

/** The wait after `failures` failed tries in a row: doubled each time, up to the longest. */
export function retryDelayMs(retry: AlertRetry, failures: number): number {
  return Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** Math.min(failures - 1, 30));
}

export interface OwedAlert {
  channel: ChannelId;
  alert: Alert;
  /** The channel was told this condition's raise: a clear then means something to it. */
  told: boolean;
  /**
   * Being sent, or was when the process stopped (a power cut): it may have been delivered. Saved
   * before each send, so only a try that ended in a refusal makes an alert certainly undelivered.
   */
  unsure?: boolean;
  /** Owed since (given up maxAgeMs later). */
  sinceMs: number;
}

interface Backoff {
  /** Failed tries in a row. */
  failures: number;
  nextAtMs: number;
}

interface OutboxFile {
  version: 1;
  owed: OwedAlert[];
  backoff: Partial<Record<ChannelId, Backoff>>;
}

/** Why an owed alert was dropped unsent. */
export type DropReason = 'resolved' | 'replaced' | 'too-old' | 'too-many' | 'channel-removed';

export interface Dropped {
  entry: OwedAlert;
  reason: DropReason;
}

export class AlertOutbox {
  readonly file: string;
  private owed: OwedAlert[] = [];
  private readonly backoff = new Map<ChannelId, Backoff>();
  /** Changed since last saved (a hub with no channel failing never writes the file). */
  private dirty = false;
  /** The last save failed (the settings folder could not be written). */
  private saveFailed = false;

  constructor(
    configDir: string,
    readonly retry: AlertRetry = ALERT_RETRY,
  ) {
    this.file = path.join(configDir, ALERT_OUTBOX_FILE);
  }

  /** What is held is newer than the file: a change could not be saved (nor saved since). */
  get unsaved(): boolean {
    return this.dirty && this.saveFailed;
  }

  /** What an earlier process left owed, keeping only the alerts `keep` accepts. */
  async load(keep: (a: Alert) => boolean): Promise<void> {
    let parsed: Partial<OutboxFile>;
    try {
      parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as Partial<OutboxFile>;
    } catch {
      return; // none yet, or damaged by something other than our atomic write: nothing owed
    }
    if (!parsed || typeof parsed !== 'object') return;
    const owed = Array.isArray(parsed.owed) ? parsed.owed : [];
    // A damaged entry (a hand edit) is skipped, never fatal: the service must start.
    this.owed = owed.filter(
      (e) =>
        typeof e?.channel === 'string' &&
        typeof e.alert?.conditionId === 'string' &&
        typeof e.alert.kind === 'string' &&
        typeof e.sinceMs === 'number' &&
        keep(e.alert),
    );
    this.dirty = this.owed.length !== owed.length;
    this.backoff.clear();
    for (const [id, b] of Object.entries(parsed.backoff ?? {}))
      if (b && this.owed.some((e) => e.channel === id)) this.backoff.set(id as ChannelId, b);
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const data: OutboxFile = {
      version: 1,
      owed: this.owed,
      backoff: Object.fromEntries(this.backoff),
    };
    this.dirty = false;
    try {
      await atomicWriteFile(this.file, JSON.stringify(data));
      this.saveFailed = false;
    } catch (e) {
      this.dirty = true;
      this.saveFailed = true;
      throw e;
    }
  }

  /**
   * Owes `alert` to each of `channels`, merged with what each is owed of its condition (see the
   * top of this file). Returns the channels that now owe it, and what the merge cancelled.
   */
  add(
    alert: Alert,
    channels: ChannelId[],
    nowMs: number,
  ): { owedBy: ChannelId[]; dropped: Dropped[] } {
    const owedBy: ChannelId[] = [];
    const dropped: Dropped[] = [];
    if (channels.length > 0) this.dirty = true;
    for (const channel of channels) {
      for (const entry of this.owed.filter(
        (e) =>
          e.channel === channel &&
          e.alert.kind !== 'cleared' &&
          alert.kind === 'raised' &&
          alert.replaces?.includes(e.alert.conditionId),
      )) {
        this.remove(entry);
        dropped.push({ entry, reason: 'replaced' });
      }
      const last = this.owed.findLast(
        (e) => e.channel === channel && e.alert.conditionId === alert.conditionId,
      );
      if (alert.kind === 'cleared') {
        if (last?.alert.kind === 'cleared') {
          // The next process derives again a clear this one owed (a power cut before its record).
          last.alert = alert;
          owedBy.push(channel);
          continue;
        }
        if (last) {
          this.remove(last);
          if (!last.told && !last.unsure) {
            dropped.push({ entry: last, reason: 'resolved' });
            continue;
          }
        }
        this.owed.push({ channel, alert, told: true, sinceMs: nowMs });
      } else if (last && last.alert.kind !== 'cleared') {
        last.alert = alert;
        last.sinceMs = nowMs;
      } else {
        // A reminder with nothing owed before it: its raise was delivered (or given up).
        this.owed.push({ channel, alert, told: alert.kind === 'reminder', sinceMs: nowMs });
      }
      owedBy.push(channel);
    }
    while (this.owed.length > this.retry.maxEntries) {
      dropped.push({ entry: this.owed.shift()!, reason: 'too-many' });
    }
    return { owedBy, dropped };
  }

  /** The alerts a channel owes, oldest first. */
  owedBy(channel: ChannelId): OwedAlert[] {
    return this.owed.filter((e) => e.channel === channel);
  }

  /** Channels owing something. */
  channels(): ChannelId[] {
    return [...new Set(this.owed.map((e) => e.channel))];
  }

  /** Whether a channel is due a try (no failure yet, or its delay has passed). */
  isDue(channel: ChannelId, nowMs: number): boolean {
    const b = this.backoff.get(channel);
    // A try "further ahead" than the longest delay is a clock stepped back: due now.
    return !b || nowMs >= b.nextAtMs || b.nextAtMs - nowMs > this.retry.maxDelayMs;
  }

  /** These are about to be sent: until a refusal, each may have been delivered. */
  sending(entries: OwedAlert[]): void {
    for (const e of entries) e.unsure = true;
    if (entries.length > 0) this.dirty = true;
  }

  /** These were refused, or not tried after a refusal: certainly not delivered. */
  notSent(entries: OwedAlert[]): void {
    for (const e of entries) e.unsure = false;
    if (entries.length > 0) this.dirty = true;
  }

  delivered(entry: OwedAlert): void {
    this.remove(entry);
  }

  /** The channel delivered everything it owed: its delays start over. */
  recovered(channel: ChannelId): void {
    if (this.backoff.delete(channel)) this.dirty = true;
  }

  /** A try of the channel failed: returns the delay until its next try. */
  failed(channel: ChannelId, nowMs: number): { failures: number; delayMs: number } {
    const failures = (this.backoff.get(channel)?.failures ?? 0) + 1;
    const delayMs = retryDelayMs(this.retry, failures);
    this.backoff.set(channel, { failures, nextAtMs: nowMs + delayMs });
    this.dirty = true;
    return { failures, delayMs };
  }

  failures(channel: ChannelId): number {
    return this.backoff.get(channel)?.failures ?? 0;
  }

  /** Gives up what is too old, or owed by a channel no longer set up. */
  expire(nowMs: number, configured: ChannelId[]): Dropped[] {
    const dropped: Dropped[] = [];
    for (const entry of [...this.owed]) {
      // Owed "in the future" is a clock stepped back: it counts from now.
      if (entry.sinceMs > nowMs) entry.sinceMs = nowMs;
      const reason: DropReason | null = !configured.includes(entry.channel)
        ? 'channel-removed'
        : nowMs - entry.sinceMs >
            (entry.alert.kind === 'cleared' ? this.retry.maxClearAgeMs : this.retry.maxAgeMs)
          ? 'too-old'
          : null;
      if (reason) {
        this.remove(entry);
        dropped.push({ entry, reason });
      }
    }
    for (const id of [...this.backoff.keys()])
      if (!this.owed.some((e) => e.channel === id)) this.backoff.delete(id);
    if (dropped.length > 0) this.dirty = true;
    return dropped;
  }

  get size(): number {
    return this.owed.length;
  }

  private remove(entry: OwedAlert): void {
    const i = this.owed.indexOf(entry);
    if (i >= 0) this.owed.splice(i, 1);
    this.dirty = true;
  }
}
