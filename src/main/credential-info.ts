// What the window says about where the Dropbox connection is kept. On Linux without a keyring
// (safeStorage's 'basic_text' backend) Electron's "encryption" uses a fixed key, so we treat it
// as no encryption at all, keep the token in a 0600 file and say so plainly.
import type { StringCipher } from '../engine/credentials/index.js';
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
): CredentialStorageInfo {
  if (described.encrypted) {
    return {
      encrypted: true,
      backend,
      location: described.where,
      summary: `The Dropbox connection is encrypted with the system keyring (${backend}) and stored in ${described.where}.`,
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
