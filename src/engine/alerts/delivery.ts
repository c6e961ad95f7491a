// Delivery through the outbox (outbox.ts): a new alert is owed by every channel it goes to and
// sent at once; what a channel did not accept is tried again for it alone, oldest first, stopping
// at its first failure (the channel is down: one try per pass, not one per alert), after growing
// delays, at once when its settings or secrets change. Each try is logged once, never a secret.
// Runs inside the alert service's queue, one step at a time.
import { createHash } from 'node:crypto';
import type { Clock, Logger } from '../ports.js';
import type { Settings } from '../settings/schema.js';
import { buildChannels, type ChannelTuning } from './channels/build.js';
import type { AlertChannel, ChannelId } from './channels/types.js';
import { ALERT_RETRY, AlertOutbox, type AlertRetry, type Dropped } from './outbox.js';
import type { AlertSecrets } from './secrets.js';
import type { Alert, AlertOrigin, ChannelResult } from './types.js';

export interface AlertDeliveryDeps {
  configDir: string;
  settings: () => Settings;
  /** null: the secrets cannot be read now (their channels then only look not set up). */
  loadSecrets: () => Promise<AlertSecrets | null>;
  /** One send through one channel, the channel's failing problem kept up to date. */
  sendOne: (c: AlertChannel, alert: Alert, origin: AlertOrigin) => Promise<ChannelResult>;
  origin: () => AlertOrigin;
  /** A condition carried over from an earlier process that this one has not looked at yet. */
  awaitsLook: (conditionId: string) => boolean;
  /**
   * A condition gone whose "Resolved" the repeat guard holds (policy.ts away): its raise or
   * reminder still owed waits, and the held "Resolved" cancels a raise the channel never took.
   */
  away: (conditionId: string) => boolean;
  clock: Clock;
  logger: Logger;
  tuning?: ChannelTuning & { retry?: Partial<AlertRetry> };
}

export class AlertDelivery {
  readonly outbox: AlertOutbox;
  /** The channels' settings and secrets last tried: a change is worth a try at once. */
  private channelsKey: string | null = null;
  /** Alerts emitted and not yet at their turn in the queue, per condition. */
  private readonly emitting = new Map<string, number>();

  constructor(private readonly deps: AlertDeliveryDeps) {
    this.outbox = new AlertOutbox(deps.configDir, { ...ALERT_RETRY, ...deps.tuning?.retry });
  }

  /**
   * An alert of this condition waits in the queue: until its turn, a retry leaves the condition
   * alone (it would send a raise this alert cancels, or overtake it).
   */
  emitted(conditionId: string): void {
    this.emitting.set(conditionId, (this.emitting.get(conditionId) ?? 0) + 1);
  }

  /** That alert's turn has come. */
  turn(conditionId: string): void {
    const left = (this.emitting.get(conditionId) ?? 1) - 1;
    if (left > 0) this.emitting.set(conditionId, left);
    else this.emitting.delete(conditionId);
  }

  /**
   * Sends a new alert through every channel, by way of the outbox: a channel that does not accept
   * it keeps owing it (retryOwed). A channel that already owes alerts sends those first, so on
   * each channel a clear never overtakes its raise. `waiting`: channels set up whose secrets
   * cannot be read now; they owe the alert without a try, until the secrets can be read.
   */
  async deliver(
    alert: Alert,
    channels: AlertChannel[],
    waiting: readonly ChannelId[] = [],
  ): Promise<ChannelResult[]> {
    const now = this.deps.clock.now();
    const { owedBy, dropped } = this.outbox.add(
      alert,
      [...channels.map((c) => c.id), ...waiting],
      now,
    );
    this.logDropped(dropped);
    try {
      // A new alert is worth a try of every channel at once, whatever its delay says.
      const results = await Promise.all(
        channels.filter((c) => owedBy.includes(c.id)).map((c) => this.sendOwed(c, alert)),
      );
      return results.filter((r) => r !== null);
    } finally {
      await this.saveOutbox();
    }
  }

  /**
   * Tries each channel that owes alerts and whose delay has passed (all of them when `now`);
   * `only`: just the alerts it accepts (a stopping daemon's own, see AlertService.notifyStopped).
   */
  async retryOwed(now: boolean, only?: (a: Alert) => boolean): Promise<void> {
    if (this.outbox.size === 0) return;
    const secrets = await this.deps.loadSecrets();
    // Unreadable secrets make the webhook look not set up: not a reason to give up what it owes.
    if (!secrets) return;
    const all = buildChannels(this.deps.settings(), secrets, this.deps.tuning ?? {});
    const nowMs = this.deps.clock.now();
    // A webhook whose URL was removed while its format is still set is to be set again, not off:
    // what it owes waits for the URL. Before, removing the secrets file dropped it all.
    const setUp = all.map((c) => c.id);
    if (this.deps.settings().alertWebhookFormat !== 'off' && !setUp.includes('webhook'))
      setUp.push('webhook');
    const dropped = this.outbox.expire(nowMs, setUp);
    this.logDropped(dropped);
    // Settings or a secret changed (a person fixed the relay): each channel is tried at once.
    const key = channelsKey(this.deps.settings(), secrets);
    const changed = this.channelsKey !== null && key !== this.channelsKey;
    this.channelsKey = key;
    const due = all.filter(
      (c) =>
        this.outbox.owedBy(c.id).length > 0 && (now || changed || this.outbox.isDue(c.id, nowMs)),
    );
    if (due.length === 0 && dropped.length === 0) return;
    try {
      await Promise.all(due.map((c) => this.sendOwed(c, null, only)));
    } finally {
      await this.saveOutbox();
    }
  }

