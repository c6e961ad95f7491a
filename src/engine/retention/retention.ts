// Archive retention (opt-in): keep the archive under a size, or its disk above a free-space floor,
// by deleting the oldest archive files (by mtime, the order the site's weekly email also uses).
// A file goes only when its Dropbox copy is verified at that moment: the local file is hashed now
// and Dropbox's content_hash for the same path must equal it (one metadata call per file; Dropbox
// has no batch form of get_metadata). A file missing or different on Dropbox is kept, and said so.
// A file still hard-linked to a queued transit copy is not done yet and is kept. Every deletion is
// written to the history.
import { compareNames } from '../compare-names.js';
import { isSyncError } from '../errors.js';
import { lstat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ARCHIVE_WORK_DIR } from '../archive/work-dir.js';
import { cardCallsAtOnce } from '../archive/card-gate.js';
import { formatBytes } from '../format-bytes.js';
import { freeSpace } from '../fsutil/free-space.js';
import { hashFileDropbox } from '../fsutil/copy-hashed.js';
import { pruneEmptyDirs } from '../fsutil/prune.js';
import { walkTree } from '../fsutil/walk.js';
import type { HistoryPort } from '../pipeline/deps.js';
import type { Logger } from '../ports.js';

const GiB = 1024 * 1024 * 1024;
/** Files checked against Dropbox per run at most: bounds the calls one run can make. */
export const MAX_CHECKS_PER_RUN = 2_000;
/**
 * How long a file found not on Dropbox is taken as such without asking again. The oldest files of
 * a card are often ones Dropbox never had (the old syncer's, a person's): asked again at every
 * run, 2,000 of them took every run's checks, and the newer files retention could delete were
 * never reached while the card stayed full.
 */
export const NOT_ON_DROPBOX_RECHECK_MS = 24 * 3_600_000;

/** Files a run found not on Dropbox, as they were then (a later run skips them until a recheck). */
export type NotOnDropbox = Map<string, { size: number; mtimeMs: number; atMs: number }>;

export interface RetentionLimits {
  /** Keep the archive's files under this many bytes; null = no size limit. */
  maxArchiveBytes: number | null;
  /** Keep at least this share (0–1) of the archive's disk free; null = no floor. */
  minFreeRatio: number | null;
}

export function retentionLimitsOf(s: {
  retentionMaxArchiveGiB: number;
  retentionMinFreePercent: number;
}): RetentionLimits {
  return {
    maxArchiveBytes:
      s.retentionMaxArchiveGiB > 0 ? Math.floor(s.retentionMaxArchiveGiB * GiB) : null,
    minFreeRatio: s.retentionMinFreePercent > 0 ? s.retentionMinFreePercent / 100 : null,
  };
}

/**
 * The Dropbox copy of an archive file (its path and content_hash): one holding `localHash` when
 * there is one, else another copy found, else null.
 */
export interface RemoteHashLookup {
  copyOf(
    file: Pick<ArchiveFile, 'rel' | 'mtimeMs' | 'ctimeMs'>,
    localHash: string,
    signal?: AbortSignal,
  ): Promise<{ path: string; contentHash: string } | null>;
}

/** A step on the card, given `alive` to call as it moves (see runRetention's `onCard`). */
export type OnCard = <T>(step: (alive: () => void) => Promise<T>) => Promise<T>;

export interface ArchiveFile {
  rel: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  /** When the archive copy last changed: on the transit disk, when the file was done. */
  ctimeMs: number;
  nlink: number;
}

export interface RetentionReport {
  dryRun: boolean;
  archiveBytes: number;
  freeBytes: number;
  totalBytes: number;
  /** What the limits ask to free (0 when the archive is within them). */
  bytesToFree: number;
  /** Deleted (or, in a dry run, that would be deleted): verified on Dropbox. */
  removed: { rel: string; size: number; mtimeMs: number; contentHash: string }[];
  kept: { rel: string; reason: string }[];
  freedBytes: number;
  /** The run stopped at MAX_CHECKS_PER_RUN files asked of Dropbox, short of what was to free. */
  stoppedAtChecks?: number;
}

