// The engine's fetch through a proxy, in the ways a real one misbehaves, and a webhook relay that
// has moved: real servers on loopback, the real fetch (net/http-fetch.ts) and webhook channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createNodeHttpFetch } from '../../src/engine/net/http-fetch.js';
import { proxyRulesFromEnv } from '../../src/engine/net/proxy-env.js';
import { classifyDropboxError, neverConnected } from '../../src/engine/dropbox/classify.js';
import { WebhookChannel } from '../../src/engine/alerts/channels/webhook.js';
import { alert, origin } from '../alerts/channel-fixtures.js';
import { waitUntil } from '../alerts/loopback.js';
import { startLoopbackProxy } from './loopback-proxy.js';

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

test('a request given up while its tunnel is still being opened ends at once, the CONNECT with it', async () => {
  // A proxy that takes the connection and never answers CONNECT (overloaded, or half dead).
  const held: net.Socket[] = [];
  let closed = 0;
  const silent = net.createServer((s) => {
    held.push(s);
    s.resume(); // read the CONNECT (and so hear the client's close)
    s.on('close', () => closed++);
    s.on('error', () => {});
  });
  const port = await listen(silent);
  try {
    const fetch = createNodeHttpFetch({
      proxyRules: proxyRulesFromEnv({ https_proxy: `http://127.0.0.1:${port}` }),
    });
    const started = Date.now();
    await assert.rejects(
      fetch('https://api.dropboxapi.com/2/users/get_current_account', {
        method: 'POST',
        signal: AbortSignal.timeout(300),
      }),
      (e: Error) => e.name === 'TimeoutError',
    );
    // Before, it ended only when the tunnel's own 30 s deadline had passed.
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    await waitUntil('the CONNECT given up', () => closed === held.length && closed > 0, 10_000);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('a proxy that lets a tunnel wait its whole time out is taken as down for that long: the next requests fail at once, in its words', async () => {
  const held: net.Socket[] = [];
  const silent = net.createServer((s) => {
    held.push(s);
    s.resume();
    s.on('error', () => {});
  });
  const port = await listen(silent);
  try {
    const fetch = createNodeHttpFetch({
      proxyRules: proxyRulesFromEnv({ https_proxy: `http://127.0.0.1:${port}` }),
      tunnelTimeoutMs: 300,
    });
    const call = (): Promise<unknown> =>
      fetch('https://api.dropboxapi.com/2/users/get_current_account', { method: 'POST' }).then(
        () => null,
        (e: unknown) => e,
      );
    for (let i = 0; i < 3; i++) {
      const e = await call();
      assert.match(
        String((e as Error).message),
        /^cannot connect to the proxy http:\/\/127\.0\.0\.1:\d+ \(from https_proxy\) \(ETIMEDOUT\): the proxy did not answer in time/,
      );
    }
    // One wait, not three: the second and third did not open a connection of their own.
    assert.equal(held.length, 1);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test("a tunnel the proxy closes before TLS is set up reached no server: never a header refusal, said as the proxy's doing", async () => {
  // The proxy says 200, then its filter cuts the connection (SNI filtering, an inspection's
  // "terminate"): no request was sent, so the header-size logic must not count it.
  const cutter = net.createServer((s) => s.destroy());
  const cutPort = await listen(cutter);
  const proxy = await startLoopbackProxy({ routes: { 'api.dropboxapi.com:443': cutPort } });
  try {
    const fetch = createNodeHttpFetch({
      proxyRules: proxyRulesFromEnv({ https_proxy: `http://127.0.0.1:${proxy.port}` }),
    });
    const e = await fetch('https://api.dropboxapi.com/2/files/upload_session/append_batch', {
      method: 'POST',
    }).then(
      () => null,
      (x: unknown) => x,
    );
    assert.ok(e, 'the request fails');
    assert.equal(neverConnected(e), true, String(e));
    // Said as the proxy's doing, not as "the network".
    assert.match(
      classifyDropboxError(e).message,
      /^Could not reach Dropbox: the proxy http:\/\/127\.0\.0\.1:\d+ \(from https_proxy\) opened the way to api\.dropboxapi\.com:443, then closed it before the connection was secured/,
    );
    assert.deepEqual(proxy.connects, ['api.dropboxapi.com:443']);
  } finally {
    await proxy.close();
    await new Promise<void>((resolve) => cutter.close(() => resolve()));
  }
});

test('a webhook relay that moved: 307 and 308 followed with the POST, a 301 said with the new host', async () => {
  const seen: string[] = [];
  const relay = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body.length > 0 ? 'with body' : 'empty'}`);
      const moves: Record<string, [number, string]> = {
        '/old': [308, '/older'],
        '/older': [307, '/new'],
        '/gone': [301, 'https://hooks.example.org/new'],
        '/loop': [307, '/loop'],
      };
      const move = moves[req.url ?? ''];
      if (move) res.writeHead(move[0], { location: move[1] }).end();
      else res.writeHead(200).end('ok');
    });
  });
  const base = `http://127.0.0.1:${await listen(relay)}`;
  const retry = { attempts: 1, baseMs: 10, timeoutMs: 5_000 };
  try {
    await new WebhookChannel(`${base}/old`, 'generic', retry).send(alert, origin);
    assert.deepEqual(seen, ['POST /old with body', 'POST /older with body', 'POST /new with body']);

    const gone = await new WebhookChannel(`${base}/gone`, 'generic', retry)
      .send(alert, origin)
      .then(
        () => null,
        (x: unknown) => x as Error,
      );
    assert.match(
      String(gone?.message),
      /HTTP 301 \(the webhook moved to hooks\.example\.org: set its new URL with rdl-sync alert secret webhook-url\)/,
    );

    seen.length = 0;
    const loop = await new WebhookChannel(`${base}/loop`, 'generic', retry)
      .send(alert, origin)
      .then(
        () => null,
        (x: unknown) => x as Error,
      );
    assert.match(String(loop?.message), /HTTP 307/);
    assert.equal(seen.length, 4, 'a few moves at most');
  } finally {
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  }
});
