// A transit file that now reads as zeros where a leg verified its real bytes, the file itself
// unchanged (same inode, size and time): a failing SD card returns zeros for blocks it can no
// longer read, and the hubs keep transit on the card. The legs then disagree, and running both
// again (redoLegs) would replace the good copy with zeros, Dropbox's by its revision. Such a file
// is held instead: nothing replaced, nothing removed, a problem naming it and the good copy.
import { createHash } from 'node:crypto';
import { SyncError } from '../errors.js';
import { DROPBOX_BLOCK_SIZE } from '../fsutil/index.js';
import { formatBytes } from '../format-bytes.js';
import { LEG_IDS } from '../legs/ids.js';
import type { JournalEntry, PassDeps } from './deps.js';
import type { FinishItem } from './finish.js';
import { FILE_FAILING_THRESHOLD, fileFailingProblem } from './problems.js';

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
  const lastError = { code: ZEROED, message, atMs: deps.clock.now() };
  w.entry = { ...w.entry, attempts, lastError };
  deps.journal.update(w.file.rel, { attempts, lastError });
  deps.emit({
    type: 'problem',
    problem: fileFailingProblem(w.file.rel, attempts, lastError),
  });
  return new SyncError({ kind: 'file-failed', code: ZEROED, message });
}
