// The hub's side of the fleet: every fleetHeartbeatMinutes it overwrites `<fleet folder>/<site>.json`
// with a small summary of its health (one upload call). It runs beside the passes and never
// touches them: a failed heartbeat is a log line (once per cause) and a note on the Fleet tab,
// never a problem that changes the hub's state, and the next beat simply tries again. One answer
// is no heartbeat's own: Dropbox's "access was revoked" stops every upload too, and on a quiet hub
// the beat may be the only call that meets it, so it goes to the status as the upload leg's.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DropboxCredentials } from '../credentials/index.js';
import type { DropboxConnection } from '../dropbox/connection.js';
import type { Clock, Logger } from '../ports.js';
import { CLOCK_SET_AFTER_MS, renderRemoteRoot } from '../settings/remote-root.js';
import type { Settings } from '../settings/schema.js';
import type { HistoryRecord, Problem, StatusSnapshot } from '../status/types.js';
import { atomicWriteFile } from '../fsutil/index.js';
import { BacklogRecorder, hourlyActivity, type Activity } from './activity.js';
import { appVersion } from '../app-version.js';
import { uploadHeartbeat } from './fleet-dropbox.js';
import { isLoginRevoked } from '../dropbox/classify.js';
import type { SyncError } from '../errors.js';
import { fleetFolderFor, fleetFolderProblem, heartbeatPath } from './fleet-folder.js';
import { fleetConnection } from './fleet-reader.js';
import type { BeatResult } from './types.js';
import { buildHeartbeat, parseHeartbeat, type Heartbeat } from './heartbeat.js';

/** Why no heartbeat is written while the setting is off (the Fleet tab shows it). */
const HEARTBEAT_OFF = 'Heartbeat is off (fleetHeartbeatEnabled)';
/**
 * Why none is written on a fresh install: its empty site name is not a mistake yet (nothing was
 * set up), so it is said as such and logged as news, not warned about.
 */
const NOT_SET_UP = 'No heartbeat: RDL Sync is not set up yet';

/** The first beat waits this long after start, so it carries the first pass's counts. */
export type { BeatResult };

/** Beside the settings: the queue's peak per hour over the last day (the backlog chart). */
export function backlogFile(configDir: string): string {
  return path.join(configDir, 'fleet-backlog.json');
}

/** The saved backlog peaks; a missing or damaged file is an empty chart, never an error. */
export function loadBacklog(configDir: string, nowMs: number): BacklogRecorder {
  const recorder = new BacklogRecorder();
  try {
    recorder.load(JSON.parse(readFileSync(backlogFile(configDir), 'utf8')) as unknown, nowMs);
  } catch {
    // nothing saved yet
  }
  return recorder;
}

const FIRST_BEAT_DELAY_MS = 5_000;

export interface HeartbeatServiceDeps {
  configDir: string;
  settings(): Settings;
  credentials(): Promise<DropboxCredentials | null>;
  status(): StatusSnapshot;
  onStatus(listener: (s: StatusSnapshot) => void): () => void;
  /** Every kept history record (any order). */
  history(): HistoryRecord[];
  clock: Clock;
  logger: Logger;
  host?: string;
  /** Overrides fleetHeartbeatMinutes (tests: beats seconds apart, staleness within seconds). */
  intervalMs?: number;
  /**
   * Dropbox's word on the login at each beat (the engine's status reducer): its definite "access
   * revoked", or null once a beat was taken. Offline, server errors and the like are not passed.
   */
  loginAnswered?(refused: SyncError | null): void;
  /** Whether settings were ever saved (false: a fresh install waiting for its setup). */
  setUp?(): boolean;
  /** Where the site-shared problem goes (the engine's status). */
  problems?: {
    raise(problem: Omit<Problem, 'sinceMs'>): void;
    clear(id: string): void;
  };
}

/** Another hub writes this site's heartbeat: the problem's id. */
export const SITE_SHARED_ID = 'site-shared';

