// The files of one pass on their way through the legs. Each file is handed to every leg it is due
// on as soon as the pass finds it (just staged, or met in transit), and settled (checked, recorded,
// removed from transit: pass.ts) once each of those legs has answered for it. So the upload starts
// with the first file staged, and the first files are done while later ones still travel.
// At most `limit` files are between found and settled: a backlog of any length takes bounded
// memory. A leg that holds files to batch them must not wait for more while it has nothing else
// to do (legs/leg.ts), or a full flow would wait on it. After end(), a leg that is done may be
// reopened for files found later (pass.ts restageWhileLegsWork): it runs again on those alone.
import { Channel } from '../channel.js';
import type { LegId } from '../legs/ids.js';
import type { DestinationLeg, PlaceItem } from '../legs/leg.js';
import { legDue } from './leg-state.js';
import { placeItemFor, type LegFeed, type WorkItem } from './leg-runner.js';

interface Flowing {
  w: WorkItem;
  /** Legs it was handed to that have not answered yet. */
  unanswered: number;
}

export interface FileFlowOptions {
  legs: readonly DestinationLeg[];
  /** Files between found and settled, at most. */
  limit: number;
  /** Answered files are settled together once this many wait (fewer at the end or when full). */
  settleGroup: number;
  now(): number;
  settleMs: number;
  /** When a person last asked for a pass: failures from before it are due (see retryDue). */
  retryAskedMs?: number;
  /** Since when a leg's own failures are due at once (pass.ts: a larger card put in). */
  legAskedMs?(leg: LegId): number | undefined;
  /** Checks, records and removes answered files: one call at a time, in the order answered. */
  settle(items: WorkItem[]): Promise<void>;
  /** A leg is handed its first file: start it (a pass with nothing for a leg never runs it). */
  startLeg(leg: LegId): void;
}

export class FileFlow {
  private readonly channels = new Map<LegId, Channel<PlaceItem>>();
  /** Per leg: files handed to it that it has not answered for. */
  private readonly open = new Map<LegId, Map<string, Flowing>>();
  private readonly closedLegs = new Set<LegId>();
  /** Waiting for every leg to have answered for every file handed to it (see allAnswered). */
  private answeredWaiter: { promise: Promise<void>; resolve: () => void } | null = null;
  private readonly startedLegs = new Set<LegId>();
  private ready: WorkItem[] = [];
  private roomWaiters: Array<() => void> = [];
  private settling: Promise<void> = Promise.resolve();
  private settleQueued = false;
  /** No more files will be added. */
  private ended = false;
  private settleFailure: { error: unknown } | undefined;
  /** Files found and not yet settled. */
  readonly flowing = new Set<WorkItem>();
  /**
   * Those of them staged at a tick (reopened legs only), with room of their own: the busy leg's
   * files can fill the pass's room, and only its answers free it (hours, on a slow link after an
   * outage), while the tick's files go to the legs that are free.
   */
  private readonly fromTicks = new Set<WorkItem>();

  constructor(private readonly o: FileFlowOptions) {
    for (const leg of o.legs) {
      this.channels.set(leg.id, new Channel());
      this.open.set(leg.id, new Map());
    }
  }

  /** What one leg is given, and where it answers. */
  feedFor(leg: LegId): LegFeed {
    const open = this.openOf(leg);
    return {
      items: this.channelOf(leg),
      workItem: (rel) => open.get(rel)?.w,
      answered: (rel) => {
        const f = open.get(rel);
        if (!f) return;
        open.delete(rel);
        this.answer(f);
        if (open.size === 0) this.tellIfAllAnswered();
      },
    };
  }

  /**
   * The leg takes no more files: blocked before the pass, or its place() returned. Files it was
   * given and did not answer for are settled without it (they wait in transit for a later pass).
   */
  closeLeg(leg: LegId): void {
    if (this.closedLegs.has(leg)) return;
    this.closedLegs.add(leg);
    this.channelOf(leg).abandon();
    const open = this.openOf(leg);
    const left = [...open.values()];
    open.clear();
    for (const f of left) this.answer(f);
    this.tellIfAllAnswered();
  }

  /** Legs handed files they have not answered for yet. */
  busyLegs(): LegId[] {
    return [...this.open].filter(([, files]) => files.size > 0).map(([id]) => id);
  }

  /** Legs whose run is over (or never began): after end(), they may be reopened. */
  doneLegs(): LegId[] {
    return this.o.legs
      .map((leg) => leg.id)
      .filter((id) => this.closedLegs.has(id) || !this.startedLegs.has(id));
  }

