// Holds the live status and tells listeners when it changes. The pipeline and scheduler report
// facts (counts, transfers, problems); the state word and the sentence are derived here, in one
// place, so the tray, the window and the CLI can never disagree about what is going on.
import { EventEmitter } from 'node:events';
import type {
  ActiveTransfer,
  HeldResolved,
  EngineState,
  Problem,
  StageCounts,
  StatusFacts,
  StatusSnapshot,
} from './types.js';
import { describeState } from './sentence.js';
import { FILE_FAILING_PREFIX, withoutWaiting } from '../pipeline/problems.js';
import { withoutFigures } from '../figures.js';
import type { Logger } from '../ports.js';

export type { StatusFacts };

const RATE_WINDOW_MS = 5_000;
const MIN_RATE_WINDOW_MS = 750;

interface TransferTrack extends ActiveTransfer {
  /** Progress over the rate window; null until the first progress (most small files have none). */
  samples: { atMs: number; bytes: number }[] | null;
}

export function emptyCounts(): StageCounts {
  return { waiting: 0, transit: 0, uploadPending: 0, archivePending: 0, failed: 0, doneThisRun: 0 };
}

export class StatusModel {
  private problemLog: Pick<Logger, 'info' | 'warn'> | null = null;
  private readonly events = new EventEmitter();
  private facts: StatusFacts;
  private readonly problems = new Map<string, Problem>();
  /**
   * Transfers under way, by leg, then by rel: the rel strings are the files' own, whose hashes
   * the engine keeps, where a '<leg>:<rel>' key was a new string to build and hash at every
   * start, progress and end (several times per small file).
   */
  private readonly transfers = new Map<ActiveTransfer['leg'], Map<string, TransferTrack>>();
  private emitTimer: NodeJS.Timeout | null = null;
  /** Inside batch(): changes are told once, when it ends (null: not batching). */
  private batched: { changed: boolean } | null = null;

  constructor(
    private readonly now: () => number,
    initial: Partial<StatusFacts> = {},
    /** Progress updates arrive per chunk; listeners (IPC, tray) hear about them at most this often. */
    private readonly progressThrottleMs = 250,
  ) {
    this.facts = {
      counts: emptyCounts(),
      failing: null,
      passRunning: false,
      offline: false,
      paused: false,
      pausedUntilMs: null,
      lastSuccessMs: null,
      lastPassMs: null,
      nextPassMs: null,
      syncAskServedMs: null,
      archive: {
        enabled: false,
        path: '',
        card: true,
        present: false,
        writable: false,
        freeBytes: null,
        totalBytes: null,
      },
      dropbox: {
        connected: false,
        accountName: null,
        email: null,
        usedBytes: null,
        allocatedBytes: null,
        lastContactMs: null,
      },
      disks: [],
      sources: [],
      ...initial,
    };
    this.events.setMaxListeners(50);
  }

  update(patch: Partial<StatusFacts>): void {
    this.facts = { ...this.facts, ...patch };
    this.emitNow();
  }

  updateCounts(patch: Partial<StageCounts>): void {
    this.update({ counts: { ...this.facts.counts, ...patch } });
  }

  get current(): Readonly<StatusFacts> {
    return this.facts;
  }

  /**
   * Raises a problem once; raising the same id again only refreshes its message. `sinceMs`: when
   * the trouble began, where that is before the raise (an outage raised after the offline delay):
   * else now.
   */
  raise(problem: Omit<Problem, 'sinceMs'> & { sinceMs?: number }): void {
    const existing = this.problems.get(problem.id);
    if (existing && existing.message === problem.message && existing.severity === problem.severity)
      return;
    const sinceMs = existing?.sinceMs ?? Math.min(problem.sinceMs ?? Infinity, this.now());
    this.problems.set(problem.id, { ...problem, sinceMs });
    this.logRaised(problem, existing);
    this.emitNow();
  }

  clear(id: string): void {
    if (this.remove(id)) this.emitNow();
  }

  /**
   * Makes the changes `change` makes one change for listeners: one problem of a leg replaced by
   * another (the card full, now pulled) was heard as two, the first cleared and then the second
   * raised, and the alerts read the moment between as the first one healed ("Resolved: the archive
   * disk full" of a card pulled out).
   */
  batch(change: () => void): void {
    if (this.batched) return change();
    const batch = (this.batched = { changed: false });
    try {
      change();
    } finally {
      this.batched = null;
      if (batch.changed) this.emitNow();
    }
  }

  /** Deletes one problem, logging its end as its raise was logged; whether it was there. */
  private remove(id: string): boolean {
    if (!this.problems.delete(id)) return false;
    if (this.problemLog && !id.startsWith(FILE_FAILING_PREFIX))
      this.problemLog.info('problem resolved', { id });
    return true;
  }

  /**
   * Each problem's sentence goes to this log when it is raised and when its cause changes: on a
   * hub the log (and the service's journal) is what a person reads afterwards, and it held only
   * codes ("uploadBlocked":"proxy-refused") while the status said what and why. A file's own
   * failure is logged where it happens, file by file.
   */
  logProblemsTo(logger: Pick<Logger, 'info' | 'warn'>): void {
    this.problemLog = logger;
  }

  private logRaised(problem: Omit<Problem, 'sinceMs'>, before: Problem | undefined): void {
    if (!this.problemLog || problem.id.startsWith(FILE_FAILING_PREFIX)) return;
    // Counts and durations change at every pass ("unreachable for 59 s", then "for 1 min", "4
    // files waiting"): only another cause or fix is news, or another file or folder (digits in a
    // name are the name's: figures.ts). (The sentence ends with a period, which the waiting
    // part's patterns end before.)
    const gist = (m: string): string => withoutFigures(withoutWaiting(m.replace(/\.$/, '')));
    if (before && gist(before.message) === gist(problem.message)) return;
    this.problemLog.warn('problem', { id: problem.id, message: problem.message });
  }

