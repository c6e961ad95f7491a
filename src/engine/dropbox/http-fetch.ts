// A small fetch() on node:http/https for the Dropbox SDK. Node's built-in fetch (undici) copies
// every Buffer request body before sending it; for 8-148 MiB upload chunks those copies pile up
// between garbage collections and dominate the uploader's memory. Here the caller's Buffer is
// written to the socket as it is, and the (small, JSON) answer is read whole, without web
// streams, which for thousands of small uploads cost more CPU than the upload itself.
// Only what the uploader uses is supported: POST/GET with a string or byte body, headers, an
// AbortSignal, answers read as text or JSON (not large downloads: they are buffered whole).
// A connection on which nothing moves for `idleTimeoutMs` (default 2 min) is given up as a
// network error: that catches dead links without cutting off slow transfers still moving.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

type FetchInit = NonNullable<Parameters<typeof fetch>[1]>;

function bodyBytes(body: FetchInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('nodeHttpFetch sends only string or byte bodies');
}

function toHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) h.append(name, v);
  }
  return h;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
export const IDLE_TIMEOUT_MS = 120_000;

function idleTimeout(ms: number): Error {
  return Object.assign(new Error(`no data moved for ${ms} ms`), { code: 'ETIMEDOUT' });
}

export function createNodeHttpFetch(opts: { idleTimeoutMs?: number } = {}): typeof fetch {
  const idleMs = opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  return (input, init = {}) => send(input, init, idleMs);
}

export const nodeHttpFetch: typeof fetch = createNodeHttpFetch();

function send(
  input: Parameters<typeof fetch>[0],
  init: FetchInit,
  idleMs: number,
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (input instanceof Request) {
    return Promise.reject(new TypeError('nodeHttpFetch takes a URL, not a Request'));
  }
  const bytes = bodyBytes(init.body);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  if (bytes !== undefined) headers['content-length'] = String(bytes.length);
  const signal = init.signal ?? undefined;
  const request =
    url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (request === undefined)
    return Promise.reject(new TypeError(`unsupported URL scheme ${url.protocol}`));

  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const req = request(url, { method: init.method ?? 'GET', headers });
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    req.once('error', (e) => {
      done();
      reject(signal?.aborted ? signal.reason : e);
    });
    req.setTimeout(idleMs, () => req.destroy(idleTimeout(idleMs)));
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
        const body = NULL_BODY_STATUS.has(status) ? null : Buffer.concat(chunks);
        resolve(
          new Response(body, {
            status,
            statusText: res.statusMessage ?? '',
            headers: toHeaders(res),
          }),
        );
      });
    });
    req.end(bytes);
  });
}
