// A lab's HTTP proxy on 127.0.0.1, and Dropbox's hosts behind it: the proxy opens CONNECT tunnels
// and forwards absolute-form http:// requests as Squid or tinyproxy do (asking for a login, refusing
// hosts its rules forbid), but to the test's own servers, named by the hosts a client asks for.
// A TLS front with a test certificate for api.dropboxapi.com and content.dropboxapi.com relays to the emulator, so the client talks to "Dropbox" by its real
// names, over TLS, through the tunnel: the path a hub behind a proxy takes. Nothing resolves
// those names; nothing leaves loopback.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export interface ProxyRules {
  /** host:port → the loopback port that serves it. A target not listed is answered 502. */
  routes: Record<string, number>;
  /** "user:password" the proxy asks for (407 without it or with another). */
  login?: string;
  /** Targets (host:port) the proxy's rules forbid: answered 403. */
  forbidden?: string[];
}

export interface LoopbackProxy {
  port: number;
  /** Every CONNECT target asked for, in order. */
  connects: string[];
  /** Every absolute-form URL forwarded (or refused), in order. */
  forwards: string[];
  /** The Proxy-Authorization of each request (undefined when none was sent). */
  logins: (string | undefined)[];
  rules: ProxyRules;
  close(): Promise<void>;
}

function basic(login: string): string {
  return `Basic ${Buffer.from(login).toString('base64')}`;
}

export async function startLoopbackProxy(rules: ProxyRules): Promise<LoopbackProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: LoopbackProxy = {
    port: 0,
    connects: [],
    forwards: [],
    logins: [],
    rules,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  /** The proxy's refusal (status and reason) of a target, or null when it relays. */
  const refusal = (target: string, auth: string | undefined): [number, string] | null => {
    proxy.logins.push(auth);
    if (proxy.rules.login !== undefined && auth !== basic(proxy.rules.login))
      return [407, 'Proxy Authentication Required'];
    if (proxy.rules.forbidden?.includes(target)) return [403, 'Forbidden'];
    if (proxy.rules.routes[target] === undefined) return [502, 'Bad Gateway'];
    return null;
  };
  const server = http.createServer((req, res) => {
    // Absolute-form: the whole URL in the request line.
    const url = new URL(req.url ?? '');
    const target = `${url.hostname}:${url.port || 80}`;
    proxy.forwards.push(url.href);
    const refused = refusal(target, req.headers['proxy-authorization']);
    if (refused) {
      res.writeHead(refused[0], refused[1], {
        ...(refused[0] === 407 ? { 'proxy-authenticate': 'Basic realm="lab"' } : {}),
      });
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: proxy.rules.routes[target],
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    proxy.connects.push(target);
    const refused = refusal(target, req.headers['proxy-authorization']);
    if (refused) {
      const auth = refused[0] === 407 ? 'Proxy-Authenticate: Basic realm="lab"\r\n' : '';
      client.end(`HTTP/1.1 ${refused[0]} ${refused[1]}\r\n${auth}Content-Length: 0\r\n\r\n`);
      return;
    }
    const upstream = net.connect(proxy.rules.routes[target]!, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  return proxy;
}

export interface TlsFront {
  port: number;
  /** The front's certificate: the client trusts it through NODE_EXTRA_CA_CERTS. */
  caFile: string;
  close(): Promise<void>;
}

/**
 * A TLS server for the names `upstreams` lists (host name → loopback port), each connection relayed
 * as it is to the port of the name the client asked for (its SNI).
 */
export async function startTlsFront(upstreams: Record<string, number>): Promise<TlsFront> {
  const names = Object.keys(upstreams);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-test-ca-'));
  const at = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  // Self-signed, for those names only: trusted as its own authority by the client alone.
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    at('front.key'),
    '-out',
    at('front.crt'),
    '-days',
    '2',
    '-subj',
    `/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${names.map((h) => `DNS:${h}`).join(',')}`,
  );

  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    { key: fs.readFileSync(at('front.key')), cert: fs.readFileSync(at('front.crt')) },
    (client) => {
      const upstream = net.connect(upstreams[client.servername || names[0]!]!, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    caFile: at('front.crt'),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The proxy variables of a child process: only those given, every inherited one cleared. */
export function proxyEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const cleared: NodeJS.ProcessEnv = {};
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'])
    cleared[name] = cleared[name.toUpperCase()] = '';
  return { ...cleared, ...vars };
}