/** The archive's user files, oldest first; the reserved folder is not user data. */
export async function listArchive(
  root: string,
  signal?: AbortSignal,
  /** Told at each entry (a card's deadline runs from the last one: card-answers.ts). */
  onEntry?: () => void,
): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  for await (const e of walkTree(root, {
    skip: (name, rel) => rel === ARCHIVE_WORK_DIR && name === ARCHIVE_WORK_DIR,
    // Every look on the thread pool: a card that stops answering mid-walk held the whole process
    // on an inline one, and the deadline it is listed under (card-answers.ts) could not run. No
    // more out at once than the card's gate lets out (card-gate.ts).
    inlineBatchBudgetMs: 0,
    looksAtOnce: cardCallsAtOnce(),
    ...(signal ? { signal } : {}),
  })) {
    onEntry?.();
    if (e.kind !== 'file') continue;
    files.push({
      rel: e.rel,
      absPath: e.absPath,
      size: e.stats.size,
      mtimeMs: e.stats.mtimeMs,
      ctimeMs: e.stats.ctimeMs,
      nlink: e.stats.nlink,
    });
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs || compareNames(a.rel, b.rel));
}

export async function runRetention(opts: {
  archiveRoot: string;
  limits: RetentionLimits;
  lookup: RemoteHashLookup;
  dryRun: boolean;
  history?: HistoryPort;
  logger: Logger;
  nowMs: () => number;
  signal?: AbortSignal;
  /** Kept from run to run by the daemon: files not on Dropbox are not asked about every run. */
  notOnDropbox?: NotOnDropbox;
  /**
   * Runs each step on the card (its listing, a hash, a removal): the daemon gives each the
   * card's deadline (card-answers.ts). A card that stopped answering mid-run held the run, and
   * the pass it ends, for ever: no more passes, Dropbox included. Dropbox's answers are no step
   * on the card: they wait outside it.
   */
  onCard?: OnCard;
}): Promise<RetentionReport> {
  const onCard: OnCard = opts.onCard ?? ((step) => step(() => undefined));
  const files = await onCard((alive) => listArchive(opts.archiveRoot, opts.signal, alive));
  const space = await onCard(() => freeSpace(opts.archiveRoot));
  const archiveBytes = files.reduce((n, f) => n + f.size, 0);
  const overSize =
    opts.limits.maxArchiveBytes === null ? 0 : archiveBytes - opts.limits.maxArchiveBytes;
  const underFloor =
    opts.limits.minFreeRatio === null
      ? 0
      : Math.ceil(space.totalBytes * opts.limits.minFreeRatio) - space.freeBytes;
  const bytesToFree = Math.max(0, overSize, underFloor);
  const report: RetentionReport = {
    dryRun: opts.dryRun,
    archiveBytes,
    freeBytes: space.freeBytes,
    totalBytes: space.totalBytes,
    bytesToFree,
    removed: [],
    kept: [],
    freedBytes: 0,
  };
  let checks = 0;
  const absent = opts.notOnDropbox;
  const startedMs = opts.nowMs();
  for (const [rel, known] of absent ?? [])
    if (startedMs - known.atMs >= NOT_ON_DROPBOX_RECHECK_MS) absent?.delete(rel);
  for (const f of files) {
    if (report.freedBytes >= bytesToFree) break;
    if (checks >= MAX_CHECKS_PER_RUN) {
      report.stoppedAtChecks = checks;
      break;
    }
    if (opts.signal?.aborted) break;
    if (f.nlink > 1) {
      report.kept.push({ rel: f.rel, reason: 'still queued in transit (not done yet)' });
      continue;
    }
    const known = absent?.get(f.rel);
    if (known && known.size === f.size && known.mtimeMs === f.mtimeMs) {
      report.kept.push({ rel: f.rel, reason: 'not on Dropbox' });
      continue;
    }
    checks++;
    const verdict = await verify(f, opts, onCard);
    if (!verdict.ok) {
      if (verdict.reason === 'not on Dropbox')
        absent?.set(f.rel, { size: f.size, mtimeMs: f.mtimeMs, atMs: opts.nowMs() });
      report.kept.push({ rel: f.rel, reason: verdict.reason });
      continue;
    }
    if (!opts.dryRun) {
      // The file must still be the one just verified (a person may have replaced it meanwhile).
      // Its record is made as the removal returns, inside the step: a removal the run gave up on
      // at the card's deadline is made once the card answers, and was then in no history.
      const changed = await onCard(async () => {
        const now = await lstat(f.absPath).catch(() => null);
        if (!now || now.size !== f.size || now.mtimeMs !== f.mtimeMs) return true;
        await unlink(f.absPath);
        recordRemoval(f, verdict, bytesToFree, opts);
        await pruneEmptyDirs(opts.archiveRoot, dirname(f.absPath)).catch(() => {});
        return false;
      });
      if (changed) {
        report.kept.push({ rel: f.rel, reason: 'changed while it was checked' });
        continue;
      }
    }
    report.removed.push({
      rel: f.rel,
      size: f.size,
      mtimeMs: f.mtimeMs,
      contentHash: verdict.hash,
    });
    report.freedBytes += f.size;
  }
  return report;
}