  /**
   * After end(): the leg takes files again, in a run of its own (startLeg is called with the first
   * one); end() ends it again. The files added meanwhile go to the reopened legs alone.
   */
  reopen(leg: LegId): void {
    this.channels.set(leg, new Channel());
    this.closedLegs.delete(leg);
    this.startedLegs.delete(leg);
  }

  /** Resolves once every leg has answered for every file handed to it so far. */
  allAnswered(): Promise<void> {
    if (this.busyLegs().length === 0) return Promise.resolve();
    if (!this.answeredWaiter) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.answeredWaiter = { promise, resolve };
    }
    return this.answeredWaiter.promise;
  }

  /**
   * Hands a file to the legs it is due on, once the flow has room. Throws a settle's failure.
   * `admitted` runs as the file joins the flow, before anything can count it there. `atTick`: staged
   * at a tick, it waits for room among the files staged at ticks alone.
   */
  async add(w: WorkItem, admitted?: () => void, atTick = false): Promise<void> {
    const room = atTick ? this.fromTicks : this.flowing;
    if (room.size >= this.o.limit) {
      // Full: whatever is answered for is settled at once, however few, and files come in again
      // once half the room is free. Let in one by one, they would reach the legs one by one
      // (one-file batches and commits).
      const resume = Math.floor(this.o.limit / 2);
      while (room.size > resume && !this.settleFailure) {
        this.settleReady();
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      }
    }
    if (this.settleFailure) throw this.settleFailure.error;
    admitted?.();
    this.flowing.add(w);
    if (atTick) this.fromTicks.add(w);
    const f: Flowing = { w, unanswered: 0 };
    const now = this.o.now();
    for (const leg of this.o.legs) {
      if (
        this.closedLegs.has(leg.id) ||
        // Ended (after end(), a leg still at work on the files it had): a later pass gives it these.
        this.channelOf(leg.id).complete ||
        !legDue(
          w.entry,
          leg.id,
          now,
          this.o.settleMs,
          this.o.retryAskedMs,
          this.o.legAskedMs?.(leg.id),
        )
      )
        continue;
      f.unanswered++;
      this.openOf(leg.id).set(w.file.rel, f);
      this.channelOf(leg.id).push(placeItemFor(w, leg.id));
      if (!this.startedLegs.has(leg.id)) {
        this.startedLegs.add(leg.id);
        this.o.startLeg(leg.id);
      }
    }
    if (f.unanswered === 0) this.answeredByAll(w);
  }

  /** No more files: the legs finish what they were given. */
  end(): void {
    this.ended = true;
    for (const c of this.channels.values()) c.end();
    this.settleReady();
  }

  /** Once every leg's place() has returned: settles the rest; throws a settle's failure. */
  async finish(): Promise<void> {
    for (const leg of this.o.legs) this.closeLeg(leg.id);
    this.settleReady();
    await this.settling;
    if (this.settleFailure) throw this.settleFailure.error;
  }

  private tellIfAllAnswered(): void {
    if (!this.answeredWaiter || this.busyLegs().length > 0) return;
    this.answeredWaiter.resolve();
    this.answeredWaiter = null;
  }

  private answer(f: Flowing): void {
    f.unanswered--;
    if (f.unanswered === 0) this.answeredByAll(f.w);
  }

  private answeredByAll(w: WorkItem): void {
    this.ready.push(w);
    // A full flow settles what it can at once (the files waiting to come in need the room), and so
    // does one with no more files to come (the pass waits for the last ones).
    if (this.ready.length >= this.o.settleGroup || this.roomWaiters.length > 0 || this.ended)
      this.settleReady();
  }

  /**
   * Settles what is answered for, after the settle in hand. The group is taken when that settle
   * begins, so the answers of one commit (or those that came during the last settle) go together.
   */
  private settleReady(): void {
    if (this.ready.length === 0 || this.settleQueued) return;
    this.settleQueued = true;
    this.settling = this.settling.then(async () => {
      this.settleQueued = false;
      const batch = this.ready;
      this.ready = [];
      try {
        if (!this.settleFailure) await this.o.settle(batch);
      } catch (e) {
        this.settleFailure ??= { error: e };
      } finally {
        for (const w of batch) {
          this.flowing.delete(w);
          this.fromTicks.delete(w);
        }
        const waiters = this.roomWaiters;
        this.roomWaiters = [];
        for (const wake of waiters) wake();
      }
    });
  }

  private channelOf(leg: LegId): Channel<PlaceItem> {
    const c = this.channels.get(leg);
    if (!c) throw new Error(`no leg ${leg} in this pass`);
    return c;
  }

  private openOf(leg: LegId): Map<string, Flowing> {
    const m = this.open.get(leg);
    if (!m) throw new Error(`no leg ${leg} in this pass`);
    return m;
  }
}
