// A small fetch() on node:http/https for the Dropbox SDK. Node's built-in fetch (undici) copies
// every Buffer request body before sending it; for 8-148 MiB upload chunks those copies pile up
// between garbage collections and dominate the uploader's memory. Here the caller's Buffer is
// written to the socket as it is, and the (small, JSON) answer is read whole, without web
// streams, which for thousands of small uploads cost more CPU than the upload itself.
// Nor does it touch the web globals (Headers, Request, Response): in Node 20 the first use of any
// of them loads undici, 30-150 ms of start-up spent before the first request could go out. The
// answer is a small object with the parts of Response the SDK and the uploader read.
// Only what the uploader uses is supported: POST/GET with a string, byte, parted (BodyParts: a
// batch's files, sent without joining them) or streamed body (StreamedBody: pieces read on
// demand, so a large chunk is never held in memory whole),
// headers, an AbortSignal, answers read as text or JSON (not large downloads: they are buffered
// whole). A connection on which nothing moves for `idleTimeoutMs` (default 2 min) is given up as
// a network error: that catches dead links without cutting off slow transfers still moving.
// Requests go through the HTTP proxy the environment names (proxy-env.ts), as curl's did.
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { isProxyMistake, proxyFor, proxyRulesFromEnv, type ProxyRules } from './proxy-env.js';
import { registerSecret } from '../log/index.js';
import { anyCause, findInCauses } from './cause-chain.js';
import { proxyMistakeError, TUNNEL_SIGNAL, tunnelAgent, type ProxyError } from './proxy-tunnel.js';

// Not `import { request } from 'node:http'`: an ES module's import of a built-in makes Node read
// every export of it, and from Node 22.5 (Electron 45, which runs the packaged daemon) one of
// http's, WebSocket, loads that same undici: about 35 ms of CPU at every start (measured with
// Node 22.23 standing in; Node 20 has no such export). getBuiltinModule hands over the module
// object without reading its exports.
const { request: httpRequest } = process.getBuiltinModule('node:http');
const { request: httpsRequest } = process.getBuiltinModule('node:https');

type FetchInit = NonNullable<Parameters<typeof fetch>[1]>;

/**
 * A request body of known length produced piece by piece. Each piece is written to the socket
 * and handed to the kernel before the next one is asked for, so a piece's buffer may be reused
 * for the next piece. One StreamedBody is one attempt: a retry needs a fresh one.
 */
export interface StreamedBody {
  readonly streamedLength: number;
  pieces(): AsyncIterable<Uint8Array>;
}

/**
 * A request body held as several buffers (an append_batch body: one per file), written to the
 * socket one after another as they are, never joined into one. A joined copy is a memcpy of every
 * byte into a fresh allocation, and under the daemon's unit (MALLOC_MMAP_THRESHOLD_: glibc maps
 * fresh pages for every allocation over 128 KiB) a page fault per 4 KiB and a map and unmap per
 * body: about 35 us of CPU per 8 KiB file here, against under 1 us without that setting.
 * The parts must not change once given (a retry sends the same parts again).
 */
export class BodyParts {
  readonly length: number;

  constructor(readonly parts: readonly Uint8Array[]) {
    this.length = parts.reduce((n, p) => n + p.byteLength, 0);
  }

  /** The parts from `start` to `end` (indices into `parts`), as a body of their own. */
  slice(start: number, end?: number): BodyParts {
    return new BodyParts(this.parts.slice(start, end));
  }
}

function isStreamedBody(body: unknown): body is StreamedBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as StreamedBody).streamedLength === 'number' &&
    typeof (body as StreamedBody).pieces === 'function'
  );
}

function bodyBytes(body: unknown): Buffer | StreamedBody | BodyParts | undefined {
  if (body === undefined || body === null) return undefined;
  if (body instanceof BodyParts) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (isStreamedBody(body)) return body;
  throw new TypeError('nodeHttpFetch sends only string, byte, parted or streamed bodies');
}

/** Request headers as the SDK (a plain object) or endpointFetch (a Headers-like) gives them. */
function headerRecord(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined || h === null) return out;
  if (Array.isArray(h)) {
    for (const [name, value] of h as [string, string][]) out[name.toLowerCase()] = String(value);
  } else if (typeof (h as { forEach?: unknown }).forEach === 'function') {
    (h as { forEach(cb: (value: string, name: string) => void): void }).forEach((value, name) => {
      out[name.toLowerCase()] = value;
    });
  } else {
    for (const [name, value] of Object.entries(h as Record<string, unknown>))
      if (value !== undefined) out[name.toLowerCase()] = String(value);
  }
  return out;
}

