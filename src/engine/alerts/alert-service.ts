// The thin service around the alert policy: it follows the engine's status, asks the policy
// what to announce, keeps every alert in the alert log, hands it to the desktop (the tray's
// listener) and sends it through the configured channels. A channel that fails becomes a
// problem of its own (alert-channel-failing:<id>), shown like any other and announced through
// the channels that still work, and keeps owing the alert until it takes it (delivery.ts); it
// never throws into the engine. Also sends the digest when due.
//
// Runs only in the process that syncs (the daemon, or the tray app), so one hub sends each
// alert once.
import { channelFix } from './channels/channel-fix.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock, Logger } from '../ports.js';
import { atomicWriteFile } from '../fsutil/index.js';
import { liveLockOwner, tryLockFile, type RunLock } from '../run-lock.js';
import type { Settings } from '../settings/schema.js';
import type {
  HeldResolved,
  HistoryQuery,
  HistoryRecord,
  Problem,
  StatusSnapshot,
} from '../status/types.js';
import { HeldResolvedFile } from './held.js';
import { AlertLog } from './alert-log.js';
import { groupFailingFiles } from './file-groups.js';
import { resolvedSentence } from './resolved.js';
import { withoutReplaces } from './replaced.js';
import { formatUtcMinute } from '../format-utc.js';
import { FILE_FAILING_PREFIX } from '../pipeline/problems.js';
import { buildChannels, type ChannelTuning } from './channels/build.js';
import { EmailChannel, emailConfigured, loadMailer } from './channels/email.js';
import type { AlertChannel, ChannelId } from './channels/types.js';
import { buildDigest, digestPeriodMs, nextDigestDueMs, type Digest } from './digest.js';
import { AlertDelivery } from './delivery.js';
import { retryDelayMs, type AlertRetry } from './outbox.js';
import { AlertPolicy, type AlertPolicyOptions } from './policy.js';
import { UnsettledGuard } from './unsettled.js';
import { withoutUnsettledNote } from './unsettled-words.js';
import { AlertSecretStore, type AlertSecrets } from './secrets.js';
import type { Alert, AlertOrigin, ChannelResult } from './types.js';
import { SETTINGS_INVALID_CONDITION, settingsInvalidSentence } from './settings-sentence.js';
import { readAlertTestOutcome, writeAlertTestOutcome } from './test-outcome.js';
import type { FieldIssue } from '../api.js';

export type { ChannelResult };
import { appVersion } from '../app-version.js';

export const CHANNEL_FAILING_PREFIX = 'alert-channel-failing:';
const SECRETS_PROBLEM_ID = 'alert-secrets-unreadable';
export const ALERT_STATE_FILE = 'alerts-state.json';
/**
 * Held while a digest is built, sent and recorded: the daemon's scheduled digest and `rdl-sync
 * report --send` at the same moment sent the same digest twice (each read "not sent yet").
 */
export const DIGEST_LOCK_FILE = 'digest.lock';
/** `report --send` waits this long for another process's send (the relay's timeouts, and more). */
const DIGEST_LOCK_WAIT_MS = 150_000;
const DIGEST_LOCK_POLL_MS = 200;
/** Reminders, held-back raises and the digest are looked at this often without a status change. */
const TICK_MS = 60_000;
/** Stopping waits this long for alerts still being sent (a dead relay must not hold a shutdown). */
const STOP_WAIT_MS = 10_000;
/** With email set up, the mail module is loaded this long after start (loadMailerIfUsed). */
const MAILER_LOAD_DELAY_MS = 5_000;

export interface AlertStatusPort {
  snapshot(): StatusSnapshot;
  onChange(listener: (s: StatusSnapshot) => void): () => void;
  raise(problem: Omit<Problem, 'sinceMs'>): void;
  clear(id: string): void;
  /** The "Resolved" alerts the repeat guard holds now (StatusSnapshot.resolvedHeld). */
  showResolvedHeld?(held: HeldResolved[]): void;
}

export interface AlertServiceDeps {
  configDir: string;
  status: AlertStatusPort;
  settings: () => Settings;
  history: (q: HistoryQuery) => HistoryRecord[];
  clock: Clock;
  logger: Logger;
  host: string;
  tuning?: ChannelTuning & { tickMs?: number; retry?: Partial<AlertRetry> };
}

/**
 * What `sendDigest` did: sent it (`unrecorded`: why it could not be recorded as sent, or null),
 * or found it sent by another process while it waited.
 */
export type DigestSendOutcome =
  | { sent: true; digest: Digest; unrecorded: string | null }
  | { sent: false; digest: Digest; sentAtMs: number };

/** What notifySettingsInvalid did; `atMs`: when people were told, for 'already-told'. */
export interface SettingsNotice {
  outcome: 'sent' | 'reminded' | 'already-told' | 'another-syncs';
  results: ChannelResult[];
  atMs?: number;
}

interface AlertState {
  pid?: number;
  startedAtMs?: number;
  lastDigestMs?: number;
}

export class AlertService {
  private readonly policy: AlertPolicy;
  private readonly log: AlertLog;
  /** Alerts a channel did not accept, tried again (delivery.ts, outbox.ts); once started. */
  private readonly delivery: AlertDelivery;
  private readonly secrets: AlertSecretStore;
  private readonly listeners = new Set<(alert: Alert) => void>();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Sends one alert after another, so a clear never overtakes its raise. */
  private queue: Promise<void> = Promise.resolve();
  private startedAtMs: number | null = null;
  private lastDigestMs: number | null = null;
  private digestRunning = false;
  /** The tick's digest check, while it runs (stop waits for it). */
  private digesting: Promise<void> = Promise.resolve();
  /** A digest the relay refused is tried again from then on, with the alerts' delays. */
  private digestFailures = 0;
  private digestRetryAtMs = 0;
  private mailerRequested = false;
  private mailerTimer: NodeJS.Timeout | null = null;
  /**
   * The "stopped" notifyRunningAgain answers: this process's own announcement, else the alert
   * log's last unresolved one (found by carryOver, which reads the log at the start anyway).
   */
  private stopAnnounced: Alert | null = null;
  /** An unresolved stop was carried over from the alert log: what is owed of it waits. */
  private stopCarried = false;
  /** A retry pass is waiting in the queue (ticks do not pile them up behind a slow channel). */
  private retryQueued = false;
  /** Why the last read of the alert secrets failed, or null (its channels then look not set up). */
  private secretsTrouble: string | null = null;
  /** The retry pass queued tries every channel at once, whatever its delay says. */
  private retryAtOnce = false;
  /** alerts-outbox.json has been read (at start, or by a daemon stopping before it started). */
  private outboxLoaded = false;
  /** This process's start, recorded once another's digest send lets go of digest.lock. */
  private recordingStart: Promise<void> = Promise.resolve();
  private stopping = false;
  /** Why mail through the relay fails: alerts by email, the digest (showMailTrouble). */
  private readonly mailTrouble: MailTrouble = { alerts: null, digest: null };
  /** The webhook's and the command's last failure, as their problem says it (reviewFailing). */
  private readonly channelTrouble = new Map<
    ChannelId,
    { reason: string; label: string; owed: number }
  >();
  /** The last `alert test` (test-outcome.ts) this process has taken into account. */
  private testSeenMs = 0;
  /** alerts-held.json: when each condition whose "Resolved" is held went (held.ts). */
  private readonly heldFile: HeldResolvedFile;
  /** The held "Resolved" alerts last shown in the status (to show and log only a change). */
  private heldShown: HeldResolved[] = [];
  /** A write of alerts-held.json waits in the queue (it writes what is held at its turn). */
  private heldSaveQueued = false;
  /** Holds the flips of a subject that keeps changing (a loose card reader), after the policy. */
  private readonly unsettled = new UnsettledGuard();

