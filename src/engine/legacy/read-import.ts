// Gathers what an import needs from the hub's disk: the old config.json (given, or found in the
// root), the Dropbox-Uploader file, the folder layout (from --root, or from where the config is),
// and the old syncer's systemd unit. Then plans; nothing is saved here.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { SyncError } from '../errors.js';
import type { Settings } from '../settings/schema.js';
import { LegacyImportError } from './errors.js';
import {
  detectLegacyLayout,
  findLegacyConfig,
  layoutCandidates,
  syncerWorkingFolder,
} from './layout.js';
import { cardMountState } from './card-mount.js';
import { findOldSyncerUnits, findRunningOldSyncers, SYSTEMD_UNIT_DIRS } from './old-service.js';
import { LEGACY_MEDIA_ROOT, planLegacyImport, type LegacyImportPlan } from './plan.js';
import { parseLegacyConfig } from './python-config.js';
import type { ImportedValues } from './import-record.js';
import { decodeUtf8File } from './utf8-text.js';

export interface LegacyImportRequest {
  configJsonPath?: string;
  root?: string;
  uploaderConfigPath?: string;
  remoteRootTemplate?: string;
  current: Settings;
  /** What the last import took from the old setup (import-record.ts). */
  previous?: ImportedValues;
  /** Take every value from the old setup, over settings changed since the last import. */
  replace?: boolean;
  /** Where to look for the old syncer's unit (tests pass a temp folder). */
  unitDirs?: string[];
  /** Planned for `--dry-run` (the report's wording). */
  dryRun?: boolean;
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
  const working = layout ? syncerWorkingFolder(layout.base) : start;
  const oldServiceUnits = await findOldSyncerUnits(req.unitDirs ?? SYSTEMD_UNIT_DIRS, working);
  const runningOldSyncers = await findRunningOldSyncers(working);
  // Parsed again by the plan, which reports its mistakes; here only to look at the card.
  let cardName = '';
  try {
    cardName = parseLegacyConfig(configJsonText).sdCardName;
  } catch {
    // the plan refuses the file with the reason
  }
  const card =
    cardName === ''
      ? undefined
      : await cardMountState(`${LEGACY_MEDIA_ROOT}/${cardName}`, cardName);
  const rootOnOthersFolder = await rootOnSomeoneElsesFolder(working);

  return planLegacyImport({
    configJsonText,
    configJsonPath: configPath,
    ...(uploaderConfigText === undefined ? {} : { uploaderConfigText }),
    current: req.current,
    ...(req.remoteRootTemplate ? { remoteRootTemplate: req.remoteRootTemplate } : {}),
    layout,
    searchedIn,
    oldServiceUnits,
    runningOldSyncers,
    ...(layout
      ? {
          localArchiveExists: await isFolder(layout.synced),
          inProgressExists: await isFolder(layout.inProgress),
          transitHoldsFiles: await holdsAFile(layout.transit),
        }
      : {}),
    ...(card ? { card } : {}),
    ...(rootOnOthersFolder ? { rootOnOthersFolder } : {}),
    ...(req.previous ? { previous: req.previous } : {}),
    ...(req.replace ? { replace: true } : {}),
    ...(req.dryRun ? { dryRun: true } : {}),
  });
}

/**
 * Run as root (`sudo rdl-sync import-legacy`) on a hub folder that belongs to another user (pi),
 * the import saves root's settings, which the service running as pi never reads: said plainly.
 */
async function rootOnSomeoneElsesFolder(
  folder: string,
): Promise<{ folder: string; owner: string } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  let uid: number;
  try {
    uid = (await stat(folder)).uid;
  } catch {
    return undefined;
  }
  if (uid === 0) return undefined;
  return { folder, owner: await userName(uid) };
}

/** The login name of `uid` from /etc/passwd, else `#uid` (what `sudo -u` takes, quoted: plan.ts). */
async function userName(uid: number): Promise<string> {
  try {
    const passwd = await readFile('/etc/passwd', 'utf8');
    for (const line of passwd.split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id === String(uid)) return name;
    }
  } catch {
    // no passwd file: the number
  }
  return `#${uid}`;
}

/**
 * Whether anything but folders is below `dir` (the old syncer's queue keeps the watch folder's
 * sub-folders: RDL/USB0/2026-11/…). Stops at the first file; a folder it cannot read, or none,
 * holds nothing it can name.
 */
async function holdsAFile(dir: string): Promise<boolean> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) return true;
    if (await holdsAFile(join(dir, entry.name))) return true;
  }
  return false;
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function whoAmI(): string {
  try {
    return `user ${userInfo().username}`;
  } catch {
    return `user #${process.getuid?.() ?? '?'}`;
  }
}

async function readForImport(file: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const fix =
      code === 'EACCES' || code === 'EPERM'
        ? `${whoAmI()} may not read it: run the import as the user who owns it, or give that user read access`
        : 'check the path';
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-invalid',
      message: `Cannot read the ${what} at ${file} (${code}): ${fix}`,
    });
  }
  // Not readFile(file, 'utf8'): that turns a byte that is not UTF-8 into U+FFFD without a word.
  return decodeUtf8File(bytes, what, file);
}
