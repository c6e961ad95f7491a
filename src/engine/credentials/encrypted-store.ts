// The tray app's store: credentials encrypted with the OS keyring (Electron's safeStorage,
// injected as a StringCipher), in credentials.enc.json.
//
// Why a plain credentials.json always wins and is never deleted behind the user's back: the
// daemon (a systemd service) and the command line cannot reach the desktop keyring, so a 0600
// credentials.json is their only way to Dropbox. We cannot tell whether that file was written by
// `rdl-sync auth` for the service or by an older tray start without a keyring, and deleting it
// (as the old "move into encrypted storage" did) silently disconnected the service. So:
//  - a credentials.json present is the shared connection: both front ends use it, and a
//    reconnect in the window updates it (and drops a stale encrypted copy, one truth on disk);
//  - without one, the tray app keeps the connection encrypted when the keyring is trustworthy,
//    and the service, finding only the encrypted file, says it cannot read it and what to run;
//  - an encrypted file this start cannot open (keyring unavailable or failing) is a problem
//    naming the cause and the fix, never "not connected";
//  - to keep the connection only in the keyring: Disconnect (removes both), then Connect.
import { silentLogger, type Logger } from '../ports.js';
import {
  ENCRYPTED_CREDENTIALS_FILE,
  FileCredentialStore,
  checkCredentials,
  damaged,
  exists,
  parseCredentials,
  readIfPresent,
  removeIfPresent,
  writePrivateFile,
} from './file-store.js';
import { keyringCannotDecrypt, keyringUnavailable } from './unreadable.js';
import type { AccessToken, CredentialStore, DropboxCredentials, StringCipher } from './types.js';
import path from 'node:path';

export { ENCRYPTED_CREDENTIALS_FILE };

export class EncryptedCredentialStore implements CredentialStore {
  readonly file: string;
  private readonly plain: FileCredentialStore;
  /**
   * Where the connection last loaded or saved lives (a plain file present wins); 'encrypted'
   * also while this start cannot open it (no keyring now), so describe() names the real file.
   */
  private inUse: 'plain' | 'encrypted' | null = null;

  constructor(
    private readonly configDir: string,
    private readonly cipher: StringCipher,
    private readonly logger: Logger = silentLogger,
  ) {
    this.file = path.join(configDir, ENCRYPTED_CREDENTIALS_FILE);
    this.plain = new FileCredentialStore(configDir);
  }

  async load(): Promise<DropboxCredentials | null> {
    const shared = await this.plain.loadPlainOnly();
    this.inUse = shared !== null ? 'plain' : null;
    if (shared) return this.plain.withAccessToken(shared);
    const text = await readIfPresent(this.file);
    if (text === null) return null;
    this.inUse = 'encrypted';
    // Asked every time: Electron only answers after the app is ready, and keyrings come and go.
    if (!this.cipher.isEncryptionAvailable()) throw keyringUnavailable(this.file, this.plain.file);
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw damaged(this.file, 'it is not valid JSON');
    }
    const data = (envelope as { data?: unknown } | null)?.data;
    if (typeof data !== 'string') throw damaged(this.file, 'no encrypted data in it');
    let decrypted: string;
    try {
      decrypted = this.cipher.decryptString(Buffer.from(data, 'base64'));
    } catch {
      throw keyringCannotDecrypt(this.file);
    }
    const creds = parseCredentials(decrypted, this.file);
    const access = await this.plain.accessToken.load(creds.refreshToken, this.cipher);
    return access ? { ...creds, access } : creds;
  }

  async save(c: DropboxCredentials): Promise<void> {
    const clean = checkCredentials(c);
    if (await exists(this.plain.file)) {
      await this.plain.save(clean);
      this.inUse = 'plain';
      await removeIfPresent(this.file);
      this.logger.info(
        'Dropbox connection saved in the shared file the background service and command line read (readable only by this user); to keep it only in the keyring, Disconnect and Connect again',
        { file: this.plain.file },
      );
      return;
    }
    if (!this.cipher.isEncryptionAvailable()) {
      this.logger.warn('System keyring unavailable: Dropbox connection saved unencrypted', {
        file: this.plain.file,
      });
      await this.plain.save(clean);
      this.inUse = 'plain';
      await removeIfPresent(this.file);
      return;
    }
    const data = this.cipher.encryptString(JSON.stringify(clean)).toString('base64');
    await writePrivateFile(
      this.configDir,
      this.file,
      JSON.stringify({ version: 1, data }, null, 2),
    );
    await this.plain.accessToken.clear();
    this.inUse = 'encrypted';
    this.logger.info(
      'Dropbox connection saved encrypted with the desktop keyring; the background service cannot read it (it needs `rdl-sync auth`)',
      { file: this.file },
    );
  }

  async clear(): Promise<void> {
    await removeIfPresent(this.file);
    await this.plain.clear();
    this.inUse = null;
  }

  /** Encrypted as the connection is; plain (0600) beside a plain connection. */
  async keepAccessToken(refreshToken: string, access: AccessToken): Promise<void> {
    const saved = await this.load().catch(() => null);
    if (saved?.refreshToken !== refreshToken.trim()) return;
    if (this.inUse === 'plain') return this.plain.keepAccessToken(refreshToken, access);
    await this.plain.accessToken.save(refreshToken, access, this.cipher);
  }

  async forgetAccessToken(): Promise<void> {
    await this.plain.accessToken.clear();
  }

  /** Where the connection is (or, with none saved, where a new one would go). */
  describe(): { encrypted: boolean; where: string } {
    if (this.inUse === 'plain') return this.plain.describe();
    if (this.inUse === 'encrypted' || this.cipher.isEncryptionAvailable())
      return { encrypted: true, where: this.file };
    return this.plain.describe();
  }
}