  constructor(private readonly deps: AlertServiceDeps) {
    // The settings are read when the policy runs: the engine builds them after constructing us.
    this.policy = new AlertPolicy({ flapMs: 0, reminderMs: 0 });
    this.log = new AlertLog(deps.configDir);
    this.delivery = new AlertDelivery({
      configDir: deps.configDir,
      settings: deps.settings,
      loadSecrets: async () => {
        const secrets = await this.loadSecrets();
        return this.secretsTrouble === null ? secrets : null;
      },
      sendOne: (c, alert, origin) => this.sendOne(c, alert, origin),
      origin: () => this.origin(),
      // A stop carried over waits for its "runs again" (notifyRunningAgain, said by the daemon and
      // the tray app once they sync), which sends it first: delivered alone by a retry before
      // that, it would tell "nothing syncs" of a hub that syncs, and arrive after its clear.
      awaitsLook: (id) =>
        this.policy.awaitsLook(id) || (id === 'daemon-stopped' && this.stopCarried),
      away: (id) => this.policy.away(id),
      clock: deps.clock,
      logger: deps.logger,
      ...(deps.tuning ? { tuning: deps.tuning } : {}),
    });
    this.secrets = new AlertSecretStore(deps.configDir);
    this.heldFile = new HeldResolvedFile(deps.configDir);
  }

  /** The desktop's (tray's) way in: every alert the policy emits, in order. */
  onAlert(listener: (alert: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    const now = this.deps.clock.now();
    this.startedAtMs = now;
    const state = await this.readState();
    this.lastDigestMs = state.lastDigestMs ?? now;
    // A test from before this process says nothing of the failures it will meet.
    this.testSeenMs = (await readAlertTestOutcome(this.deps.configDir))?.atMs ?? 0;
    await this.recordStart(now);
    await this.carryOver(now);
    // What the process before this one could not deliver. Only alerts of conditions this process
    // re-evaluates, and its stop (notifyStopped): a channel's own trouble is the earlier
    // process's, and comes back if still true.
    if (!this.outboxLoaded) await this.loadOutbox();
    // Read already while this process waited to start (its settings file being fixed, its folder
    // not writable). Kept when it could not save what it changed since: what it holds is newer
    // than the file. Else read again, after a send of the wait still under way: another RDL Sync
    // (the tray app) may have synced meanwhile and delivered, resolved or dropped what was owed,
    // and an alert it resolved was sent again from this process's memory, after its "Resolved".
    else
      void this.queued(async () => {
        if (!this.delivery.outbox.unsaved) await this.loadOutbox();
      });
    this.unsubscribe = this.deps.status.onChange((s) => this.follow(s));
    this.follow(this.deps.status.snapshot());
    // Tried at once, whatever the delays said: a restart often follows a fix of the settings.
    this.queueRetry(true);
    this.timer = setInterval(() => this.tick(), this.deps.tuning?.tickMs ?? TICK_MS);
    this.timer.unref();
    // Not in the first pass's way (nodemailer's chunk is ~0.1 s of CPU here, more on a Pi).
    this.mailerTimer = setTimeout(() => this.loadMailerIfUsed(), MAILER_LOAD_DELAY_MS);
    this.mailerTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.mailerTimer) clearTimeout(this.mailerTimer);
    this.mailerTimer = null;
    // And for a digest being sent: it ends recorded, its lock released, not cut off half-way.
    await bounded(Promise.all([this.queue, this.digesting, this.recordingStart]), undefined);
  }

  /**
   * The process is stopping on an error: tell people, waiting (bounded) for the channels.
   * `retryingEveryS`: it is not stopping but waits and tries again by itself this often (the
   * service on a settings folder it cannot write): no restart is needed, and telling people to
   * restart it sent them to the hub for nothing.
   */
  async notifyStopped(reason: string, retryingEveryS?: number): Promise<ChannelResult[]> {
    const now = this.deps.clock.now();
    const log = path.join(this.deps.configDir, 'logs', 'rdl-sync.log');
    const alert: Alert = {
      kind: 'raised',
      conditionId: 'daemon-stopped',
      code: 'daemon-stopped',
      severity: 'error',
      // Read by email, far from the hub: where the log is, and the command that restarts it.
      sentence:
        retryingEveryS === undefined
          ? `RDL Sync stopped on an error (${reason}): nothing syncs until it runs again; files wait safely. See its log (${log}; under systemd also journalctl -u rdl-sync), then restart the service (sudo systemctl restart rdl-sync)`
          : `RDL Sync cannot start: ${reason.replace(/^Cannot start:\s*/i, '').replace(/[.\s]+$/, '')}. Nothing syncs until it does; files wait safely. It tries again every ${retryingEveryS} s and starts by itself once this is fixed, no restart needed. See its log (${log}; under systemd also journalctl -u rdl-sync)`,
      sinceMs: now,
      atMs: now,
      tab: 'log',
    };
    // systemd restarts a failed daemon every few seconds (Restart=on-failure): the same error at
    // every start is one condition, announced once and then as a reminder, not a message a start.
    const last = (await this.log.read()).findLast((a) => a.conditionId === 'daemon-stopped');
    if (
      last?.sentence === alert.sentence &&
      now - last.atMs >= 0 &&
      now - last.atMs < this.policyOptions().reminderMs
    ) {
      this.deps.logger.info('daemon stopped again on the same error; already announced', {
        sinceMs: last.atMs,
      });
      // What a channel did not take of that announcement is tried again now, on its delays: in a
      // restart loop no start ever runs the service's retries.
      if (await this.mayWriteOutbox())
        await bounded(
          this.queued(() => this.delivery.retryOwed(false, (a) => a.code === 'daemon-stopped')),
          undefined,
        );
      return [];
    }
    await this.log.append(alert).catch(() => undefined);
    this.stopAnnounced = alert;
    for (const l of this.listeners) l(alert);
    // Owed (alerts-outbox.json) by a channel that does not take it now: a relay down for a moment
    // must not lose the alert that matters most. This process cannot try again; the next one
    // does, whether it starts or stops again. Before, a stop a channel refused was never sent.
    const send = (await this.mayWriteOutbox())
      ? this.queued(() => this.deliverOwed(alert)).then((r) => r ?? [])
      : this.dispatch(alert);
    // Bounded: a dead relay must not keep a failed daemon from exiting (systemd restarts it).
    return bounded(send, []);
  }

