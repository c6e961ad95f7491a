// Checks of the folders as they are on disk, made whenever settings are written (`settings set`,
// the window, an import) and by `settings check`, on the caller's thread. Not when a running
// daemon reads its settings: a watch folder that vanishes then (a USB stick pulled) is a problem
// the scan reports, while the queue in transit keeps draining.
import fs from 'node:fs';
import path from 'node:path';
import type { FieldIssue } from '../api.js';
import type { Settings } from './schema.js';
import { TRANSIT_TEMP_DIR } from '../stage/transit-names.js';
import { SILENT_CARD_MS, archiveSilentMs } from '../archive/card-answers.js';
import { isAtOrBelow } from '../fsutil/at-or-below.js';
import { closestWord } from '../closest-word.js';
import { statusFilePath, type PublishedStatus } from '../status/status-file.js';

export interface FolderCheckOptions {
  /** The config folder (settings and credentials): must never be synced itself. */
  configDir?: string;
  /** The default watch folder, which RDL Sync creates on purpose; any other must exist. */
  defaultWatchDir?: string;
}

type Kind = 'folder' | 'other' | 'missing' | 'unknown';

function kindOf(p: string): Kind {
  try {
    return fs.statSync(p).isDirectory() ? 'folder' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unknown';
  }
}

/** The path with every existing part's links resolved (so nesting through a link is seen). */
function real(p: string): string {
  const abs = path.resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return abs;
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/** Whether the status last published in `configDir` says the card holding `dir` does not answer. */
function publishedNotAnswering(configDir: string | undefined, dir: string): boolean {
  if (!configDir) return false;
  try {
    const text = fs.readFileSync(statusFilePath(configDir), 'utf8');
    const archive = (JSON.parse(text) as Partial<PublishedStatus>).status?.archive;
    return archive?.notAnswering === true && archive.path !== '' && isAtOrBelow(dir, archive.path);
  } catch {
    return false; // none yet, or unreadable: the card is looked at
  }
}

function missingWatchWords(dir: string): string {
  const meant = folderOneTypoAway(dir);
  return meant === null
    ? `Watch folder ${dir} does not exist: check the path for a typo, or create the folder first (mkdir -p '${dir}') and set it again`
    : `Watch folder ${dir} does not exist: did you mean ${meant}? Otherwise create the folder first (mkdir -p '${dir}') and set it again`;
}

/**
 * The existing folder `dir` was probably meant to be: its first missing part swapped for a folder
 * beside it one typo away ("tosyncx" for tosync, "2_tosinc" for 2_tosync), when the whole path
 * then exists. "Check the path for a typo" alone left the person to find which part (window trial).
 */
function folderOneTypoAway(dir: string): string | null {
  let head = path.resolve(dir);
  const tail: string[] = [];
  while (kindOf(head) !== 'folder') {
    const parent = path.dirname(head);
    if (parent === head) return null;
    tail.unshift(path.basename(head));
    head = parent;
  }
  const [missing, ...rest] = tail;
  if (missing === undefined) return null;
  let beside: string[];
  try {
    beside = fs
      .readdirSync(head, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== missing)
      .map((e) => e.name);
  } catch {
    return null; // a folder this user may not list: no guess
  }
  const near = closestWord(missing, beside);
  if (near === undefined) return null;
  const meant = path.join(head, near, ...rest);
  return kindOf(meant) === 'folder' ? meant : null;
}

export function folderIssues(s: Settings, opts: FolderCheckOptions = {}): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const watch = kindOf(s.watchDir);
  if (watch === 'other') {
    issues.push({
      field: 'watchDir',
      message: `Watch folder ${s.watchDir} is a file, not a folder: choose the folder the logger writes into`,
    });
  } else if (watch === 'missing' && s.watchDir !== opts.defaultWatchDir) {
    issues.push({
      field: 'watchDir',
      message: missingWatchWords(s.watchDir),
    });
  }
  if (kindOf(s.transitDir) === 'other') {
    issues.push({
      field: 'transitDir',
      message: `Transit folder ${s.transitDir} is a file, not a folder: choose a folder (it is created if missing)`,
    });
  }
  // A card a call of this process has been waiting on for a second (card-answers.ts: one that
  // answers returns in milliseconds, or moves) is not asked again from here: a stat of it would
  // hold the main thread (the tray app's window and menu with it) until the card answers, long
  // before the engine's deadline says it does not. The engine looks at it again once it answers.
  // Nor one the last published status (the daemon's, the tray app's) says does not answer: a
  // `settings set` beside the daemon that knew it waited in the kernel until the card came back,
  // past its timeout's signals, holding the settings' lock (hands-on trial). Only the archive's
  // own checks are skipped (is it a file; does it lead into the watch folder through a link):
  // the plain paths' overlap is checked without the disk (validate.ts).
  const archiveLooked =
    s.archiveEnabled &&
    s.archiveDir !== '' &&
    archiveSilentMs(s.archiveDir) < SILENT_CARD_MS &&
    !publishedNotAnswering(opts.configDir, s.archiveDir);
  if (archiveLooked && kindOf(s.archiveDir) === 'other') {
    issues.push({
      field: 'archiveDir',
      message: `Archive folder ${s.archiveDir} is a file, not a folder: choose a folder`,
    });
  }
  const realWatch = real(s.watchDir);
  if (opts.configDir && isAtOrBelow(real(opts.configDir), realWatch)) {
    issues.push({
      field: 'watchDir',
      message: `The config folder ${opts.configDir} (settings and Dropbox credentials) is inside the watch folder ${s.watchDir}: RDL Sync would upload its own credentials and move them away; choose a watch folder that does not contain it`,
    });
  }
  // Nesting through symbolic links (the plain paths are compared by validateSettings already).
  const reported = new Set(issues.map((i) => i.field));
  if (!reported.has('transitDir') && isAtOrBelow(real(s.transitDir), realWatch)) {
    issues.push({
      field: 'transitDir',
      message: `Transit folder ${s.transitDir} leads into the watch folder ${s.watchDir} (through a link): choose a folder outside it`,
    });
  }
  if (archiveLooked && isAtOrBelow(real(s.archiveDir), realWatch)) {
    issues.push({
      field: 'archiveDir',
      message: `Archive folder ${s.archiveDir} leads into the watch folder ${s.watchDir}: choose a folder outside it`,
    });
  }
  // The transit folder on the archive's disk through a link (/home/pi/rdl/transit -> the card):
  // the queue would leave with the card (validate.ts refuses the plain paths).
  if (archiveLooked && !reported.has('transitDir')) {
    const realArchive = real(s.archiveDir);
    if (isAtOrBelow(real(s.transitDir), realArchive)) {
      issues.push({
        field: 'transitDir',
        message: `Transit folder ${s.transitDir} leads into the archive folder ${s.archiveDir} (through a link): the archive would hold RDL Sync's own queue; put the transit folder on the hub's own disk, beside the watch folder`,
      });
    }
  }
  return issues;
}

