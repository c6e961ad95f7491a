// Connecting RDL Sync to a Dropbox account: OAuth 2 PKCE with the code-paste flow. No redirect
// URI, so Dropbox shows the code on its page and a person pastes it back; this works the same
// on a desktop and on a headless logger reached over ssh. Offline access gives a refresh token
// that does not expire; the app needs no secret.
import { DropboxAuth } from 'dropbox';
import { SyncError } from '../errors.js';
import { isDropboxHttpError } from './classify.js';
import { endpointFetch, normaliseEndpoint, rewriteUrl } from './endpoint-fetch.js';
import { nodeHttpFetch } from '../net/http-fetch.js';
import { ProxyError } from '../net/proxy-tunnel.js';

export interface PkceStart {
  /** Page the person opens to allow access; it shows the code to paste. */
  authorizeUrl: string;
  /** Secret half of PKCE: keep it until the code comes back, never show or log it. */
  codeVerifier: string;
}

export interface PkceStartInput {
  appKey: string;
  endpoint?: string;
}

export interface PkceFinishInput extends PkceStartInput {
  codeVerifier: string;
  /** What the person pasted. Surrounding whitespace is ignored. */
  code: string;
  fetchImpl?: typeof fetch;
}

export interface PkceResult {
  refreshToken: string;
  accountId: string;
}

function requireAppKey(appKey: string): string {
  const key = appKey.trim();
  if (key === '' || !/^[A-Za-z0-9_-]+$/.test(key)) {
    throw new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message:
        key === ''
          ? 'No Dropbox app key is set: enter the app key from the Dropbox App Console in the settings (headless: rdl-sync settings set dropboxAppKey KEY)'
          : 'The Dropbox app key may contain only letters, digits, - and _: copy it again from the Dropbox App Console',
    });
  }
  return key;
}

export async function startPkceAuth(input: PkceStartInput): Promise<PkceStart> {
  const appKey = requireAppKey(input.appKey);
  const endpoint = normaliseEndpoint(input.endpoint);
  const auth = new DropboxAuth({ clientId: appKey });
  // redirectUri '' = none: Dropbox then displays the code instead of redirecting.
  const url = await auth.getAuthenticationUrl(
    '',
    undefined,
    'code',
    'offline',
    undefined,
    'none',
    true,
  );
  return { authorizeUrl: rewriteUrl(url, endpoint).url, codeVerifier: auth.getCodeVerifier() };
}

/** What was wrong with a pasted code, from the token endpoint's {error, error_description}. */
function codeRefusal(body: unknown): string {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const error = typeof b.error === 'string' ? b.error : '';
  const description =
    typeof b.error_description === 'string'
      ? b.error_description.replace(/[A-Za-z0-9._~+/=-]{32,}/g, '…').slice(0, 200)
      : '';
  if (/code.?verifier|pkce|challenge/i.test(description)) {
    return 'Dropbox refused the code because it was made for another connection attempt: start connecting again and paste the new code';
  }
  if (error === 'invalid_grant') {
    // Dropbox answers a mistyped code as it answers a used or expired one, and the attempt still
    // stands: "start connecting again" sent a person with a typo round the whole way.
    return 'Dropbox did not accept the code: mistyped or cut short (paste it whole), or used or expired (a code works once, for a few minutes): paste it again, or start connecting again for a new one';
  }
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    return 'Dropbox does not know this app key: check the app key in the settings against the Dropbox App Console, then connect again';
  }
  if (error === 'invalid_request' && /auth function|secret/i.test(description)) {
    return 'Dropbox wants an app secret for this app key: use an app key of an app that allows PKCE (no secret), then connect again';
  }
  const what = [error, description].filter((x) => x !== '').join(': ');
  return `Dropbox did not accept the code${what ? ` (${what})` : ''}: start connecting again and paste the new code`;
}

export async function finishPkceAuth(input: PkceFinishInput): Promise<PkceResult> {
  const appKey = requireAppKey(input.appKey);
  const endpoint = normaliseEndpoint(input.endpoint);
  const code = input.code.trim();
  if (!/^[A-Za-z0-9_-]{8,}$/.test(code)) {
    throw new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message:
        code === ''
          ? 'No code was entered: paste the code Dropbox showed after you allowed access'
          : 'That does not look like a Dropbox code: copy the whole code from the Dropbox page and paste it again',
    });
  }
  const auth = new DropboxAuth({
    clientId: appKey,
    // The engine's fetch, as the uploads': through the proxy the environment names.
    fetch: endpointFetch(endpoint, input.fetchImpl ?? nodeHttpFetch),
  });
  auth.setCodeVerifier(input.codeVerifier);
  let result: unknown;
  try {
    result = (await auth.getAccessTokenFromCode('', code)).result;
  } catch (e) {
    if (isDropboxHttpError(e) && e.status >= 400 && e.status < 500) {
      throw new SyncError({
        kind: 'blocked',
        code: 'auth-missing',
        message: codeRefusal(e.error),
        cause: e,
      });
    }
    throw new SyncError({
      kind: 'retry',
      code: 'network',
      message:
        e instanceof ProxyError
          ? `Could not reach Dropbox to finish connecting: ${e.message}`
          : 'Could not reach Dropbox to finish connecting: check the network and try again',
      cause: e,
    });
  }
  const r = result as { refresh_token?: unknown; account_id?: unknown };
  if (typeof r.refresh_token !== 'string' || typeof r.account_id !== 'string') {
    throw new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message:
        'Dropbox answered without a refresh token: check that the app allows offline access, then connect again',
    });
  }
  return { refreshToken: r.refresh_token, accountId: r.account_id };
}