  /**
   * This process (the daemon, or the tray app) syncs after a "stopped" that it or an earlier
   * process announced: the people
   * told "nothing syncs until it runs again" hear that it does (before, they never did, and a hub
   * that came back by itself, its settings folder writable again, read as down for good). Once,
   * and owed by a channel that does not take it, like the stop itself.
   */
  async notifyRunningAgain(): Promise<ChannelResult[]> {
    // This process's own announcement first (a daemon waiting for its unwritable settings folder
    // announced its stop but could not record it there), else the log's (carryOver).
    const last = this.stopAnnounced;
    this.stopAnnounced = null;
    this.stopCarried = false;
    if (!last) return [];
    const now = this.deps.clock.now();
    const alert: Alert = {
      kind: 'cleared',
      conditionId: 'daemon-stopped',
      code: 'daemon-stopped',
      severity: last.severity,
      sentence: `${resolvedSentence(last, last.sentence, now)} ${runsAgainSentence(this.deps.status.snapshot())}`,
      sinceMs: last.sinceMs,
      atMs: now,
      tab: 'log',
    };
    await this.log.append(alert).catch(() => undefined);
    for (const l of this.listeners) l(alert);
    // Through the outbox: a stop a channel was owed goes first; one it still cannot take is
    // dropped with this clear (the outbox's rule: it came and went unheard there; the digest
    // lists it).
    const results = await this.queued(async () => {
      await this.delivery.retryOwed(true, (a) => a.code === 'daemon-stopped');
      return this.deliverOwed(alert);
    });
    return results ?? [];
  }

  /**
   * The daemon waits for a settings file it cannot use (src/cli/commands.ts): it has not started,
   * so the policy does not run, and it holds no run lock (the tray app may run meanwhile). Told
   * here as the policy would: once, recorded in the alert log and owed by a channel that does not
   * take it (the outbox), again as a reminder after alertReminderHours; a daemon restarted while
   * still waiting finds its announcement in the log and does not repeat it. Its resolution is the
   * policy's: once the file is valid and the service syncs, the condition (carried over from the
   * log) is cleared after its first pass. The channels are what `settings` gives: while the file
   * cannot be used, alerts/trusted-settings.ts. Meant to be called again now and then (reminders,
   * and a file changed into other mistakes: told in the new words).
   */
  async notifySettingsInvalid(file: string, issues: FieldIssue[]): Promise<SettingsNotice> {
    // Another RDL Sync syncs (the tray app): its own policy tells people; one hub, one alert.
    if (!(await this.mayWriteOutbox())) return { outcome: 'another-syncs', results: [] };
    const now = this.deps.clock.now();
    const sentence = settingsInvalidSentence(file, issues);
    const last = (await this.log.read().catch(() => [] as Alert[])).findLast(
      (a) => a.conditionId === SETTINGS_INVALID_CONDITION,
    );
    const open =
      last !== undefined &&
      last.kind !== 'cleared' &&
      last.sentence === sentence &&
      last.atMs <= now
        ? last
        : null;
    const { reminderMs } = this.policyOptions();
    if (open && (reminderMs === 0 || now - open.atMs < reminderMs)) {
      // What a channel did not take of it is tried again now, on its delays.
      await bounded(
        this.queued(() =>
          this.delivery.retryOwed(false, (a) => a.conditionId === SETTINGS_INVALID_CONDITION),
        ),
        undefined,
      );
      return { outcome: 'already-told', results: [], atMs: open.atMs };
    }
    const alert: Alert = {
      kind: open ? 'reminder' : 'raised',
      conditionId: SETTINGS_INVALID_CONDITION,
      code: 'settings-invalid',
      // Nothing syncs: like every stop of the syncing, an error (never held back).
      severity: 'error',
      sentence,
      sinceMs: open ? open.sinceMs : now,
      atMs: now,
      tab: 'settings',
    };
    this.deps.logger.info('alert', { kind: alert.kind, condition: alert.conditionId });
    // Recorded first, as emit() does a raise: once sent, the next process knows to resolve it.
    await this.log.append(alert).catch((e: unknown) =>
      this.deps.logger.warn('alert not recorded; sending it all the same', {
        reason: (e as Error).message,
      }),
    );
    for (const l of this.listeners) l(alert);
    const send = this.queued(() => this.deliverOwed(alert)).then((r) => r ?? []);
    // Bounded: a dead relay must not hold the wait (a stop, a fixed file) for long.
    return {
      outcome: alert.kind === 'raised' ? 'sent' : 'reminded',
      results: await bounded(send, []),
    };
  }

  /** A test alert through every configured channel now, with each channel's outcome. */
  /** `onTrying`: told the channels about to be tried, before any answers (a relay may be slow). */
  async sendTest(onTrying?: (labels: readonly string[]) => void): Promise<ChannelResult[]> {
    const now = this.deps.clock.now();
    const alert: Alert = {
      kind: 'raised',
      conditionId: 'test',
      code: 'test',
      severity: 'attention',
      sentence:
        'This is a test alert from RDL Sync: if you read it, alerts reach you here. Nothing needs doing.',
      sinceMs: now,
      atMs: now,
      tab: 'settings',
    };
    for (const l of this.listeners) l(alert);
    const results = await this.dispatch(alert, onTrying);
    // A webhook turned on without its URL is no channel: the test went through the others and
    // said all was well (exit 0), while the status then said alerts by webhook are not getting
    // through, and advised this very test.
    const format = this.deps.settings().alertWebhookFormat;
    if (
      format !== 'off' &&
      this.secretsTrouble === null &&
      !results.some((r) => r.channel === 'webhook')
    )
      results.push({
        channel: 'webhook',
        label: `webhook (${format})`,
        ok: false,
        error: 'its URL is not set: rdl-sync alert secret webhook-url',
      });
    // Unreadable secrets leave the webhook (and the SMTP password) out of the channels: a test that
    // reached the others must not read as all is well, nor "no channel is set up".
    if (this.secretsTrouble !== null)
      results.push({
        channel: 'secrets',
        label: 'the alert secrets (SMTP password, webhook URL)',
        ok: false,
        error: this.secretsTrouble,
      });
    // No channel at all: nothing was sent, so nothing to record (on a machine not set up, the
    // record and the log line made a settings folder for it).
    if (results.length === 0) return results;
    this.deps.logger.info('test alert sent', {
      channels: results.map((r) => `${r.channel}:${r.ok ? 'ok' : 'failed'}`).join(' '),
    });
    // For the process that syncs, when this is another (`rdl-sync alert test` beside the daemon).
    if (this.unsubscribe) this.testSeenMs = now;
    await writeAlertTestOutcome(this.deps.configDir, {
      atMs: now,
      pid: process.pid,
      ok: results.filter((r) => r.ok && r.channel !== 'secrets').map((r) => r.channel as ChannelId),
    }).catch((e: unknown) =>
      this.deps.logger.warn('alert test outcome not recorded', { reason: (e as Error).message }),
    );
    // A channel that just took the test takes what it owes now (the Settings button, once fixed).
    if (this.unsubscribe && results.some((r) => r.ok)) this.queueRetry(true);
    return results;
  }

