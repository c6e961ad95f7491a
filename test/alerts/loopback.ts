// Real servers on 127.0.0.1, port 0, for the alert channels to talk to: an SMTP server
// (smtp-server, with optional auth and STARTTLS) that keeps every message it receives, and an
// HTTP server that records webhook POSTs and answers as the test says.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
  html: string | null;
  /** The user that authenticated, or null. */
  user: string | null;
}

export interface LoopbackSmtp {
  port: number;
  mails: ReceivedMail[];
  /** Login attempts refused (wrong password). */
  refusedLogins: number;
  close(): Promise<void>;
}

export async function startSmtp(
  opts: {
    auth?: { user: string; pass: string };
    tls?: { key: Buffer; cert: Buffer };
    /** A port found free before (freePort): a relay that was down and comes back. */
    port?: number;
    /**
     * The n-th message (0-based) is kept in `mails` at once but answered only once this resolves:
     * a slow relay, its sender still waiting for the answer.
     */
    answerAfter?: (n: number) => Promise<void>;
  } = {},
): Promise<LoopbackSmtp> {
  const mails: ReceivedMail[] = [];
  const state = { refusedLogins: 0 };
  const server = new SMTPServer({
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : { disabledCommands: ['STARTTLS'] }),
    authOptional: !opts.auth,
    allowInsecureAuth: !opts.tls,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        cb(null, { user: auth.username });
      } else {
        state.refusedLogins++;
        cb(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const answered = opts.answerAfter?.(mails.length) ?? Promise.resolve();
        mails.push({
          ...parseMail(raw),
          raw,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: (session.user as string | undefined) ?? null,
        });
        void answered.then(() => cb());
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    get refusedLogins() {
      return state.refusedLogins;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough MIME for our own messages: headers, one level of multipart, QP and base64. */
export function parseMail(raw: string): { subject: string; text: string; html: string | null } {
  const { headers, body } = splitPart(raw);
  const subject = decodeHeader(headers.get('subject') ?? '');
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return { subject, text: decodeBody(body, headers), html: null };
  let text = '';
  let html: string | null = null;
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = splitPart(chunk.replace(/^\r?\n/, ''));
    const ptype = part.headers.get('content-type') ?? '';
    if (ptype.startsWith('text/plain')) text = decodeBody(part.body, part.headers);
    if (ptype.startsWith('text/html')) html = decodeBody(part.body, part.headers);
  }
  return { subject, text, html };
}

function splitPart(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, at).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, headers: Map<string, string>): string {
  const enc = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  let out = body;
  if (enc === 'base64') out = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    out = Buffer.from(
      body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
  return out.replace(/\r\n/g, '\n').trimEnd();
}

function decodeHeader(v: string): string {
  return v.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, kind: string, data: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data
            .replace(/_/g, ' ')
            .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

/** A self-signed certificate for 127.0.0.1 (openssl), its key, and the PEM file to trust it. */
export async function selfSignedCert(
  dir: string,
): Promise<{ key: Buffer; cert: Buffer; certFile: string }> {
  const keyFile = path.join(dir, 'smtp.key');
  const certFile = path.join(dir, 'smtp.crt');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { key: await fs.readFile(keyFile), cert: await fs.readFile(certFile), certFile };
}

export interface WebhookRequest {
  path: string;
  body: unknown;
}

export interface LoopbackHttp {
  url: string;
  requests: WebhookRequest[];
  close(): Promise<void>;
}

/** `answer(n)` gives the status for the n-th request (0-based); 200 by default. */
export async function startWebhookServer(
  answer: (n: number) => number = () => 200,
): Promise<LoopbackHttp> {
  const requests: WebhookRequest[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // recorded as text
      }
      requests.push({ path: req.url ?? '', body });
      res.statusCode = answer(n++);
      res.end(res.statusCode < 300 ? 'ok' : 'failing');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (yet): connections to it are refused until a server takes it. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitUntil(
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * An alert command for a test: a shell script that appends "<event> <condition>" (raised, cleared,
 * ...) to a log file, one line per alert it is run for. `heard()` reads that file ('' before any).
 */
export async function alertLogHook(
  dir: string,
  logName = 'alerts.log',
  /** Each line also carries the alert's words (RDL_ALERT_MESSAGE) after the condition. */
  { words = false }: { words?: boolean } = {},
): Promise<{ hook: string; log: string; heard: () => Promise<string> }> {
  const log = path.join(dir, logName);
  const hook = path.join(dir, 'on-alert.sh');
  const message = words ? ' $RDL_ALERT_MESSAGE' : '';
  await fs.writeFile(
    hook,
    `#!/bin/sh\ncat > /dev/null\necho "$RDL_ALERT_EVENT $RDL_ALERT_CONDITION${message}" >> "${log}"\n`,
    { mode: 0o755 },
  );
  return { hook, log, heard: () => fs.readFile(log, 'utf8').catch(() => '') };
}
