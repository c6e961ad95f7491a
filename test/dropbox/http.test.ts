// The two fetch layers under the SDK, against a real HTTP server on 127.0.0.1: the endpoint
// rewrite (Dropbox host -> configured endpoint + X-Dropbox-Host) and the copy-free node:http fetch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmulator } from '../../tools/emulator/index.js';
import { classifyDropboxError } from '../../src/engine/dropbox/classify.js';
import { withRetry } from '../../src/engine/dropbox/retry.js';
import { isSyncError } from '../../src/engine/errors.js';
import {
  endpointFetch,
  normaliseEndpoint,
  rewriteUrl,
} from '../../src/engine/dropbox/endpoint-fetch.js';
import {
  BodyParts,
  createNodeHttpFetch,
  nodeHttpFetch,
  type StreamedBody,
} from '../../src/engine/net/http-fetch.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
const seen: Seen[] = [];
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      if (req.url === '/empty') {
        res.writeHead(204).end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 5_000).unref();
      } else {
        res.writeHead(409, { 'Content-Type': 'application/json', 'Retry-After': '3' });
        res.end(JSON.stringify({ got: Buffer.concat(chunks).length }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('endpointFetch sends https://<host>/<path>?<query> to <endpoint>/<path>?<query> with X-Dropbox-Host', async () => {
  const f = endpointFetch(base, nodeHttpFetch);
  const res = await f('https://content.dropboxapi.com/2/files/upload_session/start?x=1', {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'Dropbox-API-Arg': '{"close":true}' },
    body: Buffer.from('hello'),
  });
  assert.equal(res.status, 409);
  const last = seen.at(-1)!;
  assert.equal(last.url, '/2/files/upload_session/start?x=1');
  assert.equal(last.headers['x-dropbox-host'], 'content.dropboxapi.com');
  assert.equal(last.headers['dropbox-api-arg'], '{"close":true}');
  assert.equal(last.body.toString(), 'hello');
});

test('without an endpoint URLs are left alone; bad endpoints are refused with the fix', () => {
  assert.equal(
    rewriteUrl('https://api.dropboxapi.com/2/x', '').url,
    'https://api.dropboxapi.com/2/x',
  );
  assert.equal(normaliseEndpoint(' http://127.0.0.1:8080/ '), 'http://127.0.0.1:8080');
  assert.equal(normaliseEndpoint(undefined), '');
  assert.throws(() => normaliseEndpoint('127.0.0.1:8080'), /like http:\/\/127\.0\.0\.1:8080/);
});

test('nodeHttpFetch sends a byte body with its length and reads status, headers and JSON', async () => {
  const body = Buffer.alloc(3 * 1024 * 1024, 7);
  const res = await nodeHttpFetch(`${base}/json`, {
    method: 'POST',
    body,
    headers: { 'X-A': 'b' },
  });
  assert.equal(res.ok, false);
  assert.equal(res.status, 409);
  assert.equal(res.headers.get('retry-after'), '3');
  assert.deepEqual(await res.json(), { got: body.length });
  const last = seen.at(-1)!;
  assert.equal(last.headers['content-length'], String(body.length));
  assert.equal(last.headers['x-a'], 'b');
  assert.ok(last.body.equals(body));
});

test('nodeHttpFetch: a 204 has no body; an abort rejects with its reason; a refused connection is a network error', async () => {
  const empty = await nodeHttpFetch(`${base}/empty`, { method: 'POST' });
  assert.equal(empty.status, 204);
  assert.equal(await empty.text(), '');

  const ac = new AbortController();
  const pending = nodeHttpFetch(`${base}/slow`, { method: 'POST', signal: ac.signal });
  setTimeout(() => ac.abort(new Error('stop waiting')), 20);
  await assert.rejects(pending, /stop waiting/);

  const refused = await nodeHttpFetch('http://127.0.0.1:1/', { method: 'POST' }).catch(
    (e: unknown) => e,
  );
  assert.equal(classifyDropboxError(refused).code, 'network');
});

test('nodeHttpFetch gives up on a connection where nothing moves, as a network error', async () => {
  const impatient = createNodeHttpFetch({ idleTimeoutMs: 100 });
  const err = await impatient(`${base}/slow`, { method: 'POST' }).catch((e: unknown) => e);
  assert.match(String(err), /no data moved for 100 ms/);
  assert.equal(classifyDropboxError(err).code, 'network');

  // Not tried again within the call: six silent tries of 2 min each held a pass (and the card
  // copies behind it) for 12 minutes. A refused connection is still retried.
  let tries = 0;
  const gaveUp = await withRetry(
    () => {
      tries++;
      return impatient(`${base}/slow`, { method: 'POST' });
    },
    { policy: { baseMs: 1, capMs: 1 } },
  ).catch((e: unknown) => e);
  assert.equal(tries, 1, 'a silent link is left to the next pass');
  assert.ok(isSyncError(gaveUp) && gaveUp.code === 'offline', String(gaveUp));
  let refusedTries = 0;
  await withRetry(
    () => {
      refusedTries++;
      return nodeHttpFetch('http://127.0.0.1:9/', { method: 'POST' });
    },
    { policy: { baseMs: 1, capMs: 1, maxAttempts: 3 } },
  ).catch(() => undefined);
  assert.equal(refusedTries, 3);
});

test('nodeHttpFetch streams a body piece by piece with its declared length; a failing piece ends the request with its error', async () => {
  const whole = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 31) & 0xff;
  const piece = Buffer.alloc(1024 * 1024);
  let asked = 0;
  const body: StreamedBody = {
    streamedLength: whole.length,
    async *pieces() {
      for (let at = 0; at < whole.length; at += piece.length) {
        asked++;
        // One buffer, refilled for every piece: only safe because the next piece is asked for
        // once the socket has the previous one.
        const n = whole.copy(piece, 0, at, Math.min(whole.length, at + piece.length));
        yield piece.subarray(0, n);
      }
    },
  };
  const res = await nodeHttpFetch(`${base}/json`, { method: 'POST', body: body as never });
  assert.deepEqual(await res.json(), { got: whole.length });
  const last = seen.at(-1)!;
  assert.equal(last.headers['content-length'], String(whole.length));
  assert.ok(last.body.equals(whole), 'the bytes arrived as they were read, none overwritten');
  assert.equal(asked, 4);

  const failing: StreamedBody = {
    streamedLength: 10_000,
    async *pieces() {
      yield Buffer.alloc(1000, 1);
      throw Object.assign(new Error('disk said no'), { code: 'EIO' });
    },
  };
  const err = await nodeHttpFetch(`${base}/json`, { method: 'POST', body: failing as never }).catch(
    (e: unknown) => e,
  );
  assert.match(String(err), /disk said no/);

  const short: StreamedBody = {
    streamedLength: 10_000,
    async *pieces() {
      yield Buffer.alloc(1000, 1);
    },
  };
  const shortErr = await nodeHttpFetch(`${base}/json`, {
    method: 'POST',
    body: short as never,
  }).catch((e: unknown) => e);
  assert.match(String(shortErr), /shorter than declared/);
});

test('nodeHttpFetch sends a parted body as its parts in order, with their total length, the same again on a second send', async () => {
  // An append_batch body: one buffer per file, of any size, an empty file among them.
  const parts = [300, 0, 8192, 1, 65_537, 4096].map((n, i) => Buffer.alloc(n, i + 1));
  const body = new BodyParts(parts);
  const whole = Buffer.concat(parts);
  assert.equal(body.length, whole.length);
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await nodeHttpFetch(`${base}/json`, { method: 'POST', body: body as never });
    assert.deepEqual(await res.json(), { got: whole.length });
    const last = seen.at(-1)!;
    assert.equal(last.headers['content-length'], String(whole.length));
    assert.ok(last.body.equals(whole), `attempt ${attempt}: the parts arrived whole and in order`);
  }
  const half = body.slice(3);
  assert.equal(half.length, 1 + 65_537 + 4096);
  const res = await nodeHttpFetch(`${base}/json`, { method: 'POST', body: half as never });
  assert.deepEqual(await res.json(), { got: half.length });
  assert.ok(seen.at(-1)!.body.equals(Buffer.concat(parts.slice(3))));
});

