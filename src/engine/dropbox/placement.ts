// Committing an uploaded session to its final name, idempotently. The engine can die at any
// instant and a commit's response can be lost, so before writing anywhere we look at what is
// already there: identical bytes count as done, never as a reason to make a copy. We never use
// Dropbox's autorename: a retried autorename commit whose first answer was lost makes a second
// copy. Instead 'keep both' names are chosen here, deterministically, by content.
import type { files } from 'dropbox';
import { SyncError } from '../errors.js';
import { COMMIT_ROUNDS, MISMATCH_REPLACEMENTS } from '../retry-policy.js';
import { hashFilePrefix } from '../fsutil/copy-hashed.js';
import type { OwnUpload } from '../ports.js';
import type { DropboxCalls } from './calls.js';
import { dropboxTimestamp, keepBothName } from './remote-path.js';

export type ConflictPolicy = 'rename' | 'overwrite';

/** A local file whose bytes are (or can be) in an upload session. */
export interface FileToPlace {
  rel: string;
  /** `<remoteRoot>/<rel>` */
  target: string;
  size: number;
  contentHash: string;
  mtimeMs: number;
  /** Our own upload of an earlier version of this staged file: what to replace. */
  replace?: OwnUpload;
  /**
   * The file on disk (its bytes as hashed), when placement may read it again: a shorter copy at
   * the target is compared with its beginning (earlierCutShort).
   */
  localPath?: string;
}

export interface Placed {
  metadata: files.FileMetadata;
  alreadyPresent: boolean;
}

export interface CommitTarget {
  path: string;
  mode: files.WriteMode;
  /** Ask for a conflict even when identical bytes are there, so we learn it was already present. */
  strict: boolean;
}

export interface PlaceStart {
  /** A closed session holding the file, if one is still believed usable. */
  sessionId?: string;
  /** Where to commit first; without it the target is resolved by looking first. */
  target?: CommitTarget;
  /** A commit of ours may already have landed (its answer was lost). */
  mightHaveWritten?: boolean;
  /** Commits so far that came back with other bytes than ours. */
  mismatches?: number;
}

const MAX_KEEP_BOTH = 500;

/**
 * The first commit of a file: 'add' with strict_conflict, whatever the policy, so that identical
 * bytes already there come back as a conflict (then seen by a lookup as already present) rather
 * than as a silent success, and 'overwrite' never rewrites identical bytes as a new revision.
 * The policy is applied only after looking at what is there.
 */
export function firstTarget(target: string): CommitTarget {
  return { path: target, mode: { '.tag': 'add' }, strict: true };
}

/**
 * Where a file's first commit goes. A new version of a file we uploaded before replaces exactly
 * the revision we wrote ('update' mode): never a `name (n)` copy of our own data, which the
 * sites' merge tool would concatenate into the data. If that revision is no longer the newest
 * there (someone else changed the file), Dropbox answers a conflict and the usual look-first
 * placement decides, so another party's file is never overwritten.
 */
export function firstTargetOf(file: FileToPlace): CommitTarget {
  // Without a revision (a commit of ours in doubt) the look-first placement finds it by content.
  if (!file.replace?.rev) return firstTarget(file.target);
  return {
    path: file.replace.remotePath,
    mode: { '.tag': 'update', update: file.replace.rev },
    strict: false,
  };
}

/**
 * The commit as sent. Fields at their spec default are left out: `mode` add and `autorename`
 * false (never used: see above) are what Dropbox assumes when they are absent, and a
 * finish_batch_v2 carries one commit per file: 41 bytes less of each, about 14 % of what the
 * client sends beyond the files' bytes.
 */
export function commitInfo(t: CommitTarget, mtimeMs: number): files.CommitInfo {
  return {
    path: t.path,
    ...(t.mode['.tag'] === 'add' ? {} : { mode: t.mode }),
    client_modified: dropboxTimestamp(mtimeMs),
    // Unattended uploads would otherwise notify the account's desktop clients for every batch.
    mute: true,
    ...(t.strict ? { strict_conflict: true } : {}),
  };
}

