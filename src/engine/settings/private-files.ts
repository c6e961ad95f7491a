// The config folder holds the site name, folder paths, file names, the transfer history and the
// Dropbox credentials: other users of the machine must not read any of it. Files are created
// 0600 in a 0700 folder; this also tightens what an older version (or a hand copy) left looser.
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../ports.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Sub-folders of the config folder whose files are just as private. */
const PRIVATE_SUBDIRS = ['logs'];

/** Sets the folder to 0700 and every file in it (and in logs/) to 0600 where looser. */
export async function tightenConfigModes(configDir: string, logger?: Logger): Promise<void> {
  if (process.platform === 'win32') return; // ACLs there; the profile folder is private already
  const fixed: string[] = [];
  const tighten = async (p: string, mode: number): Promise<void> => {
    try {
      const st = await fs.lstat(p);
      if (st.isSymbolicLink()) return; // never chmod through a link to somewhere else
      if ((st.mode & 0o777 & ~mode) === 0) return;
      await fs.chmod(p, mode);
      fixed.push(path.relative(configDir, p) || '.');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        logger?.warn('could not make a private file private', { file: p, code: code ?? null });
    }
  };
  await tighten(configDir, PRIVATE_DIR_MODE);
  for (const dir of [configDir, ...PRIVATE_SUBDIRS.map((d) => path.join(configDir, d))]) {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (PRIVATE_SUBDIRS.includes(e.name) && dir === configDir)
          await tighten(p, PRIVATE_DIR_MODE);
      } else if (e.isFile()) await tighten(p, PRIVATE_FILE_MODE);
    }
  }
  if (fixed.length > 0) logger?.info('made config files private (0600/0700)', { fixed });
}
