// HTTP front: routing, host and Content-Type checks, auth, argument decoding, faults, shaping.
// Routes only see a RequestContext with validated arguments.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs, type ArgReader } from './args.js';
import { BodyAborted, BodyTooLarge } from './blobs.js';
import { RequestContext } from './context.js';
import { BadRequest, RouteError } from './errors.js';
import type { FaultRule } from './faults.js';
import { fileRoutes } from './routes/files.js';
import { listingRoutes } from './routes/listing.js';
import { handleAdmin } from './routes/admin.js';
import { handleAuthorize, handleToken } from './routes/oauth.js';
import { HOSTS, type Route } from './routes/route.js';
import { sessionRoutes } from './routes/sessions.js';
import { userRoutes } from './routes/users.js';
import type { EmulatorState } from './state.js';

const ROUTES = new Map<string, Route>(
  [...fileRoutes, ...sessionRoutes, ...listingRoutes, ...userRoutes].map((r) => [r.name, r]),
);

const UPLOAD_TYPES = ['application/octet-stream', 'text/plain; charset=dropbox-cors-hack'];
const RPC_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain; charset=dropbox-cors-hack',
];
const MAX_RPC_BODY = 16 * 1024 * 1024;

/** Dropbox's own text (data-transport-limit reference page). */
const TRANSPORT_LIMIT_TEXT =
  "Your team has used all of its data transport API calls for the month. Your monthly limit will reset on the 1st day of every month. If you'd like to move to a plan with unlimited API calls, please contact sales.";

