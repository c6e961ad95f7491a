import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  REDACTED,
  clearRegisteredSecrets,
  redact,
  redactValue,
  registerSecret,
} from '../../src/engine/log/redact.js';
import { formatLine } from '../../src/engine/log/logger.js';

const b64url = (n: number): string => crypto.randomBytes(n).toString('base64url');
// Shapes of real Dropbox credentials: short-lived "sl." access tokens (old and new style),
// 64-character refresh tokens with no prefix, 15-character app secrets.
const accessOld = `sl.B${b64url(100)}`;
const accessNew = `sl.u.AF${b64url(150)}`;
const refresh = b64url(48);
const appSecret = 'k3j9x0q2w8e7r6t';

test('Dropbox access tokens are removed by shape, wherever they appear', () => {
  for (const token of [accessOld, accessNew]) {
    const out = redact(`upload failed with token ${token} at /RDL/a.csv`);
    assert.ok(!out.includes(token.slice(3, 30)), out);
    assert.match(out, /at \/RDL\/a\.csv$/);
  }
});

test('values of secret keys are removed in JSON, query strings, env files and headers', () => {
  const cases = [
    `{"refresh_token": "${refresh}", "expires_in": 14400}`,
    `grant_type=refresh_token&refresh_token=${refresh}&client_id=abc`,
    `client_secret=${appSecret}`,
    `OAUTH_REFRESH_TOKEN=${refresh}`,
    `OAUTH_APP_SECRET="${appSecret}"`,
    `Authorization: Bearer ${refresh}`,
    `headers: {"Authorization": "Basic ${Buffer.from(`key:${appSecret}`).toString('base64')}"}`,
    `{ refreshToken: '${refresh}' }`,
    `code_verifier=${refresh}`,
  ];
  for (const line of cases) {
    const out = redact(line);
    assert.ok(!out.includes(refresh) && !out.includes(appSecret), `${line} -> ${out}`);
    assert.ok(out.includes(REDACTED), out);
  }
  assert.equal(redact('{"expires_in": 14400}'), '{"expires_in": 14400}');
});

test('ordinary text stays readable', () => {
  for (const line of [
    'Dropbox refresh token: expired, reconnect with rdl-sync auth',
    'uploaded RDL/USB0/2026-11-24.csv (12 kB) in 1.2 s',
    '{"tokenCount": 3, "has_token": true}',
    'slept for sl.ow',
  ]) {
    assert.equal(redact(line), line);
  }
});

test('registered secrets are removed wherever they appear, also URL-encoded', (t) => {
  t.after(clearRegisteredSecrets);
  const odd = 'ab+cd/ef==gh' + b64url(10);
  registerSecret(odd);
  registerSecret('short');
  const out = redact(`body was x=${encodeURIComponent(odd)} and raw ${odd}`);
  assert.ok(!out.includes(odd) && !out.includes(encodeURIComponent(odd)), out);
  assert.equal(redact('short words stay'), 'short words stay');
});

test('redactValue walks objects, arrays and errors', () => {
  const v = redactValue({
    rel: 'a.csv',
    refreshToken: refresh,
    nested: [{ msg: `token ${accessNew}` }],
    err: new Error(`bad access_token=${refresh}`),
  }) as Record<string, unknown>;
  const text = JSON.stringify(v);
  assert.ok(!text.includes(refresh) && !text.includes(accessNew.slice(5, 40)), text);
  assert.equal(v.rel, 'a.csv');
});

test('error codes stay readable; an OAuth code in the same place does not', () => {
  const line = formatLine('file failed', {
    code: 'malformed-path',
    cause: { code: 'ENOENT', errno: -2 },
    err: { code: 'ERR_STREAM_PREMATURE_CLOSE' },
  });
  assert.match(line, /"code":"malformed-path"/);
  assert.match(line, /"code":"ENOENT"/);
  assert.match(line, /"code":"ERR_STREAM_PREMATURE_CLOSE"/);
  const oauth = 'Xq3-vB7_kLm9PzR2tYwE4uIo';
  const asked = formatLine('token request', {
    body: { code: oauth, grant_type: 'authorization_code' },
  });
  assert.ok(!asked.includes(oauth), asked);
  assert.match(asked, /"grant_type":"authorization_code"/);
});
