// Maps the old setup (Python script + Dropbox-Uploader, and the hub's folders) onto RDL Sync
// settings, without saving: the caller shows the report, then saves the settings and credentials.
import type { LegacyImportReport } from '../api.js';
import { SETTING_KEYS } from '../settings/labels.js';
import type { Settings } from '../settings/schema.js';
import { placeholderSiteReason } from '../settings/site-name.js';
import { siteFolderSuggestion, sitePlaceholderProblem } from '../settings/remote-root.js';
import { shellWord } from '../shell-word.js';
import { LegacyImportError } from './errors.js';
import type { LegacyLayout } from './layout.js';
import { stopOldServiceHint } from './old-service.js';
import {
  parseLegacyConfig,
  repeatedLegacyKeys,
  type LegacyConfig,
  unknownLegacyKeys,
} from './python-config.js';
import { parseDropboxUploaderConfig, type UploaderCredentials } from './uploader-config.js';
import { IMPORTED_KEYS, type ImportedKey, type ImportedValues } from './import-record.js';

/** Where the old script archived when SD_CARD_NAME was set: the Orange Pi's automount folder. */
export const LEGACY_MEDIA_ROOT = '/media/orangepi';
/** The old uploader's destination folder, per site. */
export const LEGACY_REMOTE_ROOT_TEMPLATE = '/Professional/WIRED/{site}';

export interface LegacyImportInput {
  configJsonText: string;
  /** Where the old config.json is (named in notes about its lines). */
  configJsonPath?: string;
  uploaderConfigText?: string;
  current: Settings;
  remoteRootTemplate?: string;
  /** The hub's folders, when found; null when looked for and not found. */
  layout?: LegacyLayout | null;
  /** Where the layout was looked for (named when it was not found). */
  searchedIn?: string[];
  /** systemd units that look like the old syncer (named in the stop hint). */
  oldServiceUnits?: string[];
  /** Processes of the old syncer running now (pid and command). */
  runningOldSyncers?: { pid: number; command: string }[];
  /** True when the layout's in-progress folder (1_inprogress) exists: only then is it named. */
  inProgressExists?: boolean;
  /** True when the old syncer left files in the layout's transit folder: only then are they named. */
  transitHoldsFiles?: boolean;
  /** False when the layout's local archive folder (4_synced) does not exist yet. */
  localArchiveExists?: boolean;
  /** With SD_CARD_NAME set: is the card mounted now, and where else a card of that name is. */
  card?: { mounted: boolean; mountedElsewhere: string[] };
  /** Set when the import runs as root on a hub folder owned by another user (that user's name). */
  rootOnOthersFolder?: { folder: string; owner: string };
  /**
   * What the last import took from the old setup (import-record.ts). A setting changed since then
   * is the person's choice: kept, and named, unless `replace`.
   */
  previous?: ImportedValues;
  /** Take every value from the old setup, over settings changed since the last import. */
  replace?: boolean;
  /** Planned for `--dry-run`: the report says what would be saved, not what was. */
  dryRun?: boolean;
}

export interface LegacyImportPlan {
  settings: Settings;
  /** The values taken from the old setup, before any kept setting: the next import's record. */
  imported: ImportedValues;
  report: LegacyImportReport;
  credentials?: UploaderCredentials;
  /**
   * Folders to create before the settings are saved: the hub's local archive folder when the old
   * syncer had not made it yet. The archive leg never creates its root (a missing root is a card
   * that is out), so without this a hub imported before its first sync reported "SD card folder
   * … does not exist: insert the card" for ever.
   */
  createFolders: string[];
}

