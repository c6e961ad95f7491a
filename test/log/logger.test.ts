import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/engine/log/logger.js';
import { clearRegisteredSecrets, registerSecret } from '../../src/engine/log/redact.js';
import { tailLog } from '../../src/engine/log/tail.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-log-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const b64url = (n: number): string => crypto.randomBytes(n).toString('base64url');

test('no token ever reaches the file on disk', (t) => {
  t.after(clearRegisteredSecrets);
  const dir = tempDir(t);
  const log = createLogger({ file: path.join(dir, 'logs', 'rdl-sync.log'), level: 'debug' });
  const access = `sl.u.AF${b64url(150)}`;
  const refresh = b64url(48);
  const secret = 'q8w7e6r5t4y3u2i';
  registerSecret(refresh);
  log.info(`refreshed access token ${access}`);
  log.warn('token refresh answered', {
    body: `{"access_token": "${access}", "expires_in": 14400}`,
  });
  log.error('request failed', {
    error: new Error(`POST /oauth2/token refresh_token=${refresh}&client_secret=${secret}`),
  });
  log.debug(`plain mention of ${refresh} in a message`);
  log.info('uploaded', { rel: 'RDL/USB0/a.csv', size: 12 });
  const text = fs.readFileSync(log.file, 'utf8');
  for (const s of [access.slice(0, 40), refresh, secret])
    assert.ok(!text.includes(s), `leaked: ${s.slice(0, 8)}…`);
  assert.match(text, /\[info\]\s+uploaded \{"rel":"RDL\/USB0\/a\.csv","size":12\}/);
  assert.equal(text.trim().split('\n').length, 5);
  assert.ok(!text.includes(']]'), 'redaction is applied once, cleanly');
});

test('levels below the threshold are not written', (t) => {
  const log = createLogger({ file: path.join(tempDir(t), 'a.log'), level: 'warn' });
  log.info('not this');
  log.debug('nor this');
  log.warn('but this');
  const lines = fs.readFileSync(log.file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /\[warn\]\s+but this$/);
});

test('the file rotates by size, keeping the previous one as .old', async (t) => {
  const dir = tempDir(t);
  const maxBytes = 4096;
  const log = createLogger({ file: path.join(dir, 'rdl-sync.log'), maxBytes });
  for (let i = 0; i < 200; i++) log.info(`line ${i} ${'x'.repeat(60)}`);
  const old = path.join(dir, 'rdl-sync.old.log');
  assert.ok(fs.existsSync(old), 'previous file kept');
  assert.ok(fs.statSync(log.file).size <= maxBytes + 200, 'current file stays near the limit');
  assert.ok(fs.statSync(old).size > maxBytes / 2, 'the .old file holds the previous contents');
  const last = await tailLog(log.file, 1);
  assert.match(last[0]!, /line 199 x+$/);
});