type Resolution = { done: files.FileMetadata } | { target: CommitTarget };

/** Looks at the target (and keep-both names) and says where to commit, or that it is done. */
async function resolve(
  calls: DropboxCalls,
  file: FileToPlace,
  policy: ConflictPolicy,
  signal?: AbortSignal,
): Promise<Resolution> {
  const at = await calls.lookup(file.rel, file.target, signal);
  if (at.kind === 'not-folder' || at.kind === 'other') throw blockedByOtherKind(file, at.kind);
  if (at.kind === 'absent')
    return { target: { path: file.target, mode: { '.tag': 'add' }, strict: false } };
  if (at.kind === 'file' && at.metadata.content_hash === file.contentHash)
    return { done: at.metadata };
  if (at.kind === 'file' && ourEarlierVersion(file, at.metadata))
    return { target: updateOf(file.target, at.metadata) };
  if (at.kind === 'file' && (await earlierCutShort(file, at.metadata, signal))) {
    calls.logger.warn(
      'Dropbox held the beginning of this file (an upload cut short): replaced by the whole file',
      {
        rel: file.rel,
        path: file.target,
        wasSize: at.metadata.size,
        size: file.size,
      },
    );
    return { target: updateOf(file.target, at.metadata) };
  }
  if (at.kind === 'file' && policy === 'overwrite') {
    return { target: { path: file.target, mode: { '.tag': 'overwrite' }, strict: false } };
  }
  for (let n = 1; n <= MAX_KEEP_BOTH; n++) {
    const path = keepBothName(file.target, n);
    const e = await calls.lookup(file.rel, path, signal);
    if (e.kind === 'absent') return { target: { path, mode: { '.tag': 'add' }, strict: false } };
    if (e.kind === 'file' && e.metadata.content_hash === file.contentHash)
      return { done: e.metadata };
    if (e.kind === 'file' && ourEarlierVersion(file, e.metadata))
      return { target: updateOf(path, e.metadata) };
  }
  throw new SyncError({
    kind: 'file-failed',
    code: 'conflict',
    message: `"${file.rel}" has ${MAX_KEEP_BOTH} different versions on Dropbox already: move some away`,
  });
}

/**
 * The file there holds the content of our own earlier upload of this staged file, committed just
 * before a kill that lost its answer (the journal knew the commit was coming, not that it landed):
 * the new version replaces it like any copy of ours, never beside it. Or it holds what an earlier
 * commit of ours left there, that commit in doubt not having landed (OwnUpload.earlierContentHashes).
 */
function ourEarlierVersion(file: FileToPlace, there: files.FileMetadata): boolean {
  const hash = there.content_hash;
  if (hash === undefined || !file.replace) return false;
  return (
    hash === file.replace.contentHash || (file.replace.earlierContentHashes ?? []).includes(hash)
  );
}

/**
 * Whether the copy there is the beginning of this file: shorter (empty too), and holding exactly
 * the file's first bytes (its content hash is theirs). An upload of the file cut short while it
 * was still being written (the old syncer took files so, and a hub switching over finds its
 * copies): replaced by the whole file, which holds every byte of it, and never kept beside it as
 * `name (1)`, which the sites' merge tool would concatenate into the data, those lines twice.
 */
async function earlierCutShort(
  file: FileToPlace,
  there: files.FileMetadata,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!file.localPath || there.content_hash === undefined) return false;
  if (there.size >= file.size) return false;
  // The same name, letter case and all: Dropbox finds `DATA.csv` when asked for `data.csv`, and
  // another file of another case is not this one's beginning.
  const own = file.target.slice(file.target.lastIndexOf('/') + 1);
  const name = there.path_display?.slice(there.path_display.lastIndexOf('/') + 1);
  if (name !== undefined && name !== own) return false;
  try {
    return (await hashFilePrefix(file.localPath, there.size, signal)) === there.content_hash;
  } catch {
    signal?.throwIfAborted(); // a stop is a stop, not an unreadable file
    // Unreadable now: the copy there is not known to be ours; the usual placement decides.
    return false;
  }
}

