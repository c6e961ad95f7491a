// Connecting and staying connected: the PKCE code-paste flow end to end, access tokens that the
// server expires mid-run, a revoked refresh token, and no token ever in a message or log line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { finishPkceAuth, startPkceAuth } from '../../src/engine/dropbox/auth.js';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { nodeHttpFetch } from '../../src/engine/net/http-fetch.js';
import { DropboxRemoteStore } from '../../src/engine/dropbox/remote-store.js';
import { SyncError } from '../../src/engine/errors.js';
import type { UploadItem } from '../../src/engine/ports.js';
import {
  FAST_RETRY,
  makeRig,
  MapSessionStore,
  MiB,
  pattern,
  RecordingLogger,
  type Rig,
} from './helpers.js';

let rig: Rig;
/** Every token that crossed the wire, seen by an observing fetch around the real one. */
const tokens = new Set<string>();
/** Every message and log line these tests produced, scanned for tokens at the end. */
const texts: string[] = [];

const observingFetch: typeof fetch = async (input, init) => {
  const auth = new Headers(init?.headers).get('authorization');
  if (auth?.startsWith('Bearer ')) tokens.add(auth.slice(7));
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  // The product's own fetch: large uploads stream their bodies, which only it sends.
  const res = await nodeHttpFetch(input, init);
  if (url.includes('/oauth2/token') && res.ok) {
    const body = (await res.clone().json()) as { access_token?: string; refresh_token?: string };
    if (body.access_token) tokens.add(body.access_token);
    if (body.refresh_token) tokens.add(body.refresh_token);
  }
  return res;
};

/** Keeps the rejection's texts for the token scan, and rejects again. */
function record(e: unknown): never {
  if (e instanceof Error) texts.push(e.message, String(e));
  if (e instanceof SyncError) texts.push(JSON.stringify(e.toJSON()));
  throw e;
}

function storeFor(refreshToken: string, logger: RecordingLogger): DropboxRemoteStore {
  tokens.add(refreshToken);
  return new DropboxRemoteStore({
    connection: createDropboxConnection({
      appKey: rig.emu.appKey,
      refreshToken,
      endpoint: rig.emu.url,
      fetchImpl: observingFetch,
    }),
    remoteRoot: '/auth',
    chunkSize: 4 * MiB,
    concurrency: 8,
    conflictPolicy: 'rename',
    sessions: new MapSessionStore(),
    logger,
    retry: FAST_RETRY,
  });
}

async function files(prefix: string, n: number): Promise<UploadItem[]> {
  const items = [];
  for (let i = 0; i < n; i++) items.push(await rig.file(`${prefix}/f${i}.csv`, `${prefix} ${i}`));
  return items;
}

before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});

test('PKCE code-paste flow: authorize page shows the code, finishing yields a working refresh token', async () => {
  const { authorizeUrl, codeVerifier } = await startPkceAuth({
    appKey: rig.emu.appKey,
    endpoint: rig.emu.url,
  });
  tokens.add(codeVerifier);
  const url = new URL(authorizeUrl);
  assert.equal(url.origin + url.pathname, `${rig.emu.url}/oauth2/authorize`);
  assert.equal(url.searchParams.get('token_access_type'), 'offline');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(url.searchParams.get('redirect_uri'), null, 'no redirect: Dropbox shows the code');

  const page = await (await fetch(authorizeUrl)).text();
  const code = /<code id="auth-code">([^<]+)<\/code>/.exec(page)?.[1];
  assert.ok(code, 'the page shows a code');
  const result = await finishPkceAuth({
    appKey: rig.emu.appKey,
    endpoint: rig.emu.url,
    codeVerifier,
    code: `  ${code}\n`,
    fetchImpl: observingFetch,
  });
  tokens.add(result.refreshToken);
  assert.match(result.accountId, /^dbid:/);

  const logger = new RecordingLogger();
  const info = await storeFor(result.refreshToken, logger).account();
  assert.equal(info.accountId, result.accountId);
  texts.push(...logger.lines);

  // The code works once.
  await assert.rejects(
    finishPkceAuth({ appKey: rig.emu.appKey, endpoint: rig.emu.url, codeVerifier, code }).catch(
      record,
    ),
    (e: unknown) => e instanceof SyncError && /did not accept the code/.test(e.message),
  );
});

test('without an endpoint the authorize URL is Dropbox’s own', async () => {
  const { authorizeUrl, codeVerifier } = await startPkceAuth({ appKey: 'abc123' });
  const url = new URL(authorizeUrl);
  assert.match(url.hostname, /(^|\.)dropbox\.com$/);
  assert.equal(url.pathname, '/oauth2/authorize');
  assert.equal(url.searchParams.get('client_id'), 'abc123');
  assert.ok(codeVerifier.length >= 43);
  assert.ok(!authorizeUrl.includes(codeVerifier), 'only the challenge is in the URL');
});

