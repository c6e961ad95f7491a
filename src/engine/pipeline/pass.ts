// One pass of the life of a file (DESIGN.md): scan → stage → {upload leg, archive leg} → done.
// The transit folder is the queue. Files flow: each goes to its legs as soon as it is staged (or
// met in transit), and is settled once they answered, with a bounded number of files in the flow,
// so memory stays bounded however long the backlog is and the link is busy while staging runs.
// The journal only saves work (known legs, retry times); losing it costs a re-check, never a
// file. Nothing leaves transit before every enabled leg (legs/) verified it. What happens is told
// as events (events.ts); the engine's status reducer turns them into the status. A pass one leg
// holds up stages again at each tick of its schedule for the legs that are done (pass-ticks.ts).
import {
  holdZeroed,
  readAsZeros,
  recheckZeroed,
  zeroedRecheckDue,
  ZEROED_RECHECKS_PER_PASS,
} from './zeroed.js';
import type { SyncError } from '../errors.js';
import type { LegId } from '../legs/ids.js';
import type { DestinationLeg } from '../legs/leg.js';
import type { FileRef, PassDeps, TransitStat } from './deps.js';
import type { PassTicks } from './pass-ticks.js';
import { scanAndStage, type StageMemory, type StageStepResult } from './stage-step.js';
import { FileFlow } from './file-flow.js';
import { mapSource } from '../channel.js';
import { entryForCurrentVersion } from './file-version.js';
import { checkBeforeRemoval, finishFiles, legsDone, redoLegs, writersNow } from './finish.js';
import { runLeg, type LegTally, type WorkItem } from './leg-runner.js';
import { worstFailure } from './leg-state.js';
import { fileFailingProblem } from './problems.js';
import { FILE_FAILING_THRESHOLD } from '../retry-policy.js';
import {
  FILES_TO_TELL_AN_OUTAGE,
  isOutage,
  mayLeaveTransitUnwalked,
  networkLegOf,
  quietOutageAfter,
  type QuietOutage,
} from './quiet-outage.js';
import { ArrivalTimes } from '../health/arrival-times.js';
import type { TransitPlace } from '../stage/transit-place.js';
import { forgetLeftFiles, forgetFile, leftTransit } from './left-transit.js';
import { lookAtTransitOnce } from './transit-trust.js';

export interface PassReport {
  staged: number;
  done: number;
  uploaded: number;
  archived: number;
  /** Of those uploaded and archived, the ones found there already, the same: nothing was sent. */
  alreadyThere: Record<LegId, number>;
  /** Bytes sent to Dropbox this pass (files found there already not counted). */
  uploadedBytes: number;
  fileFailures: number;
  /** What blocked each leg this pass (null: it ran); `uploadBlocked`/`archiveBlocked` read it. */
  blocked: Partial<Record<LegId, SyncError | null>>;
  uploadBlocked: SyncError | null;
  archiveBlocked: SyncError | null;
  remainingInTransit: number;
  /** Bytes of the files left in transit; null when the walk of transit was not complete. */
  transitBytes: number | null;
  /** Finished files left in the watch folder this pass, with their mtime (StageStepResult.held). */
  heldInWatch: Array<{ rel: string; atMs: number }>;
  /** Of the files left in the watch folder, those still being written or changing. */
  settlingInWatch: string[];
  aborted: boolean;
}

/** State that outlives one pass (kept by the engine): first sightings, problems raised. */
export interface PassMemory extends StageMemory {
  firstSeenMs: FirstSightings;
  /**
   * When each file waiting in transit arrived, as far as this engine can tell (the silent-logger
   * check counts them): the time it staged it, or, for a file it found in transit at start-up
   * (an earlier run staged it), the file's mtime, never later than now. Not its first sighting:
   * after a restart that would make every file still waiting (one failing for ever, the queue of
   * an outage) a fresh arrival, and hide a logger that stopped. Pruned with firstSeenMs. Kept by
   * source, so the silent-logger check learns again only what changed (arrival-times.ts).
   */
  arrivedMs: ArrivalTimes;
  /** Problem ids raised for unreadable parts of transit by the last walk. */
  transitProblemIds: Set<string>;
  /** The counts told once a walk of transit had met every file: a pass's partial counts' floor. */
  lastCounts: QueueCounts | null;
  /** Transit files held as cut short whose hold was logged (once per hold: file-version.ts). */
  cutShortTold: Set<string>;
  /** The queue held by Dropbox's outage alone, as the last pass left it (quiet-outage.ts). */
  quietOutage: QuietOutage | null;
  /** The transit folder as the last trusted look found it (stage/transit-place.ts). */
  transitPlace: TransitPlace | null;
  /** The card's size as this engine last looked at it (null: not looked at, or unknown). */
  cardTotalBytes: number | null;
  /**
   * When a card larger than the last was found: the copies that failed before it are due at once
   * (one larger than the whole card waited for its back-off, hours after many tries, while the
   * status still said it needed a larger card).
   */
  cardGrewMs?: number;
}