/** The parts of Headers that readers of an answer use (names are case-insensitive). */
class AnswerHeaders {
  constructor(readonly raw: IncomingMessage['headers']) {}

  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : v;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  forEach(cb: (value: string, name: string) => void): void {
    for (const name of Object.keys(this.raw)) cb(this.get(name) ?? '', name);
  }
}

/** The parts of Response the SDK and the uploader read; the body is already here, whole. */
class Answer {
  readonly ok: boolean;
  readonly headers: AnswerHeaders;
  bodyUsed = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    raw: IncomingMessage['headers'],
    private readonly body: Buffer,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new AnswerHeaders(raw);
  }

  clone(): Answer {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return new Answer(this.status, this.statusText, this.headers.raw, this.body, this.url);
  }

  private take(): Buffer {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.bodyUsed = true;
    return this.body;
  }

  text(): Promise<string> {
    try {
      return Promise.resolve(this.take().toString('utf8'));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    try {
      const b = this.take();
      const copy = new ArrayBuffer(b.byteLength);
      new Uint8Array(copy).set(b);
      return Promise.resolve(copy);
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
export const IDLE_TIMEOUT_MS = 120_000;

/** A connection given up because nothing moved on it (a network error: ETIMEDOUT). */
class IdleTimeout extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(readonly idleMs: number) {
    super(`no data moved for ${idleMs} ms`);
  }
}

function idleTimeout(ms: number): Error {
  return new IdleTimeout(ms);
}

/** Whether `e` (or a cause of it) is a connection given up because nothing moved on it. */
export function isIdleTimeout(e: unknown): boolean {
  return anyCause(e, (cur) => cur instanceof IdleTimeout);
}

/** How long nothing moved before `e` (or a cause of it) gave a connection up; null if none did. */
export function idleTimeoutMsOf(e: unknown): number | null {
  return findInCauses(e, (cur) => (cur instanceof IdleTimeout ? cur.idleMs : null));
}

export interface NodeHttpFetchOptions {
  idleTimeoutMs?: number;
  /** Which requests go through a proxy. Default: the environment's (proxy-env.ts), read once. */
  proxyRules?: ProxyRules;
  /** How long a proxy may take to open a tunnel (default proxy-tunnel.ts TUNNEL_TIMEOUT_MS). */
  tunnelTimeoutMs?: number;
}

export function createNodeHttpFetch(opts: NodeHttpFetchOptions = {}): typeof fetch {
  const idleMs = opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const routes = new Routes(opts.proxyRules, opts.tunnelTimeoutMs);
  return ((input: unknown, init: FetchInit = {}) =>
    send(input, init, idleMs, routes) as Promise<unknown>) as typeof fetch;
}

/** How one request is made: straight, through a proxy's tunnel, or not at all (why). */
type Route =
  { kind: 'direct' } | { kind: 'tunnel'; agent: Agent } | { kind: 'refused'; error: ProxyError };

class Routes {
  private rules: ProxyRules | undefined;
  /** One tunnel agent per proxy, so tunnels are pooled and reused. */
  private readonly agents = new Map<string, Agent>();

  constructor(
    rules?: ProxyRules,
    private readonly tunnelTimeoutMs?: number,
  ) {
    this.rules = rules;
  }

  of(url: URL): Route {
    if (this.rules === undefined) {
      this.rules = proxyRulesFromEnv();
      // A proxy's password is a secret: kept out of every log line, as the tokens are.
      const https = this.rules.https;
      if (https !== undefined && !isProxyMistake(https)) registerSecret(https.password);
    }
    const proxy = proxyFor(this.rules, url);
    if (proxy === undefined) return { kind: 'direct' };
    if (isProxyMistake(proxy)) return { kind: 'refused', error: proxyMistakeError(proxy) };
    const key = `${proxy.host}:${proxy.port}:${proxy.authorization ?? ''}`;
    let agent = this.agents.get(key);
    if (agent === undefined) {
      agent = tunnelAgent(proxy, this.tunnelTimeoutMs);
      this.agents.set(key, agent);
    }
    return { kind: 'tunnel', agent };
  }
}

export const nodeHttpFetch: typeof fetch = createNodeHttpFetch();

/** libuv's count of bytes handed to a socket that the kernel has not taken yet. */
type WithWriteQueue = { _handle?: { writeQueueSize?: number } | null };

/**
 * Bytes that moved on the request's connection so far: read from it, and taken by the kernel
 * (dispatched to libuv, less what libuv still holds). Only differences are compared, so bytes of
 * an earlier request on a kept-alive socket do no harm.
 */
function bytesMoved(req: ClientRequest): number {
  const socket = req.socket;
  if (!socket) return 0;
  const held = (socket as unknown as WithWriteQueue)._handle?.writeQueueSize ?? 0;
  return socket.bytesRead + socket.bytesWritten - socket.writableLength - held;
}

/**
 * Gives the request up (a network error, ETIMEDOUT) once nothing has moved on its connection for
 * `idleMs`. Not Node's socket timeout (req.setTimeout): while a write is pending its timeout
 * restarts once for every change of the write queue since the last look, so a body whose last
 * bytes the kernel took just after a peer stopped reading (the socket buffers filling, the
 * milliseconds after the freeze) was given up only after twice the time: 4 minutes for the
 * 2 promised, measured against a Dropbox emulator stopped with SIGSTOP mid-upload. Here the
 * connection is looked at every eighth of the time, and the time runs from the last look that
 * saw bytes move, so a request is given up between idleMs and 1.125 x idleMs after its last byte.
 */
function watchIdle(req: ClientRequest, idleMs: number): void {
  const stepMs = Math.max(1, Math.ceil(idleMs / 8));
  let seen = bytesMoved(req);
  let movedAt = performance.now();
  const timer = setTimeout(function look() {
    const now = performance.now();
    const moved = bytesMoved(req);
    if (moved !== seen) {
      seen = moved;
      movedAt = now;
    } else if (now - movedAt >= idleMs) {
      req.destroy(idleTimeout(idleMs));
      return;
    }
    timer.refresh();
  }, stepMs);
  // The connection keeps the process alive while the request is open; the look need not.
  timer.unref();
  req.once('close', () => clearTimeout(timer));
}

/** One piece to the socket; settles once the kernel has it (or the request has ended). */
function writePiece(req: ClientRequest, piece: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('the request ended while its body was sent'));
    req.once('close', onClose);
    req.write(piece, (e) => {
      req.off('close', onClose);
      if (e) reject(e);
      else resolve();
    });
  });
}

