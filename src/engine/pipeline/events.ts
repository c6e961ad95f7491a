// What a pass does, as a stream of plain events. The pass only reports; the engine's status
// reducer (status/reducer.ts) decides what the status and the problems become. A test can assert
// on the stream: a file through both legs is staged → leg-started ×2 → leg-done ×2 → file-done.
import type { SyncError } from '../errors.js';
import type { CardState } from '../legs/leg.js';
import type { LegId } from '../legs/ids.js';
import type { NamedFailure, Problem } from '../status/types.js';

export type NewProblem = Omit<Problem, 'sinceMs'>;

export type PassEvent =
  /** Finished files still in the watch folder (after staging). */
  | { type: 'waiting'; count: number; settling: number }
  /** A file moved from the watch folder into transit. */
  | { type: 'staged'; rel: string }
  /** One look at a leg before its files: `card` for the archive leg. */
  | { type: 'leg-checked'; leg: LegId; problem: SyncError | null; card?: CardState }
  | { type: 'leg-started'; leg: LegId; rel: string; size: number }
  | { type: 'leg-progress'; leg: LegId; rel: string; bytesDone: number }
  | {
      type: 'leg-done';
      leg: LegId;
      rel: string;
      path: string;
      contentHash: string;
      alreadyPresent: boolean;
    }
  /**
   * This file failed on this leg (its back-off on this leg only). `sinceMs`: when this leg's
   * failures in a row began (the first of the `attempts`).
   */
  | {
      type: 'leg-failed';
      leg: LegId;
      rel: string;
      error: SyncError;
      attempts: number;
      sinceMs: number;
    }
  /** A file whose transfer started got no outcome (the pass was stopped, the leg blocked). */
  | { type: 'leg-stopped'; leg: LegId; rel: string }
  /** The whole leg cannot go on this pass (card missing, auth revoked, offline…). */
  | { type: 'leg-blocked'; leg: LegId; error: SyncError }
  /** A network leg answered (Dropbox reached): the engine is online. */
  | { type: 'leg-reached'; leg: LegId; atMs: number }
  /** Both copies verified, the transit copy removed, the history record written. */
  | { type: 'file-done'; rel: string; atMs: number }
  /** The queue as the pass sees it; `pending` per leg id. */
  | {
      type: 'counts';
      transit?: number;
      pending?: Partial<Record<LegId, number>>;
      failed?: number;
      /** The file with the most failed attempts, named in the status sentence; null: none. */
      failing?: NamedFailure | null;
    }
  /**
   * Conditions of staging and of transit (not of a leg): raised and cleared by id. `sinceMs`:
   * when the trouble began, where that was before now (status/model.ts raise).
   */
  | { type: 'problem'; problem: NewProblem & { sinceMs?: number } }
  | { type: 'problem-cleared'; id: string }
  /** The pass is over: which legs ended blocked, and how many files wait. */
  | {
      type: 'pass-ended';
      blocked: Partial<Record<LegId, SyncError | null>>;
      pending: number;
      aborted: boolean;
    };
