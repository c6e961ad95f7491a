// Dropbox credentials in a plain JSON file only this user can read (0600 in a 0700 folder):
// the daemon's and the command line's store, where no system keyring exists. When only the tray
// app's encrypted file is there, loading says so (and how to fix it) instead of "not connected".
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { SyncError } from '../errors.js';
import { atomicWriteFile, fsyncDir } from '../fsutil/index.js';
import { registerSecret } from '../log/index.js';
import { AccessTokenFile } from './access-token.js';
import type { AccessToken, CredentialStore, DropboxCredentials } from './types.js';
import { savedForTrayAppOnly } from './unreadable.js';

export const CREDENTIALS_FILE = 'credentials.json';
/** Written by the tray app (EncryptedCredentialStore); named here so this store can see it. */
export const ENCRYPTED_CREDENTIALS_FILE = 'credentials.enc.json';

export const credentialsSchema = z.object({
  appKey: z.string().trim().min(1),
  appSecret: z.string().trim().min(1).optional(),
  refreshToken: z.string().trim().min(1),
});

export class FileCredentialStore implements CredentialStore {
  readonly file: string;
  readonly accessToken: AccessTokenFile;

  constructor(private readonly configDir: string) {
    this.file = path.join(configDir, CREDENTIALS_FILE);
    this.accessToken = new AccessTokenFile(configDir);
  }

  async load(): Promise<DropboxCredentials | null> {
    const own = await this.loadPlainOnly();
    if (own) return this.withAccessToken(own);
    const encrypted = path.join(this.configDir, ENCRYPTED_CREDENTIALS_FILE);
    if (await exists(encrypted)) throw savedForTrayAppOnly(encrypted, this.file);
    return null;
  }

  /** This file alone, ignoring the tray app's encrypted one. */
  async loadPlainOnly(): Promise<DropboxCredentials | null> {
    const text = await readIfPresent(this.file);
    if (text === null) return null;
    return parseCredentials(text, this.file);
  }

  async save(c: DropboxCredentials): Promise<void> {
    const clean = checkCredentials(c);
    await writePrivateFile(
      this.configDir,
      this.file,
      JSON.stringify({ version: 1, ...clean }, null, 2),
    );
    // A connection saved anew starts without the last one's access token.
    await this.accessToken.clear();
  }

  async clear(): Promise<void> {
    await this.accessToken.clear();
    await removeIfPresent(this.file);
  }

  /** `creds` with the access token kept for them (this file's: never encrypted). */
  async withAccessToken(creds: DropboxCredentials): Promise<DropboxCredentials> {
    const access = await this.accessToken.load(creds.refreshToken, null);
    return access ? { ...creds, access } : creds;
  }

  async keepAccessToken(refreshToken: string, access: AccessToken): Promise<void> {
    const saved = await this.loadPlainOnly().catch(() => null);
    if (saved?.refreshToken !== refreshToken.trim()) return;
    await this.accessToken.save(refreshToken, access, null);
  }

  async forgetAccessToken(): Promise<void> {
    await this.accessToken.clear();
  }

  describe(): { encrypted: boolean; where: string } {
    return { encrypted: false, where: this.file };
  }
}

/** Validates credentials before they are stored, and registers their secrets for redaction. */
export function checkCredentials(c: DropboxCredentials): DropboxCredentials {
  const parsed = credentialsSchema.safeParse(c);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].join(', ');
    throw new TypeError(`Cannot save Dropbox credentials: ${fields} missing or empty`);
  }
  registerSecret(parsed.data.refreshToken);
  registerSecret(parsed.data.appSecret);
  return parsed.data;
}

export function parseCredentials(text: string, where: string): DropboxCredentials {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw damaged(where, 'it is not valid JSON');
  }
  const parsed = credentialsSchema.safeParse(data);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].join(', ');
    throw damaged(where, `${fields} missing or not text`);
  }
  registerSecret(parsed.data.refreshToken);
  registerSecret(parsed.data.appSecret);
  return parsed.data;
}

export function damaged(where: string, why: string): SyncError {
  // Never quote the file's contents: they are the secret.
  return new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message: `The saved Dropbox connection in ${where} is damaged (${why}): reconnect Dropbox (rdl-sync auth, or Connect in the window)`,
  });
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

export async function readIfPresent(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message: `Cannot read the saved Dropbox connection ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check that this user owns it`,
      cause: e,
    });
  }
}

/** Atomic write, file 0600; the folder is created 0700 when we create it. */
export async function writePrivateFile(dir: string, file: string, data: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // A folder made by an older version (or by hand) may be 0755: the secret's folder is ours only.
  if (process.platform !== 'win32') await fs.chmod(dir, 0o700).catch(() => undefined);
  await atomicWriteFile(file, data);
  if (process.platform !== 'win32') await fs.chmod(file, 0o600);
}

export async function removeIfPresent(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  await fsyncDir(path.dirname(file));
}
