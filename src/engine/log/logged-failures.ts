// A failure logged where it happened is not logged again by each caller it is thrown through: the
// pass runner logs a failed pass with its reason, and the scheduler that ran the pass repeated the
// same line, so every failed pass of a daemon read as two in a hub's log.
const logged = new WeakSet<object>();

/** `e` has been logged (with its reason) where it happened. */
export function markLogged(e: unknown): void {
  if (typeof e === 'object' && e !== null) logged.add(e);
}

/** Whether `e` was logged already (only an object can be told apart: anything else was not). */
export function wasLogged(e: unknown): boolean {
  return typeof e === 'object' && e !== null && logged.has(e);
}
