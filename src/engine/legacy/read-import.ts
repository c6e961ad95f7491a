// Gathers what an import needs from the hub's disk: the old config.json (given, or found in the
// root), the Dropbox-Uploader file, the folder layout (from --root, or from where the config is),
// and the old syncer's systemd unit. Then plans; nothing is saved here.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { SyncError } from '../errors.js';
import type { Settings } from '../settings/schema.js';
import { LegacyImportError } from './errors.js';
import {
  detectLegacyLayout,
  findLegacyConfig,
  layoutCandidates,
  LOGGING_FOLDER,
} from './layout.js';
import { findOldSyncerUnits, SYSTEMD_UNIT_DIRS } from './old-service.js';
import { planLegacyImport, type LegacyImportPlan } from './plan.js';

export interface LegacyImportRequest {
  configJsonPath?: string;
  root?: string;
  uploaderConfigPath?: string;
  remoteRootTemplate?: string;
  current: Settings;
  /** Where to look for the old syncer's unit (tests pass a temp folder). */
  unitDirs?: string[];
}

export async function prepareLegacyImport(req: LegacyImportRequest): Promise<LegacyImportPlan> {
  const root = req.root ? resolve(req.root) : undefined;
  if (root !== undefined && !(await isFolder(root))) {
    throw new LegacyImportError(
      `--root ${root} is not a folder: give the old syncer's working folder (the one holding logging-folder, e.g. /home/pi/SHELF3)`,
    );
  }
  let configPath = req.configJsonPath ? resolve(req.configJsonPath) : undefined;
  if (configPath === undefined) {
    if (root === undefined) {
      throw new LegacyImportError(
        'Give --root <the old syncer’s folder> (its config.json is found there) or --config <path of the old config.json>',
      );
    }
    configPath = (await findLegacyConfig(root)) ?? undefined;
    if (configPath === undefined) {
      throw new LegacyImportError(`No config.json in ${root}: give its path with --config`);
    }
  }
  const configJsonText = await readForImport(configPath, 'old config.json');
  const uploaderConfigText = req.uploaderConfigPath
    ? await readForImport(resolve(req.uploaderConfigPath), 'Dropbox-Uploader config')
    : undefined;

  const start = root ?? dirname(configPath);
  const searchedIn = layoutCandidates(start);
  const layout = await detectLegacyLayout(start);
  const working = layout
    ? basename(layout.base) === LOGGING_FOLDER
      ? dirname(layout.base)
      : layout.base
    : start;
  const oldServiceUnits = await findOldSyncerUnits(req.unitDirs ?? SYSTEMD_UNIT_DIRS, working);

  return planLegacyImport({
    configJsonText,
    ...(uploaderConfigText === undefined ? {} : { uploaderConfigText }),
    current: req.current,
    ...(req.remoteRootTemplate ? { remoteRootTemplate: req.remoteRootTemplate } : {}),
    layout,
    searchedIn,
    oldServiceUnits,
  });
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function readForImport(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-invalid',
      message: `Cannot read the ${what} at ${file} (${code}): check the path`,
    });
  }
}
