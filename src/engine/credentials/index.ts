export type { AccessToken, CredentialStore, DropboxCredentials, StringCipher } from './types.js';
export { FileCredentialStore, CREDENTIALS_FILE } from './file-store.js';
export { ACCESS_TOKEN_FILE, ACCESS_TOKEN_MARGIN_MS } from './access-token.js';
export { EncryptedCredentialStore, ENCRYPTED_CREDENTIALS_FILE } from './encrypted-store.js';