/**
 * Writes a streamed body piece by piece. A failure to produce a piece (the file could not be
 * read) ends the request with that error, so the caller sees the local cause, not a network one.
 */
async function writeStreamed(req: ClientRequest, body: StreamedBody): Promise<void> {
  let sent = 0;
  try {
    for await (const piece of body.pieces()) {
      if (req.destroyed) return;
      sent += piece.byteLength;
      if (sent > body.streamedLength) throw new Error('a streamed body is longer than declared');
      await writePiece(req, piece);
    }
    if (sent !== body.streamedLength) throw new Error('a streamed body is shorter than declared');
    req.end();
  } catch (e) {
    if (!req.destroyed) req.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}

function send(input: unknown, init: FetchInit, idleMs: number, routes: Routes): Promise<Answer> {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    return Promise.reject(new TypeError('nodeHttpFetch takes a URL, not a Request'));
  }
  const url = new URL(String(input));
  const body = bodyBytes(init.body);
  const headers = headerRecord(init.headers);
  if (body !== undefined)
    headers['content-length'] = String(
      Buffer.isBuffer(body) || body instanceof BodyParts ? body.length : body.streamedLength,
    );
  const signal = init.signal ?? undefined;
  const request =
    url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (request === undefined)
    return Promise.reject(new TypeError(`unsupported URL scheme ${url.protocol}`));

  const route = routes.of(url);
  if (route.kind === 'refused') return Promise.reject(route.error);

  return new Promise<Answer>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const method = init.method ?? 'GET';
    // Through a proxy, the tunnel agent opens (and pools) the connections; else Node's own agent.
    const req = request(url, {
      method,
      headers,
      ...(route.kind === 'tunnel'
        ? { agent: route.agent, ...(signal ? { [TUNNEL_SIGNAL]: signal } : {}) }
        : {}),
    });
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      // At once: a request still waiting for its connection (a tunnel being opened) hears of
      // its destruction only once the connection is there.
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    req.once('error', (e) => {
      done();
      reject(signal?.aborted ? signal.reason : e);
    });
    watchIdle(req, idleMs);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', (e) => {
        done();
        reject(signal?.aborted ? signal.reason : e);
      });
      res.once('end', () => {
        done();
        const status = res.statusCode ?? 0;
        const bytes = NULL_BODY_STATUS.has(status) ? Buffer.alloc(0) : Buffer.concat(chunks);
        resolve(new Answer(status, res.statusMessage ?? '', res.headers, bytes, url.href));
      });
    });
    if (body === undefined || Buffer.isBuffer(body)) req.end(body);
    else if (body instanceof BodyParts) {
      // All queued at once, each part as it is (before the socket is handed over, http queues
      // them and then writes them together).
      for (const part of body.parts) req.write(part);
      req.end();
    } else void writeStreamed(req, body);
  });
}