  /** The digest for the period ending now (`status`: a live daemon's, when read from outside). */
  async digest(status?: StatusSnapshot): Promise<Digest> {
    const s = this.deps.settings();
    const now = this.deps.clock.now();
    const state = await this.readState();
    const periodStartMs =
      this.lastDigestMs !== null && this.lastDigestMs < now
        ? Math.min(this.lastDigestMs, now - digestPeriodMs(s.digestSchedule))
        : now - digestPeriodMs(s.digestSchedule);
    const running = this.startedAtMs ?? (await this.liveStartedAt(state));
    return buildDigest({
      origin: this.origin(),
      schedule: s.digestSchedule,
      periodStartMs,
      nowMs: now,
      history: this.deps.history({ limit: s.historyLimit }),
      status: status ?? this.deps.status.snapshot(),
      alerts: await this.log.since(periodStartMs),
      version: appVersion(),
      uptimeMs: running === null ? null : now - running,
    });
  }

  /**
   * Sends the digest by email now (`rdl-sync report --send`); throws when email is not set up or
   * the relay fails. When another process is sending a digest, waits for it (`onWait` is told its
   * pid) and sends none if that one was sent meanwhile: one email, not two.
   */
  async sendDigest(
    status?: StatusSnapshot,
    opts: { onWait?: (pid: number) => void } = {},
  ): Promise<DigestSendOutcome> {
    const before = (await this.readState()).lastDigestMs;
    const lock = await this.waitDigestLock(opts.onWait);
    try {
      const after = (await this.readState()).lastDigestMs;
      if (after !== undefined && after !== before)
        return { sent: false, digest: await this.digest(status), sentAtMs: after };
      return { sent: true, ...(await this.sendDigestNow(status)) };
    } finally {
      await lock?.release().catch(() => undefined);
    }
  }

  /**
   * Sends and records the digest; the caller holds the digest lock (or could not take it). Sent
   * is sent: a record that fails (a full or read-only settings disk) is said (`unrecorded`), not
   * thrown. Before, it read as a digest that failed: "Alerts by the digest email are not getting
   * through" went to the other channels about a digest the people had in their mailbox, and
   * `report --send` exited with an error after sending it.
   */
  private async sendDigestNow(
    status?: StatusSnapshot,
  ): Promise<{ digest: Digest; unrecorded: string | null }> {
    const s = this.deps.settings();
    const secrets = await this.loadSecrets();
    const email = EmailChannel.fromSettings(s, secrets.smtpPassword);
    if (!email) {
      throw new Error(
        'no alert email is set up: set alertEmailTo, alertEmailFrom and smtpHost (rdl-sync settings set)',
      );
    }
    // The period ends when the digest is built, not when the relay has answered (the next
    // period starts there, so nothing falls between two digests).
    const endMs = this.deps.clock.now();
    const d = await this.digest(status);
    await email.sendMail({ subject: d.subject, text: d.text, html: d.html });
    // Kept in memory whatever the disk does: this process does not send it again.
    this.lastDigestMs = endMs;
    const files = d.sources.reduce((a, x) => a + x.files, 0);
    try {
      await this.writeState({ ...(await this.readState()), lastDigestMs: this.lastDigestMs });
    } catch (e) {
      const unrecorded = (e as Error).message;
      this.deps.logger.warn(
        `digest sent but not recorded as sent in ${ALERT_STATE_FILE}: after a restart (or from another RDL Sync) it may be sent again`,
        { files, reason: unrecorded },
      );
      return { digest: d, unrecorded };
    }
    this.deps.logger.info('digest sent', { files });
    return { digest: d, unrecorded: null };
  }

  /**
   * The digest lock, taking it as soon as its holder lets go (bounded). Null when it cannot be
   * written (a full or read-only settings disk): the digest goes out all the same, unguarded.
   */
  private async waitDigestLock(onWait?: (pid: number) => void): Promise<RunLock | null> {
    const deadline = Date.now() + DIGEST_LOCK_WAIT_MS;
    let told = false;
    for (;;) {
      const got = await this.tryDigestLock();
      if (got === null || 'lock' in got) return got?.lock ?? null;
      if (Date.now() > deadline)
        throw new Error(
          `another RDL Sync (pid ${got.owner.pid}) has been sending the digest for ${DIGEST_LOCK_WAIT_MS / 1000} s: try again later`,
        );
      if (!told) onWait?.(got.owner.pid);
      told = true;
      await new Promise((r) => setTimeout(r, DIGEST_LOCK_POLL_MS));
    }
  }

  private async tryDigestLock(): Promise<Awaited<ReturnType<typeof tryLockFile>> | null> {
    try {
      return await tryLockFile(this.deps.configDir, DIGEST_LOCK_FILE);
    } catch (e) {
      this.deps.logger.warn('digest lock not taken; sending without it', {
        reason: (e as Error).message,
      });
      return null;
    }
  }

  // ---- internals ---------------------------------------------------------------------

  /**
   * Records which process syncs since when (`report` from outside reads it) beside when the last
   * digest went, read and written under digest.lock. Before, a `report --send` recording its
   * digest between this start's read and write had its lastDigestMs overwritten with the older
   * one, and the digest went again at the next due time. While another process is sending a
   * digest, written once it lets go, without holding up the start.
   */
  private async recordStart(now: number): Promise<void> {
    let got: Awaited<ReturnType<typeof tryLockFile>> | null = null;
    try {
      got = await tryLockFile(this.deps.configDir, DIGEST_LOCK_FILE);
    } catch {
      // A settings disk that cannot be written: the write below fails and says so.
    }
    if (got && 'owner' in got) {
      this.recordingStart = this.recordStartOnceFree(now);
      return;
    }
    await this.writeStartState(now, got?.lock ?? null);
  }

  private async recordStartOnceFree(now: number): Promise<void> {
    const deadline = Date.now() + DIGEST_LOCK_WAIT_MS;
    for (;;) {
      await new Promise((r) => setTimeout(r, DIGEST_LOCK_POLL_MS));
      if (this.stopping) return; // the next start records it
      const got = await tryLockFile(this.deps.configDir, DIGEST_LOCK_FILE).catch(() => null);
      if (got === null || 'lock' in got || Date.now() > deadline)
        return this.writeStartState(now, got && 'lock' in got ? got.lock : null);
    }
  }

  /** The caller holds digest.lock (or it could not be taken). */
  private async writeStartState(now: number, lock: RunLock | null): Promise<void> {
    try {
      // What another process recorded since this start first read it.
      const recorded = (await this.readState()).lastDigestMs;
      if (
        recorded !== undefined &&
        this.lastDigestMs !== null &&
        recorded > this.lastDigestMs &&
        recorded <= this.deps.clock.now()
      )
        this.lastDigestMs = recorded;
      await this.writeState({
        pid: process.pid,
        startedAtMs: now,
        lastDigestMs: this.lastDigestMs ?? now,
      });
    } catch (e) {
      // Not a reason to stop syncing: the state only paces the digest, and a settings disk that
      // cannot be written is a problem of its own (status publishing raises it). Before, a full
      // one-card hub's daemon exited on a bare "ENOSPC: no space left on device, write" here.
      this.deps.logger.warn('alert state not saved', { reason: (e as Error).message });
    } finally {
      await lock?.release().catch(() => undefined);
    }
  }

