// Finds the old RDL syncer on this machine for the first-run setup: a folder holding the old
// config.json and the stage folders (SHELF3/logging-folder/2_tosync … or tosync/ …), in this
// user's home or another user's (the hubs ran it as `pi` in /home/pi/SHELF3), plus the
// Dropbox-Uploader file beside it so the import needs no new Dropbox login.
import fs from 'node:fs/promises';
import path from 'node:path';
import { detectLegacyLayout, findLegacyConfig } from '../engine/index.js';
import type { OldSetup } from '../shared/ipc.js';

/** Folders looked into at most, so a home with thousands of entries cannot stall the window. */
const MAX_FOLDERS = 400;

async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => path.join(dir, e.name));
  } catch {
    return []; // unreadable or missing: nothing to find there
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function findOldSetups(home: string, homesRoot = '/home'): Promise<OldSetup[]> {
  const homes = [home, ...(await subfolders(homesRoot)).filter((h) => h !== home)];
  const found: OldSetup[] = [];
  let looked = 0;
  for (const userHome of homes) {
    const uploader = path.join(userHome, '.dropbox_uploader');
    const uploaderConfigPath = (await isFile(uploader)) ? uploader : null;
    for (const root of [userHome, ...(await subfolders(userHome))]) {
      if (++looked > MAX_FOLDERS) return found;
      const configJsonPath = await findLegacyConfig(root);
      if (!configJsonPath) continue;
      const layout = await detectLegacyLayout(root);
      if (layout) found.push({ root, configJsonPath, watchDir: layout.toSync, uploaderConfigPath });
    }
  }
  return found;
}
