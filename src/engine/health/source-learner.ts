// The silent-logger check's learning, kept from pass to pass: each source is learnt again only when
// its arrivals changed (a history record added or trimmed, a file arriving in or leaving transit, a
// file held in the watch folder), else its last answer stands and only "silent now?" is asked
// again. The answer is the one learnSources gives for all the arrivals at once: each source is
// learnt from the same arrivals in the same order (the history's, then transit's, then the watch
// folder's). During a long outage transit holds the arrivals of weeks and hardly changes between
// passes: learning all of it again after every pass cost tens of ms of CPU at 20,000 files.
import { compareNames } from '../compare-names.js';
import type { SourceStatus } from '../status/types.js';
import type { ArrivalTimes } from './arrival-times.js';
import {
  groupBySource,
  learnSource,
  silentAt,
  type Arrival,
  type SilenceRules,
} from './silent-sources.js';

/** What the sources are learnt from. */
export interface ArrivalsNow {
  /** The history's arrivals and a key that changes whenever the history does. */
  historyKey: string;
  readHistory: () => Arrival[];
  /** Files waiting in transit; null: none known (a stopped engine's `status`). */
  queued: ArrivalTimes | null;
  /** Finished files kept in the watch folder this pass (few: not remembered between passes). */
  held: Arrival[];
}

export class SourceLearner {
  private history: { key: string; bySource: Map<string, Arrival[]> } | null = null;
  private learnt = new Map<string, { key: string; status: SourceStatus }>();
  private rulesKey = '';

  learn(arrivals: ArrivalsNow, rules: SilenceRules, nowMs: number): SourceStatus[] {
    const history = this.historyBySource(arrivals);
    const rulesKey = JSON.stringify([rules.factor, rules.minSamples, [...rules.overrides]]);
    if (rulesKey !== this.rulesKey) {
      this.rulesKey = rulesKey;
      this.learnt.clear();
    }
    const held = groupBySource(arrivals.held);
    const sources = new Set([
      ...history.keys(),
      ...(arrivals.queued?.sources() ?? []),
      ...held.keys(),
    ]);
    const learnt = new Map<string, { key: string; status: SourceStatus }>();
    const out: SourceStatus[] = [];
    for (const source of [...sources].sort(compareNames)) {
      const heldHere = held.get(source) ?? [];
      const key = [
        arrivals.historyKey,
        arrivals.queued?.stampOf(source) ?? 0,
        ...heldHere.map((a) => `${a.atMs} ${a.rel}`),
      ].join('\n');
      let known = this.learnt.get(source);
      if (known?.key !== key) {
        const list = [...(history.get(source) ?? [])];
        for (const [rel, atMs] of arrivals.queued?.of(source) ?? []) list.push({ rel, atMs });
        list.push(...heldHere);
        known = { key, status: learnSource(source, list, rules, nowMs) };
      }
      learnt.set(source, known);
      out.push(silentAt(known.status, nowMs));
    }
    // Sources with no arrival left are forgotten.
    this.learnt = learnt;
    return out;
  }

  /** The history's arrivals by source, read again only when the history changed. */
  private historyBySource(arrivals: ArrivalsNow): Map<string, Arrival[]> {
    if (this.history?.key !== arrivals.historyKey)
      this.history = {
        key: arrivals.historyKey,
        bySource: groupBySource(arrivals.readHistory()),
      };
    return this.history.bySource;
  }
}
