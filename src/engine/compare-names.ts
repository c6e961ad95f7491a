// Sorting names for people to read without String.prototype.localeCompare: that loads ICU's
// collation data into the daemon (about 3 MB resident, measured on Node 20) for lists of a few
// folder names, sorted after every pass. Case is folded first so "internet" sits between
// "cameras" and "RDL" as a person expects; ties fall back to the exact code units, so the order
// is total and the same on every machine and locale.
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