/** A request body's declared length (what the client puts on the link, unless cut off). */
function declaredBodyBytes(req: IncomingMessage): number {
  const n = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Bytes of all request header lines, as a front end counts them against its limit. */
function headerBytes(req: IncomingMessage): number {
  let n = 0;
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    n += (req.rawHeaders[i]?.length ?? 0) + (req.rawHeaders[i + 1]?.length ?? 0) + 4;
  return n;
}

/**
 * Refuses a request whose headers exceed the configured limit, the way front ends do: 431 (Node,
 * Envoy), 400 with nginx's text, or a reset connection. Returns true when it refused.
 */
async function refuseLargeHeaders(state: EmulatorState, req: IncomingMessage, res: ServerResponse) {
  const { limitBytes, refusal } = state.headerLimit;
  if (headerBytes(req) <= limitBytes) return false;
  if (refusal === 'reset') {
    req.socket.destroy();
    return true;
  }
  const [status, text] =
    refusal === '400'
      ? [400, '<html><head><title>400 Request Header Or Cookie Too Large</title></head></html>']
      : [431, ''];
  res.writeHead(status, {
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(text),
    Connection: 'close',
  });
  res.end(text, () => req.socket.destroy());
  return true;
}

/** Admin requests are handed to this (the Emulator object implements it). */
export type AdminHandler = (action: string, body: unknown) => unknown;

function apiError(route: string, detail: string): string {
  return `Error in call to API function "${route}": ${detail}`;
}

async function readSmallBody(ctx: RequestContext): Promise<string> {
  ctx.bodyConsumed = true;
  const chunks: Buffer[] = [];
  let size = 0;
  const declared = Number(ctx.req.headers['content-length'] ?? 0);
  const cutAt = ctx.fault?.kind === 'reset_mid_body' ? Math.floor(declared / 2) : undefined;
  if (cutAt === 0) {
    ctx.req.socket.destroy();
    throw new BodyAborted('connection reset by fault injection');
  }
  for await (const chunk of ctx.req) {
    const buf = chunk as Buffer;
    await ctx.state.link.receive(buf.length);
    size += buf.length;
    if (cutAt !== undefined && size >= cutAt) {
      ctx.req.socket.destroy();
      throw new BodyAborted('connection reset by fault injection');
    }
    if (size > MAX_RPC_BODY) throw new BadRequest('request body: too large for an RPC call');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Rejects what Dropbox rejects before looking at the route's arguments. */
function checkEnvelope(ctx: RequestContext, route: Route): void {
  const sentTo = ctx.req.headers['x-dropbox-host'];
  if (typeof sentTo === 'string' && sentTo !== HOSTS[route.host]) {
    throw new BadRequest(
      `This function is served by ${HOSTS[route.host]}, not ${sentTo}. Use the right host for this route.`,
    );
  }
  const method = ctx.req.method ?? 'GET';
  if (method !== 'POST' && !(route.style === 'download' && method === 'GET')) {
    throw new BadRequest(`HTTP method ${method} is not allowed; use POST.`);
  }
  const type = ctx.req.headers['content-type'];
  const accepted = route.style === 'upload' ? UPLOAD_TYPES : route.style === 'rpc' ? RPC_TYPES : [];
  const absentOk = route.style === 'download' || route.voidArg === true;
  if (type === undefined || type === '') {
    if (absentOk) return;
  } else if (route.style === 'download' ? UPLOAD_TYPES.includes(type) : accepted.includes(type)) {
    return;
  }
  const expecting = (route.style === 'download' ? UPLOAD_TYPES : accepted)
    .map((t) => `"${t}"`)
    .join(', ');
  throw new BadRequest(
    `Bad HTTP "Content-Type" header: "${type ?? ''}".  Expecting one of ${expecting}.`,
  );
}

async function readArgs(ctx: RequestContext, route: Route, url: URL): Promise<ArgReader> {
  if (route.style === 'rpc') {
    const text = await readSmallBody(ctx);
    return parseArgs(route.voidArg && text.trim() === '' ? 'null' : text, 'request body');
  }
  const header = ctx.req.headers['dropbox-api-arg'];
  if (typeof header === 'string') {
    // Node hands raw header bytes over as latin-1; anything outside printable ASCII means the
    // client did not escape non-ASCII characters as \uXXXX.
    if (/[^\t\x20-\x7e]/.test(header)) {
      throw new BadRequest('HTTP header "Dropbox-API-Arg": could not decode input as JSON');
    }
    return parseArgs(header, 'HTTP header "Dropbox-API-Arg"');
  }
  const query = url.searchParams.get('arg');
  if (query !== null) return parseArgs(query, 'URL parameter "arg"');
  throw new BadRequest(
    'Missing argument: send it in the "Dropbox-API-Arg" HTTP header or the "arg" URL parameter.',
  );
}

/** 401 for a missing/unknown/expired token, as an AuthError. */
async function authenticate(ctx: RequestContext): Promise<boolean> {
  const header = ctx.req.headers.authorization;
  if (header === undefined) {
    throw new BadRequest(
      'Must provide HTTP header "Authorization" or URL parameter "authorization".',
    );
  }
  const token = header.startsWith('Bearer ') ? header.slice(7) : undefined;
  const verdict = ctx.state.auth.check(token);
  if (verdict === 'ok') return true;
  await ctx.drain();
  await ctx.routeError({ '.tag': verdict }, 401);
  return false;
}

/** Faults that answer instead of the route. Returns true when it answered. */
async function answerFault(ctx: RequestContext, fault: FaultRule): Promise<boolean> {
  const retryAfter = String(fault.retryAfterSeconds ?? 1);
  switch (fault.kind) {
    case 'too_many_requests':
    case 'too_many_write_operations':
      await ctx.drain();
      await ctx.routeError(
        { reason: { '.tag': fault.kind }, retry_after: Number(retryAfter) },
        fault.status ?? 429,
        { 'Retry-After': retryAfter },
      );
      return true;
    case 'too_many_requests_text':
      await ctx.drain();
      await ctx.text(fault.status ?? 429, 'Too many requests', { 'Retry-After': retryAfter });
      return true;
    case 'server_error': {
      await ctx.drain();
      const status = fault.status ?? 500;
      const wait: Record<string, string> =
        status === 503 && !fault.noRetryAfter ? { 'Retry-After': retryAfter } : {};
      await ctx.text(status, '', wait);
      return true;
    }
    case 'transport_limit':
      await ctx.drain();
      await ctx.json(
        {
          error_summary: 'invalid_account_type/feature/.',
          error: { '.tag': 'invalid_account_type', invalid_account_type: { '.tag': 'feature' } },
          user_message: { locale: 'en', text: TRANSPORT_LIMIT_TEXT },
        },
        403,
      );
      return true;
    case 'missing_scope':
      await ctx.drain();
      await ctx.routeError(
        { '.tag': 'missing_scope', required_scope: fault.requiredScope ?? 'files.content.write' },
        401,
      );
      return true;
    default:
      return false;
  }
}

async function handleApi(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  url: URL,
) {
  const fault = state.faults.take(route.name);
  const ctx = new RequestContext(req, res, route.name, state, fault, undefined);
  try {
    if (fault && (await answerFault(ctx, fault))) return;
    checkEnvelope(ctx, route);
    if (route.auth === 'user' && !(await authenticate(ctx))) return;
    ctx.args = await readArgs(ctx, route, url);
    await route.handle(ctx);
  } catch (err) {
    if (err instanceof BodyAborted) return;
    if (err instanceof BodyTooLarge) {
      return ctx.routeError({ '.tag': 'payload_too_large' });
    }
    if (!(err instanceof BadRequest) && !(err instanceof RouteError)) throw err;
    if (fault?.kind === 'reset_mid_body' && !ctx.bodyConsumed) {
      // The fault was meant for this request's body: cut it even though the route refused early.
      req.socket.destroy();
      return;
    }
    await ctx.drain().catch(() => undefined);
    if (res.headersSent || res.destroyed) return;
    if (err instanceof BadRequest) await ctx.text(400, apiError(route.name, err.detail));
    else await ctx.routeError(err.error, err.status);
  }
}

/** Puts the request on the timeline, when one is recording, ending when its answer is sent. */
function onTimeline(state: EmulatorState, route: string, res: ServerResponse): void {
  const ended = state.link.timeline.request(route);
  if (ended === undefined) return;
  res.once('finish', () => ended(res.statusCode));
  res.once('close', () => ended(undefined));
}

async function dispatch(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  admin: AdminHandler,
) {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname;
  if (path.startsWith('/__admin/'))
    return handleAdmin(req, res, state.options.adminToken, (body) =>
      admin(path.slice('/__admin/'.length), body),
    );
  if (path === '/oauth2/authorize') {
    state.count('oauth2/authorize');
    await state.link.delay();
    return handleAuthorize(state, url, res);
  }
  if (path === '/oauth2/token') {
    state.count('oauth2/token');
    state.countBytes('oauth2/token', 'sent', declaredBodyBytes(req));
    onTimeline(state, 'oauth2/token', res);
    await state.link.delay();
    const fault = state.faults.take('oauth2/token');
    const ctx = new RequestContext(req, res, 'oauth2/token', state, fault, undefined);
    if (fault && (await answerFault(ctx, fault))) return;
    if (fault?.kind === 'reset_mid_body') {
      req.socket.destroy();
      return;
    }
    return handleToken(state, req, url, (status, value) => ctx.json(value, status));
  }
  const route = path.startsWith('/2/') ? ROUTES.get(path.slice(3)) : undefined;
  if (!route) {
    const body = `Unknown API function: "${path.replace(/^\/2\//, '')}"`;
    res.writeHead(404, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  state.count(route.name);
  state.countBytes(route.name, 'sent', declaredBodyBytes(req));
  onTimeline(state, route.name, res);
  state.link.track(req.socket);
  await state.link.delay();
  if (await refuseLargeHeaders(state, req, res)) {
    state.count('refused-headers');
    return;
  }
  await handleApi(state, req, res, route, url);
}

export function createEmulatorServer(state: EmulatorState, admin: AdminHandler): Server {
  // Node's own limit is set far above any modelled one, so refuseLargeHeaders decides (and can
  // answer in the configured way) instead of Node's fixed 431.
  const server = createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    dispatch(state, req, res, admin).catch((err: unknown) => {
      process.stderr.write(
        `emulator: internal error on ${req.method} ${req.url?.split('?')[0]}: ${String(err)}\n`,
      );
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('internal emulator error');
      } else {
        res.destroy();
      }
    });
  });
  // A shaped link may take many minutes for one 150 MiB request; Node's 5-minute default would
  // answer 408 in the middle of it.
  server.requestTimeout = 0;
  return server;
}

export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
