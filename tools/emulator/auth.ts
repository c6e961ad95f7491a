// OAuth state: authorization codes (PKCE), refresh tokens, and access tokens with both their
// advertised lifetime and an independent server-side expiry that tests can trigger.
import { createHash, randomBytes } from 'node:crypto';

interface AccessToken {
  expiresAtMs: number;
  /** The refresh token it was issued for: revoking that revokes it too. */
  from?: string;
  /** Set by expireAccessTokens({afterCalls}): shared countdown of authenticated calls. */
  callBudget?: { left: number };
}

interface PendingCode {
  challenge?: string;
  method: 'S256' | 'plain';
  redirectUri?: string;
}

export type TokenCheck = 'ok' | 'invalid_access_token' | 'expired_access_token';

export class TokenGrant extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

export class AuthState {
  private readonly access = new Map<string, AccessToken>();
  /** needsSecret: issued to a confidential app (code exchanged with its secret, not PKCE). */
  private readonly refresh = new Map<string, { revoked: boolean; needsSecret: boolean }>();
  private readonly codes = new Map<string, PendingCode>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  get accessTokenTtlSeconds(): number {
    return this.ttlSeconds;
  }

  issueRefreshToken(opts: { needsSecret?: boolean } = {}): string {
    const token = randomBytes(32).toString('base64url');
    this.refresh.set(token, { revoked: false, needsSecret: opts.needsSecret ?? false });
    return token;
  }

  issueAccessToken(from?: string): string {
    const token = 'sl.emu.' + randomBytes(32).toString('base64url');
    this.access.set(token, {
      expiresAtMs: this.now() + this.ttlSeconds * 1000,
      ...(from !== undefined ? { from } : {}),
    });
    return token;
  }

  approve(params: {
    codeChallenge?: string;
    codeChallengeMethod?: 'S256' | 'plain';
    redirectUri?: string;
  }): string {
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      challenge: params.codeChallenge,
      method: params.codeChallengeMethod ?? 'S256',
      redirectUri: params.redirectUri,
    });
    return code;
  }

  /** Exchanges a code; `secretOk` says the client authenticated with its secret instead of PKCE. */
  exchangeCode(
    code: string,
    verifier: string | undefined,
    secretOk: boolean,
    redirectUri?: string,
  ): string {
    const pending = this.codes.get(code);
    if (!pending) throw new TokenGrant('invalid_grant', "code doesn't exist or has expired");
    if (pending.redirectUri !== undefined && pending.redirectUri !== redirectUri) {
      throw new TokenGrant('invalid_grant', 'redirect_uri mismatch');
    }
    if (pending.challenge !== undefined && verifier !== undefined) {
      const derived =
        pending.method === 'plain'
          ? verifier
          : createHash('sha256').update(verifier).digest('base64url');
      if (derived !== pending.challenge)
        throw new TokenGrant('invalid_grant', 'invalid code verifier');
    } else if (!secretOk) {
      throw new TokenGrant('invalid_request', 'No auth function available for given request');
    }
    this.codes.delete(code);
    return this.issueRefreshToken({ needsSecret: verifier === undefined });
  }

  useRefreshToken(token: string, secretGiven: boolean): void {
    const entry = this.refresh.get(token);
    if (!entry) throw new TokenGrant('invalid_grant', 'refresh token is malformed');
    if (entry.revoked) throw new TokenGrant('invalid_grant', 'refresh token is invalid or revoked');
    // A confidential app's token refreshed with only its client_id (an uploader config imported
    // without its secret): Dropbox's answer for that.
    if (entry.needsSecret && !secretGiven)
      throw new TokenGrant('invalid_request', 'No auth function available for given request');
  }

  /**
   * As when a person disconnects the app on Dropbox: the refresh token and every access token
   * issued for it stop working (they answer invalid_access_token), however long they had left.
   */
  revokeRefreshToken(token: string): void {
    const entry = this.refresh.get(token);
    if (entry) entry.revoked = true;
    for (const [access, t] of this.access) if (t.from === token) this.access.delete(access);
  }

  /** Expires every access token issued so far, now, after some seconds, or after some calls. */
  expireAccessTokens(opts: { afterSeconds?: number; afterCalls?: number } = {}): void {
    const budget = opts.afterCalls !== undefined ? { left: opts.afterCalls } : undefined;
    for (const t of this.access.values()) {
      if (budget) t.callBudget = budget;
      if (opts.afterSeconds !== undefined || !budget) {
        t.expiresAtMs = Math.min(t.expiresAtMs, this.now() + (opts.afterSeconds ?? 0) * 1000);
      }
    }
  }

  /** Validates a bearer token for one call (counts against an afterCalls budget). */
  check(token: string | undefined): TokenCheck {
    const t = token === undefined ? undefined : this.access.get(token);
    if (!t) return 'invalid_access_token';
    if (this.now() >= t.expiresAtMs) return 'expired_access_token';
    if (t.callBudget) {
      if (t.callBudget.left <= 0) return 'expired_access_token';
      t.callBudget.left--;
    }
    return 'ok';
  }
}
