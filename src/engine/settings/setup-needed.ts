// A config folder where no settings were ever saved is a first run, not a broken install: the
// engine waits quietly ("setup needed", attention, no error lines every pass) until the window's
// setup, an import or `rdl-sync settings set` saves settings.
import { SyncError, isSyncError } from '../errors.js';

export const SETUP_NEEDED_MESSAGE =
  'Setup needed: RDL Sync has no settings yet. Set it up in the window (import the old config, or choose the folders), or with `rdl-sync import-legacy` or `rdl-sync settings set`';

export function setupNeeded(): SyncError {
  return new SyncError({ kind: 'blocked', code: 'setup-needed', message: SETUP_NEEDED_MESSAGE });
}

export function isSetupNeeded(e: unknown): boolean {
  return isSyncError(e) && e.code === 'setup-needed';
}
