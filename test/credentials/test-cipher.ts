// A real AES-256-GCM cipher in Electron safeStorage's shape, standing in for the desktop keyring.
// `available` switched off plays a keyring that is not there now (locked session, no secret
// service); `failing` plays one that answers but cannot decrypt (reset or locked keyring).
import crypto from 'node:crypto';
import type { StringCipher } from '../../src/engine/credentials/index.js';

export class AesTestCipher implements StringCipher {
  available = true;
  failing = false;
  constructor(private readonly key: Buffer = crypto.randomBytes(32)) {}
  /** Another process reaching the same keyring (the same key). */
  sameKeyring(): AesTestCipher {
    return new AesTestCipher(this.key);
  }
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  encryptString(plain: string): Buffer {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }
  decryptString(b: Buffer): string {
    // Electron's own words when the keyring cannot decrypt.
    if (this.failing)
      throw new Error(
        'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
      );
    const d = crypto.createDecipheriv('aes-256-gcm', this.key, b.subarray(0, 12));
    d.setAuthTag(b.subarray(12, 28));
    return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
  }
}
