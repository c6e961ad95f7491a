// Every failure is classified once, at the edge where it happens (Dropbox, file system), into
// one of four kinds. The pipeline only ever branches on the kind, never on raw error shapes.
//
//  - retry:        transient (network, 5xx, reset); try again with backoff.
//  - retry-after:  the server told us when (429 Retry-After, lock contention).
//  - file-failed:  this file cannot succeed as it is (bad name, unreadable, too large);
//                  it fails alone, visibly, and never blocks the others.
//  - blocked:      nothing can move on this leg until a person acts or the world changes
//                  (auth revoked, quota full, SD card missing/full/read-only, offline).

export type ErrorKind = 'retry' | 'retry-after' | 'file-failed' | 'blocked';

/** Stable machine codes. Front ends map them to icons and notifications; `message` is for people. */
export type ErrorCode =
  // transient
  | 'network'
  | 'server-error'
  | 'rate-limited'
  | 'write-contention'
  | 'offset-mismatch'
  // per file
  | 'disallowed-name'
  | 'malformed-path'
  // a folder in the archive refuses new entries (its permissions, an immutable flag) while the
  // rest of the archive takes them: the files bound there fail, the others go on
  | 'folder-unwritable'
  | 'file-too-large'
  | 'file-unreadable'
  | 'file-vanished'
  | 'file-cut-short'
  | 'file-zeroed'
  | 'hash-mismatch'
  | 'conflict'
  // engine-wide, a person must act
  | 'auth-revoked'
  | 'auth-missing'
  | 'quota-full'
  /** The remote folder is (inside) a team's end-to-end encrypted folder: no app may write there. */
  | 'remote-encrypted'
  | 'offline'
  // the HTTP proxy the environment names refuses (a login asked, a host forbidden) or cannot be
  // used as written: nothing reaches Dropbox until a person corrects it
  | 'proxy-refused'
  // Dropbox's certificate could not be checked (a network inspecting HTTPS, a Wi-Fi login page,
  // a clock years off): nothing is sent until a person acts
  | 'connection-untrusted'
  // the remote folder is named by the date and the clock has not been set yet (a Pi at boot)
  | 'clock-not-set'
  | 'archive-missing'
  | 'archive-full'
  | 'archive-readonly'
  | 'settings-invalid'
  // another RDL Sync holds the run lock and syncs: this process is refused, nothing is wrong
  | 'already-running'
  // the settings folder cannot be written (read-only card, full disk): nothing is saved there
  | 'settings-unwritable'
  // another program has held the settings edit lock too long: this change was not made
  | 'settings-busy'
  // never configured: the first-run setup (or `rdl-sync settings set`) is next, nothing is wrong
  | 'setup-needed'
  | 'watch-unavailable'
  | 'transit-unwritable'
  // the transit folder (the queue) is gone or its disk unmounted: nothing is staged, nothing forgotten
  | 'transit-missing'
  | 'unreadable-entry'
  | 'pass-failed'
  // the hub's health (raised as problems, never thrown)
  | 'disk-nearly-full'
  | 'source-silent'
  | 'site-placeholder'
  /** Another hub writes this site's heartbeat: two hubs share the site name (fleet). */
  | 'site-shared'
  // paused until resumed, for more than a day (a pause forgotten on a hub nobody watches)
  | 'paused-long'
  // an alert channel (email, webhook, command) not getting through
  | 'alert-channel-failing'
  | 'unknown';

export interface SyncErrorInit {
  kind: ErrorKind;
  code: ErrorCode;
  /** One sentence a person understands: what happened and what to do. Never contains a token. */
  message: string;
  /** For retry-after: how long the server asked us to wait. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class SyncError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  constructor(init: SyncErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SyncError';
    this.kind = init.kind;
    this.code = init.code;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** Plain, serialisable form for status, history, IPC and logs. */
  toJSON(): { kind: ErrorKind; code: ErrorCode; message: string; retryAfterMs?: number } {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
  }
}

export function isSyncError(e: unknown): e is SyncError {
  return e instanceof SyncError;
}

/**
 * A message without its "; will retry" ending ("shortly", "later" too): the engine's words for a
 * process that goes on, wrong where a command ends now or the words are quoted inside others.
 */
export function withoutRetryWords(message: string): string {
  return message.replace(/; will retry(?: shortly| later)?$/, '');
}
