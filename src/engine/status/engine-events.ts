// What the engine itself (not the pass) learns, as plain reducer inputs: a pipeline build, a
// probe of a stopped engine, the start and end of a pass. The status rules they imply (auth
// missing, the card's problem, "settings need fixing", "syncing stopped on an unexpected error")
// live in status/reducer.ts with the pass's own, so a status rule is written in one place.
import type { LegId } from '../legs/ids.js';
import type { SyncError } from '../errors.js';
import type { CardState } from '../legs/leg.js';
import type { NewProblem } from '../pipeline/events.js';
import type { DiskStatus, DropboxWait, SourceStatus } from './types.js';

/** A file whose last attempt failed, as the journal remembers it. */
export interface FailingFileFact {
  rel: string;
  code: string;
  message: string;
  attempts: number;
  /** When it last failed (absent where not known). */
  atMs?: number;
  /** When its failures in a row began, where before `atMs`. */
  sinceMs?: number;
}

export type EngineEvent =
  /**
   * Dropbox asked for a long wait before a call is tried again (its rate limit: Retry-After), or
   * null: a call was answered after it, or gave up.
   */
  | { type: 'dropbox-waits'; wait: DropboxWait | null }
  /**
   * The settings file does not validate: passes cannot run until it is fixed. `setupNeeded`: no
   * settings were ever saved (a first run, not a broken install; settings/setup-needed.ts).
   */
  | {
      type: 'settings-rejected';
      setupNeeded: boolean;
      message: string;
      archiveEnabled: boolean;
      archiveDir: string;
      archiveIsCard: boolean;
    }
  /**
   * The settings file was changed by hand into one that cannot be used (the settings in force
   * are kept): its mistakes, or null once the file can be used again.
   */
  | { type: 'settings-file-mistakes'; issues: { field: string; message: string }[] | null }
  /** A usable pipeline was built; `remoteMissing` says why there is no Dropbox store. */
  | {
      type: 'pipeline-built';
      remoteMissing: SyncError | null;
      /**
       * A usable connection is saved, whether or not uploads can go now: while the clock is not
       * set they wait (remoteMissing says so), and the account is still connected.
       */
      dropboxConnected: boolean;
      /**
       * Built on a connection saved since the last build (a reconnect): what Dropbox said of the
       * old one (access revoked) no longer applies, even before the new one has been answered.
       */
      connectionSaved?: boolean;
      archiveEnabled: boolean;
      archiveDir: string;
      archiveIsCard: boolean;
    }
  /** A stopped engine looked without moving anything (`status` without a daemon). */
  | {
      type: 'probed';
      /** The archive leg's check, when the leg is on. */
      card: { problem: SyncError | null; card?: CardState } | null;
      transit: number;
      /** Of those, the files each leg has still to do (the journal has no record of it done). */
      pending: Partial<Record<LegId, number>>;
      /** Files in the watch folder (no daemon stages them), and of those the ones still settling. */
      watch: { waiting: number; settling: number } | null;
      failing: FailingFileFact[];
    }
  /** A daemon looked while paused (a pass fell due): the card, and the watch folder's files. */
  | {
      type: 'paused-look';
      card: { problem: SyncError | null; card?: CardState } | null;
      watch: { waiting: number; settling: number } | null;
    }
  /**
   * The last daemon's word on the connection (its final status.json): a revoked or missing
   * connection it met, not saved again since, is shown as such.
   */
  | { type: 'last-daemons-word'; problem: NewProblem }
  /**
   * Dropbox's answer on the login to a call outside a pass (the account check, the fleet
   * heartbeat): `refused`, its definite no (access revoked), or null when it took the call.
   * A quiet hub's passes may not call Dropbox for a day; these calls do.
   */
  | { type: 'login-answered'; refused: SyncError | null }
  /** The hub's health checks (health/hub-health.ts): each family of problems is shown whole. */
  | { type: 'disks-measured'; disks: DiskStatus[]; problems: NewProblem[] }
  | { type: 'sources-learnt'; sources: SourceStatus[]; problems: NewProblem[] }
  /** The placeholder site name of a cloned SD image, or null when the site is real. */
  | { type: 'site-checked'; problem: NewProblem | null }
  | { type: 'pass-begun' }
  /** A pass asked for by `rdl-sync sync` (saved at `askedMs`) has ended, after pass-finished. */
  | { type: 'sync-ask-served'; askedMs: number }
  /**
   * `failure` is the reason an unexpected error ended the pass; null when it ended normally.
   * `failureCode`: its errno, when it has one.
   */
  | {
      type: 'pass-finished';
      atMs: number;
      failure: string | null;
      failureCode?: string;
      aborted: boolean;
    };
