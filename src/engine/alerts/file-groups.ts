// Files that keep failing the same way are one condition for the people alerted. The status (the
// window, `rdl-sync status`, the digest) lists each file; an alert per file was an email per file
// and a daily reminder per file: a logger whose every file fails (an infrared camera's CSVs cut
// short every 30 min, files the service may not read, names Dropbox refuses) sent dozens a day,
// growing, about one fault. Grouped by the failure's code: one raise once the pass that found the
// first failing files has ended (policy.ts, GATHER_MS: it names all that pass found),
// one "resolved" when the last is gone, naming every file the condition had; the sentence names
// the files, then the first one's reason.
import { FILE_FAILING_PREFIX, FILES_FAILING_PREFIX } from '../pipeline/problems.js';
import type { Problem } from '../status/types.js';

/** Files named in a group's sentence; the others are counted. */
const NAMED = 5;

const OTHERS_TAIL = /\.\s*Other files are not affected\.?$/;

/**
 * A problem as the alert policy sees it. A group carries the rels of all its files, so that its
 * "Resolved" can name every file it was about, not only those its last sentence named.
 */
export type GroupedProblem = Problem & { files?: readonly string[] };

/** The problems as the alert policy sees them: per-file failures folded by their code. */
export function groupFailingFiles(problems: readonly Problem[]): GroupedProblem[] {
  const out: GroupedProblem[] = [];
  const groups = new Map<string, Problem[]>();
  for (const p of problems) {
    if (!p.id.startsWith(FILE_FAILING_PREFIX)) out.push(p);
    else groups.set(p.code, [...(groups.get(p.code) ?? []), p]);
  }
  for (const [code, files] of groups) out.push(groupOf(code, files));
  return out;
}

/** Up to NAMED rels, then how many more: "a, b and c", "a, …, e and 3 more". */
export function namedFiles(rels: readonly string[]): string {
  const shown = rels.slice(0, NAMED);
  const more = rels.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length <= 1
    ? (shown[0] ?? '')
    : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

function groupOf(code: string, files: Problem[]): GroupedProblem {
  // The oldest first: it is the one the group was announced with.
  const sorted = [...files].sort((a, b) => a.sinceMs - b.sinceMs || (a.id < b.id ? -1 : 1));
  const first = sorted[0]!;
  const rels = sorted.map((p) => p.id.slice(FILE_FAILING_PREFIX.length));
  // The files first, then one reason: led by one file's sentence, a mail about many read as
  // about that file, the others an afterthought.
  const reason = first.message.replace(OTHERS_TAIL, '');
  const own = `${rels[0]} failed `;
  const firstOne = reason.startsWith(own)
    ? `The first of them, ${rels[0]}, failed ${reason.slice(own.length)}`
    : `The first of them: ${reason}`;
  const message =
    rels.length === 1
      ? first.message
      : `${rels.length} files keep failing the same way (${code}): ${namedFiles(rels)}. ${firstOne}. Other files are not affected; each is listed in rdl-sync status`;
  return {
    ...first,
    id: `${FILES_FAILING_PREFIX}${code}`,
    code: first.code,
    message,
    files: rels,
  };
}