  /** The "Resolved" alerts the alert policy's repeat guard holds now (shown, never a problem). */
  showResolvedHeld(held: HeldResolved[]): void {
    this.update({ resolvedHeld: held.map((h) => ({ ...h })) });
  }

  /** Clears every problem the predicate picks (e.g. all 'file-failing:' ones, a healed disk's). */
  clearMatching(predicate: (id: string) => boolean): void {
    let changed = false;
    for (const id of [...this.problems.keys()]) {
      if (predicate(id)) changed = this.remove(id) || changed;
    }
    if (changed) this.emitNow();
  }

  hasProblem(id: string): boolean {
    return this.problems.has(id);
  }

  transferStarted(rel: string, leg: ActiveTransfer['leg'], size: number): void {
    let ofLeg = this.transfers.get(leg);
    if (!ofLeg) this.transfers.set(leg, (ofLeg = new Map()));
    ofLeg.set(rel, {
      rel,
      leg,
      size,
      bytesDone: 0,
      rate: 0,
      startedAtMs: this.now(),
      samples: null,
    });
    this.emitSoon();
  }

  transferProgress(rel: string, leg: ActiveTransfer['leg'], bytesDone: number): void {
    const t = this.transfers.get(leg)?.get(rel);
    if (!t) return;
    const atMs = this.now();
    // Fewer bytes than before: the transfer started over (Dropbox lost its upload session, or a
    // saved one it no longer knows). Its rate is measured afresh from here; against the samples
    // before, it read as bytes going backwards (a negative rate, "-4.8 MB/s").
    if (bytesDone < t.bytesDone) {
      t.samples = [{ atMs, bytes: bytesDone }];
      t.rate = 0;
    }
    t.bytesDone = bytesDone;
    const samples = (t.samples ??= [{ atMs: t.startedAtMs, bytes: 0 }]);
    samples.push({ atMs, bytes: bytesDone });
    while (samples.length > 2 && atMs - samples[0]!.atMs > RATE_WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const dt = atMs - first.atMs;
    // A rate over a few milliseconds is noise (one buffered chunk looks like GB/s): wait for a
    // meaningful window before showing one.
    if (dt >= MIN_RATE_WINDOW_MS) t.rate = ((bytesDone - first.bytes) * 1000) / dt;
    this.emitSoon();
  }

  transferEnded(rel: string, leg: ActiveTransfer['leg']): void {
    if (this.transfers.get(leg)?.delete(rel)) this.emitSoon();
  }

  snapshot(): StatusSnapshot {
    const problems = [...this.problems.values()].sort((a, b) => a.sinceMs - b.sinceMs);
    const state = deriveState(this.facts, problems);
    const f = this.facts;
    return {
      state,
      sentence: describeState(state, f, problems, this.now()),
      counts: { ...f.counts },
      transfers: this.activeTransfers(),
      lastSuccessMs: f.lastSuccessMs,
      lastPassMs: f.lastPassMs,
      nextPassMs: f.nextPassMs,
      passRunning: f.passRunning,
      syncAskServedMs: f.syncAskServedMs,
      pausedUntilMs: f.pausedUntilMs,
      paused: f.paused,
      failing: f.failing && { ...f.failing },
      archive: { ...f.archive },
      dropbox: { ...f.dropbox },
      problems,
      disks: f.disks.map((d) => ({ ...d, roles: [...d.roles] })),
      sources: f.sources.map((x) => ({ ...x })),
      ...(f.offline ? { offlineCause: f.offlineCause ?? 'network' } : {}),
      ...(f.resolvedHeld?.length ? { resolvedHeld: f.resolvedHeld.map((h) => ({ ...h })) } : {}),
    };
  }

  /** Copies of the transfers under way, the earliest started first. */
  private activeTransfers(): ActiveTransfer[] {
    const out: ActiveTransfer[] = [];
    for (const ofLeg of this.transfers.values())
      for (const { samples: _s, ...t } of ofLeg.values()) out.push(t);
    // Stable: transfers started in the same millisecond stay in leg order.
    return out.sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  onChange(listener: (s: StatusSnapshot) => void): () => void {
    const wrapped = (): void => listener(this.snapshot());
    this.events.on('change', wrapped);
    return () => this.events.off('change', wrapped);
  }

  dispose(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    this.events.removeAllListeners();
  }

  private emitNow(): void {
    if (this.batched) {
      this.batched.changed = true;
      return;
    }
    if (this.emitTimer) {
      clearTimeout(this.emitTimer);
      this.emitTimer = null;
    }
    this.events.emit('change');
  }

  private emitSoon(): void {
    if (this.emitTimer) return;
    this.emitTimer = setTimeout(() => {
      this.emitTimer = null;
      this.events.emit('change');
    }, this.progressThrottleMs);
    this.emitTimer.unref();
  }
}

export function deriveState(f: StatusFacts, problems: Problem[]): EngineState {
  if (f.paused) return 'paused';
  if (problems.some((p) => p.severity === 'error')) return 'error';
  if (f.offline) return 'offline';
  if (problems.length > 0) return 'attention';
  if (f.passRunning && (f.counts.transit > 0 || f.counts.waiting > 0)) return 'syncing';
  return 'idle';
}