test('talking to Dropbox through the connection never loads undici (the web fetch globals cost start-up time)', async () => {
  const emu = await startEmulator();
  try {
    const connection = pathToFileURL(join(ROOT, 'src/engine/dropbox/connection.ts')).href;
    // A fresh process: this one has loaded undici already (the test's own fetch calls).
    const script = `
      import { createDropboxConnection } from ${JSON.stringify(connection)};
      const c = createDropboxConnection(${JSON.stringify({
        appKey: emu.appKey,
        refreshToken: emu.issueRefreshToken(),
        endpoint: emu.url,
      })});
      await c.call((d) => d.filesUpload({ path: '/u.txt', contents: Buffer.from('hi') }));
      const r = await c.call((d) => d.usersGetCurrentAccount());
      console.log(JSON.stringify({
        name: r.result.name.display_name,
        undici: process.moduleLoadList.filter((m) => /undici/.test(m)),
      }));
    `;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    clearTimeout(timer);
    assert.equal(code, 0, err);
    const seen = JSON.parse(out) as { name: string; undici: string[] };
    assert.ok(seen.name.length > 0, 'the calls went through');
    assert.deepEqual(seen.undici, []);
    assert.equal(emu.getFile('/u.txt')?.size, 2);
  } finally {
    await emu.close();
  }
});
