// Builds the pipeline's parts (scanner, stage, archive, Dropbox store) from settings. Pure wiring:
// the engine calls it again whenever settings or credentials change.
import { ArchiveTarget, type RetentionNote } from './archive/index.js';
import type { ArchiveCheck } from './archive/archive-target.js';
import { withinDeadline, type AnswerOptions, type CardCall } from './archive/card-answers.js';
import { FolderSyncs } from './fsutil/folder-syncs.js';
import { SyncError } from './errors.js';
import type { DropboxCredentials } from './credentials/index.js';
import { connectSavedDropbox, type AccessTokenKeeper } from './dropbox/saved-connection.js';
import { DropboxRemoteStore } from './dropbox/remote-store.js';
import { createNodeHttpFetch } from './net/http-fetch.js';
import type { RetryPolicy } from './retry-policy.js';
import type { History } from './history/index.js';
import type { Journal } from './journal/index.js';
import type { PassDeps } from './pipeline/deps.js';
import type { PassEvent } from './pipeline/events.js';
import { ArchiveLeg, type ArchivePort } from './legs/archive-leg.js';
import { DropboxLeg } from './legs/dropbox-leg.js';
import { notConnected } from './pipeline/problems.js';
import type { Clock, Logger, RemoteStore } from './ports.js';
import {
  StabilityScanner,
  canDetectWriters,
  freshWriters,
  snapshotOpenWriters,
} from './scan/index.js';
import type { Settings } from './settings/schema.js';
import type { DropboxWait } from './status/types.js';
import {
  listTransit,
  lookAtTransit,
  lookAtTransitRecorded,
  pruneTransitFolders,
  removeFromTransit,
  stageFile,
  type TransitDiskRecord,
  statTransit,
} from './stage/index.js';

const MiB = 1024 * 1024;

export function buildRemote(
  settings: Settings,
  creds: DropboxCredentials,
  ctx: {
    journal: Journal;
    clock: Clock;
    logger: Logger;
    retry: Partial<RetryPolicy>;
    host?: string;
    /** The folder rendered for now (remoteRootNow): a pass rebuilds the store when it moves. */
    remoteRoot: string;
    /** Keeps each refresh's access token for the next process. */
    accessTokens?: AccessTokenKeeper;
    /** How long a connection may stay silent before its request is given up (default 2 min). */
    idleMs?: number;
    /** Told of a long wait Dropbox asked for, and of its end (dropbox/calls.ts). */
    onWait?: (wait: DropboxWait | null) => void;
  },
): RemoteStore {
  const connection = connectSavedDropbox(
    settings,
    creds,
    ctx.accessTokens,
    ctx.idleMs === undefined ? undefined : createNodeHttpFetch({ idleTimeoutMs: ctx.idleMs }),
  );
  return new DropboxRemoteStore({
    connection,
    remoteRoot: ctx.remoteRoot,
    chunkSize: settings.chunkSizeMiB * MiB,
    concurrency: settings.concurrency,
    conflictPolicy: settings.conflictPolicy,
    sessions: ctx.journal.sessions,
    clock: ctx.clock,
    logger: ctx.logger,
    retry: ctx.retry,
    ...(ctx.onWait ? { onWait: ctx.onWait } : {}),
  });
}

