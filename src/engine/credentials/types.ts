export interface DropboxCredentials {
  appKey: string;
  /** Only for apps that use a secret; PKCE apps have none. */
  appSecret?: string;
  refreshToken: string;
}

export interface CredentialStore {
  /** null when nothing is saved. Throws a SyncError (auth-missing) when the saved file is damaged. */
  load(): Promise<DropboxCredentials | null>;
  save(c: DropboxCredentials): Promise<void>;
  clear(): Promise<void>;
  describe(): { encrypted: boolean; where: string };
}

/** Shaped like Electron's safeStorage, so the tray app passes it in without the engine importing electron. */
export interface StringCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}