/** What a pass tells of the queue: the files in transit, those each leg still owes, the failing. */
interface QueueCounts {
  transit: number;
  pending: Partial<Record<LegId, number>>;
  failed: number;
}

/**
 * When this engine first saw each file in transit; remembers the files forgotten since the last
 * pass ended, so that their arrivals (arrivedMs) are pruned by name instead of by a look at every
 * arrival after every pass: during a long outage that is the whole queue, weeks of files.
 */
export class FirstSightings extends Map<string, number> {
  readonly forgotten = new Set<string>();

  override delete(rel: string): boolean {
    if (!super.delete(rel)) return false;
    this.forgotten.add(rel);
    return true;
  }
}

export function newPassMemory(): PassMemory {
  return {
    firstSeenMs: new FirstSightings(),
    arrivedMs: new ArrivalTimes(),
    stageFailures: new Map(),
    entryProblemIds: new Set(),
    transitProblemIds: new Set(),
    lastCounts: null,
    cutShortTold: new Set(),
    quietOutage: null,
    transitPlace: null,
    cardTotalBytes: null,
  };
}

const TRANSIT_PROBLEM_PREFIX = 'transit-unreadable:';

/** While files are being found, the counts are told at most this often. */
const COUNTS_EVERY_MS = 250;

/** Answered files settled together: one snapshot of open files and one journal save per group. */
const SETTLE_GROUP = 500;

/**
 * How long a pass waits for its legs' looks before it goes on with those that answered: a look
 * at a card that answers takes milliseconds (a FUSE card's first after insertion, seconds).
 */
const LOOK_WAIT_MS = 3_000;

