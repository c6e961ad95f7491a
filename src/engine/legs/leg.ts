// A destination ("leg") as one kind: the Dropbox store and the archive target both implement this
// port, and the pass runs every enabled leg through the same runner (run-leg.ts). Not a plugin
// system: the legs are known, keyed by id (README.md says how to add one).
import type { Source } from '../channel.js';
import type { SyncError } from '../errors.js';
import type { Refusals } from '../ports.js';
import type { CardState } from '../status/types.js';
import type { LegId } from './ids.js';

export type { LegId } from './ids.js';
export type { CardState };

/** One transit file handed to a leg. `rel` always uses '/' separators. */
export interface PlaceItem {
  rel: string;
  /** Absolute path of the bytes (the transit copy). */
  localPath: string;
  size: number;
  mtimeMs: number;
  /** The transit inode's identity when the walk saw it (a hard-linked copy must name it). */
  dev?: number;
  ino?: number;
  /**
   * Staging fsynced these bytes in this pass, and any write since changes the mtime: a hard link
   * still at `size` and `mtimeMs` needs no fsync of its bytes again (pipeline/deps.ts FileRef).
   */
  bytesSynced?: true;
  /**
   * The copy this leg itself wrote for an earlier version of this staged file: replace it (only
   * if it still holds that content) instead of keeping both.
   */
  replace?: OwnCopy;
}

/** A copy a leg is about to write for a file. */
export interface WriteToCome {
  rel: string;
  path: string;
  contentHash: string;
}

/**
 * A copy a leg wrote: where, with which content, and (Dropbox) which revision. Without a
 * revision: a copy that may have been written just before a kill (see PlaceSink.beforeWrite).
 */
export interface OwnCopy {
  path: string;
  contentHash: string;
  rev?: string;
  /**
   * The write of `contentHash` may not have landed: a copy there still holding one of these
   * (what our earlier writes left) is ours as well.
   */
  earlierContentHashes?: string[];
}

export type PlaceOutcome =
  | {
      rel: string;
      ok: true;
      /** Where the bytes ended up; differs from the target when keep-both numbered it. */
      path: string;
      /** The content hash the destination verified (Dropbox's content_hash algorithm). */
      contentHash: string;
      rev?: string;
      /** Identical content was already there: nothing new was written. */
      alreadyPresent: boolean;
    }
  | { rel: string; ok: false; error: SyncError };

/** Where a leg reports what happens to each file, as it happens. */
export interface PlaceSink {
  signal?: AbortSignal;
  /** A file's bytes started moving (at most once per file). */
  onStarted?: (rel: string, size: number) => void;
  onProgress?: (rel: string, bytesDone: number) => void;
  /** A file is placed and verified, or failed on its own (at most once per file). */
  onOutcome(outcome: PlaceOutcome): void;
  /**
   * This file gets no outcome in this pass (what blocks the leg stops it, while the leg goes on
   * with others: a card too full for it): it waits for a later pass. At most once per file.
   */
  onLeft?: (rel: string) => void;
  /**
   * The leg is about to write these copies (before the write that makes each visible). Awaited:
   * the pass saves them durably, so a kill right after the write, before its outcome is saved,
   * still leaves the copy known as RDL Sync's own (a later version replaces it; `replace`).
   * Never throws. The files it answers with an error must not be written: the leg reports each
   * as failed with that error (the pass holds a file that now reads as zeros: zeroed.ts).
   */
  beforeWrite?: (copies: readonly WriteToCome[]) => Promise<Refusals | void>;
  /**
   * A network destination answered the batch (whatever each file's outcome): it is reachable.
   * Told before the outcomes, so the status shows "online" while the transfers are still listed.
   */
  onReached?: () => void;
}

/** What one look at a destination found; `problem` set means the whole leg is blocked. */
export interface LegHealth {
  problem: SyncError | null;
  /** The card's state (archive leg only): shown as the status' SD-card part. */
  card?: CardState;
}

export interface DestinationLeg {
  readonly id: LegId;
  /** How a person calls it ("Dropbox", "SD card"). */
  readonly label: string;
  /** Looked at once per pass, before any file: a blocked leg waits, the other legs go on. */
  check(): Promise<LegHealth>;
  /**
   * Places the files, verified and idempotent: identical content already there is done
   * (`alreadyPresent`), different content there is kept beside (keep-both), the reported hash is
   * the one the destination verified. A file's own trouble (a bad name, an unreadable file) is an
   * `ok: false` outcome and never stops the others. Trouble that stops the whole leg (card
   * missing, auth revoked, quota full, offline) is returned, never thrown; the files it stopped
   * get no outcome and wait for the next pass. Batch-capable: Dropbox commits many files at
   * once, the archive copies a few at a time.
   *
   * The pass hands files over as it finds them (a source that ends when the pass has no more):
   * a leg starts on the first while the others are still being staged. A leg may hold files to
   * batch them, but never waits for more files while it has nothing else to do (the pass hands
   * over only so many files before earlier ones are answered for).
   */
  place(
    items: readonly PlaceItem[] | Source<PlaceItem>,
    sink: PlaceSink,
  ): Promise<SyncError | null>;
  /**
   * Files of these sizes may be placed soon (the scan found them; staging is still moving them):
   * a leg may open meanwhile what they will need. A hint only: it never fails and places nothing.
   * `more`: the scan's walk goes on, so these are only the first of them (a lower bound).
   * `signal`: the pass's; a stop gives up what was opened ahead (its retries held a stop).
   */
  prepare?(sizes: readonly number[], more?: boolean, signal?: AbortSignal): void;
}
