export interface DropboxCredentials {
  appKey: string;
  /** Only for apps that use a secret; PKCE apps have none. */
  appSecret?: string;
  refreshToken: string;
  /**
   * The access token the last refresh got, kept by the store beside the refresh token (loaded
   * only while it has a safe margin left; never saved by save(): see keepAccessToken).
   */
  access?: AccessToken;
}

/** A short-lived access token and when Dropbox said it expires (ms since the epoch). */
export interface AccessToken {
  token: string;
  expiresAtMs: number;
}

export interface CredentialStore {
  /** null when nothing is saved. Throws a SyncError (auth-missing) when the saved file is damaged. */
  load(): Promise<DropboxCredentials | null>;
  save(c: DropboxCredentials): Promise<void>;
  /** Removes the connection, and the access token kept with it. */
  clear(): Promise<void>;
  /**
   * Keeps a fresh access token for the connection saved with `refreshToken` (none is kept when
   * another connection, or none, is saved now). Best effort: a failure only costs a refresh.
   */
  keepAccessToken(refreshToken: string, access: AccessToken): Promise<void>;
  /** Drops the kept access token (its refresh token was refused: access is gone). */
  forgetAccessToken(): Promise<void>;
  describe(): { encrypted: boolean; where: string };
}

/** Shaped like Electron's safeStorage, so the tray app passes it in without the engine importing electron. */
export interface StringCipher {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}
