// Whether the watch folder sits in an RDL hub's logging folder (WORKLOAD.md): the RDL loggers
// keep the files they are still writing in `1_inprogress` (older hubs: `inprogress`) beside the
// watch folder. Only there is it known what a full disk does to the loggers (the hub's own
// scripts disable every logging service at 95 %); on a lab desktop or any other layout RDL Sync
// cannot know, so it says nothing about them.
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const IN_PROGRESS_NAMES = ['1_inprogress', 'inprogress'];

export async function isRdlHubLayout(watchDir: string): Promise<boolean> {
  const parent = dirname(watchDir);
  for (const name of IN_PROGRESS_NAMES) {
    try {
      if ((await stat(join(parent, name))).isDirectory()) return true;
    } catch {
      // not this name
    }
  }
  return false;
}
