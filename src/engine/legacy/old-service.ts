// The old syncer runs as a systemd service (Restart=always). Left running beside RDL Sync, both
// would move the same files, so the import names the unit to stop, found by its unit file
// mentioning the hub's folder and a sync script. It is never stopped for the person: the import
// prints the commands, and the technician runs them.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isRdlHubLayout } from '../disks/hub-layout.js';
import { syncerWorkingFolder } from './layout.js';

/** Where administrators put their own units (the hubs' services are there). */
export const SYSTEMD_UNIT_DIRS = ['/etc/systemd/system'];

/** Names of the units whose file mentions `folder` and looks like the old syncer. */
export async function findOldSyncerUnits(unitDirs: string[], folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of unitDirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.service') || name.startsWith('rdl-sync')) continue;
      let text: string;
      try {
        text = await readFile(join(dir, name), 'utf8');
      } catch {
        continue;
      }
      const execLines = text.split('\n').filter((l) => /^\s*(ExecStart|WorkingDirectory)=/.test(l));
      const mentionsFolder = execLines.some((l) => l.includes(folder));
      const looksLikeSyncer = /sync/i.test(name) || execLines.some((l) => /sync/i.test(l));
      if (mentionsFolder && looksLikeSyncer && !found.includes(name)) found.push(name);
    }
  }
  return found;
}

/** The printed next step: stop and disable the old syncer, by name when it was found. */
export function stopOldServiceHint(units: string[]): string {
  if (units.length === 0) {
    return 'Stop and disable the old syncing script before RDL Sync starts (both would move the same files): find its service with `systemctl list-units --type=service | grep -i sync`, then `sudo systemctl disable --now <that service>`';
  }
  return `Stop and disable the old syncing script before RDL Sync starts (both would move the same files): sudo systemctl disable --now ${units.join(' ')}`;
}

export interface RunningSyncer {
  pid: number;
  command: string;
}

/**
 * Processes running now that look like the old syncer: a command mentioning "sync" (never RDL
 * Sync's own) working in, or naming a file in, the hub's folder. Linux only (/proc); elsewhere,
 * and for processes of other users that cannot be read, none.
 */
export async function findRunningOldSyncers(folder: string): Promise<RunningSyncer[]> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const inFolder = (p: string): boolean => p === folder || p.startsWith(`${folder}/`);
  const found: RunningSyncer[] = [];
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    let args: string[];
    try {
      args = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    } catch {
      continue; // gone meanwhile
    }
    const command = args.join(' ');
    // rsync copies (a backup), it does not move: not the syncer.
    if (!/sync/i.test(command) || /rdl-sync|rdl_sync/i.test(command)) continue;
    if (/(^|\/)rsync$/.test(args[0] ?? '')) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (inFolder(cwd) || args.some(inFolder)) found.push({ pid, command });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * The old syncer still running beside RDL Sync on a hub (its watch folder in a logging folder):
 * one sentence naming it and how to stop it, or null. import-legacy names it once; a technician
 * who skipped that step then ran `once` or the service beside it, both moving the same files.
 */
export async function oldSyncerStillRunning(
  watchDir: string,
  unitDirs: string[] = SYSTEMD_UNIT_DIRS,
): Promise<string | null> {
  if (!(await isRdlHubLayout(watchDir))) return null;
  const working = syncerWorkingFolder(dirname(watchDir));
  const running = await findRunningOldSyncers(working);
  if (running.length === 0) return null;
  const which = running.map((r) => `pid ${r.pid}: ${r.command}`).join('; ');
  const units = await findOldSyncerUnits(unitDirs, working);
  return `The old syncing script is still running (${which}): it moves the same files as RDL Sync. ${stopOldServiceHint(units)}`;
}
