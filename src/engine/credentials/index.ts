export type { CredentialStore, DropboxCredentials, StringCipher } from './types.js';
export { FileCredentialStore, CREDENTIALS_FILE } from './file-store.js';
export { EncryptedCredentialStore, ENCRYPTED_CREDENTIALS_FILE } from './encrypted-store.js';
