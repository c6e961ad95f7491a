// The failure that explains a request's end sits a few levels down its `cause` chain: fetch wraps
// undici's error, which wraps the socket's (ECONNREFUSED, a certificate code), and the SDK or the
// tunnel may wrap the whole again. Every question asked of a failure walks it here, to one depth.

/**
 * How far down the chain a cause is looked for: fetch's error over undici's over the socket's,
 * with room for the SDK's and a tunnel's on top. A bound, too, for a chain that loops.
 */
export const CAUSE_DEPTH = 6;

/** The first answer `pick` gives (not null) for `e` or one of its causes, else null. */
export function findInCauses<T>(
  e: unknown,
  pick: (cur: Record<string, unknown>) => T | null,
): T | null {
  let cur: unknown = e;
  for (let depth = 0; depth < CAUSE_DEPTH && typeof cur === 'object' && cur !== null; depth++) {
    const found = pick(cur as Record<string, unknown>);
    if (found !== null) return found;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/** Whether `e` or one of its causes passes `test`. */
export function anyCause(e: unknown, test: (cur: Record<string, unknown>) => boolean): boolean {
  return findInCauses(e, (cur) => (test(cur) ? true : null)) !== null;
}
