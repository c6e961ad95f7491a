// The two fetch layers under the SDK, against a real HTTP server on 127.0.0.1: the endpoint
// rewrite (Dropbox host -> configured endpoint + X-Dropbox-Host) and the copy-free node:http fetch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyDropboxError } from '../../src/engine/dropbox/classify.js';
import {
  endpointFetch,
  normaliseEndpoint,
  rewriteUrl,
} from '../../src/engine/dropbox/endpoint-fetch.js';
import { createNodeHttpFetch, nodeHttpFetch } from '../../src/engine/dropbox/http-fetch.js';

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
});
