// OAuth and access tokens (section 6 and section 7 item 10), plus the admin HTTP guard.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Dropbox, DropboxAuth } from 'dropbox';
import { harness, rawPost, sdkError, type Harness } from './helpers.js';
import { emulatorClient, emulatorFetch } from './sdk-client.js';

let h: Harness;
before(async () => {
  h = await harness({ accessTokenTtlSeconds: 14400 });
});
after(async () => {
  await h.emu.close();
});

test('unknown bearer token is 401 invalid_access_token', async () => {
  const dbx = new Dropbox({ accessToken: 'sl.not-a-real-token', fetch: emulatorFetch(h.emu.url) });
  const err = await sdkError(dbx.usersGetCurrentAccount());
  assert.equal(err.status, 401);
  assert.deepEqual(err.error.error, { '.tag': 'invalid_access_token' });
  assert.match(err.error.error_summary, /^invalid_access_token\/\.{0,3}$/);
});

test('server-side expiry gives 401 expired_access_token; refreshing recovers', async () => {
  const { dbx, auth } = emulatorClient(h.emu, h.refreshToken);
  await dbx.checkUser({ query: 'before' });
  h.emu.expireAccessTokens({ afterCalls: 1 });
  await dbx.checkUser({ query: 'one more allowed' });
  const err = await sdkError(dbx.checkUser({ query: 'now expired' }));
  assert.equal(err.status, 401);
  assert.deepEqual(err.error.error, { '.tag': 'expired_access_token' });
  // The SDK believes its token is fresh (4 h), so only an explicit refresh helps.
  await auth.refreshAccessToken();
  assert.equal((await dbx.checkUser({ query: 'after' })).result.result, 'after');
});

test('a short expires_in makes the SDK refresh before each call (query-string refresh, JSON content type)', async () => {
  const short = await harness({ accessTokenTtlSeconds: 60 });
  try {
    await short.dbx.checkUser({ query: 'a' });
    await short.dbx.checkUser({ query: 'b' });
    assert.equal(short.emu.stats()['oauth2/token'], 2);
  } finally {
    await short.emu.close();
  }
});

test('a revoked refresh token is 400 invalid_grant', async () => {
  const token = h.emu.issueRefreshToken();
  h.emu.revokeRefreshToken(token);
  const { dbx } = emulatorClient(h.emu, token);
  const err = await sdkError<{ error: string; error_description: string }>(
    dbx.checkUser({ query: 'x' }),
  );
  assert.equal(err.status, 400);
  assert.deepEqual(err.error, {
    error: 'invalid_grant',
    error_description: 'refresh token is invalid or revoked',
  });
});

test('PKCE: the authorize page shows a code that the SDK exchanges; a wrong verifier is refused', async () => {
  const fetchImpl = emulatorFetch(h.emu.url);
  const auth = new DropboxAuth({ clientId: h.emu.appKey, fetch: fetchImpl });
  const authUrl = String(
    await auth.getAuthenticationUrl(
      undefined as unknown as string,
      'st4te',
      'code',
      'offline',
      undefined,
      undefined,
      true,
    ),
  );
  const page = await fetchImpl(authUrl);
  assert.equal(page.status, 200);
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(await page.text())?.[1];
  assert.ok(code, 'the page shows the code');
  const exchanged = await auth.getAccessTokenFromCode(undefined as unknown as string, code);
  const tokens = exchanged.result as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
  };
  assert.ok(tokens.refresh_token);
  assert.equal(tokens.expires_in, 14400);
  const { dbx } = emulatorClient(h.emu, tokens.refresh_token);
  assert.equal((await dbx.checkUser({ query: 'linked' })).result.result, 'linked');
  // A code is single-use.
  const reused = await sdkError<{ error: string }>(
    auth.getAccessTokenFromCode(undefined as unknown as string, code),
  );
  assert.equal(reused.error.error, 'invalid_grant');

  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const code2 = h.emu.approveAuthorization({ codeChallenge: challenge });
  const wrong = await rawPost(
    h.emu,
    `/oauth2/token?grant_type=authorization_code&code=${code2}&client_id=${h.emu.appKey}&code_verifier=${'x'.repeat(64)}`,
    { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
  );
  assert.equal(wrong.status, 400);
  assert.equal(JSON.parse(wrong.text).error, 'invalid_grant');
  const right = await rawPost(h.emu, '/oauth2/token', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code2,
      client_id: h.emu.appKey,
      code_verifier: verifier,
    }).toString(),
  });
  assert.equal(right.status, 200, right.text);
  assert.equal(JSON.parse(right.text).token_type, 'bearer');
});

test('token endpoint: wrong client id or secret is invalid_client; refresh works with the secret too', async () => {
  const bad = await rawPost(
    h.emu,
    `/oauth2/token?grant_type=refresh_token&refresh_token=${h.refreshToken}&client_id=nope`,
    {
      headers: { 'Content-Type': 'application/json' },
    },
  );
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.text).error, 'invalid_client');
  const withSecret = await rawPost(h.emu, '/oauth2/token', {
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization:
        'Basic ' + Buffer.from(`${h.emu.appKey}:${h.emu.appSecret}`).toString('base64'),
    },
    body: `grant_type=refresh_token&refresh_token=${h.refreshToken}`,
  });
  assert.equal(withSecret.status, 200, withSecret.text);
  const body = JSON.parse(withSecret.text);
  assert.equal(body.refresh_token, undefined, 'refresh tokens do not rotate');
  assert.match(body.access_token, /^sl\./);
});

test('admin HTTP routes need the admin token; with it they drive the same controls', async () => {
  const none = await rawPost(h.emu, '/__admin/stats', { body: '{}' });
  assert.equal(none.status, 401);
  const wrong = await rawPost(h.emu, '/__admin/stats', {
    headers: { Authorization: 'Bearer wrong' },
  });
  assert.equal(wrong.status, 401);
  const auth = { Authorization: `Bearer ${h.emu.adminToken}`, 'Content-Type': 'application/json' };
  const issued = await rawPost(h.emu, '/__admin/issue-refresh-token', { headers: auth });
  const refreshToken = JSON.parse(issued.text).refresh_token as string;
  const fault = await rawPost(h.emu, '/__admin/fault', {
    headers: auth,
    body: JSON.stringify({ route: 'check/user', kind: 'server_error', status: 502 }),
  });
  assert.equal(fault.status, 200);
  const { dbx, auth: clientAuth } = emulatorClient(h.emu, refreshToken);
  assert.equal((await sdkError(dbx.checkUser({ query: 'x' }))).status, 502);
  const stats = JSON.parse((await rawPost(h.emu, '/__admin/stats', { headers: auth })).text);
  assert.ok(stats['check/user'] >= 1);
  const badRule = await rawPost(h.emu, '/__admin/fault', {
    headers: auth,
    body: '{"kind":"meteor"}',
  });
  assert.equal(badRule.status, 400);
  assert.match(JSON.parse(badRule.text).error, /must be one of/);
  const revoke = await rawPost(h.emu, '/__admin/revoke-refresh-token', {
    headers: auth,
    body: JSON.stringify({ token: refreshToken }),
  });
  assert.equal(revoke.status, 200);
  await clientAuth.refreshAccessToken().then(
    () => assert.fail('refresh should fail after revocation'),
    (err: { status: number }) => assert.equal(err.status, 400),
  );
});