  private follow(snapshot: StatusSnapshot): void {
    this.policy.setOptions(this.policyOptions());
    const awaiting = this.policy.awaitingLook();
    const view = { ...snapshot, problems: groupFailingFiles(snapshot.problems) };
    const now = this.deps.clock.now();
    const decided = this.policy.update(view, now);
    // A subject that keeps changing is told as one trouble (unsettled.ts).
    for (const alert of this.unsettled.update(
      view.problems,
      decided,
      now,
      this.policyOptions().flapMs,
    ))
      this.emit(alert);
    // Conditions carried over were looked at: what was owed of them (and waited) goes now.
    if (this.policy.awaitingLook() < awaiting) this.queueRetry(true);
    this.showHeld();
  }

  /**
   * A "Resolved" the repeat guard holds is shown (status, the log) and recorded (a restart then
   * still says until when the condition came and went): before, a healthy status hid that a
   * "Resolved" was still to come, up to alertFlapMinutes later. A hold that ends with the
   * condition back is no "Resolved"; one that ends with it away has its alert.
   */
  private showHeld(): void {
    const held = this.policy.held();
    if (JSON.stringify(held) !== JSON.stringify(this.heldShown)) {
      const before = new Set(this.heldShown.map((h) => h.conditionId));
      // Set first: showing it changes the status, whose listener (follow) calls this again.
      this.heldShown = held;
      for (const h of held)
        if (!before.has(h.conditionId))
          this.deps.logger.info('alert "Resolved" held by the repeat guard', {
            condition: h.conditionId,
            went: formatUtcMinute(h.wentMs),
            due: formatUtcMinute(h.dueMs),
          });
      this.deps.status.showResolvedHeld?.(held);
      // After the sends queued before it: the raise whose "Resolved" is now held may be one.
      void this.queued(() => this.forgetTroubleOfHeld());
    }
    // Also a record the last process left that no longer holds: a restart resolves at its look.
    if (this.heldSaveQueued || !this.heldFile.differs(held)) return;
    this.heldSaveQueued = true;
    void this.queued(async () => {
      this.heldSaveQueued = false;
      await this.heldFile
        .save(this.policy.held())
        .catch((e: unknown) =>
          this.deps.logger.warn('held "Resolved" not recorded', { reason: (e as Error).message }),
        );
    });
  }

  /**
   * What a channel owes that it may still send: not a raise whose "Resolved" the repeat guard
   * holds (the two go together, unsent). "2 alerts wait" was said of a channel owing one.
   */
  private owedToSend(channel: ChannelId): number {
    return this.delivery.outbox.owedBy(channel).filter((e) => !this.heldBack(e.alert)).length;
  }

  /** A raise (or reminder) of a condition whose "Resolved" the repeat guard holds. */
  private heldBack(alert: Alert): boolean {
    return alert.kind !== 'cleared' && this.policy.away(alert.conditionId);
  }

  /**
   * A channel shown failing that owes only alerts the repeat guard holds back on purpose (the
   * raise of a condition whose "Resolved" is held: delivery.ts away) is not failing now: nothing
   * it could send is waiting. It said "not getting through: 1 alert waits" for the whole hold, and
   * after it too, as the "Resolved" cancels that raise and nothing is tried. The next alert it
   * fails on shows it failing again. A webhook whose URL is not set (no channel built) keeps its
   * problem: that is a setting to fix, not a failed send.
   */
  /**
   * The channels shown failing that are built from the settings now (a webhook whose URL is not
   * set keeps its problem: that is a setting to fix, not a failed send).
   */
  private async failingBuiltChannels(): Promise<ChannelId[]> {
    const failing = new Set(
      this.deps.status
        .snapshot()
        .problems.filter((p) => p.id.startsWith(CHANNEL_FAILING_PREFIX))
        .map((p) => p.id.slice(CHANNEL_FAILING_PREFIX.length)),
    );
    if (failing.size === 0) return [];
    const built = new Set<string>((await this.builtChannels()).map((c) => c.id));
    return (['email', 'webhook', 'command'] satisfies ChannelId[]).filter(
      (id) => failing.has(id) && built.has(id),
    );
  }

  private async forgetTroubleOfHeld(): Promise<void> {
    for (const id of await this.failingBuiltChannels()) {
      const owed = this.delivery.outbox.owedBy(id);
      const onlyHeld = owed.length > 0 && owed.every((e) => this.heldBack(e.alert));
      if (!onlyHeld) continue;
      this.deps.logger.info('alert channel owes only alerts the repeat guard holds: not failing', {
        channel: id,
        held: owed.length,
      });
      // The digest's trouble on the same relay is not the alerts' (it stays if it stands).
      if (id === 'email') this.emailTrouble(null);
      else this.deps.status.clear(`${CHANNEL_FAILING_PREFIX}${id}`);
    }
  }

  /**
   * What the process before this one announced and left open (alerts.jsonl): a restart (reboot,
   * upgrade, systemd) must not announce it again, and must still say when it has healed.
   */
  private async carryOver(now: number): Promise<void> {
    // The room for records on a disk that fills up later (alert-log.ts, ALERT_RESERVE_FILE).
    await this.log.keepReserve();
    const last = new Map<string, Alert>();
    const lastRaised = new Map<string, Alert>();
    /** Replaced by a later raise of their leg, and not told since (replaced.ts). */
    const replaced = new Set<string>();
    for (const a of await this.log.read().catch(() => [] as Alert[])) {
      if (a.atMs > now) continue; // a clock set back: not to be trusted
      last.set(a.conditionId, a);
      replaced.delete(a.conditionId);
      if (a.kind === 'raised') lastRaised.set(a.conditionId, a);
      // Closed without a "Resolved": carried over as open, the next process would resolve it.
      for (const id of a.kind === 'raised' ? (a.replaces ?? []) : []) {
        last.delete(id);
        replaced.add(id);
      }
    }
    const stop = last.get('daemon-stopped');
    if (stop && stop.kind !== 'cleared') {
      this.stopAnnounced ??= stop;
      this.stopCarried = true;
    }
    const open = [...last.values()]
      .filter((a) => a.kind !== 'cleared' && carriesOver(a) && now - a.atMs < CARRY_OVER_MS)
      .map((a) => ({
        problem: {
          id: a.conditionId,
          code: a.code as Problem['code'],
          severity: a.severity,
          tab: a.tab,
          message: withoutReplaces(withoutUnsettledNote(a.sentence)),
          sinceMs: a.sinceMs,
        },
        announcedAtMs: a.atMs,
      }));
    this.policy.setOptions(this.policyOptions());
    this.policy.carryOver(
      open,
      [...lastRaised].map(([id, a]) => ({
        id,
        atMs: a.atMs,
        as: {
          code: a.code as Problem['code'],
          message: withoutReplaces(withoutUnsettledNote(a.sentence)),
        },
      })),
      now,
      // A replaced condition's last word, like a "Resolved", is that it is no longer open.
      [
        ...[...last.values()].filter((a) => a.kind === 'cleared').map((a) => a.conditionId),
        ...replaced,
      ],
      await this.heldFile.read(),
    );
  }

  private tick(): void {
    this.follow(this.deps.status.snapshot());
    void this.followTestElsewhere();
    this.queueRetry(false);
    this.loadMailerIfUsed(); // email may have been set up since
    if (!this.digestRunning) this.digesting = this.digestIfDue();
  }

