// A card that stops answering without failing: a USB reader's firmware hung, a FUSE driver
// stopped, a disk dying. A call on it never returns (the process waits in the kernel), and the
// pass waited with it: for ever, Dropbox included, while the status said "Up to date" (found by
// stopping a FUSE card's driver under a running daemon). Here every call on the archive is given
// a deadline: past it, the archive counts as not answering (a blocked leg: the files wait in
// transit, Dropbox goes on), and it is left alone, no further call made on it, until the calls
// still waiting on it return. Those cannot be cancelled: each holds one of the thread pool's
// threads, which is why nothing more is sent its way, and why no more calls go to one archive at
// once than leave threads to the rest of the process (card-gate.ts: with Node's 4 threads, a copy
// of many small files frozen mid-way held them all, and the whole process waited).
import { archiveMissing } from './problems.js';
import { CallGate, cardCallsAtOnce } from './card-gate.js';
import type { ArchivePlace } from './archive-place.js';

/**
 * A call on the archive that has not returned after this long (and, for a copy, has not moved a
 * byte for this long) is taken as hung. Far above a slow card's worst honest wait: the fsync of
 * a large file on a card writing 5 MB/s, a FUSE card's first look after insertion.
 */
export const CARD_ANSWER_DEADLINE_MS = 120_000;

interface Hung {
  /** When the first call past its deadline was made. */
  sinceMs: number;
  /** Calls past their deadline that have not returned. */
  calls: number;
}

/** Per archive root, in this process: a root is hung while any of its late calls is out. */
const hung = new Map<string, Hung>();

/** Since when (ms) calls on `root` hang, or null when it answers. */
export function archiveHungSince(root: string): number | null {
  return hung.get(root)?.sinceMs ?? null;
}

export interface AnswerOptions {
  /** Default CARD_ANSWER_DEADLINE_MS; tests shorten it. */
  deadlineMs?: number;
}

/** Per archive root, in this process: the calls out on it at once (card-gate.ts). */
const gates = new Map<string, CallGate>();

/**
 * Calls on any archive of this process that have not returned: each holds its place at its
 * archive's gate until it does, past its deadline too (cli/end-process.ts asks before an exit).
 */
export function archiveCallsOut(): number {
  let out = 0;
  for (const gate of gates.values()) out += gate.inFlight;
  return out;
}

function gateOf(root: string): CallGate {
  let gate = gates.get(root);
  if (!gate) gates.set(root, (gate = new CallGate(cardCallsAtOnce())));
  return gate;
}

/**
 * What a call is given: `alive`, which a copy calls as its bytes move; `aside`, which runs a wait
 * that is no call on the card (the journal's save of a copy) with neither the deadline running nor
 * the call's place at the gate held, and takes the place back after.
 */
export type CardCall<T> = (
  alive: () => void,
  aside: <U>(wait: () => Promise<U>) => Promise<U>,
) => Promise<T>;

/**
 * Runs `call` on the archive at `place` once the archive's gate lets it out (card-gate.ts), with a
 * deadline: resolves or rejects as it does, or rejects with the archive's not-answering problem
 * when it has not returned (nor called `alive`) within the deadline, or at once while the archive
 * hangs (calls waiting at the gate then too). A call past its deadline keeps its place at the gate
 * until it returns: its thread is held in the kernel until then.
 */
export function withinDeadline<T>(
  place: ArchivePlace,
  call: CardCall<T>,
  opts: AnswerOptions = {},
): Promise<T> {
  const deadlineMs = opts.deadlineMs ?? CARD_ANSWER_DEADLINE_MS;
  const now = Date.now;
  const refusal = (): Error | null => {
    const h = hung.get(place.root);
    return h ? notAnswering(place, h.sinceMs, now()) : null;
  };
  const already = refusal();
  if (already) return Promise.reject(already);
  const gate = gateOf(place.root);
  return gate.enter().then(
    () =>
      new Promise<T>((resolve, reject) => {
        let late = false;
        let holds = true;
        let timer: NodeJS.Timeout | undefined;
        const leaveGate = (): void => {
          if (holds) gate.leave();
          holds = false;
        };
        const arm = (): void => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            late = true;
            const h = hung.get(place.root) ?? { sinceMs: now() - deadlineMs, calls: 0 };
            h.calls++;
            hung.set(place.root, h);
            reject(notAnswering(place, h.sinceMs, now()));
            gate.refuseWaiting(() => notAnswering(place, h.sinceMs, now()));
          }, deadlineMs);
          // A hung card must not keep a stopping process alive, nor a timer a finished one.
          timer.unref();
        };
        const settle = (): void => {
          clearTimeout(timer);
          leaveGate();
          if (!late) return;
          const h = hung.get(place.root);
          if (h && --h.calls <= 0) hung.delete(place.root);
        };
        const aside = async <U>(wait: () => Promise<U>): Promise<U> => {
          if (late) return wait(); // (its place is kept until it returns: see above)
          clearTimeout(timer);
          leaveGate();
          try {
            return await wait();
          } finally {
            await backToGate();
          }
        };
        // After a wait aside: refused if the archive was found hung meanwhile.
        const backToGate = async (): Promise<void> => {
          const refused = refusal();
          if (refused) throw refused;
          await gate.enter();
          holds = true;
          arm();
        };
        // Hung while it waited at the gate (the gate refuses those waiting; not one let in then).
        const refused = refusal();
        if (refused) {
          leaveGate();
          reject(refused);
          return;
        }
        arm();
        let promise: Promise<T>;
        try {
          promise = call(() => {
            if (!late) arm();
          }, aside);
        } catch (e) {
          settle();
          reject(e);
          return;
        }
        promise.then(
          (v) => {
            settle();
            resolve(v);
          },
          (e: unknown) => {
            settle();
            reject(e);
          },
        );
      }),
  );
}

function notAnswering(place: ArchivePlace, sinceMs: number, nowMs: number): Error {
  return archiveMissing(place, 'stopped-answering', undefined, undefined, nowMs - sinceMs);
}
