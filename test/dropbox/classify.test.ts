// Error classification, fed with the SDK's own DropboxResponseError carrying the wire bodies
// quoted in the facts file, and with the errors Node's fetch and file system really throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkReader } from '../../src/engine/dropbox/chunk-reader.js';
import { DropboxResponseError } from 'dropbox';
import { SyncError } from '../../src/engine/errors.js';
import {
  classifyDropboxError,
  classifyLocalFileError,
  classifyUnion,
  correctOffsetOf,
  exhausted,
  isAccessTokenRejected,
} from '../../src/engine/dropbox/classify.js';

const http = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new DropboxResponseError(status, new Headers(headers), body);

test('429 in JSON form honours Retry-After and tells rate limit from lock contention', () => {
  const rate = classifyDropboxError(
    http(
      429,
      {
        error_summary: 'too_many_requests/..',
        error: { reason: { '.tag': 'too_many_requests' }, retry_after: 3 },
      },
      { 'Retry-After': '7' },
    ),
  );
  assert.equal(rate.kind, 'retry-after');
  assert.equal(rate.code, 'rate-limited');
  assert.equal(rate.retryAfterMs, 7000);

  const lock = classifyDropboxError(
    http(429, {
      error_summary: 'too_many_write_operations/',
      error: { reason: { '.tag': 'too_many_write_operations' }, retry_after: 2 },
    }),
  );
  assert.equal(lock.code, 'write-contention');
  assert.equal(lock.retryAfterMs, 2000, 'retry_after from the body when there is no header');
});

test('429 in plain-text form uses the Retry-After header', () => {
  const e = classifyDropboxError(http(429, 'Too Many Requests', { 'Retry-After': '15' }));
  assert.equal(e.kind, 'retry-after');
  assert.equal(e.code, 'rate-limited');
  assert.equal(e.retryAfterMs, 15_000);
});

test('too_many_write_operations inside a 409 union and inside a batch entry is retry-after', () => {
  const inUnion = classifyDropboxError(
    http(409, {
      error_summary: 'path/too_many_write_operations/',
      error: { '.tag': 'path', path: { '.tag': 'too_many_write_operations' } },
    }),
  );
  assert.equal(inUnion.kind, 'retry-after');
  assert.equal(inUnion.code, 'write-contention');
  const entry = classifyUnion({ '.tag': 'too_many_write_operations' }, { rel: 'a.csv' });
  assert.equal(entry.kind, 'retry-after');
});

test('5xx and empty 500 are retried; 503 with Retry-After waits that long', () => {
  assert.equal(classifyDropboxError(http(500, '')).kind, 'retry');
  assert.equal(classifyDropboxError(http(502, 'Bad gateway')).code, 'server-error');
  const e503 = classifyDropboxError(http(503, '', { 'Retry-After': '4' }));
  assert.equal(e503.kind, 'retry-after');
  assert.equal(e503.retryAfterMs, 4000);
});

test('network failures from fetch are retried, with the raw error kept only as cause', async () => {
  const real = await fetch('http://127.0.0.1:1/').catch((e: unknown) => e);
  const e = classifyDropboxError(real);
  assert.equal(e.kind, 'retry');
  assert.equal(e.code, 'network');
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  assert.equal(classifyDropboxError(reset).code, 'network');
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  assert.equal(classifyDropboxError(timeout).code, 'network');
});

test('bad names and paths fail the file alone with a message naming it', () => {
  const malformed = classifyDropboxError(
    http(409, {
      error_summary: 'path/malformed_path/..',
      error: { '.tag': 'path', path: { '.tag': 'malformed_path' } },
    }),
    { rel: 'site/bad .csv' },
  );
  assert.equal(malformed.kind, 'file-failed');
  assert.equal(malformed.code, 'malformed-path');
  assert.match(malformed.message, /"site\/bad \.csv"/);
  // The file is in the transit folder by then: the fix names where to rename it.
  assert.match(malformed.message, /rename the file or its folder in the transit folder/);

  const disallowed = classifyUnion(
    { '.tag': 'path', path: { '.tag': 'disallowed_name' } },
    { rel: 'RDL/USB0/data.csv' },
  );
  assert.equal(disallowed.code, 'disallowed-name');
  assert.match(disallowed.message, /data\.csv.*rename the file in the transit folder/);
  // A file an operating system makes (found in transit on the trial: Windows Explorer's) is no
  // data: renaming it would upload it among the logger's files. It is to be deleted.
  for (const rel of ['cameras/reolink1/Thumbs.db', 'desktop.ini', 'RDL/.DS_Store']) {
    const system = classifyUnion({ '.tag': 'path', path: { '.tag': 'disallowed_name' } }, { rel });
    assert.equal(system.code, 'disallowed-name');
    assert.doesNotMatch(system.message, /rename/, rel);
    assert.match(system.message, /operating system makes .*: delete it from the transit folder$/);
  }

  // A path that is no file's (the fleet heartbeat, `<fleet folder>/<site>.json`) comes from the
  // settings: the fix is there, not a rename in the transit folder.
  for (const tag of ['malformed_path', 'disallowed_name']) {
    const notAFile = classifyDropboxError(
      http(409, {
        error_summary: `path/${tag}/..`,
        error: { '.tag': 'path', path: { '.tag': tag } },
      }),
    );
    assert.equal(notAFile.kind, 'file-failed');
    assert.doesNotMatch(notAFile.message, /transit/);
    assert.match(notAFile.message, /in the settings$/);
  }

  for (const tag of ['too_large', 'payload_too_large']) {
    const big = classifyUnion(
      { '.tag': 'lookup_failed', lookup_failed: { '.tag': tag } },
      { rel: 'x' },
    );
    assert.equal(big.kind, 'file-failed');
    assert.equal(big.code, 'file-too-large');
  }
});

