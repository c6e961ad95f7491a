// What the window says about where the Dropbox connection is kept. On Linux without a keyring
// (safeStorage's 'basic_text' backend) Electron's "encryption" uses a fixed key, so we treat it
// as no encryption at all, keep the token in a 0600 file and say so plainly.
import type { StringCipher } from '../engine/index.js';
import type { CredentialStorageInfo } from '../shared/ipc.js';

/** The parts of Electron's safeStorage we look at. */
export interface SafeStorageLike extends StringCipher {
  getSelectedStorageBackend?: () => string;
}

export function keyringBackend(safeStorage: SafeStorageLike, platform: string): string {
  if (platform === 'darwin') return 'keychain';
  if (platform === 'win32') return 'dpapi';
  return safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
}

/** A cipher that reports "unavailable" whenever the keyring would not really protect the token. */
export function trustworthyCipher(safeStorage: SafeStorageLike, platform: string): StringCipher {
  return {
    isEncryptionAvailable: () =>
      safeStorage.isEncryptionAvailable() && keyringBackend(safeStorage, platform) !== 'basic_text',
    encryptString: (s) => safeStorage.encryptString(s),
    decryptString: (b) => safeStorage.decryptString(b),
  };
}

export function credentialStorageInfo(
  described: { encrypted: boolean; where: string },
  backend: string,
  /** Whether a trustworthy keyring answers now (a plain file may still be in use: shared). */
  keyringAvailable: boolean,
): CredentialStorageInfo {
  // The background service cannot reach the keyring (encrypted-store.ts says why a plain file,
  // when present, is the shared connection): each summary says which front ends can use it.
  if (described.encrypted && !keyringAvailable) {
    // Saved with the keyring by an earlier start, and no keyring now (issue 11 defect 3: the
    // window said "stored unencrypted in credentials.json", a file that did not exist).
    return {
      encrypted: true,
      backend,
      location: described.where,
      summary:
        `The Dropbox connection is saved encrypted with the system keyring in ${described.where}, ` +
        'but the keyring is not available now, so RDL Sync cannot use it: log in to the desktop session ' +
        '(or unlock its keyring) and restart RDL Sync, or connect again (Connect to Dropbox above, or `rdl-sync auth`).',
    };
  }
  if (described.encrypted) {
    return {
      encrypted: true,
      backend,
      location: described.where,
      summary:
        `The Dropbox connection is encrypted with the system keyring (${backend}) and stored in ${described.where}. ` +
        'The background service (rdl-sync run) cannot read the keyring: if you use it, run `rdl-sync auth` once; ' +
        'the connection is then kept in credentials.json, readable only by your user account, and used here too.',
    };
  }
  if (keyringAvailable) {
    return {
      encrypted: false,
      backend: 'file',
      location: described.where,
      summary:
        `The Dropbox connection is stored in ${described.where}, readable only by your user account, ` +
        'so the background service and the command line can use it too. ' +
        `To keep it only in the system keyring (${backend}) instead, Disconnect and Connect again; ` +
        'the background service then needs its own `rdl-sync auth`.',
    };
  }
  return {
    encrypted: false,
    backend: 'file',
    location: described.where,
    summary:
      `No system keyring is available, so the Dropbox connection is stored unencrypted in ${described.where}, ` +
      'readable only by your user account. Install and unlock a keyring (for example GNOME Keyring) to encrypt it.',
  };
}