export function planLegacyImport(input: LegacyImportInput): LegacyImportPlan {
  const legacy = parseLegacyConfig(input.configJsonText, input.configJsonPath);
  const layout = input.layout ?? null;
  const notes: string[] = [];
  const warnings: string[] = [];
  // An uploader config whose login cannot be used (a long-lived token from before 2021, a token
  // line lost) refused the whole import, and its advice, `rdl-sync auth`, then needed the settings
  // the import had not saved: the window's setup, which always offers the file it finds, could not
  // import at all. The rest is imported; the login is said not to be, with why.
  let credentials: UploaderCredentials | undefined;
  if (input.uploaderConfigText !== undefined) {
    try {
      credentials = parseDropboxUploaderConfig(input.uploaderConfigText);
    } catch (e) {
      if (!(e instanceof LegacyImportError)) throw e;
      warnings.push(
        `The Dropbox login in the uploader config is not imported, the other settings are: ${e.message.replace(/^The /, 'the ')}`,
      );
    }
  }
  const createFolders: string[] = [];
  if (input.rootOnOthersFolder) {
    const { folder, owner } = input.rootOnOthersFolder;
    // Said of what this run does: a dry run saves nothing, and without an uploader config no
    // Dropbox connection is saved at all.
    const what = credentials ? 'these settings and the Dropbox connection' : 'these settings';
    const saved = input.dryRun ? 'would be saved' : 'were saved';
    warnings.push(
      `You ran the import as root, but ${folder} belongs to ${owner}: ${what} ${saved} for root, and a service running as ${owner} never reads them (files root moves would become root's too). Run it ${input.dryRun ? '' : 'again '}as ${owner}: sudo -u ${shellWord(owner)} rdl-sync import-legacy …`,
    );
  }

  let archive: Pick<Settings, 'archiveDir' | 'archiveMustBeMountPoint'>;
  // Said only when the archive folder is the old setup's: one the person chose since is kept.
  const archiveNotes: string[] = [];
  const archiveWarnings: string[] = [];
  const archiveFolders: string[] = [];
  if (legacy.sdCardName !== '') {
    archive = {
      archiveDir: `${LEGACY_MEDIA_ROOT}/${legacy.sdCardName}`,
      archiveMustBeMountPoint: true,
    };
    archiveNotes.push(
      `SD_CARD_NAME is "${legacy.sdCardName}": the archive is the card mounted at ${archive.archiveDir}, written only while it is mounted`,
    );
    if (input.card && !input.card.mounted) {
      const elsewhere = input.card.mountedElsewhere;
      archiveWarnings.push(
        elsewhere.length > 0
          ? `No card is mounted at ${archive.archiveDir} now, but one named "${legacy.sdCardName}" is mounted at ${elsewhere.join(' and ')}: if that is the archive card, \`rdl-sync settings set archiveDir ${JSON.stringify(elsewhere[0])}\`; until a card is mounted at the archive folder, files wait safely in transit`
          : `No card is mounted at ${archive.archiveDir} now: insert the card "${legacy.sdCardName}" (or correct archiveDir with \`rdl-sync settings set archiveDir …\`); until then files wait safely in transit`,
      );
    }
  } else {
    if (!layout) {
      throw new LegacyImportError(
        `SD_CARD_NAME is ${legacy.sdCardNamePresent ? 'empty' : 'not set'} in the old config.json, so the archive is the hub's local synced folder, but no logging folder (2_tosync or tosync) was found in ${(input.searchedIn ?? []).join(' or ') || 'the config’s folder'}: run again with --root <the folder holding logging-folder>`,
      );
    }
    archive = { archiveDir: layout.synced, archiveMustBeMountPoint: false };
    archiveNotes.push(
      `SD_CARD_NAME is ${legacy.sdCardNamePresent ? 'empty' : 'not set'}: the archive is the local folder ${layout.synced} (on the hub's own disk, so no mount-point check)`,
    );
    if (input.localArchiveExists === false) {
      archiveFolders.push(layout.synced);
      archiveNotes.push(`${layout.synced} did not exist yet: the import makes it`);
    }
  }

  const imported: ImportedValues = {
    ...(layout ? { watchDir: layout.toSync, transitDir: layout.transit } : {}),
    archiveEnabled: true,
    ...archive,
    site: legacy.site,
    remoteRootTemplate: input.remoteRootTemplate?.trim() || LEGACY_REMOTE_ROOT_TEMPLATE,
    ...(credentials ? { dropboxAppKey: credentials.appKey } : {}),
  };
  // Given on this command line, so asked for now: never kept over.
  const askedNow = new Set<ImportedKey>([
    ...(input.remoteRootTemplate?.trim() ? (['remoteRootTemplate'] as const) : []),
    // The app key belongs to the refresh token imported with it.
    ...(credentials ? (['dropboxAppKey'] as const) : []),
  ]);
  const kept = input.replace
    ? []
    : keptSettings(imported, input.current, input.previous ?? {}, askedNow);
  const keptValues = Object.fromEntries(kept.map((k) => [k.field, k.value]));
  const settings: Settings = { ...input.current, ...imported, ...keptValues };
  if (!('archiveDir' in keptValues)) {
    notes.push(...archiveNotes);
    warnings.push(...archiveWarnings);
    createFolders.push(...archiveFolders);
  }

  const changes = SETTING_KEYS.filter(
    (key) => JSON.stringify(input.current[key]) !== JSON.stringify(settings[key]),
  ).map((field) => ({ field, from: input.current[field], to: settings[field] }));

  if (layout) {
    const names = layout.naming === 'numbered' ? '1_inprogress … 4_synced' : 'inprogress … synced';
    notes.push(
      `Folders found in ${layout.base} (${names}): watch ${layout.toSync}, transit ${layout.transit}`,
    );
    // Each said only when the hub has it: a hub without 1_inprogress, or with 3_transit empty,
    // was told of a folder and of queued files that were not there.
    if (input.inProgressExists === true)
      notes.push(
        `${layout.inProgress} holds files the loggers are still writing: it is never watched`,
      );
    if (input.transitHoldsFiles === true)
      notes.push(
        `Files the old syncer left in ${layout.transit} are RDL Sync's queue now: they go to Dropbox and the archive first (a copy already there counts as done; one holding only the file's beginning, which the old syncer left when it took a file still being written, is replaced by the whole file; any other different copy is kept beside it as name (1): rdl-sync history names those)`,
      );
  } else {
    warnings.push(
      `No logging folder (2_tosync or tosync) was found in ${(input.searchedIn ?? []).join(' or ') || 'the config’s folder'}; the watch and transit folders stay ${settings.watchDir} and ${settings.transitDir}: run again with --root <the folder holding logging-folder>, or set them with \`rdl-sync settings set watchDir …\``,
    );
  }
  for (const k of unknownLegacyKeys(input.configJsonText)) {
    notes.push(`"${k}" in the old config.json belongs to the loggers, not the syncer: ignored`);
  }
  warnings.push(...repeatedKeyWarnings(input, legacy));
  // The old uploader put SITE into the Dropbox path as written: a stray space made its folder
  // "/Professional/WIRED/Site3 ", and RDL Sync's, trimmed, is another one beside it.
  if (legacy.siteUntrimmed !== null && !('site' in keptValues)) {
    warnings.push(
      `SITE ${JSON.stringify(legacy.siteUntrimmed)} has spaces around it: imported as ${JSON.stringify(legacy.site)}. If the old syncer's files on Dropbox are in a folder named with the spaces, new files go to the folder without them: move the old ones over, or correct SITE in ${input.configJsonPath ?? 'the old config.json'}`,
    );
  }
  const placeholder = 'site' in keptValues ? null : placeholderSiteReason(legacy.site);
  // Held only where the Dropbox folder is named by the site (settings/remote-root.ts).
  const held = sitePlaceholderProblem(settings.remoteRootTemplate, legacy.site) !== null;
  if (placeholder) {
    warnings.push(
      held
        ? `SITE: ${placeholder}: set the real site name in the old config.json and import again, or \`rdl-sync settings set site <name>\`; until then uploads wait (the archive copy goes on), so nothing goes to ${settings.remoteRootTemplate.replace('{site}', legacy.site)}, where hubs cloned from one image would mix their data`
        : `SITE: ${placeholder}: set the real site name in the old config.json and import again, or \`rdl-sync settings set site <name>\``,
    );
  }
  // `--remote-root /Professional/WIRED` (the folder above the sites, as a person reads the old
  // uploader's path) was taken silently: every file then went straight into the shared folder,
  // beside every other site's, instead of /Professional/WIRED/<SITE> where researchers read it,
  // the "wrong remote path on a new site" the old syncer was remembered for (WORKLOAD.md).
  // Valid (one hub may want it), so said, with the command that keeps the site's folder.
  const template = settings.remoteRootTemplate.trim();
  const siteFolder = siteFolderSuggestion(template);
  if (askedNow.has('remoteRootTemplate') && siteFolder !== null) {
    const siteNamed = siteFolder.replace('{site}', legacy.site);
    warnings.push(
      `--remote-root ${template} names no {site}: this hub's files go straight into ${template}, not into ${siteNamed} as the old uploader put them, and every hub given the same folder would mix its data with this one's. To keep the site's own folder: --remote-root '${siteFolder}'`,
    );
  }
  if (credentials && !credentials.appSecret) {
    warnings.push(
      'The Dropbox-Uploader config has no OAUTH_APP_SECRET; if Dropbox refuses the imported connection, reconnect with `rdl-sync auth`',
    );
  }
  const running = input.runningOldSyncers ?? [];
  if (running.length > 0) {
    warnings.push(
      `The old syncer is running now (${running.map((r) => `pid ${r.pid}: ${r.command}`).join('; ')}): stop it before \`rdl-sync once\` or the service start, or both will move the same files`,
    );
  }
  warnings.push(stopOldServiceHint(input.oldServiceUnits ?? []));

  return {
    settings,
    report: {
      changes,
      credentialsImported: credentials !== undefined,
      warnings,
      notes,
      ...(kept.length > 0 ? { kept } : {}),
      ...(input.card && !input.card.mounted && !('archiveDir' in keptValues)
        ? { cardAway: true }
        : {}),
    },
    imported,
    ...(credentials ? { credentials } : {}),
    createFolders,
  };
}