  /**
   * Sends what `c` owes, oldest first, stopping at the first failure (the channel is down: one
   * try per pass, not one per alert). `fresh` is the new alert this try is for (null: a retry);
   * returns the outcome for it (a failure before its turn is its outcome too), or null.
   */
  private async sendOwed(
    c: AlertChannel,
    fresh: Alert | null,
    only?: (a: Alert) => boolean,
  ): Promise<ChannelResult | null> {
    const origin = this.deps.origin();
    const failuresBefore = this.outbox.failures(c.id);
    // Owed by the process before this one, of a condition this one has not looked at yet: it may
    // have healed meanwhile (then its clear replaces a raise never delivered), so it waits for
    // the look (the first pass), as the policy's own carried-over conditions do (follow). A raise
    // of a condition gone while the repeat guard holds its "Resolved" waits too: delivered, it
    // told of a fault healed minutes before (and the "Resolved" came half an hour later). A retry
    // also leaves a condition with an alert still queued to it (that alert's turn sends it all).
    const ready = this.outbox
      .owedBy(c.id)
      .filter(
        (e) =>
          !this.deps.awaitsLook(e.alert.conditionId) &&
          (e.alert.kind === 'cleared' || !this.deps.away(e.alert.conditionId)) &&
          (only?.(e.alert) ?? true) &&
          (e.alert.conditionId === fresh?.conditionId || !this.emitting.has(e.alert.conditionId)),
      );
    if (ready.length === 0) return null;
    let outcome: ChannelResult | null = null;
    // On the disk before they go: a power cut during a send leaves them owed and "unsure" (a raise
    // recorded is then delivered, at worst twice; its clear is never dropped).
    this.outbox.sending(ready);
    await this.saveOutbox();
    for (const [i, entry] of ready.entries()) {
      const retried = entry.alert !== fresh;
      const r = await this.deps.sendOne(c, entry.alert, origin);
      if (!retried || !r.ok) outcome = r;
      if (!r.ok) {
        this.outbox.notSent(ready.slice(i));
        const { failures, delayMs } = this.outbox.failed(c.id, this.deps.clock.now());
        // Once per try of the channel, whatever it owes: the reason (never a secret: channels
        // name hosts, never tokened URLs; the logger redacts) and when it is tried next.
        this.deps.logger.warn(retried ? 'alert retry failed' : 'alert channel failed', {
          channel: c.id,
          reason: r.error,
          owed: this.outbox.owedBy(c.id).length,
          tries: failures,
          nextTryInS: Math.round(delayMs / 1000),
        });
        return outcome;
      }
      this.outbox.delivered(entry);
      if (retried) {
        this.deps.logger.info('alert delivered on retry', {
          channel: c.id,
          kind: entry.alert.kind,
          condition: entry.alert.conditionId,
          lateByS: Math.round((this.deps.clock.now() - entry.alert.atMs) / 1000),
          failedTries: failuresBefore,
        });
      }
    }
    this.outbox.recovered(c.id);
    return outcome;
  }

  private logDropped(dropped: Dropped[]): void {
    for (const { entry, reason } of dropped) {
      const why = {
        resolved: 'its condition cleared before this channel was told of it: neither is sent',
        replaced: 'another problem of its leg replaced it: the alert naming both is sent instead',
        'too-old': 'not delivered in time: given up',
        'too-many': 'too many alerts owed: the oldest is given up',
        'channel-removed': 'the channel is no longer set up',
      }[reason];
      const log =
        reason === 'resolved' || reason === 'replaced'
          ? this.deps.logger.info
          : this.deps.logger.warn;
      log.call(this.deps.logger, `alert not delivered: ${why}`, {
        channel: entry.channel,
        kind: entry.alert.kind,
        condition: entry.alert.conditionId,
      });
    }
  }

  private async saveOutbox(): Promise<void> {
    // Not fatal: an alert must go out even when the settings disk cannot keep what is owed.
    await this.outbox
      .save()
      .catch((e: unknown) =>
        this.deps.logger.warn('alerts owed not recorded', { reason: (e as Error).message }),
      );
  }
}

/**
 * What the channels are built from, as a digest (a change is a fix worth trying at once): held
 * in memory only, and a hash, so no secret is kept in it.
 */
function channelsKey(s: Settings, secrets: AlertSecrets): string {
  const material = JSON.stringify([
    secrets.smtpPassword ?? null,
    secrets.webhookUrl ?? null,
    s.alertEmailTo,
    s.alertEmailFrom,
    s.smtpHost,
    s.smtpPort,
    s.smtpSecurity,
    s.smtpUser,
    s.smtpCaFile,
    s.alertWebhookFormat,
    s.alertCommand,
  ]);
  return createHash('sha256').update(material).digest('hex');
}