/** The history's line and the log's for a file removed from the archive (verified on Dropbox). */
function recordRemoval(
  f: ArchiveFile,
  verdict: { hash: string; remotePath: string },
  bytesToFree: number,
  opts: { history?: HistoryPort; logger: Logger; nowMs: () => number },
): void {
  const at = opts.nowMs();
  opts.history?.append({
    rel: f.rel,
    size: f.size,
    contentHash: verdict.hash,
    startedAtMs: at,
    finishedAtMs: at,
    outcome: 'archive-removed',
    upload: {
      status: 'done',
      atMs: at,
      path: verdict.remotePath,
      alreadyPresent: true,
      contentHash: verdict.hash,
    },
    archive: {
      status: 'skipped',
      atMs: at,
      reason: `removed by retention: the archive needed ${formatBytes(bytesToFree)} freed; the Dropbox copy was verified by content hash`,
    },
  });
  opts.logger.info('retention: removed an archive file verified on Dropbox', {
    rel: f.rel,
    size: f.size,
  });
}

async function verify(
  f: ArchiveFile,
  opts: { lookup: RemoteHashLookup; signal?: AbortSignal },
  onCard: OnCard,
): Promise<{ ok: false; reason: string } | { ok: true; hash: string; remotePath: string }> {
  let local: string;
  try {
    local = await onCard((alive) => hashFileDropbox(f.absPath, opts.signal, undefined, alive));
  } catch (e) {
    // A card that does not answer is no file that cannot be read: the run ends, said so.
    if (isSyncError(e) && e.code === 'archive-missing') throw e;
    return { ok: false, reason: 'cannot be read here' };
  }
  let remote: { path: string; contentHash: string } | null;
  try {
    remote = await opts.lookup.copyOf(f, local, opts.signal);
  } catch (e) {
    return { ok: false, reason: `Dropbox could not be asked (${(e as Error).message})` };
  }
  if (remote === null) return { ok: false, reason: 'not on Dropbox' };
  if (remote.contentHash !== local) return { ok: false, reason: 'different on Dropbox' };
  return { ok: true, hash: local, remotePath: remote.path };
}

/** The reasons a run keeps a file, as they read after "N files" (the reasons of `verify` above). */
const KEPT_WORDS: Record<string, string> = {
  'still queued in transit': 'still queued in transit',
  'cannot be read here': 'that cannot be read',
  'Dropbox could not be asked': 'not checked (Dropbox did not answer)',
  'not on Dropbox': 'not on Dropbox',
  'different on Dropbox': 'different on Dropbox',
  'changed while it was checked': 'changed while checked',
};

/**
 * Why a run left the archive short of room, to follow "retention is on but" in the advice for a
 * full archive: what its limits asked for, and what kept the oldest files (no copy confirmed on
 * Dropbox, Dropbox not answering, files not done yet), or that other files fill the disk.
 */
export function retentionShortfall(r: RetentionReport): string {
  if (r.bytesToFree === 0)
    return 'its limits ask for nothing to be freed: raise its free-space floor in settings';
  const freed = `its last run freed ${formatBytes(r.freedBytes)}`;
  if (r.freedBytes >= r.bytesToFree)
    return `${freed}, all its limits asked for: raise its free-space floor in settings`;
  const of = `${freed} of the ${formatBytes(r.bytesToFree)} its limits ask for`;
  if (r.kept.length === 0)
    return `${of}: the archive holds only ${formatBytes(r.archiveBytes)}, other files fill the disk`;
  const counts = new Map<string, number>();
  for (const k of r.kept) {
    const why = k.reason.replace(/ \(.*$/s, '');
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const kept = [...counts]
    .map(([why, n]) => `${n === 1 ? '1 file' : `${n} files`} ${KEPT_WORDS[why] ?? why}`)
    .join(', ');
  const stopped =
    r.stoppedAtChecks === undefined
      ? ''
      : `; it asks Dropbox about ${r.stoppedAtChecks} files a run and goes on from there at the next`;
  return `${of}: it deletes only files confirmed on Dropbox, and kept ${kept}${stopped}`;
}
