// One compact line per second from the daemon's published status.json: how many files sit at
// each stage, and what is moving right now.
import type { ActiveTransfer, StatusSnapshot } from '../../src/engine/status/types.js';

function mb(n: number): string {
  return (n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1);
}

function shortName(rel: string, max = 28): string {
  return rel.length <= max ? rel : `…${rel.slice(rel.length - max + 1)}`;
}

function transferText(t: ActiveTransfer): string {
  const arrow = t.leg === 'upload' ? '↑ Dropbox' : '→ SD';
  const pct = t.size > 0 ? Math.floor((100 * t.bytesDone) / t.size) : 100;
  return `${arrow} ${shortName(t.rel)} ${mb(t.bytesDone)}/${mb(t.size)} MB (${pct}%)`;
}

/** `inTransit` is counted on disk: the engine's own transit count is only set after each window. */
export function progressLine(
  elapsedMs: number,
  s: StatusSnapshot,
  inTransit: number,
  expected: number,
): string {
  const c = s.counts;
  const uploading = s.transfers.filter((t) => t.leg === 'upload').length;
  const archiving = s.transfers.filter((t) => t.leg === 'archive').length;
  const head =
    `t+${String(Math.round(elapsedMs / 1000)).padStart(2)}s ${s.state.padEnd(9)}` +
    ` waiting ${String(c.waiting).padStart(2)} │ transit ${String(inTransit).padStart(2)}` +
    ` │ uploading ${uploading} │ archiving ${archiving}` +
    ` │ done ${String(c.doneThisRun).padStart(2)}/${expected}`;
  // The biggest transfer tells the most (the chunked one); the rest are counted above.
  const biggest = [...s.transfers].sort((a, b) => b.size - a.size)[0];
  return biggest ? `${head}  ${transferText(biggest)}` : head;
}