export class HeartbeatService {
  readonly instanceId = randomUUID();
  private readonly startedAtMs: number;
  private lastError: { message: string; atMs: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<BeatResult> | null = null;
  private lastLogged: string | null = null;
  private readonly lifetime = new AbortController();
  private stopped = false;
  /** Kept between beats, so a beat costs one upload call, not a token refresh as well. */
  private connection: { key: string; conn: DropboxConnection } | null = null;
  last: BeatResult | null = null;
  /** The revision this hub wrote last, and where: the next beat replaces only that revision. */
  private own: { path: string; rev: string } | null = null;
  /** Other hubs found writing our file, by instance id. */
  private readonly others = new Map<string, Heartbeat['otherWriters'][number]>();

  constructor(
    private readonly deps: HeartbeatServiceDeps,
    /** The queue's peaks per hour; owned by the caller, so an engine not started shows them too. */
    private readonly backlog: BacklogRecorder,
  ) {
    this.startedAtMs = deps.clock.now();
  }

  private get backlogFile(): string {
    return backlogFile(this.deps.configDir);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.onStatus((s) => this.observe(s));
    this.observe(this.deps.status());
    if (!this.stopped) this.schedule(Math.min(FIRST_BEAT_DELAY_MS, this.intervalMs()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.lifetime.abort(new Error('stopping'));
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    await this.running?.catch(() => undefined);
    await this.saveBacklog();
  }

  /** Files and bytes per hour (history) with the backlog seen per hour: the Status chart. */
  activity(): Activity {
    return hourlyActivity(this.deps.history(), this.deps.clock.now(), this.backlog.get());
  }

  intervalMs(): number {
    return this.deps.intervalMs ?? this.deps.settings().fleetHeartbeatMinutes * 60_000;
  }

  /**
   * The settings changed: a beat that could not be written (no site name yet, turned off, the
   * fleet folder inside the data) is tried again in a few seconds, not at the next interval.
   * Before, the Fleet tab said "the site name is empty" for 15 minutes after the setup set it
   * (found by a window trial).
   */
  settingsChanged(): void {
    if (this.last && !this.last.ok && !this.stopped) this.schedule(FIRST_BEAT_DELAY_MS);
  }

  /** Writes one heartbeat now (also what the timer does). Never throws. */
  beatNow(): Promise<BeatResult> {
    this.running ??= this.beat().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private observe(s: StatusSnapshot): void {
    const now = this.deps.clock.now();
    this.backlog.record(now, s.counts.waiting + s.counts.transit);
    for (const p of s.problems) {
      if (p.severity === 'error' && (!this.lastError || p.sinceMs > this.lastError.atMs))
        this.lastError = { message: p.message, atMs: p.sinceMs };
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.beatNow().then(() => this.schedule(this.intervalMs()));
    }, delayMs);
    this.timer.unref();
  }

  private async beat(): Promise<BeatResult> {
    const now = this.deps.clock.now();
    let result: BeatResult;
    try {
      result = await this.write(now);
    } catch (e) {
      result = { atMs: now, ok: false, detail: (e as Error).message };
    }
    this.last = result;
    this.report(result);
    await this.saveBacklog();
    return result;
  }

  private async write(now: number): Promise<BeatResult> {
    const s = this.deps.settings();
    if (!s.fleetHeartbeatEnabled) {
      // Off: no other hub can be seen any more; what was seen no longer stands.
      this.others.clear();
      this.deps.problems?.clear(SITE_SHARED_ID);
      return { atMs: now, ok: false, detail: HEARTBEAT_OFF };
    }
    if (s.site.trim() === '' && this.deps.setUp?.() === false)
      return { atMs: now, ok: false, detail: NOT_SET_UP };
    if (s.site.trim() === '')
      return {
        atMs: now,
        ok: false,
        detail: 'No heartbeat: the site name is empty (enter it in the settings)',
      };
    // A Pi booted without network reads 1970 until NTP sets the clock: a beat dated then would
    // replace the last true one and show the hub to every viewer as silent for decades.
    if (now < CLOCK_SET_AFTER_MS)
      return {
        atMs: now,
        ok: false,
        detail: `No heartbeat: the clock is not set yet (it reads ${new Date(now).toISOString().slice(0, 10)}); the next beat after it is set is written`,
      };
    const host = this.deps.host ?? os.hostname();
    const folder = fleetFolderFor(s.remoteRootTemplate, s.fleetFolder);
    const remoteRoot = renderRemoteRoot(s.remoteRootTemplate, { site: s.site, host });
    const inside = fleetFolderProblem(folder, remoteRoot);
    if (inside) return { atMs: now, ok: false, detail: inside };
    const creds = await this.deps.credentials();
    if (!creds) return { atMs: now, ok: false, detail: 'No heartbeat: not connected to Dropbox' };
    const target = heartbeatPath(folder, s.site);
    // Another site name (the fix for a shared one) or folder: the hubs seen were another file's.
    if (this.own && this.own.path !== target) this.others.clear();
    const body = (otherWriter: Buffer | null): string => {
      if (otherWriter) this.noteOtherWriter(otherWriter, s.site, now);
      return `${JSON.stringify(heartbeat(), null, 1)}\n`;
    };
    const heartbeat = () =>
      buildHeartbeat({
        appVersion: appVersion(),
        site: s.site.trim(),
        host,
        instanceId: this.instanceId,
        startedAtMs: this.startedAtMs,
        nowMs: now,
        intervalMs: this.intervalMs(),
        status: this.deps.status(),
        activity: this.activity(),
        lastError: this.lastError,
        otherWriters: this.recentOthers(now),
      });
    let written: Awaited<ReturnType<typeof uploadHeartbeat>>;
    try {
      written = await uploadHeartbeat(
        this.connectionFor(s, creds),
        target,
        body,
        this.own?.path === target ? this.own.rev : null,
        this.lifetime.signal,
      );
    } catch (e) {
      if (isLoginRevoked(e)) await this.tellRevoked(e, creds);
      throw e;
    }
    this.deps.loginAnswered?.(null);
    this.own = { path: target, rev: written.rev };
    this.showOthers(s.site.trim(), now);
    return { atMs: now, ok: true, detail: target };
  }

  /**
   * Passes on the refusal of the login this beat used, unless another was saved meanwhile (`rdl-sync
   * auth` while the beat was on its way): the new one's status must not say the old one's verdict.
   */
  private async tellRevoked(refused: SyncError, used: DropboxCredentials): Promise<void> {
    const now = await this.deps.credentials().catch(() => null);
    if (now?.refreshToken === used.refreshToken && !this.stopped)
      this.deps.loginAnswered?.(refused);
  }

  /** Another hub wrote our heartbeat file since our last beat: remember it, say so once. */
  private noteOtherWriter(bytes: Buffer, site: string, now: number): void {
    const parsed = parseHeartbeat(bytes);
    // Our own newer revision (an answer lost on the way back): no other hub.
    if (parsed.ok && parsed.heartbeat.instanceId === this.instanceId) return;
    const other = parsed.ok
      ? {
          instanceId: parsed.heartbeat.instanceId,
          host: parsed.heartbeat.host,
          startedAtMs: parsed.heartbeat.startedAtMs,
          seenAtMs: now,
        }
      : { instanceId: 'unknown', host: 'unknown', startedAtMs: 0, seenAtMs: now };
    if (!this.others.has(other.instanceId)) {
      this.deps.logger.warn(
        'another hub writes this site’s heartbeat: two hubs share the site name (a cloned SD image?); give each its own site name',
        { site, otherHost: other.host },
      );
    }
    this.others.set(other.instanceId, other);
  }

  /**
   * Two hubs with one site name put their files in one Dropbox folder (same-named files kept as
   * "(1)" copies, one hub's deletions by retention among the other's): a problem of each hub's
   * own status, so it is alerted. Before, only `rdl-sync fleet` and a log line said so (found by
   * an operator trial). Cleared once the other has not written for three intervals.
   */
  private showOthers(site: string, now: number): void {
    const problems = this.deps.problems;
    if (!problems) return;
    const others = this.recentOthers(now);
    if (others.length === 0) return problems.clear(SITE_SHARED_ID);
    const hosts = [...new Set(others.map((o) => o.host))].join(', ');
    problems.raise({
      id: SITE_SHARED_ID,
      code: 'site-shared',
      severity: 'error',
      tab: 'settings',
      message: `Another hub (${hosts}) also syncs as site "${site}": two hubs share the site name (a cloned SD image?), and their files go to one Dropbox folder. Give each hub its own site name (rdl-sync settings set site NAME, or Settings)`,
    });
  }

  /** Other writers seen within the last three intervals (after that, taken as gone). */
  private recentOthers(now: number): Heartbeat['otherWriters'] {
    const window = 3 * this.intervalMs();
    for (const [id, o] of this.others) if (now - o.seenAtMs > window) this.others.delete(id);
    return [...this.others.values()];
  }

  private connectionFor(s: Settings, creds: DropboxCredentials): DropboxConnection {
    const key = JSON.stringify([
      s.dropboxEndpoint,
      creds.appKey || s.dropboxAppKey,
      creds.refreshToken,
    ]);
    if (this.connection?.key !== key) this.connection = { key, conn: fleetConnection(s, creds) };
    return this.connection.conn;
  }

  /** One log line per change of outcome, not one per beat while a cause lasts. */
  private report(r: BeatResult): void {
    const key = r.ok ? 'ok' : r.detail;
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    if (r.ok) this.deps.logger.info('fleet heartbeat written', { path: r.detail });
    // Turned off on purpose is no fault: a warning at every start, on a hub whose person chose
    // it, taught them to read past warnings.
    else if (r.detail === HEARTBEAT_OFF) this.deps.logger.info('fleet heartbeat off');
    else if (r.detail === NOT_SET_UP) this.deps.logger.info('fleet heartbeat waits for the setup');
    else if (!this.stopped)
      this.deps.logger.warn('fleet heartbeat not written; syncing is not affected', {
        reason: r.detail,
      });
  }

  private async saveBacklog(): Promise<void> {
    await atomicWriteFile(this.backlogFile, `${JSON.stringify(this.backlog.toJSON())}\n`, {
      durable: false,
    }).catch(() => undefined);
  }
}