/**
 * A key written twice is taken, as Python's json.load took it for the old syncer, from its last
 * line: not refused (the old syncer and the loggers ran on that value, and refusing would stop an
 * import that does what the hub did), but said as something to fix, because the line a person
 * edited may be the other one. Only SITE and SD_CARD_NAME are looked at, and only their value is
 * quoted: neither is a secret.
 */
function repeatedKeyWarnings(input: LegacyImportInput, legacy: LegacyConfig): string[] {
  const file = input.configJsonPath ?? 'the old config.json';
  return repeatedLegacyKeys(input.configJsonText).map(({ key, lines }) => {
    const value =
      key === 'SITE'
        ? JSON.stringify(legacy.site)
        : legacy.sdCardNamePresent
          ? JSON.stringify(legacy.sdCardName)
          : 'null';
    const times = lines.length === 2 ? 'twice' : `${lines.length} times`;
    const where = `${lines.slice(0, -1).join(', ')} and ${lines[lines.length - 1]}`;
    return `${key} appears ${times} in ${file} (lines ${where}): the last one, ${value}, is the one read, as the old syncer read it; remove the other${lines.length > 2 ? 's' : ''}`;
  });
}

/**
 * Settings the person changed since the last import (they differ from what it set) where this
 * import would set something else again: theirs stay. Without a record of the last import
 * (the first one, or one by an older version) nothing is known to be theirs.
 */
function keptSettings(
  imported: ImportedValues,
  current: Settings,
  previous: ImportedValues,
  askedNow: ReadonlySet<ImportedKey>,
): { field: ImportedKey; value: unknown; imported: unknown }[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  return IMPORTED_KEYS.filter(
    (key) =>
      key in imported &&
      key in previous &&
      !askedNow.has(key) &&
      !same(current[key], previous[key]) &&
      !same(current[key], imported[key]),
  ).map((field) => ({ field, value: current[field], imported: imported[field] }));
}
