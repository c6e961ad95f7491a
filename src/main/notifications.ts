// Decides which desktop notifications to show as the status changes: one when a condition a
// person must act on is raised, one when it clears, never a stream. Pure: notifier.ts shows them.
//
// Rules:
//  - One notice per problem id when it appears, one when it clears (only if the raise was shown).
//  - A condition that flaps is announced at most once per `perConditionMs`; if it is still
//    there when that window ends, it is announced then.
//  - At most `globalMax` notices per `globalWindowMs`, whatever the conditions; a raise held
//    back by the cap is shown later if the condition lasts, a clear held back is dropped.
//  - Offline is announced only after Dropbox has been unreachable for offlineAlertMinutes.
import type { Problem, StatusSnapshot } from '../engine/index.js';
import type { TabId } from '../shared/ipc-channels.js';

export interface Notice {
  conditionId: string;
  kind: 'raised' | 'cleared';
  title: string;
  body: string;
  /** The window tab a click opens. */
  tab: TabId;
}

export interface NotificationPolicyOptions {
  now: () => number;
  perConditionMs?: number;
  globalMax?: number;
  globalWindowMs?: number;
}

const OFFLINE_ID = 'offline';

interface Condition {
  id: string;
  title: string;
  body: string;
  tab: TabId;
  /** When this condition may first be announced (offline waits for its alert delay). */
  eligibleAtMs: number;
}

interface Tracked {
  condition: Condition;
  announced: boolean;
}

export class NotificationPolicy {
  private readonly now: () => number;
  private readonly perConditionMs: number;
  private readonly globalMax: number;
  private readonly globalWindowMs: number;
  private readonly active = new Map<string, Tracked>();
  private readonly lastShownMs = new Map<string, number>();
  private shownAt: number[] = [];
  private offlineSinceMs: number | null = null;

  constructor(options: NotificationPolicyOptions) {
    this.now = options.now;
    this.perConditionMs = options.perConditionMs ?? 30 * 60_000;
    this.globalMax = options.globalMax ?? 4;
    this.globalWindowMs = options.globalWindowMs ?? 10 * 60_000;
  }

  /** Feed every status; returns the notices to show now, in order. */
  update(status: StatusSnapshot, offlineAlertMinutes: number): Notice[] {
    const now = this.now();
    const current = this.conditions(status, offlineAlertMinutes, now);
    const notices: Notice[] = [];

    for (const [id, tracked] of this.active) {
      if (current.has(id)) continue;
      this.active.delete(id);
      if (tracked.announced && this.takeGlobalSlot(now)) {
        notices.push(clearedNotice(tracked.condition));
        this.lastShownMs.set(id, now);
      }
    }

    for (const condition of current.values()) {
      const tracked = this.active.get(condition.id) ?? { condition, announced: false };
      tracked.condition = condition;
      this.active.set(condition.id, tracked);
      if (tracked.announced || now < condition.eligibleAtMs) continue;
      const last = this.lastShownMs.get(condition.id);
      if (last !== undefined && now - last < this.perConditionMs) continue;
      if (!this.takeGlobalSlot(now)) continue;
      tracked.announced = true;
      this.lastShownMs.set(condition.id, now);
      notices.push({
        conditionId: condition.id,
        kind: 'raised',
        title: condition.title,
        body: condition.body,
        tab: condition.tab,
      });
    }
    return notices;
  }

  private conditions(
    status: StatusSnapshot,
    offlineAlertMinutes: number,
    now: number,
  ): Map<string, Condition> {
    const out = new Map<string, Condition>();
    for (const problem of status.problems) {
      if (problem.code === 'offline') continue; // handled below, with its delay
      out.set(problem.id, problemCondition(problem, now));
    }
    const offline = status.state === 'offline' || status.problems.some((p) => p.code === 'offline');
    if (!offline) {
      this.offlineSinceMs = null;
    } else {
      const reported = status.problems.find((p) => p.code === 'offline')?.sinceMs;
      this.offlineSinceMs ??= reported ?? now;
      const minutes = Math.round(offlineAlertMinutes);
      out.set(OFFLINE_ID, {
        id: OFFLINE_ID,
        title: 'RDL Sync: Dropbox unreachable',
        body: `Dropbox has been unreachable for more than ${minutes} min. Files wait safely in the transit folder and upload when the connection returns.`,
        tab: 'status',
        eligibleAtMs: this.offlineSinceMs + offlineAlertMinutes * 60_000,
      });
    }
    return out;
  }

  private takeGlobalSlot(now: number): boolean {
    this.shownAt = this.shownAt.filter((t) => now - t < this.globalWindowMs);
    if (this.shownAt.length >= this.globalMax) return false;
    this.shownAt.push(now);
    return true;
  }
}

function problemCondition(problem: Problem, now: number): Condition {
  return {
    id: problem.id,
    title: problem.severity === 'error' ? 'RDL Sync has stopped a leg' : 'RDL Sync needs attention',
    body: problem.message,
    tab: problem.tab,
    eligibleAtMs: now,
  };
}

function clearedNotice(condition: Condition): Notice {
  return {
    conditionId: condition.id,
    kind: 'cleared',
    title: 'RDL Sync: resolved',
    body:
      condition.id === OFFLINE_ID
        ? 'Dropbox is reachable again; waiting files are uploading.'
        : `No longer a problem: “${condition.body}”`,
    tab: condition.tab,
  };
}
