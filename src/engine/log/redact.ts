// Secrets never reach a log line or an error message shown to people. Three nets:
//  1. shapes: Dropbox short-lived access tokens start with "sl.";
//  2. places: values of keys that hold secrets (refresh_token=..., "client_secret": "...",
//     OAUTH_REFRESH_TOKEN=..., Authorization: Bearer ...), whatever the value looks like;
//  3. registry: exact secrets the credential store loaded (refresh tokens have no fixed shape).

export const REDACTED = '[redacted]';

// Shortest secret worth registering: shorter strings would blank out ordinary words.
const MIN_REGISTERED_LENGTH = 8;
const registered = new Set<string>();

/** Remember a secret so every later redact() removes it wherever it appears. */
export function registerSecret(secret: string | undefined | null): void {
  if (typeof secret !== 'string') return;
  const s = secret.trim();
  if (s.length < MIN_REGISTERED_LENGTH) return;
  registered.add(s);
  // URL-encoded forms show up in logged request bodies and query strings.
  const encoded = encodeURIComponent(s);
  if (encoded !== s) registered.add(encoded);
}

/** For tests and sign-out: forget registered secrets. */
export function clearRegisteredSecrets(): void {
  registered.clear();
}

// Keys whose value is a secret, in the spellings code uses (snake, camel, env, quoted). Prose such
// as "refresh token: expired" is not a key and stays readable.
const SECRET_KEY = [
  String.raw`OAUTH_[A-Z_]+`,
  String.raw`[A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD)[A-Z0-9_]*`,
  String.raw`[a-z0-9_]*_(?:token|secret|password|verifier)`,
  String.raw`[a-z0-9]+(?:Token|Secret|Password|Verifier)`,
  String.raw`(?<=["'])(?:token|secret|password|code)(?=["'])`,
].join('|');

// key: "value" / key = 'value' / "key": "value" / key=value (query string, env file)
const KEYED = new RegExp(
  String.raw`(["']?\b(?:${SECRET_KEY})["']?\s*[:=]\s*)(?:\[redacted\]|"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s,;&"'}\]]+))`,
  'g',
);
const AUTH_HEADER = /(\bAuthorization["']?\s*[:=]\s*["']?(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi;
const BEARER = /(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
// Error codes: upper-case errno names, or lower-case words joined by - or _; never mixed case.
const ERROR_CODE = /^(?:[A-Z][A-Z0-9_]{1,39}|[a-z]+(?:[-_][a-z0-9]+){0,5})$/;
const DROPBOX_ACCESS_TOKEN = /\bsl\.[A-Za-z0-9._~+/=-]{16,}/g;

export function redact(text: string): string {
  let out = text;
  for (const secret of [...registered].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  out = out.replace(AUTH_HEADER, `$1${REDACTED}`);
  out = out.replace(BEARER, `$1${REDACTED}`);
  out = out.replace(DROPBOX_ACCESS_TOKEN, REDACTED);
  out = out.replace(KEYED, (whole, prefix: string, dq?: string, sq?: string, bare?: string) => {
    const value = dq ?? sq ?? bare ?? '';
    // Keys like "tokenCount": 3 or "has_token": true carry no secret; keep numbers and booleans.
    if (value === '' || value === REDACTED || /^(?:\d+|true|false|null|undefined)$/i.test(value)) {
      return whole;
    }
    // "code" is both an OAuth authorization code and every error's code: keep the error codes
    // (ENOENT, ERR_X, auth-revoked, invalid_grant), which are what a person searches the log for.
    if (/^["']?code["']?/.test(prefix) && ERROR_CODE.test(value)) return whole;
    if (dq !== undefined) return `${prefix}"${REDACTED}"`;
    if (sq !== undefined) return `${prefix}'${REDACTED}'`;
    return `${prefix}${REDACTED}`;
  });
  return out;
}

/** Redacts every string inside a value (for structured log fields and error objects). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redact(value.message),
      ...(value.stack ? { stack: redact(value.stack) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      /secret|token|password|authorization/i.test(k) && typeof v === 'string' && v !== ''
        ? REDACTED
        : redactValue(v, depth + 1);
  }
  return out;
}
