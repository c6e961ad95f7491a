// Files that left transit without RDL Sync: a person took them out (emptied transit on purpose,
// or renamed a name Dropbox refuses, as its problem told them). Their journal entries go: kept,
// they would make a later, different file of the same name look like a new version of that one,
// and replace its copies. Only after a complete walk of a transit folder that can be trusted
// (transit-trust.ts): a transit folder whose disk went away also looks empty.
import type { PassDeps } from './deps.js';
import { FILE_FAILING_PREFIX } from './problems.js';

/** Files named in the log line; the rest are counted (a whole queue can be thousands). */
export const LEFT_FILES_NAMED = 20;

/** The journal's files that a complete walk of transit did not meet. */
export function leftTransit(deps: PassDeps, seen: ReadonlySet<string>): string[] {
  return deps.journal.rels().filter((rel) => !seen.has(rel));
}

/**
 * After a complete walk of transit, the entries of files no longer there are forgotten. Said at
 * warn level, naming them: files that never reached both copies left the queue, and a person
 * asking later where one went finds it in the log. (No history record: the history keeps what
 * RDL Sync did with a file, and it did nothing with these; their last failure, if any, is there.)
 */
export function forgetLeftFiles(deps: PassDeps, left: readonly string[]): void {
  if (left.length === 0) return;
  for (const rel of left) forgetFile(deps, rel);
  const more = left.length - LEFT_FILES_NAMED;
  deps.logger.warn(
    'files left transit without being synced by RDL Sync (taken out by someone): their progress is forgotten',
    {
      forgotten: left.length,
      files: left.slice(0, LEFT_FILES_NAMED),
      ...(more > 0 ? { notNamed: more } : {}),
      transitDir: deps.transitDir,
    },
  );
}

/**
 * A file gone from transit: its entry goes, and so does its problem, which nothing else would
 * clear until a restart: it named a file no longer there and held the attention state.
 */
export function forgetFile(deps: PassDeps, rel: string): void {
  deps.journal.delete(rel);
  deps.emit({ type: 'problem-cleared', id: `${FILE_FAILING_PREFIX}${rel}` });
}
