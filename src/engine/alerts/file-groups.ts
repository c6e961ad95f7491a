// Files that keep failing the same way are one condition for the people alerted. The status (the
// window, `rdl-sync status`, the digest) lists each file; an alert per file was an email per file
// and a daily reminder per file: a logger whose every file fails (an infrared camera's CSVs cut
// short every 30 min, files the service may not read, names Dropbox refuses) sent dozens a day,
// growing, about one fault. Grouped by the failure's code: one raise once the pass that found the
// first failing files has ended (policy.ts, GATHER_MS: it names all that pass found),
// one "resolved" when the last is gone; the sentence names the files.
import { FILE_FAILING_PREFIX, FILES_FAILING_PREFIX } from '../pipeline/problems.js';
import type { Problem } from '../status/types.js';

/** Files named in a group's sentence; the others are counted. */
const NAMED = 5;

const OTHERS_TAIL = /\.\s*Other files are not affected\.?$/;

/** The problems as the alert policy sees them: per-file failures folded by their code. */
export function groupFailingFiles(problems: readonly Problem[]): Problem[] {
  const out: Problem[] = [];
  const groups = new Map<string, Problem[]>();
  for (const p of problems) {
    if (!p.id.startsWith(FILE_FAILING_PREFIX)) out.push(p);
    else groups.set(p.code, [...(groups.get(p.code) ?? []), p]);
  }
  for (const [code, files] of groups) out.push(groupOf(code, files));
  return out;
}

function groupOf(code: string, files: Problem[]): Problem {
  // The oldest first: it is the one the group was announced with.
  const sorted = [...files].sort((a, b) => a.sinceMs - b.sinceMs || (a.id < b.id ? -1 : 1));
  const first = sorted[0]!;
  const others = sorted.slice(1).map((p) => p.id.slice(FILE_FAILING_PREFIX.length));
  const named = others.slice(0, NAMED).join(', ');
  const more = others.length > NAMED ? ` and ${others.length - NAMED} more` : '';
  const message =
    others.length === 0
      ? first.message
      : `${files.length} files keep failing the same way (${code}): ${first.message.replace(OTHERS_TAIL, '')}; so do ${named}${more}. Other files are not affected; each is listed in rdl-sync status`;
  return { ...first, id: `${FILES_FAILING_PREFIX}${code}`, code: first.code, message };
}