  /**
   * The mail module is a file of its own, loaded when first used; this process runs for months,
   * and the package may be upgraded under it meanwhile. So once email is set up it is loaded soon
   * (after start, or at the tick after email was set up), and the first alert does not depend on
   * files that may be gone by then.
   */
  private loadMailerIfUsed(): void {
    if (this.mailerRequested || !emailConfigured(this.deps.settings())) return;
    this.mailerRequested = true;
    loadMailer().then(
      () => this.deps.logger.info('email alerts ready: the mail module is loaded'),
      // Said once: every mail then tries again, and a failing one becomes a problem shown.
      (e: unknown) =>
        this.deps.logger.warn('email alerts: the mail module did not load', {
          reason: (e as Error).message,
        }),
    );
  }

  private async digestIfDue(): Promise<void> {
    const s = this.deps.settings();
    if (this.digestRunning || this.lastDigestMs === null) return;
    // Turned off: a digest that was failing no longer is (its problem, cleared only by a digest
    // that goes, stood with daily reminders and never a "resolved"); and its delays start afresh
    // when it is turned on again.
    if (s.digestSchedule === 'off') {
      this.digestFailures = 0;
      this.digestRetryAtMs = 0;
      this.digestTrouble(null);
      return;
    }
    if (this.deps.clock.now() < nextDigestDueMs(this.lastDigestMs, s.digestSchedule, s.digestHour))
      return;
    // Before, a refused digest was tried (and warned of) at every tick, once a minute.
    const retry = this.delivery.outbox.retry;
    if (
      this.deps.clock.now() < this.digestRetryAtMs &&
      this.digestRetryAtMs - this.deps.clock.now() <= retry.maxDelayMs
    )
      return;
    this.digestRunning = true;
    let lock: RunLock | null = null;
    try {
      // `rdl-sync report --send` may be sending it now: the next tick looks again (and finds it
      // sent, below). Before, both sent it at the same moment: two emails.
      const got = await this.tryDigestLock();
      if (got && 'owner' in got) {
        this.deps.logger.info('digest due: another RDL Sync is sending one now', {
          pid: got.owner.pid,
        });
        return;
      }
      lock = got?.lock ?? null;
      // `rdl-sync report --send` (another process) may have sent this period's digest since:
      // it wrote its time to the state file. Before, the daemon's own memory of its last digest
      // sent the same digest a second time minutes later.
      const sentElsewhere = (await this.readState()).lastDigestMs;
      if (
        sentElsewhere !== undefined &&
        sentElsewhere > this.lastDigestMs &&
        sentElsewhere <= this.deps.clock.now()
      ) {
        this.lastDigestMs = sentElsewhere;
        if (
          this.deps.clock.now() < nextDigestDueMs(this.lastDigestMs, s.digestSchedule, s.digestHour)
        ) {
          this.digestFailures = 0;
          this.digestRetryAtMs = 0;
          this.digestTrouble(null);
          return;
        }
      }
      await this.sendDigestNow();
      this.digestFailures = 0;
      this.digestRetryAtMs = 0;
      this.digestTrouble(null);
    } catch (e) {
      const reason = (e as Error).message;
      this.digestFailures++;
      const delayMs = retryDelayMs(retry, this.digestFailures);
      this.digestRetryAtMs = this.deps.clock.now() + delayMs;
      this.deps.logger.warn('digest not sent', {
        reason,
        tries: this.digestFailures,
        nextTryInS: Math.round(delayMs / 1000),
      });
      this.digestTrouble(reason);
    } finally {
      await lock?.release().catch(() => undefined);
      this.digestRunning = false;
    }
  }

  private emit(alert: Alert): void {
    this.deps.logger.info('alert', {
      kind: alert.kind,
      condition: alert.conditionId,
      severity: alert.severity,
    });
    for (const l of this.listeners) {
      try {
        l(alert);
      } catch (e) {
        this.deps.logger.warn('alert listener failed', { reason: (e as Error).message });
      }
    }
    const record = (): Promise<void> =>
      // Sent even when it cannot be recorded: the settings disk full or made read-only is when a
      // person must hear most, and the channels need no disk. (The record only keeps a restart
      // from announcing it again.) Before, a failed record dropped the alert: no alert at all.
      this.log.append(alert).catch((e: unknown) =>
        this.deps.logger.warn('alert not recorded; sending it all the same', {
          reason: (e as Error).message,
        }),
      );
    // Until its turn in the queue, what is owed of this condition waits (a retry queued before
    // it would send a raise this clear cancels, or overtake it).
    this.delivery.emitted(alert.conditionId);
    this.queue = this.queue
      .then(async () => {
        this.delivery.turn(alert.conditionId);
        // The record is what the next process knows (carryOver), and a power cut may fall between
        // record and send. A raise is recorded first: once sent, its clear is never forgotten. A
        // clear is sent first: lost, its record would say it went. Either way a power cut there
        // costs at worst a message twice, never a clear that is not sent. A raise is also owed
        // (the outbox, on the disk) before it is sent, so a power cut between record and send no
        // longer loses it: the next start delivers it.
        if (alert.kind === 'cleared') {
          try {
            await this.deliverOwed(alert);
          } finally {
            await record();
          }
        } else {
          await record();
          await this.deliverOwed(alert);
        }
      })
      .catch((e: unknown) =>
        this.deps.logger.warn('alert not sent', { reason: (e as Error).message }),
      );
  }

  /**
   * The settings changed (saved here, or edited by another process): every channel that owes
   * alerts tries now, not at the next minute's tick (or its back-off, up to an hour), while status
   * and the other channels kept the old failure's words. A change is rare: trying all is cheap.
   */
  settingsChanged(): void {
    if (!this.unsubscribe || this.stopping) return;
    this.queueRetry(true);
    void this.queued(() => this.reviewFailing(true));
  }

  /**
   * What a failing channel's problem says it owes is what it owes now. Alerts it owed leave
   * without a send (a condition healed before the channel was told of it, one given up): it said
   * "3 alerts wait to be sent again" of a channel owing none, and nothing ever tried it again, so
   * after the person fixed the setting (an alert command typed with arguments, then without) the
   * problem stood, in the old setting's words, until some later alert went through. After a
   * settings change, a failing channel that owes nothing is no longer shown failing: its failure
   * was of the settings replaced, and the next alert tries the new ones (raising it again if
   * they fail too).
   */
  private async reviewFailing(afterSettingsChange: boolean): Promise<void> {
    for (const id of await this.failingBuiltChannels()) {
      const owed = this.owedToSend(id);
      if (owed === 0 && afterSettingsChange) {
        this.deps.logger.info('alert channel owes nothing and its settings changed: not failing', {
          channel: id,
        });
        this.channelTrouble.delete(id);
        if (id === 'email') this.emailTrouble(null);
        else this.deps.status.clear(`${CHANNEL_FAILING_PREFIX}${id}`);
        continue;
      }
      if (id === 'email') {
        const alerts = this.mailTrouble.alerts;
        if (alerts && alerts.owed !== owed) this.emailTrouble({ ...alerts, owed });
        continue;
      }
      const trouble = this.channelTrouble.get(id);
      if (!trouble || trouble.owed === owed) continue;
      trouble.owed = owed;
      this.deps.status.raise(failingProblem(id, trouble.label, trouble.reason, owed));
    }
  }