test('insufficient space blocks the leg as quota-full, in upload and finish shapes', () => {
  const upload = classifyDropboxError(
    http(409, {
      error_summary: 'path/insufficient_space/',
      error: { '.tag': 'path', reason: { '.tag': 'insufficient_space' }, upload_session_id: 'x' },
    }),
  );
  assert.equal(upload.kind, 'blocked');
  assert.equal(upload.code, 'quota-full');
  const entry = classifyUnion({ '.tag': 'path', path: { '.tag': 'insufficient_space' } });
  assert.equal(entry.code, 'quota-full');
});

test('a revoked refresh token is auth-revoked with the reconnect message', () => {
  const e = classifyDropboxError(
    http(400, { error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' }),
  );
  assert.equal(e.kind, 'blocked');
  assert.equal(e.code, 'auth-revoked');
  assert.equal(
    e.message,
    'Dropbox access was revoked: reconnect RDL Sync to Dropbox (window: Connect to Dropbox; headless: rdl-sync auth)',
  );
});

test('401 expired/invalid access token is recognised as refreshable', () => {
  const expired = http(401, {
    error_summary: 'expired_access_token/...',
    error: { '.tag': 'expired_access_token' },
  });
  assert.equal(isAccessTokenRejected(expired), true);
  assert.equal(
    isAccessTokenRejected(http(409, { error: { '.tag': 'expired_access_token' } })),
    false,
  );
  assert.equal(isAccessTokenRejected(http(401, { error: { '.tag': 'missing_scope' } })), false);
});

test('incorrect_offset is found wherever the union nests it', () => {
  assert.equal(
    correctOffsetOf({ '.tag': 'incorrect_offset', correct_offset: 8_388_608 }),
    8_388_608,
  );
  assert.equal(
    correctOffsetOf({
      '.tag': 'lookup_failed',
      lookup_failed: { '.tag': 'incorrect_offset', correct_offset: 5 },
    }),
    5,
  );
  assert.equal(correctOffsetOf({ '.tag': 'not_found' }), undefined);
  const e = classifyUnion({ '.tag': 'incorrect_offset', correct_offset: 5 });
  assert.equal(e.code, 'offset-mismatch');
});

test('a SyncError passes through unchanged (classified exactly once)', () => {
  const once = classifyDropboxError(http(500, ''));
  assert.equal(classifyDropboxError(once), once);
});

test('plain-text 400 bodies are shortened and long opaque strings cut out', () => {
  const token = 'sl.' + 'A'.repeat(120);
  const e = classifyDropboxError(
    http(400, `Error in call to API function "files/upload": bad path; token ${token}`),
    { rel: 'a b.csv' },
  );
  assert.equal(e.kind, 'file-failed');
  assert.ok(!e.message.includes(token));
  assert.ok(!e.message.includes('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
});

test('local read failures: vanished vs unreadable', async () => {
  const gone = await readFile('/nonexistent/rdl/x').catch((e: unknown) => e);
  const vanished = classifyLocalFileError(gone, { rel: 'x' });
  assert.equal(vanished.kind, 'file-failed');
  assert.equal(vanished.code, 'file-vanished');
  const dir = await readFile('/').catch((e: unknown) => e);
  assert.equal(classifyLocalFileError(dir, { rel: '/' }).code, 'file-unreadable');
});

test('running out of retries on a network error means offline (blocked)', () => {
  const net = new SyncError({ kind: 'retry', code: 'network', message: 'x' });
  const off = exhausted(net, 5);
  assert.equal(off.kind, 'blocked');
  assert.equal(off.code, 'offline');
  assert.match(off.message, /^Dropbox could not be reached after 5 attempts:/);
  // One try (a policy of maxAttempts 1) is said in the singular.
  assert.match(exhausted(net, 1).message, /^Dropbox could not be reached after 1 attempt:/);
  const server = new SyncError({ kind: 'retry', code: 'server-error', message: 'x' });
  assert.equal(exhausted(server, 5), server);
});

// A file rewritten shorter in transit while it was sent read "could not be read (ESHORT): check
// its permissions and the disk" (adversarial-files trial): nothing was wrong with either.
test('a file that became shorter while it was read says so, not permissions or the disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rdl-eshort-'));
  try {
    const file = join(dir, 'shrink.bin');
    await writeFile(file, Buffer.alloc(1000, 1));
    const fh = await open(file, 'r');
    // The reader was made for the size the file had when its upload began.
    const reader = new ChunkReader(fh, 4000, 4000);
    const short = await reader.read(0).then(
      () => assert.fail('read past the end'),
      (e: unknown) => e,
    );
    await fh.close();
    const err = classifyLocalFileError(short, { rel: 'big/shrink.bin' });
    assert.equal(err.kind, 'file-failed');
    assert.equal(
      err.message,
      '"big/shrink.bin" became shorter while it was being sent (something rewrote it in the transit folder): it is sent again as it is now, once it stops changing',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