/**
 * A new transit folder while the current one still holds files: those are the queue, and once the
 * engine works from the new folder nothing would ever look at them again (they were neither
 * uploaded nor, some of them, archived, and the status read "Up to date"). Refused, with the fix.
 */
export function transitChangeIssue(
  fromTransitDir: string,
  to: Settings,
  /** False when the saved settings are refused: nothing drains the queue until they are fixed. */
  drains = true,
): FieldIssue | null {
  if (path.resolve(fromTransitDir) === path.resolve(to.transitDir)) return null;
  const queued = firstFileBelow(fromTransitDir);
  if (queued === null) return null;
  const wait = drains ? 'wait until it is empty (the Status tab counts them), or ' : '';
  return {
    field: 'transitDir',
    message: `The transit folder ${fromTransitDir} still holds files waiting for Dropbox or the archive (${queued}, maybe more): ${wait}move its files back into the watch folder, then change it`,
  };
}

/** The first regular file below `dir` (RDL Sync's own temporary folder left out), or null. */
function firstFileBelow(dir: string): string | null {
  const pending = [''];
  // Bounded: a folder tree this deep or wide with no file in it is not a queue worth a save's wait.
  for (let looked = 0; pending.length > 0 && looked < 10_000; looked++) {
    const rel = pending.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (rel === '' && e.name === TRANSIT_TEMP_DIR) continue;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isFile()) return child;
      if (e.isDirectory()) pending.push(child);
    }
  }
  return null;
}
