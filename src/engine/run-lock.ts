// One engine moves files for a configuration at a time: the tray app and the daemon (or a
// `rdl-sync once` next to a running daemon) would otherwise work the same transit folder twice.
// The legs are idempotent, so nothing would be lost, but every file would be checked twice.
// A lock file holding the owner's pid; a lock left by a process that died is taken over.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SyncError } from './errors.js';

export interface RunLock {
  release(): Promise<void>;
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireRunLock(configDir: string): Promise<RunLock> {
  const file = path.join(configDir, 'engine.lock');
  // pid to tell a dead owner; a random tag so two engines in one process also exclude each other.
  const mine = `${process.pid}:${randomUUID()}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: 'wx', mode: 0o600 });
      return {
        async release() {
          // Only our own lock: after a takeover the file may belong to someone else.
          if ((await fs.readFile(file, 'utf8').catch(() => '')) === mine)
            await fs.rm(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await fs.readFile(file, 'utf8').catch(() => '')).split(':')[0]);
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
      throw new SyncError({
        kind: 'blocked',
        code: 'unknown',
        message: `Another RDL Sync (pid ${owner}) is already syncing with the settings in ${configDir}: stop it first (tray: Quit; service: systemctl stop rdl-sync), or use rdl-sync status / pause / resume, which work beside it`,
      });
    }
    // Left by a process that is gone: take it over.
    await fs.rm(file, { force: true });
  }
  throw new Error(`Could not take the lock ${file}`);
}