  private queueRetry(atOnce: boolean): void {
    this.retryAtOnce ||= atOnce;
    if (this.retryQueued) return;
    this.retryQueued = true;
    this.queue = this.queue
      .then(async () => {
        this.retryQueued = false;
        const now = this.retryAtOnce;
        this.retryAtOnce = false;
        await this.forgetChannelsTurnedOff();
        await this.delivery.retryOwed(now);
        await this.reviewFailing(false);
      })
      .catch((e: unknown) =>
        this.deps.logger.warn('alert retry failed', { reason: (e as Error).message }),
      );
  }

  private async builtChannels(): Promise<AlertChannel[]> {
    return buildChannels(this.deps.settings(), await this.loadSecrets(), this.deps.tuning ?? {});
  }

  /**
   * The channels an alert goes to: not a channel's own trouble through that channel (the digest's
   * is the email channel's: the same relay).
   */
  private async channelsFor(alert: Alert): Promise<AlertChannel[]> {
    return (await this.builtChannels()).filter(
      (c) => alert.conditionId !== `${CHANNEL_FAILING_PREFIX}${c.id}`,
    );
  }

  /**
   * Through the outbox to every channel. A webhook set up in the settings whose URL (a secret)
   * cannot be read, or is not set (removed, to be set again), owes the alert without a try:
   * fixing the file, or setting the URL, delivers it.
   */
  private async deliverOwed(alert: Alert): Promise<ChannelResult[]> {
    const channels = await this.channelsFor(alert);
    const format = this.deps.settings().alertWebhookFormat;
    const waiting: ChannelId[] =
      format !== 'off' &&
      !channels.some((c) => c.id === 'webhook') &&
      alert.conditionId !== `${CHANNEL_FAILING_PREFIX}webhook`
        ? ['webhook']
        : [];
    const results = await this.delivery.deliver(alert, channels, waiting);
    // Unreadable secrets are a problem of their own; a URL not set is said here, or nothing
    // would tell that the webhook holds alerts back.
    if (waiting.length > 0 && this.secretsTrouble === null)
      this.deps.status.raise(
        failingProblem(
          'webhook',
          `webhook (${format})`,
          'its URL is not set: rdl-sync alert secret webhook-url',
          this.owedToSend('webhook'),
        ),
      );
    return results;
  }

  /**
   * A channel the person tested from another process (`rdl-sync alert test`) and saw go through is
   * no longer failing here: its problem is cleared and what it owes is tried at once (a send that
   * still fails raises it again, with that send's reason).
   */
  private async followTestElsewhere(): Promise<void> {
    const test = await readAlertTestOutcome(this.deps.configDir);
    if (!test || test.atMs <= this.testSeenMs || test.pid === process.pid) return;
    this.testSeenMs = test.atMs;
    const failing = new Set(
      this.deps.status
        .snapshot()
        .problems.filter((p) => p.id.startsWith(CHANNEL_FAILING_PREFIX))
        .map((p) => p.id.slice(CHANNEL_FAILING_PREFIX.length)),
    );
    const healed = test.ok.filter((c) => failing.has(c));
    if (healed.length === 0) return;
    this.deps.logger.info('a test alert from another process went through', {
      channels: healed.join(' '),
      testedAt: new Date(test.atMs).toISOString(),
    });
    for (const c of healed) {
      if (c !== 'email') this.deps.status.clear(`${CHANNEL_FAILING_PREFIX}${c}`);
      else {
        // The digest goes through the same relay to the same people: it works again too.
        this.mailTrouble.alerts = null;
        this.mailTrouble.digest = null;
        this.showMailTrouble();
      }
    }
    this.queueRetry(true);
  }

  /**
   * A channel turned off is no longer failing: its problem (raised at its last failed send, and
   * cleared only by a send that works) would otherwise stand until the process ends.
   */
  private async forgetChannelsTurnedOff(): Promise<void> {
    const failing = this.deps.status
      .snapshot()
      .problems.some((p) => p.id.startsWith(CHANNEL_FAILING_PREFIX));
    if (!failing) return; // nothing to forget: no secrets file read a minute for it
    const setUp = new Set<string>((await this.builtChannels()).map((c) => c.id));
    if (this.deps.settings().alertWebhookFormat !== 'off') setUp.add('webhook');
    for (const id of ['email', 'webhook', 'command'] satisfies ChannelId[]) {
      if (setUp.has(id)) continue;
      if (id === 'email') this.emailTrouble(null);
      else this.deps.status.clear(`${CHANNEL_FAILING_PREFIX}${id}`);
    }
  }

  /** Runs `step` in the queue (after the alerts and retries before it); never rejects. */
  private queued<T>(step: () => Promise<T>): Promise<T | undefined> {
    const done = this.queue.then(step).catch((e: unknown) => {
      this.deps.logger.warn('alert not sent', { reason: (e as Error).message });
      return undefined;
    });
    this.queue = done.then(() => undefined);
    return done;
  }

  /**
   * A daemon stopping may write alerts-outbox.json when no other RDL Sync syncs (the file has one
   * writer: the run lock's holder). It reads the file first if its service never started.
   */
  private async mayWriteOutbox(): Promise<boolean> {
    const owner = await liveLockOwner(this.deps.configDir).catch(() => null);
    if (owner && owner.pid !== process.pid) return false;
    if (!this.outboxLoaded) await this.loadOutbox();
    return true;
  }

  private async loadOutbox(): Promise<void> {
    await this.delivery.outbox.load(owedAcrossRestarts);
    this.outboxLoaded = true;
  }

  /**
   * Once through every channel, owed by none after: the test alert (its outcome is for the person
   * testing, now), and a stop while another RDL Sync syncs (that one writes the outbox).
   */
  private async dispatch(
    alert: Alert,
    onTrying?: (labels: readonly string[]) => void,
  ): Promise<ChannelResult[]> {
    const channels = await this.channelsFor(alert);
    if (channels.length > 0) onTrying?.(channels.map((c) => c.label));
    const origin = this.origin();
    const results = await Promise.all(channels.map((c) => this.sendOne(c, alert, origin)));
    for (const r of results)
      if (!r.ok)
        this.deps.logger.warn('alert channel failed', { channel: r.channel, reason: r.error });
    return results;
  }

  private async sendOne(
    c: AlertChannel,
    alert: Alert,
    origin: AlertOrigin,
  ): Promise<ChannelResult> {
    try {
      await c.send(alert, origin);
      if (c.id === 'email') this.emailTrouble(null);
      else this.deps.status.clear(`${CHANNEL_FAILING_PREFIX}${c.id}`);
      return { channel: c.id, label: c.label, ok: true };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      // What it owes, this alert included (it leaves the outbox only once delivered).
      const owed = this.owedToSend(c.id);
      if (c.id === 'email') this.emailTrouble({ reason, owed, label: c.label });
      else {
        this.channelTrouble.set(c.id, { reason, label: c.label, owed });
        this.deps.status.raise(failingProblem(c.id, c.label, reason, owed));
      }
      return { channel: c.id, label: c.label, ok: false, error: reason };
    }
  }

