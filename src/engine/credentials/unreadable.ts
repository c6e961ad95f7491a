// The problems a person sees when a Dropbox connection is saved but this process cannot use it.
// Each names the file, the cause and the fix, so neither front end ever says a bare "not
// connected" while a connection exists on disk. No secret is ever part of these messages.
import os from 'node:os';
import { SyncError } from '../errors.js';

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'the user that runs RDL Sync';
  }
}

/**
 * The daemon and the command line have no desktop keyring (systemd services run outside the
 * desktop session), so the tray app's encrypted connection is out of their reach.
 */
export function savedForTrayAppOnly(encryptedFile: string, plainFile: string): SyncError {
  return new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message:
      `The Dropbox connection was saved encrypted with the desktop keyring by the tray app (${encryptedFile}), ` +
      'which the background service and the command line cannot read: ' +
      `run \`rdl-sync auth\` as ${userName()} to store a connection they can use (kept readable only by that user in ${plainFile}); ` +
      'the tray app then uses that one too',
  });
}

/** The tray app started without a usable keyring (locked, not running, or a plain-text backend). */
export function keyringUnavailable(encryptedFile: string, plainFile: string): SyncError {
  return new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message:
      `The Dropbox connection was saved encrypted with the desktop keyring (${encryptedFile}), which is not available now: ` +
      'log in to the desktop session (or unlock its keyring) and restart RDL Sync, ' +
      `or reconnect Dropbox (Connect in Settings, or \`rdl-sync auth\`; without a keyring it is kept readable only by you in ${plainFile})`,
  });
}

/** The keyring answers but cannot decrypt: reset keyring, another user's file, or a copied folder. */
export function keyringCannotDecrypt(encryptedFile: string): SyncError {
  return new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message:
      `The Dropbox connection in ${encryptedFile} cannot be decrypted with this user’s keyring ` +
      '(the keyring was reset or locked, or the file came from another user or machine): ' +
      'unlock the keyring and restart RDL Sync, or reconnect Dropbox (Connect in Settings, or `rdl-sync auth`)',
  });
}
