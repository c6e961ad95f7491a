// Retries transient failures: exponential backoff with full jitter, or exactly the delay the
// server asked for (Retry-After). Per-file and engine-wide failures are never retried here.
// The mechanism only: every number it uses is in ../retry-policy.ts.
import type { SyncError } from '../errors.js';
import { systemClock, type Clock } from '../ports.js';
import { CALL_RETRY, RETRY_AFTER_SPREAD_MS, type RetryPolicy } from '../retry-policy.js';
import { classifyDropboxError, exhausted, type ErrorContext } from './classify.js';
import { isIdleTimeout } from '../net/http-fetch.js';

/** The ceiling of attempt n: doubling from `base`, never above `cap`. */
function ceilingMs(attempt: number, base: number, cap: number): number {
  return Math.min(cap, base * 2 ** attempt);
}

/** Full-jitter backoff ("Exponential Backoff And Jitter", AWS architecture blog). */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * ceilingMs(attempt, policy.baseMs, policy.capMs));
}

/**
 * Lock contention: the ceiling doubles from contentionBaseMs up to contentionCapMs and the wait
 * is a random time in its upper half, so it grows every time and parallel writers spread out.
 */
export function contentionDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = ceilingMs(attempt, policy.contentionBaseMs, policy.contentionCapMs);
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/** How long to wait before the next try of a transient failure. */
export function retryDelayMs(
  err: SyncError,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (err.kind === 'retry-after' && err.retryAfterMs !== undefined) {
    // The server's delay is a floor; a little spread keeps parallel workers from returning together.
    return err.retryAfterMs + Math.floor(random() * Math.min(RETRY_AFTER_SPREAD_MS, policy.baseMs));
  }
  if (err.code === 'write-contention') return contentionDelayMs(attempt, policy, random);
  return backoffDelayMs(attempt, policy, random);
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  clock?: Clock;
  signal?: AbortSignal;
  context?: ErrorContext;
  random?: () => number;
  /** Told about each transient failure before the wait, e.g. for a log line. */
  onRetry?: (err: SyncError, delayMs: number, attempt: number) => void;
}

/**
 * Runs `op` until it succeeds, a non-transient SyncError occurs, the attempts run out (a network
 * failure then becomes 'offline', engine-wide) or the signal aborts (its reason is thrown).
 */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const policy = { ...CALL_RETRY, ...options.policy };
  const clock = options.clock ?? systemClock;
  const { signal } = options;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await op(attempt);
    } catch (raw) {
      if (signal?.aborted) throw signal.reason;
      const err = classifyDropboxError(raw, options.context);
      if (err.kind !== 'retry' && err.kind !== 'retry-after') throw err;
      // A link on which nothing moved for the idle timeout (a hung server, a dead route that
      // drops packets) is not tried again here: six such tries held a pass for 12 minutes, with
      // the card copies and new files behind it, and the offline alert, timed from the pass's
      // end, came that much later. The next pass tries again, seconds away.
      if (attempt + 1 >= policy.maxAttempts || isIdleTimeout(raw))
        throw exhausted(err, attempt + 1);
      const delay = retryDelayMs(err, attempt, policy, options.random);
      options.onRetry?.(err, delay, attempt);
      await clock.sleep(delay, signal);
    }
  }
}
