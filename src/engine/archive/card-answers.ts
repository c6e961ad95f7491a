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
import { isAtOrBelow } from '../fsutil/at-or-below.js';
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

/** A call out on an archive: since when it has neither returned nor moved. */
interface Out {
  silentSinceMs: number;
}

/** Per archive root, in this process: the calls out on it now (past their deadline too). */
const outCalls = new Map<string, Set<Out>>();

function callOut(root: string): { moved(): void; back(): void } {
  const out: Out = { silentSinceMs: Date.now() };
  let calls = outCalls.get(root);
  if (!calls) outCalls.set(root, (calls = new Set()));
  calls.add(out);
  return {
    moved: () => (out.silentSinceMs = Date.now()),
    back: () => {
      calls.delete(out);
      if (calls.size === 0 && outCalls.get(root) === calls) outCalls.delete(root);
    },
  };
}

/**
 * How long the most silent call out on an archive has neither returned nor moved (ms), 0 with
 * none out: of the archive holding `at` (its root, or a folder below it), or of any archive.
 * Seconds of silence mean a card that has stopped answering well before its deadline says so: a
 * synchronous look at it from the main thread (the settings' folder checks) would hold the
 * process, and a quit need not wait for the stop it holds.
 */
export function archiveSilentMs(at?: string): number {
  const now = Date.now();
  let longest = 0;
  for (const [root, calls] of outCalls) {
    if (at !== undefined && !isAtOrBelow(at, root)) continue;
    for (const c of calls) longest = Math.max(longest, now - c.silentSinceMs);
  }
  return longest;
}

/**
 * A call out this long on an archive without a byte moved, and the card is taken as one that
 * stopped answering by what must not wait on it (a card that answers returns in milliseconds, or
 * moves): the settings' folder checks, the app's looks.
 */
export const SILENT_CARD_MS = 1_000;

/**
 * A look at the archive from outside its passes (the app's "Open SD card folder", a folder
 * dialog started there): null, with no call made, while the archive hangs or a call on it has
 * been silent for SILENT_CARD_MS; else `look` is made, holding a place at the archive's gate
 * when one is free, until it returns, past any deadline of its caller (its thread is held as
 * long). So looks at a card that stopped answering before the engine knew it take one thread
 * at most, and a card busy with copies, which answers, is still looked at.
 */
export function lookOnArchive<T>(root: string, look: () => Promise<T>): Promise<T> | null {
  if (hung.has(root) || archiveSilentMs(root) >= SILENT_CARD_MS) return null;
  const gate = gateOf(root);
  const placed = gate.tryEnter();
  const out = callOut(root);
  return look().finally(() => {
    out.back();
    if (placed) gate.leave();
  });
}

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
        let out: ReturnType<typeof callOut> | null = null;
        const leaveGate = (): void => {
          if (holds) gate.leave();
          holds = false;
          out?.back();
          out = null;
        };
        const arm = (): void => {
          if (out) out.moved();
          else out = callOut(place.root);
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
