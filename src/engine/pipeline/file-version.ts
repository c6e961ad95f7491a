// Which version of a transit file the journal describes. A file normally does not change once in
// transit, but a writer that kept its descriptor open through the rename, or a person editing a
// file in place, can change it. Then the legs' results belong to other bytes: they start again,
// and the copies RDL Sync already wrote of the earlier version are replaced, never kept beside the
// new one as `name (n)` (downstream tools would merge every copy into the data).
import type { Logger } from '../ports.js';
import type { FileRef, JournalEntry, JournalPort } from './deps.js';
import type { OwnCopyRecord } from '../journal/journal.js';
import { LEG_IDS } from '../legs/ids.js';
import { FILE_FAILING_THRESHOLD } from '../retry-policy.js';
import { formatBytes } from '../format-bytes.js';
import { ZEROED } from './zeroed.js';

/** The file's own wait while it is shorter than the bytes its legs copied (see cutShort). */
export const CUT_SHORT = 'file-cut-short';

/** RDL Sync's own copies of an earlier version of a staged file, per leg id. */
export type SupersededCopies = NonNullable<JournalEntry['supersedes']>;

export function sameVersion(entry: JournalEntry, file: FileRef): boolean {
  if (entry.size !== file.size || entry.mtimeMs !== file.mtimeMs) return false;
  // Journals written before inodes were kept have none: size and mtime decide alone. The device
  // number is left out on purpose: it can change across a reboot (a USB disk enumerated in
  // another order) while the file is the same; within a pass, finish.ts compares it too.
  if (entry.ino === undefined || file.ino === undefined) return true;
  return entry.ino === file.ino;
}

/**
 * The journal entry for the file as it is now, creating a fresh one when the file is new or
 * changed. A changed file waits `settleMs` before its legs run again, so a file still growing is
 * not re-sent on every pass. `heldTold`: the cut-short files this process has logged already
 * (kept by the caller across passes, see heldCutShort).
 */
export function entryForCurrentVersion(
  journal: JournalPort,
  file: FileRef,
  nowMs: number,
  settleMs: number,
  logger: Logger,
  heldTold: Set<string> = new Set(),
): JournalEntry {
  const old = journal.entry(file.rel);
  if (old && cutShort(old, file)) return heldCutShort(old, file, nowMs, logger, heldTold);
  heldTold.delete(file.rel); // its hold ended (bytes back, or another file): a new one is told
  if (old && sameVersion(old, file)) {
    if (old.dev === undefined && file.dev !== undefined) {
      journal.update(file.rel, { dev: file.dev, ino: file.ino });
      return { ...old, dev: file.dev, ...(file.ino === undefined ? {} : { ino: file.ino }) };
    }
    return old;
  }
  // An entry of another inode belongs to a file that was replaced, not changed: another file with
  // the same name (a logger reusing names, the autumn clock change), never a new version of ours,
  // so it must not replace the copies of the earlier one. (Entries of files that left transit are
  // pruned after each complete walk of transit, see pass.ts.) Except the real file put back in
  // place of one held as read as zeros, as that hold asks, whatever its inode (a download moved
  // there is another): its copies of zeros (a hub's hard-linked card copy) are ours to replace,
  // not to keep under the file's name with the real bytes beside them as `name (1)`.
  const ours =
    old !== undefined &&
    (old.finishedAtMs === undefined
      ? old.ino === undefined ||
        file.ino === undefined ||
        old.ino === file.ino ||
        old.lastError?.code === ZEROED
      : finishedYetHere(old, file));
  const supersedes = ours && old ? ownCopiesOf(old) : undefined;
  const entry: JournalEntry = {
    size: file.size,
    mtimeMs: file.mtimeMs,
    ...(file.dev === undefined ? {} : { dev: file.dev }),
    ...(file.ino === undefined ? {} : { ino: file.ino }),
    attempts: 0,
    nextTryMs: ours ? nowMs + settleMs : 0,
    ...(supersedes ? { supersedes } : {}),
  };
  if (ours) {
    logger.info('file changed in transit; its legs run again once it is unchanged', {
      rel: file.rel,
      wasSize: old.size,
      size: file.size,
      replaces: [supersedes?.upload ? 'dropbox' : null, supersedes?.archive ? 'archive' : null]
        .filter(Boolean)
        .join('+'),
    });
  }
  journal.put(file.rel, entry);
  return entry;
}

/**
 * A file marked finished whose very inode is still in transit: the removal never came (a kill
 * between the finished mark and the removal, or a removal that failed, finish.ts), and the file
 * was written since (a writer's descriptor that followed the rename, a person). That is a later
 * version of our file: taken for another file of the name, it went beside our copies as
 * `name (1)` on both legs (the crash torture's --edit-transit, seed 12). A file of the name staged
 * after the removal cannot be met with the entry, even with the freed inode number: staging saves
 * the entry's deletion before it places a file under a name the journal still knows
 * (stage-step.ts journalFreesName), so a kill between the removal and that save cannot leave it.
 * Without inodes (an old journal) nothing tells, so it stays another file.
 */
function finishedYetHere(old: JournalEntry, file: FileRef): boolean {
  return old.ino !== undefined && file.ino !== undefined && old.ino === file.ino;
}

