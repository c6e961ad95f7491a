// Credentials encrypted with the OS keyring (Electron's safeStorage, injected as a StringCipher).
// When the keyring is unavailable (headless, no secret service) it falls back to the plain file,
// and an existing plain file is moved into the encrypted one as soon as encryption is available.
import path from 'node:path';
import { silentLogger, type Logger } from '../ports.js';
import {
  FileCredentialStore,
  checkCredentials,
  damaged,
  parseCredentials,
  readIfPresent,
  removeIfPresent,
  writePrivateFile,
} from './file-store.js';
import type { CredentialStore, DropboxCredentials, StringCipher } from './types.js';

export const ENCRYPTED_CREDENTIALS_FILE = 'credentials.enc.json';

export class EncryptedCredentialStore implements CredentialStore {
  readonly file: string;
  private readonly plain: FileCredentialStore;

  constructor(
    private readonly configDir: string,
    private readonly cipher: StringCipher,
    private readonly logger: Logger = silentLogger,
  ) {
    this.file = path.join(configDir, ENCRYPTED_CREDENTIALS_FILE);
    this.plain = new FileCredentialStore(configDir);
  }

  async load(): Promise<DropboxCredentials | null> {
    // Asked every time: Electron only answers after the app is ready, and keyrings come and go.
    if (!this.cipher.isEncryptionAvailable()) return this.plain.load();
    const text = await readIfPresent(this.file);
    if (text === null) {
      const legacy = await this.plain.load();
      if (legacy) {
        await this.save(legacy);
        this.logger.info('Dropbox connection moved into encrypted storage', { file: this.file });
      }
      return legacy;
    }
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
      throw damaged(this.file, 'it cannot be decrypted with this user’s keyring');
    }
    return parseCredentials(decrypted, this.file);
  }

  async save(c: DropboxCredentials): Promise<void> {
    if (!this.cipher.isEncryptionAvailable()) {
      this.logger.warn('System keyring unavailable: Dropbox connection saved unencrypted', {
        file: this.plain.file,
      });
      return this.plain.save(c);
    }
    const clean = checkCredentials(c);
    const data = this.cipher.encryptString(JSON.stringify(clean)).toString('base64');
    await writePrivateFile(
      this.configDir,
      this.file,
      JSON.stringify({ version: 1, data }, null, 2),
    );
    // Only after the encrypted copy is durable may the plain one go.
    await this.plain.clear();
  }

  async clear(): Promise<void> {
    await removeIfPresent(this.file);
    await this.plain.clear();
  }

  describe(): { encrypted: boolean; where: string } {
    return this.cipher.isEncryptionAvailable()
      ? { encrypted: true, where: this.file }
      : this.plain.describe();
  }
}
