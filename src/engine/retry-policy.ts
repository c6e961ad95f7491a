// Every retry number of the engine, each stated once with the reason it has its value. The
// mechanisms live beside their work and hold no numbers of their own: `dropbox/retry.ts` waits and
// tries a Dropbox call again, `pipeline/problems.ts` schedules a file's next try, the upload,
// staging and run-lock loops count their rounds. What is in force is what stands here; nothing
// overrides it except a caller's explicit `retry` option (tests, which must not sit in back-off).
//
// HOW TO CHANGE A RETRY NUMBER
//   1. Change it here, and its reason beside it: the next reader needs the why more than the what.
//   2. Run `npm test -- test/engine/retry-policy`: a real pass against the emulator proves the
//      pass uses these numbers. Then the tests of the layer you touched: test/dropbox (calls,
//      contention, upload loops), test/engine and test/pipeline (files), test/stage, and
//      test/engine/run-lock.
//   3. Do not add a number anywhere else: a new loop that retries takes its bound from here.
//
// The layers, innermost first (rclone names the same split --low-level-retries / --retries):
//   1. One Dropbox call: CALL_RETRY, RETRY_AFTER_SPREAD_MS, RATE_LIMIT_WAIT_MS.
//   2. Loops inside one upload: UPLOAD_SESSION_RESTARTS, OFFSET_REPOSITIONS, COMMIT_ROUNDS,
//      MISMATCH_REPLACEMENTS.
//   3. One file on one leg, across passes: FILE_RETRY, FILE_FAILING_THRESHOLD. Back-off is per
//      leg (the journal's `entry.retry[legId]`), so a file Dropbox refuses still goes to the card
//      on time; the same numbers pace the file's own wait (`entry.attempts`: the legs' hashes
//      disagreed) and a file that cannot leave the watch folder.
//   4. The local disk: STAGE_PLACE_ATTEMPTS, and the run lock's LOCK_TAKEOVER_ROUNDS and
//      LOCK_CLAIM_CHAIN.

/** The shape of a call-level policy (layer 1); `dropbox/retry.ts` is its mechanism. */
export interface RetryPolicy {
  /** First backoff ceiling; attempt n waits a random time in [0, min(cap, base * 2^n)). */
  baseMs: number;
  capMs: number;
  /** Tries in total, the first included. */
  maxAttempts: number;
  /** Namespace lock contention (too_many_write_operations) without a Retry-After: the first wait. */
  contentionBaseMs: number;
  /** The longest wait for lock contention. */
  contentionCapMs: number;
}

/**
 * Layer 1, every Dropbox call of the engine (pass, retention lookup).
 * - baseMs 500: a 5xx or a reset usually clears within a second; full jitter spreads workers.
 * - maxAttempts 6: at most 15.5 s of waiting (ceilings 0.5 + 1 + 2 + 4 + 8 s) before the file is
 *   left to a later pass, where FILE_RETRY takes over: the next pass is seconds away, and the
 *   SD-card leg must not wait on a dead link. capMs 15 s bounds a single wait should
 *   maxAttempts ever grow.
 * - contention 15 s doubling to 5 min: Dropbox's guides and mature clients wait 15 s and more on
 *   too_many_write_operations; retrying every second only adds to the contention. The same
 *   maxAttempts bounds it, so a batch commit stays contended for minutes at most.
 */
export const CALL_RETRY: Readonly<RetryPolicy> = Object.freeze({
  baseMs: 500,
  capMs: 15_000,
  maxAttempts: 6,
  contentionBaseMs: 15_000,
  contentionCapMs: 300_000,
});

/**
 * Spread added to a server's Retry-After (at most, and never more than baseMs): the server's
 * delay is a floor, and a little spread keeps parallel workers from returning together.
 */
export const RETRY_AFTER_SPREAD_MS = 250;

/**
 * A rate limit (too_many_requests) that came without a Retry-After waits this long, as a floor
 * like the server's own delay: Dropbox nearly always sends one, and a second is its usual value.
 */
export const RATE_LIMIT_WAIT_MS = 1_000;

/**
 * Layer 2: an upload session Dropbox lost (expired, or gone) is started afresh this many times
 * before the file is left to a later pass; a session lost again and again points at the service.
 */
export const UPLOAD_SESSION_RESTARTS = 2;

/**
 * Layer 2: Dropbox answered incorrect_offset (an append whose answer was lost did land); the
 * upload moves to the offset Dropbox names at most this many times per session, then restarts.
 */
export const OFFSET_REPOSITIONS = 8;

/**
 * Layer 2: rounds of look, commit, look again for one file whose destination keeps changing
 * (conflicts, our own lost commits, other bytes); then the file waits for a later pass.
 */
export const COMMIT_ROUNDS = 8;

/**
 * Layer 2: Dropbox reported other bytes than we hashed: the landed revision is replaced by a
 * fresh upload this many times, then the file fails (twice in a row points at the disk or the
 * network, and a third upload would not tell us more).
 */
export const MISMATCH_REPLACEMENTS = 1;

/**
 * Layer 3: a file that failed on a leg waits 30 s, then 1 min, 2 min … capped at 1 h before its
 * next try on that leg (whatever pass comes first after that; its other leg keeps its own count),
 * so a bad file never hogs passes and a fixed one moves within the hour; at once when a person
 * asks ("Sync now": the next pass tries every file that failed before the ask, once).
 */
export const FILE_RETRY = Object.freeze({ firstMs: 30_000, capMs: 60 * 60_000 });

/**
 * Layer 3: after this many failed attempts in a row (on one leg, or of the file's own wait) a
 * file's trouble is shown as a problem (and notified): one failure is usually passing, three in
 * a row (about 1.5 min) need a person.
 */
export const FILE_FAILING_THRESHOLD = 3;

/**
 * Layer 4: staging makes the transit folder again this many times when a concurrent prune of
 * empty folders removes it between mkdir and rename; more means something else is wrong.
 */
export const STAGE_PLACE_ATTEMPTS = 3;

/**
 * Layer 4: rounds of taking the run lock. Each round wins, meets a live owner or sees a stale
 * generation end, so 50 only stops a pathological flood of contenders; then "try again".
 */
export const LOCK_TAKEOVER_ROUNDS = 50;

/** Layer 4: claimants that died mid-takeover, skipped one after another before giving up. */
export const LOCK_CLAIM_CHAIN = 20;
