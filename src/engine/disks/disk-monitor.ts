// Puts the disk measurements into the status model after each pass (and for `status` without a
// daemon): one call from the engine. Problems are raised per disk and cleared when the disk is
// below the warning level again, or no longer holds any of our folders.
import type { Settings } from '../settings/schema.js';
import type { StatusModel } from '../status/model.js';
import { DISK_PROBLEM_PREFIX, diskProblem, measureDisks, type DiskFolder } from './disk-check.js';

export function diskFoldersOf(settings: Settings): DiskFolder[] {
  return [
    { role: 'watch', path: settings.watchDir },
    { role: 'transit', path: settings.transitDir },
    ...(settings.archiveEnabled && settings.archiveDir
      ? [{ role: 'archive' as const, path: settings.archiveDir }]
      : []),
  ];
}

export async function updateDiskStatus(
  settings: Settings,
  status: StatusModel,
  signal?: AbortSignal,
  knownTransitBytes: number | null = null,
): Promise<void> {
  const disks = await measureDisks(diskFoldersOf(settings), signal, knownTransitBytes);
  status.update({ disks });
  const raised = new Set<string>();
  for (const disk of disks) {
    const problem = diskProblem(disk, settings.diskFullPercent);
    if (problem) {
      status.raise(problem);
      raised.add(problem.id);
    }
  }
  status.clearMatching((id) => id.startsWith(DISK_PROBLEM_PREFIX) && !raised.has(id));
}