  /** Alerts by email fail (why, and what they owe), or go through again (null). */
  private emailTrouble(trouble: MailTrouble['alerts']): void {
    this.mailTrouble.alerts = trouble;
    this.showMailTrouble();
  }

  /** The digest fails (why), or went, or is no longer sent (null). */
  private digestTrouble(reason: string | null): void {
    const label = EmailChannel.fromSettings(this.deps.settings(), undefined)?.label ?? 'email';
    this.mailTrouble.digest = reason === null ? null : { reason, label };
    this.showMailTrouble();
  }

  /**
   * The relay's trouble as one problem, alert-channel-failing:email: the alerts by email and the
   * digest go through the same relay to the same people, with the same fix. They were two
   * problems (…:email and …:digest), two raises and two "resolved" for one relay down, read as
   * two faults. Resolved once both go through.
   */
  private showMailTrouble(): void {
    const { alerts, digest } = this.mailTrouble;
    if (!alerts && !digest) this.deps.status.clear(`${CHANNEL_FAILING_PREFIX}email`);
    else this.deps.status.raise(mailFailingProblem(alerts, digest));
  }

  private async loadSecrets(): Promise<AlertSecrets> {
    try {
      const s = await this.secrets.load();
      this.secretsTrouble = null;
      this.deps.status.clear(SECRETS_PROBLEM_ID);
      return s;
    } catch (e) {
      this.secretsTrouble = (e as Error).message;
      this.deps.status.raise({
        id: SECRETS_PROBLEM_ID,
        code: 'alert-channel-failing',
        severity: 'attention',
        tab: 'settings',
        message: (e as Error).message,
      });
      return {};
    }
  }

  private origin(): AlertOrigin {
    return { site: this.deps.settings().site, host: this.deps.host };
  }

  private policyOptions(): AlertPolicyOptions {
    const s = this.deps.settings();
    return { flapMs: s.alertFlapMinutes * 60_000, reminderMs: s.alertReminderHours * 3_600_000 };
  }

  private get stateFile(): string {
    return path.join(this.deps.configDir, ALERT_STATE_FILE);
  }

  private async readState(): Promise<AlertState> {
    try {
      return JSON.parse(await fs.readFile(this.stateFile, 'utf8')) as AlertState;
    } catch {
      return {};
    }
  }

  /** Durable: a digest recorded as sent and then forgotten in a power cut is sent twice. */
  private async writeState(state: AlertState): Promise<void> {
    await atomicWriteFile(this.stateFile, JSON.stringify(state), { otherWriters: true });
  }

  /** Another process's start time, when it is the one syncing now. */
  private async liveStartedAt(state: AlertState): Promise<number | null> {
    if (state.pid === undefined || state.startedAtMs === undefined) return null;
    const owner = await liveLockOwner(this.deps.configDir).catch(() => null);
    return owner?.pid === state.pid ? state.startedAtMs : null;
  }
}

/**
 * What is true of a process that syncs again. Paused by a person (a pause outlives a restart),
 * it runs but moves nothing: "runs again" alone told the people far away that the files flowed
 * when they waited, and named no way to resume.
 */
function runsAgainSentence(s: StatusSnapshot): string {
  if (!s.paused) return 'RDL Sync runs again';
  const until =
    s.pausedUntilMs === null
      ? 'until someone resumes it; files wait safely. To sync again'
      : `until ${formatUtcMinute(s.pausedUntilMs)}, when it resumes by itself; files wait safely. To sync sooner`;
  return `RDL Sync runs again, but syncing is paused (a person paused it): nothing is uploaded or archived ${until}: rdl-sync resume, or Resume in the tray menu`;
}

/** Announcements older than this (the longest reminder setting) are not carried over. */
const CARRY_OVER_MS = 30 * 24 * 3_600_000;

/**
 * Conditions of the status that the next process re-evaluates. Not: the daemon's own stop (it has
 * its own once-per-error rule in notifyStopped), the alert channels' own trouble (known only at a
 * send), the test alert, and a single file's failure as an earlier version announced it (now
 * grouped, file-groups.ts: resolved by this version, it would say "No longer a problem" of a file
 * that still fails).
 */
function carriesOver(a: Alert): boolean {
  return (
    a.code !== 'test' &&
    !a.conditionId.startsWith(FILE_FAILING_PREFIX) &&
    a.code !== 'daemon-stopped' &&
    !a.conditionId.startsWith(CHANNEL_FAILING_PREFIX) &&
    a.conditionId !== SECRETS_PROBLEM_ID
  );
}

/** What the next process still delivers: its own conditions' alerts, and a daemon's stop. */
function owedAcrossRestarts(a: Alert): boolean {
  return carriesOver(a) || a.code === 'daemon-stopped';
}

/** `p`, or `fallback` once STOP_WAIT_MS have passed. */
function bounded<T, F>(p: Promise<T>, fallback: F): Promise<T | F> {
  return Promise.race([
    p,
    new Promise<F>((r) => setTimeout(() => r(fallback), STOP_WAIT_MS).unref()),
  ]);
}

interface MailTrouble {
  alerts: { reason: string; owed: number; label: string } | null;
  digest: { reason: string; label: string } | null;
}

/**
 * Mail through the relay not getting through: the alerts by email, the digest, or both, in one
 * problem (the email channel's), saying what waits.
 */
function mailFailingProblem(
  alerts: MailTrouble['alerts'],
  digest: MailTrouble['digest'],
): Omit<Problem, 'sinceMs'> {
  if (!digest) return failingProblem('email', alerts!.label, alerts!.reason, alerts!.owed);
  const clean = (r: string): string => r.replace(/[.\s]+$/, '');
  const fix = 'check the alert settings, then rdl-sync alert test';
  if (!alerts)
    return {
      ...failingProblem('email', digest.label, digest.reason),
      message: `The digest by ${digest.label} is not getting through (${clean(digest.reason)}): it waits to be sent again; ${fix}`,
    };
  const why =
    clean(alerts.reason) === clean(digest.reason)
      ? clean(alerts.reason)
      : `${clean(alerts.reason)}; the digest: ${clean(digest.reason)}`;
  const what =
    alerts.owed === 0
      ? 'the digest waits to be sent again'
      : `${alerts.owed === 1 ? '1 alert waits' : `${alerts.owed} alerts wait`} to be sent again, and the digest`;
  return {
    ...failingProblem('email', alerts.label, alerts.reason),
    message: `Alerts and the digest by ${alerts.label} are not getting through (${why}): ${what}; ${fix}`,
  };
}

/**
 * `owed`: how many alerts the channel still owes (`status` says so: a person at the hub sees how
 * much a failing relay holds back, not only that it fails).
 */
function failingProblem(
  id: string,
  label: string,
  reason: string,
  owed = 0,
): Omit<Problem, 'sinceMs'> {
  const waiting =
    owed === 0 ? '' : ` ${owed === 1 ? '1 alert waits' : `${owed} alerts wait`} to be sent again;`;
  return {
    id: `${CHANNEL_FAILING_PREFIX}${id}`,
    code: 'alert-channel-failing',
    severity: 'attention',
    tab: 'settings',
    message: `Alerts by ${label} are not getting through (${reason.replace(/[.\s]+$/, '')}):${waiting} ${channelFix(reason)}`,
  };
}
