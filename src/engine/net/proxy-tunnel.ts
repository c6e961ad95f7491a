// Requests through an HTTP proxy (proxy-env.ts says which): each goes through a CONNECT tunnel.
// The proxy relays bytes and sees only the host name; the TLS session is ours end to end (the
// certificate checked as without a proxy). Tunnels are kept alive and reused as direct
// connections are: the agent pools them by host.
import type { IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { findInCauses } from './cause-chain.js';
import type { HttpProxy, ProxyMistake } from './proxy-env.js';

// Not `import … from 'node:http'`: see http-fetch.ts (an ES import of a built-in reads all its
// exports, and one of http's loads undici in the Node of Electron 45).
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');
const { isIP } = process.getBuiltinModule('node:net');

/**
 * Why a request could not go through the proxy:
 *  - unreachable: the proxy took no connection (refused, its name unknown, no answer in time) or
 *    answered with its own trouble or the server's (5xx but 501); nothing reached the server,
 *    try again;
 *  - login: it asks for a login (407): none given, the one given refused, or one of Windows';
 *  - refused: it will not connect to that host (403, another 4xx) or opens no tunnels (501);
 *  - mistake: the proxy variable cannot be used as it is written.
 * The last three need a person; the message names the proxy, the variable and the fix.
 */
export type ProxyTrouble = 'unreachable' | 'login' | 'refused' | 'mistake';

export class ProxyError extends Error {
  override readonly name = 'ProxyError';

  constructor(
    readonly trouble: ProxyTrouble,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The proxy's own failure or refusal in `e` or its causes, if any. */
export function proxyErrorIn(e: unknown): ProxyError | null {
  return findInCauses(e, (cur) => (cur instanceof ProxyError ? cur : null));
}

/** How long a proxy may take to open a tunnel (connect and answer CONNECT) before it is given up. */
export const TUNNEL_TIMEOUT_MS = 30_000;

/** Proxy-Authorization, when the proxy's URL has a login. */
function proxyHeaders(proxy: HttpProxy): Record<string, string> {
  return proxy.authorization ? { 'proxy-authorization': proxy.authorization } : {};
}

function via(proxy: HttpProxy): string {
  return `the proxy ${proxy.shown} (from ${proxy.variable})`;
}

// Each with both cases, as only a person can tell them apart: a proxy down comes back by itself,
// a mistyped address never does.
const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing takes connections at that address and port',
  ENOTFOUND: "the proxy's host name is not found (check it, and this machine's DNS)",
  EAI_AGAIN: "the proxy's host name could not be looked up (DNS did not answer)",
  EHOSTUNREACH: 'no route to the proxy (check the network)',
  ENETUNREACH: 'no route to the proxy (check the network)',
  ETIMEDOUT: 'the proxy did not answer in time',
};

/** The proxy took no connection, or gave no answer. */
export function proxyUnreachable(proxy: HttpProxy, cause: unknown): ProxyError {
  const code = (cause as { code?: unknown } | null)?.code;
  const hint = typeof code === 'string' ? CONNECT_HINTS[code] : undefined;
  return new ProxyError(
    'unreachable',
    `cannot connect to ${via(proxy)}${typeof code === 'string' ? ` (${code})` : ''}${hint ? `: ${hint}` : ''}; if that address is wrong, correct ${proxy.variable} and restart RDL Sync; if the proxy is down, it is tried again until it is back`,
    { cause },
  );
}

/**
 * The proxy answered `status` instead of relaying to `target` (host:port). `offered`: its
 * Proxy-Authenticate schemes, when it asked for a login.
 */
export function proxyAnswer(
  proxy: HttpProxy,
  target: string,
  status: number,
  statusText: string,
  offered: string[] = [],
): ProxyError {
  const answer = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const host = target.replace(/:\d+$/, '');
  const direct = `if ${host} is reached without the proxy, add it to no_proxy`;
  // A proxy of a Windows domain may offer only NTLM or Negotiate (Kerberos) logins: a user name
  // and password in the URL is a Basic login, which such a proxy never takes.
  if (status === 407 && offered.length > 0 && !offered.includes('basic')) {
    return new ProxyError(
      'login',
      `${via(proxy)} asks for a Windows login (${offered.join(', ')}, ${answer}), which RDL Sync cannot give (only a user name and password, Basic): point ${proxy.variable} at a local relay that logs in for it (cntlm or px), or ask the network's administrator to let Dropbox's hosts through without a login; then restart RDL Sync`,
    );
  }
  if (status === 407) {
    return new ProxyError(
      'login',
      proxy.authorization
        ? `${via(proxy)} refused the user name and password given in ${proxy.variable} (${answer}): correct them there (http://user:password@host:port, special characters %-encoded), then restart RDL Sync`
        : `${via(proxy)} asks for a user name and password (${answer}): put them in ${proxy.variable} as http://user:password@host:port (special characters %-encoded), then restart RDL Sync`,
    );
  }
  // Its own trouble, or the server's it could not reach: tried again, as any outage.
  if (status >= 500 && status !== 501) {
    return new ProxyError(
      'unreachable',
      `${via(proxy)} could not reach ${target} (${answer}; ${direct})`,
    );
  }
  return new ProxyError(
    'refused',
    status === 501 || status === 405
      ? `${via(proxy)} does not open tunnels (CONNECT: ${answer}), which https needs: ${proxy.variable} must name the network's proxy for https, or, ${direct}; then restart RDL Sync`
      : // The proxy's rules, not this machine's settings: once it allows the host, the next
        // try goes through, no restart needed (a no_proxy added is read at start, as any).
        `${via(proxy)} refused to connect to ${target} (${answer}): ask the network's administrator to allow ${target} through it (it is tried again at each pass), or, ${direct} and restart RDL Sync`,
  );
}

export function proxyMistakeError(m: ProxyMistake): ProxyError {
  return new ProxyError('mistake', `${m.mistake}; then restart RDL Sync`);
}

/** host:port as CONNECT names it (an IPv6 address in brackets). */
function authority(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

type Created = (err: Error | null, socket?: TLSSocket) => void;

/**
 * The option a request carries to its tunnel: the request's AbortSignal (Node hands the agent
 * every request option but `signal`), so a request given up also gives up the CONNECT it waits on.
 */
export const TUNNEL_SIGNAL = 'rdlTunnelSignal';

/** Opens a CONNECT tunnel to host:port through the proxy; `done` gets the raw socket or why not. */
function openTunnel(
  proxy: HttpProxy,
  target: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  done: (err: Error | null, socket?: Socket) => void,
): void {
  let settled = false;
  const settle = (err: Error | null, socket?: Socket): void => {
    if (settled) return;
    settled = true;
    done(err, socket);
  };
  const req = http.request({
    host: proxy.host,
    port: proxy.port,
    method: 'CONNECT',
    path: target,
    headers: { host: target, ...proxyHeaders(proxy) },
    agent: false,
    // From the start of the connection (setTimeout alone starts once it is made): a proxy that
    // drops connection attempts is given up in this time, not the kernel's two minutes a try.
    timeout: timeoutMs,
    ...(signal ? { signal } : {}),
  });
  req.once('timeout', () =>
    req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })),
  );
  req.once('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
    req.setTimeout(0);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      socket.destroy();
      const offered = [res.headers['proxy-authenticate'] ?? []]
        .flat()
        .map((h) => h.trim().split(/\s+/)[0]!.toLowerCase());
      return settle(proxyAnswer(proxy, target, status, res.statusMessage ?? '', offered));
    }
    // The server speaks first in no protocol we tunnel (TLS waits for our hello), so nothing
    // after the proxy's answer is expected; anything there is put back for the reader.
    if (head.length > 0) socket.unshift(head);
    settle(null, socket);
  });
  req.once('error', (e) => settle(proxyUnreachable(proxy, e)));
  req.end();
}

