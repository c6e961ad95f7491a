// OAuth 2: the authorize page (auto-approves, shows the code like Dropbox's "copy this code" page)
// and the token endpoint (code exchange with PKCE or secret; refresh with or without secret).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TokenGrant } from '../auth.js';
import type { EmulatorState } from '../state.js';

async function readText(req: IncomingMessage, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > limit) throw new TokenGrant('invalid_request', 'request body too large');
  }
  return text;
}

/** Parameters from the query string and/or the body (form or JSON), body winning. */
async function tokenParams(req: IncomingMessage, url: URL): Promise<Map<string, string>> {
  const params = new Map<string, string>(url.searchParams);
  const body = await readText(req, 64 * 1024);
  if (body.trim() === '') return params;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new TokenGrant('invalid_request', 'request body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new TokenGrant('invalid_request', 'request body must be a JSON object');
    }
    for (const [k, v] of Object.entries(parsed)) params.set(k, String(v));
  } else {
    for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
  }
  return params;
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

const SCOPE = 'account_info.read files.content.read files.content.write files.metadata.read';

/** Answers /oauth2/token; `deliver` lets the server apply drop_response and link shaping. */
export async function handleToken(
  state: EmulatorState,
  req: IncomingMessage,
  url: URL,
  deliver: (status: number, value: unknown) => Promise<void>,
): Promise<void> {
  try {
    const params = await tokenParams(req, url);
    const basic = basicCredentials(req);
    const clientId = basic?.id ?? params.get('client_id');
    const secret = basic?.secret ?? params.get('client_secret');
    const { appKey, appSecret } = state.options;
    if (clientId !== appKey || (secret !== undefined && secret !== appSecret)) {
      throw new TokenGrant('invalid_client', 'Invalid client_id or client_secret');
    }
    const grant = params.get('grant_type');
    if (grant === 'authorization_code') {
      const code = params.get('code');
      if (!code) throw new TokenGrant('invalid_request', 'No "code" parameter');
      const refresh = state.auth.exchangeCode(
        code,
        params.get('code_verifier'),
        secret !== undefined,
        params.get('redirect_uri'),
      );
      return await deliver(200, {
        access_token: state.auth.issueAccessToken(refresh),
        token_type: 'bearer',
        expires_in: state.auth.accessTokenTtlSeconds,
        refresh_token: refresh,
        scope: SCOPE,
        uid: state.namespaceId,
        account_id: state.accountId,
      });
    }
    if (grant === 'refresh_token') {
      const token = params.get('refresh_token');
      if (!token) throw new TokenGrant('invalid_request', 'No "refresh_token" parameter');
      state.auth.useRefreshToken(token, secret !== undefined);
      return await deliver(200, {
        access_token: state.auth.issueAccessToken(token),
        token_type: 'bearer',
        expires_in: state.auth.accessTokenTtlSeconds,
      });
    }
    throw new TokenGrant('unsupported_grant_type', `grant_type "${grant ?? ''}" is not supported`);
  } catch (err) {
    if (!(err instanceof TokenGrant)) throw err;
    await deliver(400, { error: err.error, error_description: err.description });
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** GET /oauth2/authorize: approves at once; shows the code, or redirects when redirect_uri is set. */
export function handleAuthorize(state: EmulatorState, url: URL, res: ServerResponse): void {
  const q = url.searchParams;
  if (q.get('client_id') !== state.options.appKey) {
    return page(
      res,
      400,
      'Error',
      '<p>Invalid client_id: this app key is not known to the emulator.</p>',
    );
  }
  if (q.get('response_type') !== 'code') {
    return page(res, 400, 'Error', '<p>Only response_type=code is supported.</p>');
  }
  const method = q.get('code_challenge_method') ?? 'plain';
  if (method !== 'S256' && method !== 'plain') {
    return page(res, 400, 'Error', '<p>code_challenge_method must be S256 or plain.</p>');
  }
  const challenge = q.get('code_challenge') ?? undefined;
  const redirectUri = q.get('redirect_uri') ?? undefined;
  const code = state.auth.approve({
    codeChallenge: challenge,
    codeChallengeMethod: method,
    redirectUri,
  });
  if (redirectUri) {
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const stateParam = q.get('state');
    if (stateParam !== null) target.searchParams.set('state', stateParam);
    res.writeHead(302, { Location: target.toString(), 'Content-Length': 0 });
    res.end();
    return;
  }
  page(
    res,
    200,
    'API Request Authorized',
    `<h1>Access granted</h1><p>Enter this code into the app to finish linking:</p><code id="auth-code">${escapeHtml(code)}</code>`,
  );
}