/**
 * The copies RDL Sync itself wrote for this entry's version (or the one before it, if this one
 * got no further). A copy that was already there when we looked ("already present") was not
 * written by us, so it is not ours to replace. A copy the leg was about to write when the process
 * died (`writing`: saved before the write, its outcome never saved) may be there: it is replaced
 * if it is, found by its content; should it not have landed, what the earlier write left at the
 * same place still is (inDoubt).
 */
export function ownCopiesOf(entry: JournalEntry): SupersededCopies | undefined {
  const copies: SupersededCopies = {};
  for (const id of LEG_IDS) {
    const done = entry[id];
    const earlier = entry.supersedes?.[id];
    const writing = entry.writing?.[id];
    let copy = earlier;
    if (done && !done.alreadyPresent) {
      copy = {
        path: done.path,
        contentHash: done.contentHash,
        ...(done.rev === undefined ? {} : { rev: done.rev }),
      };
    } else if (!done && writing) {
      copy = inDoubt(writing, earlier);
    }
    if (copy) copies[id] = copy;
  }
  return Object.keys(copies).length > 0 ? copies : undefined;
}

/** At most this many contents of earlier writes are kept for a copy in doubt (see inDoubt). */
const EARLIER_CONTENTS_KEPT = 4;

/**
 * Our copy at the path of a write that may not have landed (a kill, a power cut or a failed
 * rename between the note and the write): it holds either that write's content or, at the same
 * path, what our earlier write there left (for Dropbox, also its revision). Both stay ours: with
 * only the write's content, a copy the write never replaced read as someone else's, and the next
 * version landed beside it as `name (1)`.
 */
function inDoubt(writing: OwnCopyRecord, earlier: OwnCopyRecord | undefined): OwnCopyRecord {
  const samePath = earlier?.path.toLowerCase() === writing.path.toLowerCase();
  const rev = samePath ? earlier.rev : undefined;
  const contents = samePath
    ? [earlier.contentHash, ...(earlier.earlierContentHashes ?? [])]
        .filter((h, i, all) => h !== writing.contentHash && all.indexOf(h) === i)
        .slice(0, EARLIER_CONTENTS_KEPT)
    : [];
  return {
    path: writing.path,
    contentHash: writing.contentHash,
    ...(rev ? { rev } : {}),
    ...(contents.length > 0 ? { earlierContentHashes: contents } : {}),
  };
}

/**
 * The transit file is shorter than the version the journal describes, yet it is the same inode
 * and its time did not change: nothing wrote it (a write or a truncate sets the time). A power cut
 * did: the end of its bytes had not reached the disk (ext4 keeps a fresh file's bytes in memory
 * up to 30 s; files staged before RDL Sync synced them, or written on after staging). Taken for
 * a new version, the rest would replace the whole copies Dropbox and the card hold.
 */
export function cutShort(entry: JournalEntry, file: FileRef): boolean {
  return (
    file.size < entry.size &&
    file.mtimeMs === entry.mtimeMs &&
    entry.ino !== undefined &&
    file.ino !== undefined &&
    entry.ino === file.ino
  );
}

/**
 * What a cut-short file gets: the journal keeps the whole version's entry untouched (restoring
 * the file's bytes, or removing it from transit, ends the hold by itself). A file already marked
 * finished has its whole copies and only leaves transit. Otherwise no leg runs and the file
 * never counts as done: it waits, named as a problem, for a person.
 *
 * Logged once per hold and process: the hold is not saved (nothing in the journal marks it told),
 * and each pass meets the file again, so a warning per pass wrote 8,640 lines a day per held file
 * at a 10 s interval onto a hub's SD card. The status problem names it on every pass.
 */
function heldCutShort(
  old: JournalEntry,
  file: FileRef,
  nowMs: number,
  logger: Logger,
  heldTold: Set<string>,
): JournalEntry {
  if (!heldTold.has(file.rel)) {
    heldTold.add(file.rel);
    logger.warn('a file in transit lost the end of its bytes (power cut?); its copies are kept', {
      rel: file.rel,
      size: file.size,
      wasSize: old.size,
      finished: old.finishedAtMs !== undefined,
    });
  }
  if (old.finishedAtMs !== undefined) return old;
  const whole = [
    old.upload ? `Dropbox (${old.upload.path})` : null,
    // "the archive": an SD card or a folder such as a hub's 4_synced, the path says which.
    old.archive ? `the archive (${old.archive.path})` : null,
  ].filter(Boolean);
  // The advice names only where a whole copy is: with none, "from Dropbox or the archive" sent a
  // person looking for a file neither holds.
  const from = [old.upload ? 'Dropbox' : null, old.archive ? 'the archive' : null].filter(Boolean);
  const advice =
    whole.length > 0
      ? `The whole file already on ${whole.join(' and on ')} is kept, and not replaced by the rest. Put the whole file back in transit (from ${from.join(' or ')}), or delete the transit copy if the copies are all you need`
      : 'No copy of the whole file was made before. Put the whole file back in transit if you have it elsewhere, or delete the transit copy (copies of an earlier version stay as they are)';
  const message = `${file.rel} in transit is ${formatBytes(file.size)} where it was ${formatBytes(old.size)} (${old.size} bytes), and nothing wrote it since: a power cut lost the end of its bytes before they reached the disk. ${advice}`;
  return {
    ...old,
    attempts: Math.max(old.attempts, FILE_FAILING_THRESHOLD),
    lastError: { code: CUT_SHORT, message, atMs: nowMs },
  };
}
