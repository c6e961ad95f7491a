// "Did you mean": the word a mistyped one most likely meant, among those a command takes (setting
// names, command names). Case is ignored (`SITE`, `Status`); a word too far from every candidate
// gets no guess rather than a wrong one.

/** The candidate closest to `word`, within a few edits for its length, or undefined. */
export function closestWord<T extends string>(
  word: string,
  candidates: readonly T[],
): T | undefined {
  const lower = word.toLowerCase();
  let best: { word: T; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d <= Math.max(2, Math.floor(c.length / 4)) && (!best || d < best.d)) best = { word: c, d };
  }
  return best?.word;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}