test('bad input to the auth flow is refused with a message naming the fix', async () => {
  await assert.rejects(startPkceAuth({ appKey: '' }).catch(record), /No Dropbox app key/);
  await assert.rejects(startPkceAuth({ appKey: 'has space' }).catch(record), /letters, digits/);
  const base = { appKey: rig.emu.appKey, endpoint: rig.emu.url, codeVerifier: 'x'.repeat(64) };
  await assert.rejects(finishPkceAuth({ ...base, code: '' }).catch(record), /No code was entered/);
  await assert.rejects(
    finishPkceAuth({ ...base, code: 'not a code!' }).catch(record),
    /does not look like a Dropbox code/,
  );
  assert.throws(
    () => createDropboxConnection({ appKey: 'k', refreshToken: '' }),
    /not connected to Dropbox/,
  );
  assert.throws(
    () => createDropboxConnection({ appKey: 'k', refreshToken: 'r', endpoint: 'ftp://x/y' }),
    /not a base URL/,
  );
});

test('parallel first calls share one token refresh; server-side expiry mid-run is refreshed and retried', async () => {
  const logger = new RecordingLogger();
  const store = storeFor(rig.emu.issueRefreshToken(), logger);
  rig.emu.resetStats();
  const first = await store.uploadMany(await files('expiry1', 16));
  assert.ok(first.every((o) => o.ok));
  assert.equal(rig.emu.stats()['oauth2/token'], 1, 'one refresh for 16 parallel uploads');

  // Tokens die after 5 more calls (the SDK thinks they are good for hours), then again at once.
  rig.emu.expireAccessTokens({ afterCalls: 5 });
  const second = await store.uploadMany([
    ...(await files('expiry2', 20)),
    await rig.file('expiry2/big.bin', pattern(9 * MiB, 2)),
  ]);
  for (const o of second) assert.ok(o.ok, o.ok ? '' : o.error.message);
  rig.emu.expireAccessTokens();
  const third = await store.uploadMany(await files('expiry3', 3));
  assert.ok(third.every((o) => o.ok));
  assert.ok((rig.emu.stats()['oauth2/token'] ?? 0) >= 3, 'refreshed after each expiry');
  assert.equal(
    rig.emu.stats()['oauth2/token']! <= 6,
    true,
    'refreshes are shared, not one per request',
  );
  texts.push(...logger.lines);
});

test("a request refused with the stale token after another one's refresh ended is retried with the new token, not refreshed again", async () => {
  const refreshToken = rig.emu.issueRefreshToken();
  tokens.add(refreshToken);
  // The space call's answer (a 401 for the stale token) comes back late, after the account
  // call's 401 has been answered by a refresh: the two were sent together with one token.
  const late: typeof fetch = async (input, init) => {
    const res = await observingFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.includes('get_space_usage') && res.status === 401)
      await new Promise((r) => setTimeout(r, 300));
    return res;
  };
  const connection = createDropboxConnection({
    appKey: rig.emu.appKey,
    refreshToken,
    endpoint: rig.emu.url,
    fetchImpl: late,
  });
  await connection.call((c) => c.usersGetCurrentAccount()); // a token, then made stale
  rig.emu.expireAccessTokens();
  rig.emu.resetStats();
  const [account, space] = await Promise.all([
    connection.call((c) => c.usersGetCurrentAccount()),
    connection.call((c) => c.usersGetSpaceUsage()),
  ]);
  assert.equal(account.status, 200);
  assert.equal(space.status, 200);
  assert.equal(rig.emu.stats()['oauth2/token'], 1, 'one refresh for the two refused requests');
});

test('a revoked refresh token stops the leg with auth-revoked and the reconnect message', async () => {
  const logger = new RecordingLogger();
  const refreshToken = rig.emu.issueRefreshToken();
  const store = storeFor(refreshToken, logger);
  assert.ok((await store.uploadMany(await files('revoke0', 2))).every((o) => o.ok));
  rig.emu.revokeRefreshToken(refreshToken);
  rig.emu.expireAccessTokens();
  const items = [
    ...(await files('revoke1', 5)),
    await rig.file('revoke1/big.bin', pattern(9 * MiB, 3)),
  ];
  await assert.rejects(
    store.uploadMany(items).catch(record),
    (e: unknown) =>
      e instanceof SyncError &&
      e.kind === 'blocked' &&
      e.code === 'auth-revoked' &&
      e.message ===
        'Dropbox access was revoked: reconnect RDL Sync to Dropbox (window: Connect to Dropbox; headless: rdl-sync auth)',
  );
  await assert.rejects(
    store.account().catch(record),
    (e: unknown) => e instanceof SyncError && e.code === 'auth-revoked',
  );
  texts.push(...logger.lines);
});

test('no token, refresh token or code verifier appears in any message or log line above', () => {
  assert.ok(tokens.size >= 6, `saw ${tokens.size} tokens`);
  assert.ok(texts.length >= 8, `collected ${texts.length} texts`);
  for (const text of texts) {
    for (const token of tokens) assert.ok(!text.includes(token), `token leaked into: ${text}`);
  }
});
