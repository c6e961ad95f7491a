// The short-lived access token, kept beside the refresh token so that the next process (a
// `rdl-sync once` from a timer, a daemon restarted) starts with it instead of a round trip to
// oauth2/token before anything else. It lives in its own file in the credentials' folder, as
// private as they are (0600 in the 0700 folder; encrypted with the keyring when the connection
// is): not in the credentials file itself, whose every change means "a connection was saved"
// to the daemon (DropboxAccount.savedStamp) and would rebuild its pipeline at each refresh.
// It is used only with the refresh token it was issued for (a fingerprint of it is kept, never
// the token itself twice), only while it has a safe margin left, and any trouble reading it just
// means one refresh: it is a shortcut, never the connection.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { registerSecret } from '../log/index.js';
import { readIfPresent, removeIfPresent, writePrivateFile } from './file-store.js';
import type { AccessToken, StringCipher } from './types.js';

export const ACCESS_TOKEN_FILE = 'access-token.json';

/**
 * A kept token with less than this left is not used: a refresh is due anyway (the SDK refreshes
 * 5 minutes before expiry), and a clock a little off must not make us send an expired one.
 */
export const ACCESS_TOKEN_MARGIN_MS = 10 * 60 * 1000;

/** Which refresh token a kept access token belongs to, without keeping that token again. */
function fingerprint(refreshToken: string): string {
  return createHash('sha256').update(refreshToken.trim()).digest('hex').slice(0, 32);
}

interface KeptToken {
  of: string;
  token: string;
  expiresAtMs: number;
}

function isKept(x: unknown): x is KeptToken {
  const k = x as Partial<KeptToken> | null;
  return (
    typeof k === 'object' &&
    k !== null &&
    typeof k.of === 'string' &&
    typeof k.token === 'string' &&
    k.token.length > 0 &&
    typeof k.expiresAtMs === 'number' &&
    Number.isFinite(k.expiresAtMs)
  );
}

export class AccessTokenFile {
  readonly file: string;

  constructor(private readonly configDir: string) {
    this.file = path.join(configDir, ACCESS_TOKEN_FILE);
  }

  /**
   * The token kept for this refresh token, while it has ACCESS_TOKEN_MARGIN_MS left; null
   * otherwise, and whenever it cannot be read (no keyring now, damaged, another connection's).
   */
  async load(
    refreshToken: string,
    cipher: StringCipher | null,
    nowMs: number = Date.now(),
  ): Promise<AccessToken | null> {
    try {
      const text = await readIfPresent(this.file);
      if (text === null) return null;
      let kept: unknown = JSON.parse(text);
      const data = (kept as { data?: unknown } | null)?.data;
      if (typeof data === 'string') {
        if (!cipher?.isEncryptionAvailable()) return null;
        kept = JSON.parse(cipher.decryptString(Buffer.from(data, 'base64')));
      } else if (cipher) {
        return null; // a plain copy where the connection is encrypted: not ours to trust
      }
      if (!isKept(kept) || kept.of !== fingerprint(refreshToken)) return null;
      registerSecret(kept.token);
      if (kept.expiresAtMs - nowMs < ACCESS_TOKEN_MARGIN_MS) return null;
      return { token: kept.token, expiresAtMs: kept.expiresAtMs };
    } catch {
      return null;
    }
  }

  /** Keeps `access` for `refreshToken`: encrypted with `cipher` when one is given. */
  async save(
    refreshToken: string,
    access: AccessToken,
    cipher: StringCipher | null,
  ): Promise<void> {
    registerSecret(access.token);
    const kept: KeptToken = {
      of: fingerprint(refreshToken),
      token: access.token,
      expiresAtMs: access.expiresAtMs,
    };
    const body = cipher
      ? { version: 1, data: cipher.encryptString(JSON.stringify(kept)).toString('base64') }
      : { version: 1, ...kept };
    await writePrivateFile(this.configDir, this.file, JSON.stringify(body));
  }

  async clear(): Promise<void> {
    await removeIfPresent(this.file);
  }
}