/** Resolves once every look has returned, or after `ms`, whichever comes first. */
async function lookedAtWithin(looks: Promise<void>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(looks),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Files the scan's walk must have met for the legs to hear of them before the scan ends. A small
 * pass never opens Dropbox sessions for files it does not have; a bigger one asks for this many
 * (and the spare ones, dropbox/session-reserve.ts) while the walk and the open-files check go
 * on, the rest as they are used, so its first upload does not wait for a start_batch after the
 * scan. At 1000 (one full start_batch) the walk of 2,000 files reached it only about 27 ms in; at
 * 128, 6 ms in, and the first append came about 20 ms sooner (warm, 3 alternating bench runs:
 * 77.7-78.6 % of the link against 79.2-80.5 %).
 */
export const EARLY_PREPARE_AT = 128;

export async function runPass(
  deps: PassDeps,
  memory: PassMemory,
  signal?: AbortSignal,
  /** The schedule's moments while this pass runs: the watch folder is looked at again at each. */
  ticks?: PassTicks,
): Promise<PassReport> {
  const { clock, emit } = deps;
  const tally: LegTally = { placed: {}, alreadyThere: {}, sentBytes: {}, fileFailures: 0 };
  const settleMs = deps.settleMs ?? 0;
  // The queue the last pass left while only Dropbox's outage held it (quiet-outage.ts): set again
  // at the end of this pass if that still holds.
  const carried = mayLeaveTransitUnwalked(memory.quietOutage, deps, clock.now())
    ? memory.quietOutage
    : null;
  memory.quietOutage = null;
  /** The rest of transit was left unwalked: Dropbox is still out (set once, during the walk). */
  let unwalked = false;
  /** Files this pass met in its walk of transit (not staged by it): part of the carried queue. */
  const met = { files: 0, failing: 0, bytes: 0 };

  // 1. Each leg is looked at once per pass, before any file it takes; a blocked leg (card
  //    missing, not connected) waits alone, the others run. The looks are made together, and one
  //    that takes longer than LOOK_WAIT_MS (a card that stopped answering: its deadline is
  //    minutes) does not hold the pass: the files are found and go to the legs looked at, and
  //    wait in the flow for that one, which runs, or is closed as blocked, once its look returns.
  //    For the 2 minutes of a card's deadline, every hang held Dropbox too, and the status read
  //    "Up to date" beside files waiting (hands-on trial).
  const blocked = new Map<LegId, SyncError | null>();
  const lookAt = async (leg: DestinationLeg): Promise<void> => {
    const health = await leg.check();
    emit({
      type: 'leg-checked',
      leg: leg.id,
      problem: health.problem,
      ...(health.card ? { card: health.card } : {}),
    });
    blocked.set(leg.id, health.problem);
    if (health.problem) emit({ type: 'leg-blocked', leg: leg.id, error: health.problem });
    const total = health.card?.totalBytes ?? null;
    if (total !== null) {
      if (memory.cardTotalBytes !== null && total > memory.cardTotalBytes)
        memory.cardGrewMs = clock.now();
      memory.cardTotalBytes = total;
    }
  };
  const looks = new Map(deps.legs.map((leg) => [leg.id, lookAt(leg)] as const));
  await lookedAtWithin([...looks.values()], LOOK_WAIT_MS);

  // 2. The legs take files as the pass finds them (file-flow.ts); answered files are settled in
  //    groups: checked, recorded, removed from transit.
  let remaining = 0;
  let remainingBytes = 0;
  const pending = new Map<LegId, number>(deps.legs.map((leg) => [leg.id, 0]));
  let failed = 0;
  // The worst failing file: of transit's (set inside `settle`: typed by hand so checks are not
  // narrowed away), and of the watch folder's as its last scan found it (a tick's scan replaces
  // it: a file fixed and staged at a tick was still named failing beside "Failing: 0").
  type Named = { rel: string; message: string; attempts: number };
  let transitFailing = null as Named | null;
  let watchFailing = null as Named | null;
  const worstFailing = (): Named | null =>
    !transitFailing || (watchFailing && watchFailing.attempts >= transitFailing.attempts)
      ? watchFailing
      : transitFailing;
  let done = 0;
  /** Of those done, files that were failing: only these leave the "Failing" count's floor. */
  let doneFailing = 0;
  const flow = new FileFlow({
    legs: deps.legs,
    limit: deps.windowSize ?? 2000,
    settleGroup: SETTLE_GROUP,
    now: () => clock.now(),
    settleMs,
    retryAskedMs: memory.retryAskedMs,
    legAskedMs: (leg) => (leg === 'archive' ? memory.cardGrewMs : undefined),
    settle: (items) => settle(items),
    startLeg: (id) => startLeg(id),
  });
  /**
   * The queue as known now. Until the walk of transit has met every file, files not yet met are
   * missing from it: each count is then never told below the last complete count less what this
   * pass has done (the window's "In transit", "SD card still to do" and "Failing" dropped for a
   * moment in every pass over an unchanged queue, to 1 with 1,300 files waiting for the card).
   * A file in the legs again after failing before counts as failing until it succeeds.
   */
  const emitCounts = (): QueueCounts => {
    // The settled files' counts plus the files in the legs now, in one walk of the flow.
    const owed = new Map(pending);
    let inFlowFailing = 0;
    for (const w of flow.flowing) {
      if (worstFailure(w.entry)) inFlowFailing++;
      for (const leg of deps.legs)
        if (!w.entry[leg.id]) owed.set(leg.id, (owed.get(leg.id) ?? 0) + 1);
    }
    const now: QueueCounts = {
      transit: remaining + flow.flowing.size,
      pending: Object.fromEntries(owed),
      failed: failed + inFlowFailing,
    };
    const floor = memory.lastCounts;
    if (carried && !walked) {
      // The files not met yet are the carried queue's, each waiting for Dropbox alone; those
      // staged now come on top (the floor below takes the larger of the two, and a file staged
      // while Dropbox was tried read as the queue shrinking by one). A file put into transit by
      // hand since the last walk, if met, counts as one of them until the next complete walk.
      const notMet = Math.max(0, carried.transit - met.files);
      now.transit += notMet;
      const network = networkLegOf(deps);
      if (network) now.pending[network] = (now.pending[network] ?? 0) + notMet;
      now.failed += Math.max(0, carried.failed - met.failing);
      if (unwalked) memory.lastCounts = now;
    } else if (walked) memory.lastCounts = now;
    else if (floor) {
      now.transit = Math.max(now.transit, floor.transit - done);
      now.failed = Math.max(now.failed, floor.failed - doneFailing);
      for (const leg of deps.legs) {
        const owed = (floor.pending[leg.id] ?? 0) - (tally.placed[leg.id] ?? 0);
        now.pending[leg.id] = Math.max(now.pending[leg.id] ?? 0, owed);
      }
    }
    const failing = worstFailing();
    emit({
      type: 'counts',
      ...now,
      // Partial, with none failing met yet: the last named file stands (it is in the floor).
      ...(walked || failing || !floor?.failed
        ? { failing: failing && { rel: failing.rel, message: failing.message } }
        : {}),
    });
    return now;
  };

  const settle = async (items: WorkItem[]): Promise<void> => {
    const finishable: WorkItem[] = [];
    const waiting: WorkItem[] = [];
    const writers = items.some((w) => legsDone(deps, w.entry)) ? await writersNow(deps) : null;
    for (const w of items) {
      if (signal?.aborted) {
        waiting.push(w);
        continue;
      }
      if (w.entry.finishedAtMs !== undefined) {
        finishable.push(w);
        continue;
      }
      if (!legsDone(deps, w.entry)) {
        waiting.push(w);
        continue;
      }
      const check = await checkBeforeRemoval(deps, w, writers);
      if (check === 'ok') finishable.push(w);
      else {
        if (check === 'legs-disagree') {
          if (readAsZeros(deps, w.entry)) holdZeroed(deps, w);
          else redoLegs(deps, w, settleMs);
        }
        if (check === 'gone')
          forgetFile(deps, w.file.rel); // taken out of transit by someone
        else waiting.push(w);
      }
    }
    if (!signal?.aborted) {
      const wereFailing = finishable.filter((w) => worstFailure(w.entry)).length;
      const finished = await finishFiles(deps, finishable, memory.firstSeenMs);
      done += finished;
      // (A file left in transit by a failed removal is not told apart: the floor errs low.)
      doneFailing += Math.min(wereFailing, finished);
    } else waiting.push(...finishable);
    for (const w of waiting) {
      remaining++;
      remainingBytes += w.file.size;
      for (const leg of deps.legs)
        if (!w.entry[leg.id]) pending.set(leg.id, pending.get(leg.id)! + 1);
      const failure = worstFailure(w.entry);
      if (failure) {
        failed++;
        if (!transitFailing || failure.attempts > transitFailing.attempts)
          transitFailing = {
            rel: w.file.rel,
            message: failure.message,
            attempts: failure.attempts,
          };
        // The journal keeps a file's failures across a restart, but 'leg-failed' announces only
        // the crossing of the threshold, which a restarted engine never sees again: without this
        // a file that kept failing vanished from the problems (and alerts) at the next restart.
        if (failure.attempts >= FILE_FAILING_THRESHOLD)
          emit({
            type: 'problem',
            problem: fileFailingProblem(w.file.rel, failure.attempts, failure),
          });
      }
    }
    deps.journal.scheduleFlush();
    // (The settled files are still in the flow here: counted once, as settled.)
    for (const w of items) flow.flowing.delete(w);
    emitCounts();
  };

  const ctx = { firstSeenMs: memory.firstSeenMs, tally, settleMs };
  for (const leg of deps.legs) {
    if (blocked.has(leg.id)) {
      if (blocked.get(leg.id)) flow.closeLeg(leg.id);
    } else
      void looks.get(leg.id)!.then(
        () => {
          if (blocked.get(leg.id)) flow.closeLeg(leg.id);
        },
        () => undefined, // (the pass's own wait for its looks throws it)
      );
  }
  const legRuns: Promise<void>[] = [];
  // Whether Dropbox is still out this pass: known once the network leg answered for a file (or
  // reached Dropbox), or ended. Only waited for while the carried queue may be left unwalked.
  const networkLeg = networkLegOf(deps);
  let networkStarted = false;
  let networkAnswered = false;
  let networkEnded = false;
  /** Files the network leg has taken this pass. */
  let networkTaken = 0;
  let heardFromNetwork: () => void = () => undefined;
  const networkVerdict = new Promise<void>((resolve) => (heardFromNetwork = resolve));
  /**
   * Resolves when the pass is cut short (never, without a signal). Its listener is taken off as
   * the pass ends: the engine's own passes share its lifetime signal, and a listener left there
   * kept each pass's state alive until the engine stopped.
   */
  let stopListening: () => void = () => undefined;
  const aborted = new Promise<void>((resolve) => {
    const onAbort = (): void => resolve();
    signal?.addEventListener('abort', onAbort, { once: true });
    stopListening = () => signal?.removeEventListener('abort', onAbort);
  });
  function startLeg(id: LegId): void {
    const leg = deps.legs.find((l) => l.id === id);
    if (!leg) return;
    const network = id === networkLeg;
    if (network) networkStarted = true;
    // Its files counted and its word heard only while the queue may be left unwalked (stillOut):
    // every other pass gives the leg its feed and deps as they are, nothing more per file.
    const watched = network && carried !== null;
    const legDeps: PassDeps = watched
      ? {
          ...deps,
          emit: (event) => {
            if (
              event.type === 'leg-reached' ||
              event.type === 'leg-done' ||
              event.type === 'leg-failed'
            ) {
              networkAnswered = true;
              heardFromNetwork();
            }
            deps.emit(event);
          },
        }
      : deps;
    const feed = flow.feedFor(leg.id);
    const counted = watched
      ? {
          ...feed,
          items: mapSource(feed.items, (item) => {
            networkTaken++;
            return item;
          }),
        }
      : feed;
    legRuns.push(
      (async () => {
        try {
          // Its look first (at once, unless it is one the pass went on without); blocked by it,
          // the leg is closed with the files it was handed (they wait in transit).
          await looks.get(leg.id);
          if (!blocked.get(leg.id))
            blocked.set(leg.id, await runLeg(legDeps, leg, counted, ctx, signal));
        } finally {
          flow.closeLeg(leg.id);
          if (network) {
            networkEnded = true;
            heardFromNetwork();
          }
        }
      })(),
    );
  }
  /**
   * While the carried queue may be left unwalked and Dropbox has been tried with a file this pass:
   * waits for its word, and says whether it is still out (the rest of transit is then left).
   */
  const stillOut = async (): Promise<boolean> => {
    if (!carried || unwalked || !networkStarted || networkAnswered || networkLeg === null)
      return false;
    // The leg tells Dropbox's own outage (server errors) from a file's trouble only after a few
    // files failed: it holds their failures and waits for more, so it is given that many first.
    if (!networkEnded && networkTaken < FILES_TO_TELL_AN_OUTAGE) return false;
    // Dropbox's word can take minutes (a link that swallows requests): meanwhile the watch folder
    // is staged again at each tick, and the legs take what arrived (the card copies it).
    // (Once the leg has ended, its verdict is in: no wait, nor a reaction left per file walked.)
    if (ticks && !networkEnded) {
      const verdict = new TickWait(ticks);
      void Promise.race([networkVerdict, aborted]).then(() => verdict.end());
      while (await verdict.tick()) await stageAgain([]);
    }
    await networkVerdict;
    return (
      !networkAnswered &&
      isOutage(blocked.get(networkLeg)) &&
      transitErrors.size === 0 &&
      !signal?.aborted
    );
  };

  // 3. Find the files: those staged now first, as they land in transit, then any other file
  //    waiting in transit (earlier passes' leftovers). Files already due nowhere settle at once.
  const seen = new Set<string>();
  let countsAtMs = -Infinity;
  let zeroedRechecks = 0;
  /**
   * `met`: told as the file joins the flow, so that a count never has it both in the flow and
   * among the carried files not met yet (one too many in transit, shown for as long as the pass
   * then waited for Dropbox).
   */
  const found = async (
    file: FileRef,
    stagedNow: boolean,
    met?: (entry: WorkItem['entry']) => void,
    atTick = false,
  ): Promise<WorkItem['entry']> => {
    seen.add(file.rel);
    if (!memory.firstSeenMs.has(file.rel)) {
      const now = clock.now();
      memory.firstSeenMs.set(file.rel, now);
      memory.arrivedMs.set(file.rel, stagedNow ? now : Math.min(file.mtimeMs, now));
    }
    let entry = entryForCurrentVersion(
      deps.journal,
      file,
      clock.now(),
      settleMs,
      deps.logger,
      memory.cutShortTold,
    );
    // A few held files a pass, each at its back-off: a dying card may hold thousands.
    if (
      zeroedRechecks < ZEROED_RECHECKS_PER_PASS &&
      zeroedRecheckDue(entry, clock.now(), memory.retryAskedMs)
    ) {
      zeroedRechecks++;
      entry = await recheckZeroed(deps, file, entry, signal);
    }
    const before = entry;
    await flow.add({ file, entry }, met && (() => met(before)), atTick);
    // The queue as found so far. Counts otherwise come only as files settle, and a daemon started
    // on a backlog in transit said "Up to date" until its first batch was done (minutes on a slow
    // link).
    const now = clock.now();
    if (now - countsAtMs >= COUNTS_EVERY_MS) {
      countsAtMs = now;
      emitCounts();
    }
    return before;
  };
  const transitErrors = new Map<string, string>();
  let staging: StageStepResult | undefined;
  let walked = false;
  let sighted: number[] | null = [];
  const sighting = (size: number): void => {
    if (sighted === null) return;
    sighted.push(size);
    if (sighted.length < EARLY_PREPARE_AT) return;
    for (const leg of deps.legs) leg.prepare?.(sighted, true, signal);
    sighted = null; // once: the scan's end tells the finished files' count
  };
  let heardCount = false;
  /** A file staging put into transit joins the flow (staging waits for room there). */
  const joinFlow = async (
    file: FileRef,
    transitPath: string,
    identity?: TransitStat,
    atTick = false,
  ) => {
    // The transit copy's own identity: staging's when it moved the inode itself, else looked at
    // (a copy across disks is another inode).
    const now = identity ?? (await deps.statTransit(file.rel));
    if (!now || signal?.aborted) return; // gone already: the walk of transit decides
    await found({ rel: file.rel, absPath: transitPath, ...now }, true, undefined, atTick);
  };
  /** Files staged this pass, by the first scan and any later one. */
  let stagedCount = 0;
  /**
   * The watch folder staged again while the pass runs (at a tick): the new files join the flow,
   * handed to the legs that take files now; `prepare`: the legs told of them first.
   */
  const stageAgain = async (prepare: readonly LegId[]): Promise<void> => {
    const again = await scanAndStage(
      deps,
      memory,
      signal,
      (sizes) => {
        for (const leg of deps.legs)
          if (prepare.includes(leg.id)) leg.prepare?.(sizes, false, signal);
      },
      (file, transitPath, identity) => joinFlow(file, transitPath, identity, true),
    );
    stagedCount += again.staged;
    // The watch folder's failing files, as this scan found them (not counted twice).
    failed += again.failing - (staging?.failing ?? 0);
    watchFailing = again.worstFailing;
    staging = again;
    emit({ type: 'waiting', count: again.waiting, settling: again.settling });
    emitCounts();
  };
  /**
   * Legs other than Dropbox's that are blocked and done (a card pulled before the pass or during
   * it) are looked at again: one healed since (the card put back) takes files again at this tick.
   * Dropbox's own trouble (an outage, revoked access) is the next pass's to look at, and so is a
   * full card: its check passes while a small file still fits, and a later run that placed only
   * such files would end the pass as if the files it had no room for were not waiting.
   */
  const lookAgainAtBlocked = async (): Promise<void> => {
    const done = new Set(flow.doneLegs());
    for (const leg of deps.legs) {
      const block = blocked.get(leg.id);
      if (!block || block.code === 'archive-full' || leg.id === networkLeg || !done.has(leg.id))
        continue;
      await lookAt(leg);
    }
  };
  /**
   * Once the pass has found every file, until every leg has answered for those it was handed: at
   * each of the schedule's moments the watch folder is staged again, and the legs that are done
   * (not blocked) run again on the new files; a leg still at work gets them at its next pass (they
   * wait in transit, counted). A large upload on a slow link (hours for a GiB at 1 Mbit/s)
   * otherwise held every file that arrived meanwhile in the watch folder, off the card, until it
   * was done.
   */
  const restageWhileLegsWork = async (due: PassTicks): Promise<void> => {
    const quiet = new TickWait(due);
    void Promise.race([flow.allAnswered(), aborted]).then(() => quiet.end());
    while (await quiet.tick()) {
      if (flow.busyLegs().length === 0 || signal?.aborted) break;
      await lookAgainAtBlocked();
      const free = flow.doneLegs().filter((id) => !blocked.get(id));
      for (const id of free) flow.reopen(id);
      // Transit's disk may have gone since the pass looked (hours into a large upload): staged
      // into its empty mount point, files would be hidden once the disk came back.
      await lookAtTransitOnce(deps, memory);
      await stageAgain(free);
      flow.end(); // the reopened legs' files, all handed over
    }
  };
  try {
    // Whether transit is still the queue (its disk there): if not, nothing is staged into it and
    // nothing is forgotten of it this pass; files found in it still go to their legs.
    const transitTrusted = await lookAtTransitOnce(deps, memory);
    // The legs hear how many files are coming, so they can get ready while staging runs.
    staging = await scanAndStage(
      deps,
      memory,
      signal,
      (sizes) => {
        heardCount = true;
        for (const leg of deps.legs) leg.prepare?.(sizes, false, signal);
      },
      joinFlow,
      sighting,
    );
    // Told of files the scan then found unfinished (still being written): none come after all, so
    // the early count is not left to size a later upload's sessions.
    if (sighted === null && !heardCount)
      for (const leg of deps.legs) leg.prepare?.([], false, signal);
    stagedCount += staging.staged;
    failed += staging.failing;
    // A file failing to leave the watch folder is named as one failing in transit is.
    watchFailing = staging.worstFailing;
    emit({ type: 'waiting', count: staging.waiting, settling: staging.settling });
    // Counted before the walk of transit, the files left there by earlier passes are missing:
    // with nothing staged, the last pass's count stands until the walk has met them (else a
    // resumed upload read "Up to date", 0 in transit, until it settled).
    if (staging.staged > 0) emitCounts();
    try {
      // Files staged this pass are passed over by name: each was looked at as it was staged (on a
      // big pass, an lstat each that competed with the last uploads). While the carried queue
      // waits for Dropbox alone, the walk goes only until Dropbox has been tried with a file (one
      // staged now, or the first met) and stops there if it is still out.
      unwalked = carried !== null && (await stillOut());
      if (!unwalked)
        for await (const file of deps.listTransit(
          (rel, error) =>
            transitErrors.set(rel, error instanceof Error ? error.message : String(error)),
          (rel) => seen.has(rel),
        )) {
          if (signal?.aborted) break;
          if (seen.has(file.rel)) continue;
          await found(file, false, (entry) => {
            met.files++;
            met.bytes += file.size;
            if (worstFailure(entry)) met.failing++;
          });
          // Asked after the file, so the one after the file Dropbox was tried with is not read.
          if (carried && (await stillOut())) {
            unwalked = true;
            break;
          }
        }
      walked = !signal?.aborted && !unwalked && transitTrusted;
      emitCounts(); // the whole queue, found: the last files' count may have been throttled
    } catch (e) {
      if (signal?.aborted) throw e;
      transitErrors.set('', e instanceof Error ? e.message : String(e));
    }
    flow.end();
    if (ticks && !signal?.aborted) await restageWhileLegsWork(ticks);
  } finally {
    stopListening(); // (the walk and the restaging, the only ones waiting on it, are over)
    flow.end();
    // A leg given no file is still looked at before the pass ends: its answer is the report's.
    await Promise.all(looks.values());
    await Promise.all(legRuns);
    await flow.finish();
  }
  // (Left unwalked, transit's unreadable parts are as the last walk found them.)
  if (!unwalked) reflectTransitProblems(deps, memory, transitErrors);
  const left = walked && transitErrors.size === 0 ? leftTransit(deps, seen) : null;
  // Before files are forgotten, transit is looked at again: its disk unplugged after the pass's
  // look, the walk met its empty mount point, where every entry read as taken out.
  const complete = left !== null && (left.length === 0 || (await lookAtTransitOnce(deps, memory)));
  if (complete) {
    forgetLeftFiles(deps, left);
    // Files taken out of transit by someone else: no longer waiting, nor arrivals to count.
    for (const rel of memory.firstSeenMs.keys()) if (!seen.has(rel)) memory.firstSeenMs.delete(rel);
    for (const rel of memory.cutShortTold) if (!seen.has(rel)) memory.cutShortTold.delete(rel);
  }
  // Every arrival's file is in firstSeenMs or among those it forgot (both are set together in
  // `found`): only those can have left.
  for (const rel of memory.firstSeenMs.forgotten)
    if (!memory.firstSeenMs.has(rel)) memory.arrivedMs.delete(rel);
  memory.firstSeenMs.forgotten.clear();

  const blockedBy = Object.fromEntries(blocked) as Partial<Record<LegId, SyncError | null>>;
  const counts = emitCounts();
  // Left unwalked, the queue is the carried one, less what was met, plus what this pass left.
  const notMetBytes = unwalked && carried ? Math.max(0, carried.bytes - met.bytes) : 0;
  if (unwalked) remaining = counts.transit;
  const queueBytes = remainingBytes + notMetBytes;
  if (!signal?.aborted && (complete || unwalked))
    memory.quietOutage = quietOutageAfter(
      deps,
      blocked,
      // Transit's queue alone: the watch folder's failing files are counted by each pass's own
      // scan (carried too, one file failing there read as one more at every pass of an outage).
      { ...counts, failed: Math.max(0, counts.failed - (staging?.failing ?? 0)) },
      queueBytes,
      complete ? clock.now() : carried!.walkedAtMs,
    );
  emit({
    type: 'pass-ended',
    blocked: blockedBy,
    pending: remaining,
    aborted: Boolean(signal?.aborted),
  });
  const report: PassReport = {
    staged: stagedCount,
    done,
    uploaded: tally.placed.upload ?? 0,
    archived: tally.placed.archive ?? 0,
    alreadyThere: {
      upload: tally.alreadyThere.upload ?? 0,
      archive: tally.alreadyThere.archive ?? 0,
    },
    uploadedBytes: tally.sentBytes.upload ?? 0,
    fileFailures: tally.fileFailures,
    blocked: blockedBy,
    uploadBlocked: blocked.get('upload') ?? null,
    archiveBlocked: blocked.get('archive') ?? null,
    remainingInTransit: remaining,
    transitBytes: !signal?.aborted && (complete || unwalked) ? queueBytes : null,
    heldInWatch: staging?.held ?? [],
    settlingInWatch: staging?.settlingRels ?? [],
    aborted: Boolean(signal?.aborted),
  };
  await deps.journal.flush();
  return report;
}

/** Parts of transit that cannot be read hold files that cannot move: a problem, not a log line. */
function reflectTransitProblems(
  deps: PassDeps,
  memory: PassMemory,
  errors: Map<string, string>,
): void {
  const ids = new Set<string>();
  for (const [rel, reason] of errors) {
    const id = `${TRANSIT_PROBLEM_PREFIX}${rel}`;
    ids.add(id);
    const where = rel ? `${deps.transitDir}/${rel}` : deps.transitDir;
    deps.emit({
      type: 'problem',
      problem: {
        id,
        code: 'unreadable-entry',
        severity: 'attention',
        tab: 'status',
        message: `Cannot read ${where} in the transit folder (${reason}): give RDL Sync's user access to it; the files in it wait safely`,
      },
    });
  }
  for (const id of memory.transitProblemIds)
    if (!ids.has(id)) deps.emit({ type: 'problem-cleared', id });
  memory.transitProblemIds = ids;
}

/**
 * Waits for a pass's ticks until `end()`: each wait hangs one reaction on that tick's own promise
 * alone. (A race against a long-lived promise each time hung one more on it at every tick: 17 MB
 * held after a day of 2 s ticks in one pass, measured.)
 */
class TickWait {
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(private readonly ticks: PassTicks) {}

  /** Resolves true at the next tick, false once ended. */
  tick(): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.wake = () => resolve(false);
      void this.ticks.next().then(() => resolve(!this.ended));
    });
  }

  end(): void {
    this.ended = true;
    this.wake?.();
    this.wake = null;
  }
}
