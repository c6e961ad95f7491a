// Maps the old setup (Python script + Dropbox-Uploader) onto RDL Sync settings, without saving:
// the caller shows the report, then saves the settings and credentials.
import type { LegacyImportReport } from '../api.js';
import { SETTING_KEYS } from '../settings/labels.js';
import type { Settings } from '../settings/schema.js';
import { parseLegacyConfig, unknownLegacyKeys } from './python-config.js';
import { parseDropboxUploaderConfig, type UploaderCredentials } from './uploader-config.js';

/** Where the old script archived: the Orange Pi's automount folder for the card. */
export const LEGACY_MEDIA_ROOT = '/media/orangepi';
/** The old uploader's destination folder, per site. */
export const LEGACY_REMOTE_ROOT_TEMPLATE = '/Professional/WIRED/{site}';

export interface LegacyImportInput {
  configJsonText: string;
  uploaderConfigText?: string;
  current: Settings;
  remoteRootTemplate?: string;
}

export interface LegacyImportPlan {
  settings: Settings;
  report: LegacyImportReport;
  credentials?: UploaderCredentials;
}

export function planLegacyImport(input: LegacyImportInput): LegacyImportPlan {
  const legacy = parseLegacyConfig(input.configJsonText);
  const credentials =
    input.uploaderConfigText === undefined
      ? undefined
      : parseDropboxUploaderConfig(input.uploaderConfigText);

  const settings: Settings = {
    ...input.current,
    archiveEnabled: true,
    archiveDir: `${LEGACY_MEDIA_ROOT}/${legacy.sdCardName}`,
    archiveMustBeMountPoint: true,
    site: legacy.site,
    remoteRootTemplate: input.remoteRootTemplate?.trim() || LEGACY_REMOTE_ROOT_TEMPLATE,
    ...(credentials ? { dropboxAppKey: credentials.appKey } : {}),
  };

  const changes = SETTING_KEYS.filter(
    (key) => JSON.stringify(input.current[key]) !== JSON.stringify(settings[key]),
  ).map((field) => ({ field, from: input.current[field], to: settings[field] }));

  const warnings = [
    `The watch and transit folders are not in the old config.json; they stay ${settings.watchDir} and ${settings.transitDir}: point the watch folder at the logger's tosync/ folder if it is elsewhere`,
    ...unknownLegacyKeys(input.configJsonText).map(
      (k) => `"${k}" in the old config.json is not used by RDL Sync and was ignored`,
    ),
  ];
  if (credentials && !credentials.appSecret) {
    warnings.push(
      'The Dropbox-Uploader config has no OAUTH_APP_SECRET; if Dropbox refuses the imported connection, reconnect with `rdl-sync auth`',
    );
  }

  return {
    settings,
    report: { changes, credentialsImported: credentials !== undefined, warnings },
    ...(credentials ? { credentials } : {}),
  };
}
