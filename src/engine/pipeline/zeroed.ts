// A transit file that now reads as zeros where a leg verified its real bytes, the file itself
// unchanged (same inode, size and time): a failing SD card returns zeros for blocks it can no
// longer read, and the hubs keep transit on the card. The legs then disagree, and running both
// again (redoLegs) would replace the good copy with zeros, Dropbox's by its revision. Such a file
// is held instead: nothing replaced, nothing removed, a problem naming it and the good copy.
import { createHash } from 'node:crypto';
import { SyncError } from '../errors.js';
import { DROPBOX_BLOCK_SIZE, hashFileDropbox } from '../fsutil/index.js';
import { formatBytes } from '../format-bytes.js';
import { LEG_IDS, type LegId } from '../legs/ids.js';
import type { FileRef, JournalEntry, PassDeps } from './deps.js';
import type { FinishItem } from './finish.js';
import {
  FILE_FAILING_PREFIX,
  FILE_FAILING_THRESHOLD,
  failingSince,
  fileFailingProblem,
  fileRetryDelayMs,
  retryDue,
} from './problems.js';

export const ZEROED = 'file-zeroed';

let fullZeroBlock: Buffer | undefined;

/** Dropbox's content hash of `size` zero bytes, without reading or allocating them all. */
export function zeroContentHash(size: number): string {
  const whole = Math.floor(size / DROPBOX_BLOCK_SIZE);
  const rest = size % DROPBOX_BLOCK_SIZE;
  fullZeroBlock ??= createHash('sha256').update(Buffer.alloc(DROPBOX_BLOCK_SIZE)).digest();
  const outer = createHash('sha256');
  for (let i = 0; i < whole; i++) outer.update(fullZeroBlock);
  if (rest > 0) outer.update(createHash('sha256').update(Buffer.alloc(rest)).digest());
  return outer.digest('hex');
}

/** The legs disagree because one read the file as zeros where another verified other bytes. */
export function readAsZeros(deps: PassDeps, entry: JournalEntry): boolean {
  if (entry.size <= 0) return false;
  const zeros = zeroContentHash(entry.size);
  const hashes = deps.legs.map((leg) => entry[leg.id]?.contentHash);
  return hashes.includes(zeros) && hashes.some((h) => h !== undefined && h !== zeros);
}

/**
 * A leg is about to write zeros where another leg verified this very version's other bytes. (The
 * zeros' hash is only computed then: the check costs nothing on the normal path.)
 */
export function writingZeros(entry: JournalEntry, contentHash: string): boolean {
  return (
    entry.size > 0 &&
    entry.contentHash !== undefined &&
    entry.contentHash !== contentHash &&
    contentHash === zeroContentHash(entry.size)
  );
}

/**
 * Keeps every copy as it is and names the file for a person (each pass says it again); no leg
 * runs for it any more (legDue). Returns the reason, for a leg told not to write it.
 */
export function holdZeroed(deps: PassDeps, w: FinishItem): SyncError {
  const zeros = zeroContentHash(w.entry.size);
  const good: string[] = [];
  const zeroed: string[] = [];
  for (const id of LEG_IDS) {
    const done = w.entry[id];
    if (!done) continue;
    const where = id === 'upload' ? `Dropbox (${done.path})` : `the archive (${done.path})`;
    (done.contentHash === zeros ? zeroed : good).push(where);
  }
  // Held before a write: the other leg's copy is the good one.
  if (good.length === 0) good.push('another destination');
  const message = `${w.file.rel} in transit now reads as ${formatBytes(w.entry.size)} of zeros, unchanged otherwise, where the copy on ${good.join(' and on ')} was verified with its real bytes: the disk holding transit may be failing. That copy is kept and not replaced with zeros${zeroed.length > 0 ? `; the copy on ${zeroed.join(' and on ')} holds the zeros` : ''}. Check the disk, put the real file back in transit, or delete the transit copy if the good copy is all you need`;
  if (w.entry.lastError?.code !== ZEROED) {
    deps.logger.warn('a file in transit reads as zeros where a leg verified its real bytes; held', {
      rel: w.file.rel,
      size: w.entry.size,
    });
  }
  const attempts = Math.max(w.entry.attempts, FILE_FAILING_THRESHOLD);
  const now = deps.clock.now();
  // Held since it was first found zeroed (each pass that meets it holds it again).
  const sinceMs = w.entry.lastError?.code === ZEROED ? failingSince(w.entry, now) : now;
  const lastError = { code: ZEROED, message, atMs: now, ...(sinceMs < now ? { sinceMs } : {}) };
  // The first look for the real bytes (recheckZeroed) after the file's back-off; set once, as
  // each pass that meets the held file holds it again.
  const patch =
    w.entry.lastError?.code === ZEROED
      ? { attempts, lastError }
      : { attempts, lastError, nextTryMs: now + fileRetryDelayMs(attempts) };
  w.entry = { ...w.entry, ...patch };
  deps.journal.update(w.file.rel, patch);
  deps.emit({
    type: 'problem',
    problem: fileFailingProblem(w.file.rel, attempts, lastError),
  });
  return new SyncError({ kind: 'file-failed', code: ZEROED, message });
}

