// The one alert policy (tray and daemon alike): it reads the engine's status snapshots and
// decides when a person is told. Pure: the caller passes the time, so tests use a fake clock.
//
// Rules, all per condition (no shared cap: "access revoked" is never held back because other
// conditions used up a budget):
//  - A problem that appears is announced once ('raised'); when it disappears, once ('cleared')
//    — only if its raise was announced.
//  - A condition that flaps (cleared, then back) is announced again at most once per
//    `flapMs`; if it is still there when that time has passed, it is announced then. Errors
//    (syncing stopped on a leg) are never held back.
//  - A condition still there `reminderMs` after its last announcement is announced again
//    ('reminder'); 0 turns reminders off.
// Offline is an ordinary problem here: the engine raises it only after the offline setting (its
// one offline clock), so the policy adds no timer of its own.
import type { Problem, StatusSnapshot } from '../status/types.js';
import type { Alert } from './types.js';

export interface AlertPolicyOptions {
  /** Minimum time between two raises of one condition (attention only). */
  flapMs: number;
  /** Remind after this long; 0 = never. */
  reminderMs: number;
}

interface Tracked {
  problem: Problem;
  /** Announced (raised or reminded) at; null while held back. */
  announcedAtMs: number | null;
}

export class AlertPolicy {
  private readonly active = new Map<string, Tracked>();
  /** Last time each condition was announced as raised, also after it cleared (flap guard). */
  private readonly lastRaisedMs = new Map<string, number>();

  constructor(private options: AlertPolicyOptions) {}

  setOptions(options: AlertPolicyOptions): void {
    this.options = options;
  }

  /** Feed every snapshot (and call it now and then with the last one for reminders). */
  update(status: Pick<StatusSnapshot, 'problems'>, nowMs: number): Alert[] {
    const alerts: Alert[] = [];
    const present = new Map(status.problems.map((p) => [p.id, p]));

    for (const [id, tracked] of this.active) {
      if (present.has(id)) continue;
      this.active.delete(id);
      if (tracked.announcedAtMs !== null) alerts.push(alertOf('cleared', tracked.problem, nowMs));
    }

    for (const problem of present.values()) {
      let tracked = this.active.get(problem.id);
      if (!tracked) {
        tracked = { problem, announcedAtMs: null };
        this.active.set(problem.id, tracked);
      }
      // The latest sentence (an offline problem counts its minutes), the first since-when.
      tracked.problem = { ...problem, sinceMs: tracked.problem.sinceMs };
      if (tracked.announcedAtMs === null) {
        if (!this.mayRaise(problem, nowMs)) continue;
        tracked.announcedAtMs = nowMs;
        this.lastRaisedMs.set(problem.id, nowMs);
        alerts.push(alertOf('raised', tracked.problem, nowMs));
      } else if (
        this.options.reminderMs > 0 &&
        nowMs - tracked.announcedAtMs >= this.options.reminderMs
      ) {
        tracked.announcedAtMs = nowMs;
        alerts.push(alertOf('reminder', tracked.problem, nowMs));
      }
    }
    return alerts;
  }

  /** The conditions currently announced (for `alert test` and the digest). */
  announced(): Problem[] {
    return [...this.active.values()].filter((t) => t.announcedAtMs !== null).map((t) => t.problem);
  }

  private mayRaise(problem: Problem, nowMs: number): boolean {
    if (problem.severity === 'error') return true;
    const last = this.lastRaisedMs.get(problem.id);
    return last === undefined || nowMs - last >= this.options.flapMs;
  }
}

function alertOf(kind: Alert['kind'], p: Problem, nowMs: number): Alert {
  return {
    kind,
    conditionId: p.id,
    code: p.code,
    severity: p.severity,
    sentence:
      kind === 'cleared' ? `No longer a problem: “${stripStop(p.message)}”.` : sentence(p.message),
    sinceMs: p.sinceMs,
    atMs: nowMs,
    tab: p.tab,
  };
}

function stripStop(s: string): string {
  return s.replace(/[.\s]+$/, '');
}

function sentence(s: string): string {
  return `${stripStop(s)}.`;
}
