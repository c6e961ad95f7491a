// Once per pass, before staging: is the transit folder still the queue (stage/transit-place.ts)?
// While it is not, nothing is staged (files wait in the watch folder), the walk of transit does
// not count as complete (no journal entry is forgotten), and a problem names the folder and the
// fix; it is cleared by the first look that finds it back.
import type { PassDeps } from './deps.js';
import type { PassMemory } from './pass.js';

export const TRANSIT_MISSING_ID = 'transit-missing';

/** Whether transit can be trusted this pass; sets memory.transitMissing for staging. */
export async function lookAtTransitOnce(deps: PassDeps, memory: PassMemory): Promise<boolean> {
  if (!deps.lookAtTransit) return true;
  const look = await deps.lookAtTransit(memory.transitPlace, () => deps.journal.rels().length > 0);
  const wasMissing = memory.transitMissing ?? null;
  if (look.problem) {
    memory.transitMissing = look.problem;
    // Logged when it begins (or changes), not at every pass of a disk that stays away.
    if (wasMissing?.message !== look.problem.message)
      deps.logger.warn('transit folder cannot be trusted as the queue', {
        reason: look.problem.message,
      });
    deps.emit({
      type: 'problem',
      problem: {
        id: TRANSIT_MISSING_ID,
        code: 'transit-missing',
        severity: 'attention',
        tab: 'settings',
        message: look.problem.message,
      },
    });
    return false;
  }
  memory.transitMissing = null;
  memory.transitPlace = look.place;
  if (look.created) deps.logger.info('created the transit folder', { transitDir: deps.transitDir });
  if (wasMissing) {
    deps.logger.info('transit folder back', { transitDir: deps.transitDir });
    deps.emit({ type: 'problem-cleared', id: TRANSIT_MISSING_ID });
  }
  return true;
}
