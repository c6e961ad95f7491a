import { SyncError, isSyncError } from '../errors.js';
import { LEGS, type LegId } from './ids.js';

/** Anything a leg throws, as a classified error (an unknown one is retried). */
export function asLegError(e: unknown, leg: LegId): SyncError {
  if (isSyncError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SyncError({
    kind: 'retry',
    code: 'unknown',
    message: `${LEGS[leg].label} failed unexpectedly: ${message}`,
    cause: e,
  });
}