export function buildArchive(
  settings: Settings,
  logger: Logger,
  retention?: () => RetentionNote,
  /** How long a call on the archive may take (card-answers.ts); tests shorten it. */
  answers?: AnswerOptions,
): ArchivePort {
  const target = new ArchiveTarget({
    root: settings.archiveDir,
    mustBeMountPoint: settings.archiveMustBeMountPoint,
    logger,
    ...(retention ? { retention } : {}),
  });
  const place = { root: settings.archiveDir, card: settings.archiveMustBeMountPoint };
  // Every call on the archive with a deadline: a card that hangs must not hold the pass.
  const answered = <T>(call: CardCall<T>): Promise<T> => withinDeadline(place, call, answers);
  return {
    root: settings.archiveDir,
    check: () =>
      answered(() => checkAndTidy()).catch((e: unknown) => {
        if (!(e instanceof SyncError) || e.code !== 'archive-missing') throw e;
        return { present: false, writable: false, freeBytes: null, totalBytes: null, problem: e };
      }),
    store: (o) =>
      answered((alive, aside) =>
        target.store({
          ...o,
          onProgress: (bytes) => {
            alive();
            o.onProgress?.(bytes);
          },
          // Waiting for the journal's save of the copy is no call on the card (and, in a group,
          // waits for the group's other copies: holding the gate then would hold them out).
          ...(o.beforePlace
            ? {
                beforePlace: (path: string, hash: string) =>
                  aside(() => o.beforePlace!(path, hash)),
              }
            : {}),
        }),
      ),
    syncFolders: (dirs, files) => answered(() => target.syncFolders(dirs, files)),
  };

  async function checkAndTidy(): Promise<ArchiveCheck> {
    let result = await target.check();
    if (result.present && result.writable) {
      // Partial copies left by a crash or a pull are removed at every check (checks come
      // before a pass's copies), a full card's too: they may be what fills it (two large copies
      // at once, cut short by a power cut), and a card reported full was never cleaned of them,
      // so it stayed full. Once per insertion was not enough: an insertion was noticed only by
      // a check that saw the card away, and one swapped, or pulled mid-copy and put back,
      // between two checks kept its leftovers until RDL Sync restarted. Nor can a check tell
      // an insertion by the card: the same card back in its reader has the same device number
      // and root, and even a new tmpfs mounted there took the old one's device and mount ID.
      const removed = await target.cleanupTemps().catch(() => 0);
      if (removed > 0) {
        logger.info('removed partial copies left in the archive', { removed });
        if (result.problem) result = await target.check(); // the room they took is free again
      }
    }
    return result;
  }
}

export function buildPassDeps(
  settings: Settings,
  parts: {
    remote: RemoteStore | null;
    /** Why remote is null, when more is known than "not connected". */
    remoteMissing?: SyncError;
    journal: Journal;
    history: History;
    /** Where the pass's events go (the engine's status reducer). */
    emit: (event: PassEvent) => void;
    clock: Clock;
    logger: Logger;
    /** Archive retention now, for the advice when the archive is full (hub-health.ts). */
    retention?: () => RetentionNote;
    /** How long a call on the archive may take (card-answers.ts). */
    archiveAnswers?: AnswerOptions;
    /** Which transit folder is a disk of its own, kept across restarts. */
    transitDisk?: TransitDiskRecord;
  },
): PassDeps {
  const { watchDir, transitDir } = settings;
  const folderSyncs = new FolderSyncs();
  // Asked only for a file copied across disks, before its original goes (stage-file.ts).
  // Asked only of files in the watch and transit folders (open-writers.ts: writers elsewhere are
  // left unasked, so a hung file system of someone else's cannot hold the daemon).
  const synced = { folders: [watchDir, transitDir] };
  const writers = canDetectWriters() ? freshWriters(() => snapshotOpenWriters(synced)) : undefined;
  return {
    transitDir,
    scanner: new StabilityScanner({
      watchDir,
      stableSeconds: settings.stableSeconds,
      ignorePatterns: settings.ignorePatterns,
      // Guards against a transit or SD-card folder placed inside the watch folder.
      excludeDirs: [transitDir, ...(settings.archiveEnabled ? [settings.archiveDir] : [])],
      clock: parts.clock,
      logger: parts.logger,
    }),
    stage: (file) =>
      stageFile({ watchDir, transitDir, file, folderSyncs, ...(writers ? { writers } : {}) }),
    listTransit: (onError, known) =>
      listTransit(transitDir, { ...(onError ? { onError } : {}), ...(known ? { known } : {}) }),
    statTransit: (rel) => statTransit(transitDir, rel),
    lookAtTransit: parts.transitDisk
      ? lookAtTransitRecorded(transitDir, parts.transitDisk)
      : (known, queued) => lookAtTransit(transitDir, known, queued),
    ...(canDetectWriters() ? { openWriters: () => snapshotOpenWriters(synced) } : {}),
    removeFromTransit: (rel, opts) => removeFromTransit(transitDir, rel, opts),
    pruneTransit: (rels) => pruneTransitFolders(transitDir, rels),
    // A file that changed in transit waits as long as a new file must before it is staged.
    settleMs: settings.stableSeconds * 1000,
    // The legs, keyed by id (legs/ids.ts); the archive leg is absent when turned off.
    legs: [
      new DropboxLeg(parts.remote, parts.remoteMissing ?? notConnected()),
      ...(settings.archiveEnabled
        ? [
            new ArchiveLeg(
              buildArchive(settings, parts.logger, parts.retention, parts.archiveAnswers),
            ),
          ]
        : []),
    ],
    journal: parts.journal,
    history: parts.history,
    emit: parts.emit,
    clock: parts.clock,
    logger: parts.logger,
  };
}