/** Held files re-read for their real bytes in one pass, at most (the others wait for a later one). */
export const ZEROED_RECHECKS_PER_PASS = 8;

/**
 * Whether a held zeroed file is due for a look at its bytes: the file's own back-off paces it
 * (doubling to an hour), so a held file is read at most once an hour after its first looks.
 */
export function zeroedRecheckDue(entry: JournalEntry, nowMs: number, askedMs?: number): boolean {
  return entry.lastError?.code === ZEROED && retryDue(entry, nowMs, 0, askedMs);
}

/**
 * Reads a held file again. A card that returned zeros for a while (a loose contact, a reader
 * re-seated, a retry that succeeded) can give the real bytes back in place: the same inode, size
 * and time, so nothing else ever looked again and the file stayed held for good. When they hash
 * to the copy a leg verified, the hold ends: the legs that hold zeros run again, replacing their
 * own copy of zeros (superseded, not kept beside as `name (1)`). Otherwise the next look backs off.
 */
export async function recheckZeroed(
  deps: PassDeps,
  file: FileRef,
  entry: JournalEntry,
  signal?: AbortSignal,
): Promise<JournalEntry> {
  const zeros = zeroContentHash(entry.size);
  const good = goodHash(entry, zeros);
  let read: string | null = null;
  try {
    read = good ? await hashFileDropbox(file.absPath, signal, file.size) : null;
  } catch (e) {
    if (signal?.aborted) return entry;
    deps.logger.debug('could not re-read a file held as zeros', {
      rel: file.rel,
      reason: e instanceof Error ? e.message : String(e),
    });
  }
  const nowMs = deps.clock.now();
  if (read === null || read !== good) {
    const attempts = entry.attempts + 1;
    const patch = { attempts, nextTryMs: nowMs + fileRetryDelayMs(attempts) };
    deps.journal.update(file.rel, patch);
    return { ...entry, ...patch };
  }
  const supersedes: NonNullable<JournalEntry['supersedes']> = { ...entry.supersedes };
  const redo: LegId[] = [];
  const { lastError: _e, ...rest } = entry;
  const released: JournalEntry = { ...rest, contentHash: good, attempts: 0, nextTryMs: 0 };
  for (const id of LEG_IDS) {
    const done = entry[id];
    if (!done || done.contentHash !== zeros) continue;
    redo.push(id);
    delete released[id];
    if (!done.alreadyPresent)
      supersedes[id] = {
        path: done.path,
        contentHash: done.contentHash,
        ...(done.rev === undefined ? {} : { rev: done.rev }),
      };
  }
  if (Object.keys(supersedes).length > 0) released.supersedes = supersedes;
  deps.journal.put(file.rel, released);
  deps.logger.info('a file held as zeros reads its real bytes again; the hold ends', {
    rel: file.rel,
    redo: redo.join('+'),
  });
  deps.emit({ type: 'problem-cleared', id: `${FILE_FAILING_PREFIX}${file.rel}` });
  return released;
}

/** The real bytes' hash a leg verified (or was about to write over with zeros). */
function goodHash(entry: JournalEntry, zeros: string): string | undefined {
  for (const id of LEG_IDS) {
    const h = entry[id]?.contentHash;
    if (h !== undefined && h !== zeros) return h;
  }
  return entry.contentHash !== zeros ? entry.contentHash : undefined;
}