/** An https agent whose connections are CONNECT tunnels through `proxy`, then TLS as usual. */
export function tunnelAgent(proxy: HttpProxy, timeoutMs = TUNNEL_TIMEOUT_MS): HttpsAgent {
  // As Node's global agent: kept alive, an idle tunnel closed after 5 s (a proxy drops idle
  // tunnels itself, and one reused after that would fail its request).
  const agent = new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5_000 });
  const overTls = https.Agent.prototype.createConnection as unknown as (
    this: HttpsAgent,
    options: ConnectionOptions,
  ) => TLSSocket;
  let silent: { untilMs: number; error: ProxyError } | null = null;
  // Agent.createSocket takes the socket from this callback when nothing is returned (Node's
  // documented asynchronous form of createConnection).
  (agent as unknown as { createConnection: unknown }).createConnection = (
    options: ConnectionOptions & { host: string; port: number; [TUNNEL_SIGNAL]?: AbortSignal },
    created: Created,
  ): undefined => {
    const target = authority(options.host, options.port);
    // A proxy that let a tunnel wait its whole time out is taken as down for that long: the
    // requests meanwhile fail at once with its words, not each after the same wait (a pass's
    // six tries of each call made a person wait minutes before hearing anything).
    if (silent !== null && Date.now() < silent.untilMs) {
      created(silent.error);
      return undefined;
    }
    openTunnel(proxy, target, timeoutMs, options[TUNNEL_SIGNAL], (err, socket) => {
      if (err instanceof ProxyError && (err.cause as { code?: unknown })?.code === 'ETIMEDOUT')
        silent = { untilMs: Date.now() + timeoutMs, error: err };
      else if (!err) silent = null;
      if (err || !socket) return created(err ?? new Error('no tunnel'));
      // https.Agent's own TLS over the tunnel: the certificate checked against the host asked
      // for, exactly as without a proxy, and TLS sessions resumed as on direct connections.
      const secure = overTls.call(agent, { ...options, socket });
      // The proxy said yes, then the tunnel ended before TLS was set up: its filter (by host
      // name, or an inspection refusing) cut it. Said as the proxy's doing, not "the network",
      // and never taken for a server refusing a header (none was sent). Registered before the
      // request's own listener, so the error it sees carries the cause.
      secure.once('error', (e: Error & { code?: string }) => {
        if (secure.authorized || e.cause !== undefined) return;
        if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') return;
        e.cause = new ProxyError(
          'unreachable',
          `${via(proxy)} opened the way to ${target}, then closed it before the connection was secured (its filter may refuse that host: if so, ask the network's administrator to allow ${target} through it)`,
        );
      });
      created(null, secure);
    });
    return undefined;
  };
  return agent;
}
