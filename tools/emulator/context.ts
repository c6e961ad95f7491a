// One request in flight: its parsed arguments, its fault (if any), and the ways to answer it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArgReader } from './args.js';
import type { StoredBytes } from './blobs.js';
import type { FaultRule } from './faults.js';
import type { ContentHasher } from './hash.js';
import { dropboxJson, errorSummary } from './json.js';
import type { EmulatorState } from './state.js';

/** 150 MiB: the most one upload/append/finish request may carry. */
export const MAX_REQUEST_BODY = 150 * 1024 * 1024;

export class RequestContext {
  /** Set once the handler has read (or deliberately skipped) the body. */
  bodyConsumed = false;
  /** Answer, then close the connection instead of reading a body we refuse (payload_too_large). */
  closeAfterAnswer = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: string,
    readonly state: EmulatorState,
    readonly fault: FaultRule | undefined,
    public args: ArgReader | undefined,
  ) {}

  arg(): ArgReader {
    if (!this.args) throw new Error(`route ${this.route} has no arguments`);
    return this.args;
  }

  /** The namespace write lock for a commit; the lock_contention fault makes it busy. */
  acquireLock(): boolean {
    if (this.fault?.kind === 'lock_contention') return false;
    return this.state.lock.tryAcquire();
  }

  get forceInsufficientSpace(): boolean {
    return this.fault?.kind === 'insufficient_space';
  }

  /** Streams the upload body to disk (hashing it); honours reset_mid_body. */
  async receiveBody(alsoHash?: ContentHasher): Promise<StoredBytes> {
    this.bodyConsumed = true;
    let cutAfter: number | undefined;
    if (this.fault?.kind === 'reset_mid_body') {
      const declared = Number(this.req.headers['content-length'] ?? 0);
      cutAfter = Math.floor(declared / 2);
    }
    return this.state.blobs.receive(this.req, {
      link: this.state.link,
      maxBytes: MAX_REQUEST_BODY,
      cutAfter,
      alsoHash,
    });
  }

  /** Refuses an oversized body without reading it: answer, then close the connection. */
  refuseBody(): void {
    this.bodyConsumed = true;
    this.closeAfterAnswer = true;
    this.res.once('finish', () => this.req.socket.destroy());
  }

  /** Reads the rest of a body we will not use, so the connection stays usable. */
  async drain(): Promise<void> {
    if (this.bodyConsumed || this.req.complete) return;
    if (Number(this.req.headers['content-length'] ?? 0) > MAX_REQUEST_BODY) {
      this.refuseBody();
      return;
    }
    this.bodyConsumed = true;
    for await (const _chunk of this.req) {
      // discarded
    }
  }

  /** The lost-response fault: the request was applied, the answer never arrives. */
  private dropsResponse(): boolean {
    if (this.fault?.kind !== 'drop_response') return false;
    this.res.socket?.destroy();
    return true;
  }

  /** The request was applied, yet the answer is an empty-body 503 (seen from finish). */
  private answers503(): boolean {
    if (this.fault?.kind !== 'unavailable_after_apply') return false;
    this.res.writeHead(503, { 'Content-Length': 0 });
    this.res.end();
    return true;
  }

  async send(
    status: number,
    body: string | Buffer,
    headers: Record<string, string | number>,
  ): Promise<void> {
    if (this.dropsResponse() || this.answers503()) return;
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.state.link.pass(bytes.length);
    this.state.countBytes(this.route, 'answered', bytes.length);
    const extra = this.closeAfterAnswer ? { Connection: 'close' } : {};
    this.res.writeHead(status, { ...headers, ...extra, 'Content-Length': bytes.length });
    this.res.end(bytes);
  }

  async json(
    value: unknown,
    status = 200,
    headers: Record<string, string | number> = {},
  ): Promise<void> {
    await this.send(status, dropboxJson(value), { 'Content-Type': 'application/json', ...headers });
  }

  async text(
    status: number,
    message: string,
    headers: Record<string, string | number> = {},
  ): Promise<void> {
    await this.send(status, message, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  }

  /** A Dropbox error envelope: {error_summary, error}. */
  async routeError(
    error: Record<string, unknown>,
    status = 409,
    headers: Record<string, string | number> = {},
  ): Promise<void> {
    await this.json({ error_summary: errorSummary(error), error }, status, headers);
  }
}