function updateOf(path: string, there: files.FileMetadata): CommitTarget {
  return { path, mode: { '.tag': 'update', update: there.rev }, strict: false };
}

/**
 * A file where a folder of the path should be, or a folder where the file should be (names that
 * differ only in case are the same on Dropbox: a file `data` and `Data/x.csv`). No keep-both name
 * helps below a file, and beside a folder one would hide the clash, so the file fails alone.
 */
function blockedByOtherKind(file: FileToPlace, kind: 'not-folder' | 'other'): SyncError {
  return new SyncError({
    kind: 'file-failed',
    code: 'conflict',
    message:
      kind === 'not-folder'
        ? `"${file.rel}" cannot be stored: Dropbox has a file where one of its folders should be (upper and lower case count as the same name): rename or move that file on Dropbox`
        : `"${file.rel}" cannot be stored: Dropbox has a folder with its name (upper and lower case count as the same name): rename or move that folder on Dropbox`,
  });
}

/**
 * Commits the file's bytes so that exactly one copy with its content hash exists at the target
 * (or at a keep-both name). `freshSession` uploads the bytes again when the session is gone.
 */
export async function place(
  calls: DropboxCalls,
  file: FileToPlace,
  policy: ConflictPolicy,
  freshSession: () => Promise<string>,
  start: PlaceStart,
  signal?: AbortSignal,
): Promise<Placed> {
  let { sessionId, target } = start;
  let mightHaveWritten = start.mightHaveWritten ?? false;
  let mismatches = start.mismatches ?? 0;
  for (let round = 0; round < COMMIT_ROUNDS; round++) {
    if (target === undefined) {
      const r = await resolve(calls, file, policy, signal);
      if ('done' in r) return { metadata: r.done, alreadyPresent: !mightHaveWritten };
      target = r.target;
    }
    sessionId ??= await freshSession();
    const res = await calls.finish(
      file.rel,
      sessionId,
      file.size,
      commitInfo(target, file.mtimeMs),
      signal,
    );
    if (res.kind === 'committed') {
      if (res.metadata.content_hash === file.contentHash)
        return { metadata: res.metadata, alreadyPresent: false };
      target = replaceMismatch(file, res.metadata, ++mismatches);
      sessionId = undefined;
    } else if (res.kind === 'conflict') {
      // Someone (perhaps our own lost commit) wrote there meanwhile: look again.
      target = undefined;
    } else if (res.kind === 'session-incomplete') {
      // A resumed concurrent session whose chunks do not tile the file. A resume re-sends its
      // unanswered chunks cut as before (session-upload.ts), so this is the safety net: a
      // session saved by an earlier version (no chunks in the journal), or a journal that could
      // not be written. Committing it again failed the same way at every pass until the
      // session expired (6 days): upload the bytes afresh, nothing was written.
      sessionId = undefined;
    } else {
      // Consumed or expired; if consumed, most likely by a commit of ours whose answer was lost.
      sessionId = undefined;
      mightHaveWritten = true;
      target = undefined;
    }
  }
  throw new SyncError({
    kind: 'retry',
    code: 'conflict',
    message: `"${file.rel}" could not be placed on Dropbox: its destination kept changing; will retry`,
  });
}

/**
 * Dropbox reports other bytes than we hashed: replace exactly that revision with a fresh upload
 * (MISMATCH_REPLACEMENTS times), then give up on the file.
 */
export function replaceMismatch(
  file: FileToPlace,
  landed: files.FileMetadata,
  mismatches: number,
): CommitTarget {
  if (mismatches > MISMATCH_REPLACEMENTS) {
    throw new SyncError({
      kind: 'file-failed',
      code: 'hash-mismatch',
      message: `"${file.rel}" arrived on Dropbox with different content than sent, twice: check the disk and the network`,
    });
  }
  return {
    path: landed.path_display ?? file.target,
    mode: { '.tag': 'update', update: landed.rev },
    strict: false,
  };
}
