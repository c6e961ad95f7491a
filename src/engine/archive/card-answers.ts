// A card that stops answering without failing: a USB reader's firmware hung, a FUSE driver
// stopped, a disk dying. A call on it never returns (the process waits in the kernel), and the
// pass waited with it: for ever, Dropbox included, while the status said "Up to date" (found by
// stopping a FUSE card's driver under a running daemon). Here every call on the archive is given
// a deadline: past it, the archive counts as not answering (a blocked leg: the files wait in
// transit, Dropbox goes on), and it is left alone, no further call made on it, until the calls
// still waiting on it return. Those cannot be cancelled: each holds one of the thread pool's
// threads, which is why nothing more is sent its way, and why the systemd unit gives the pool
// room (UV_THREADPOOL_SIZE: with Node's 4, a copy of many small files frozen mid-way held them
// all, and the whole daemon waited).
import { archiveMissing } from './problems.js';
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

/**
 * Runs `call` on the archive at `place` with a deadline: resolves or rejects as it does, or
 * rejects with the archive's not-answering problem when it has not returned (nor called `alive`,
 * which a copy calls as its bytes move) within the deadline, or at once while the archive hangs.
 */
export function withinDeadline<T>(
  place: ArchivePlace,
  call: (alive: () => void) => Promise<T>,
  opts: AnswerOptions = {},
): Promise<T> {
  const deadlineMs = opts.deadlineMs ?? CARD_ANSWER_DEADLINE_MS;
  const now = Date.now;
  const already = hung.get(place.root);
  if (already) return Promise.reject(notAnswering(place, already.sinceMs, now()));
  return new Promise<T>((resolve, reject) => {
    let late = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        late = true;
        const h = hung.get(place.root) ?? { sinceMs: now() - deadlineMs, calls: 0 };
        h.calls++;
        hung.set(place.root, h);
        reject(notAnswering(place, h.sinceMs, now()));
      }, deadlineMs);
      // A hung card must not keep a stopping process alive, nor a timer a finished one.
      timer.unref();
    };
    arm();
    const settle = (): void => {
      clearTimeout(timer);
      if (!late) return;
      const h = hung.get(place.root);
      if (h && --h.calls <= 0) hung.delete(place.root);
    };
    let promise: Promise<T>;
    try {
      promise = call(() => {
        if (!late) arm();
      });
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
  });
}

function notAnswering(place: ArchivePlace, sinceMs: number, nowMs: number): Error {
  const minutes = Math.max(1, Math.round((nowMs - sinceMs) / 60_000));
  return archiveMissing(place, 'stopped-answering', undefined, undefined, minutes);
}
