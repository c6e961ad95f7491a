// Measures the disks after each pass (and for `status` without a daemon): one call from the
// engine. The result goes to the status reducer ('disks-measured'), which shows a problem per
// disk and clears it when the disk is below the warning level again, or no longer holds any of
// our folders.
import type { NewProblem } from '../pipeline/events.js';
import type { Settings } from '../settings/schema.js';
import type { DiskStatus } from '../status/types.js';
import { diskProblem, measureDisks, type DiskFolder } from './disk-check.js';
import { isRdlHubLayout } from './hub-layout.js';
import { withinDeadline, type AnswerOptions } from '../archive/card-answers.js';

export function diskFoldersOf(settings: Settings): DiskFolder[] {
  return [
    { role: 'watch', path: settings.watchDir },
    { role: 'transit', path: settings.transitDir },
    ...(settings.archiveEnabled && settings.archiveDir
      ? [
          {
            role: 'archive' as const,
            path: settings.archiveDir,
            card: settings.archiveMustBeMountPoint,
          },
        ]
      : []),
  ];
}

export async function checkDisks(
  settings: Settings,
  signal?: AbortSignal,
  knownTransitBytes: number | null = null,
  /** Why the queue grows: see diskProblem. */
  heldBy: string | null = null,
  /** How long a call on the archive may take (archive/card-answers.ts). */
  archiveAnswers?: AnswerOptions,
): Promise<{ disks: DiskStatus[]; problems: NewProblem[] }> {
  const place = { root: settings.archiveDir, card: settings.archiveMustBeMountPoint };
  // The archive's disk is measured with the archive's deadline: a card that hangs is left out
  // (its problem is the archive leg's), and never holds the other disks' figures.
  const disks = await measureDisks(diskFoldersOf(settings), signal, knownTransitBytes, (f, look) =>
    f.role === 'archive' ? withinDeadline(place, look, archiveAnswers) : look(),
  );
  const problems: NewProblem[] = [];
  const hubLayout = disks.some((d) => d.usedPercent >= settings.diskFullPercent)
    ? await isRdlHubLayout(settings.watchDir)
    : false;
  for (const disk of disks) {
    const problem = diskProblem(
      disk,
      settings.diskFullPercent,
      settings.retentionEnabled,
      heldBy,
      hubLayout,
      settings.archiveMustBeMountPoint,
    );
    if (problem) problems.push(problem);
  }
  return { disks, problems };
}
