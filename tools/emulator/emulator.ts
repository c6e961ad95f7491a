// The in-process emulator: starts the HTTP server and exposes the controls tests use. The same
// controls are reachable over HTTP at /__admin/<action> for out-of-process users.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator, StoredFileInfo } from './controls.js';
import type { LinkShape } from './shaping.js';
import type { TimelineSnapshot } from './timeline.js';
import { parseFaultRule, type FaultRule } from './faults.js';
import { runAdminAction } from './routes/admin.js';
import { createEmulatorServer, listen } from './server.js';
import { EmulatorState, type HeaderRefusal, type LinkBytes, type TeamSpace } from './state.js';

export interface EmulatorOptions {
  /** 0/undefined = random free port; always binds 127.0.0.1. */
  port?: number;
  /** Blobs and sessions live here. Default: a fresh temp dir removed on close(). */
  dataDir?: string;
  /** Default 'emu-app-key'. */
  appKey?: string;
  /** Default 'emu-app-secret' (PKCE exchanges need no secret; refresh with or without it). */
  appSecret?: string;
  /** expires_in of issued access tokens; default 14400. */
  accessTokenTtlSeconds?: number;
  /** Default 2 TiB; drives insufficient_space and get_space_usage. */
  quotaBytes?: number;
  /** Default random; required as Bearer on /__admin/* HTTP routes. */
  adminToken?: string;
  /** Commit lock contention window, default 0 (off). */
  lockWindowMs?: number;
  /** Clock in ms (session expiry, token expiry, server_modified). Default Date.now. */
  now?: () => number;
  /**
   * Largest request header block accepted, default 16 KiB (Node's own default; no public source
   * states Dropbox's, so this is a realistic guess that tests lower).
   */
  headerLimitBytes?: number;
  /** How larger headers are refused: '431' (default), '400' (nginx style) or 'reset'. */
  headerRefusal?: HeaderRefusal;
  /** Make the account a team member's: space usage answers with a team allocation. */
  team?: TeamSpace;
}

export const DEFAULT_HEADER_LIMIT_BYTES = 16 * 1024;

const TIB = 1024 ** 4;

class RunningEmulator implements Emulator {
  constructor(
    readonly url: string,
    private readonly state: EmulatorState,
    private readonly server: Server,
    private readonly ownsDataDir: boolean,
  ) {}

  get appKey(): string {
    return this.state.options.appKey;
  }
  get appSecret(): string {
    return this.state.options.appSecret;
  }
  get adminToken(): string {
    return this.state.options.adminToken;
  }
  get dataDir(): string {
    return this.state.options.dataDir;
  }

  issueRefreshToken(opts?: { needsSecret?: boolean }): string {
    return this.state.auth.issueRefreshToken(opts);
  }

  approveAuthorization(params: {
    codeChallenge: string;
    codeChallengeMethod?: 'S256' | 'plain';
  }): string {
    return this.state.auth.approve(params);
  }

  revokeRefreshToken(token: string): void {
    this.state.auth.revokeRefreshToken(token);
  }

  expireAccessTokens(opts?: { afterSeconds?: number; afterCalls?: number }): void {
    this.state.auth.expireAccessTokens(opts);
  }

  addFault(rule: FaultRule): void {
    this.state.faults.add(parseFaultRule(rule));
  }

  clearFaults(): void {
    this.state.faults.clear();
  }

  setQuota(bytes: number): void {
    this.state.ns.quotaBytes = bytes;
  }

  shapeLink(opts: LinkShape): void {
    this.state.link.shape(opts);
  }

  resetLink(): number {
    return this.state.link.reset();
  }

  setHeaderLimit(bytes: number, refusal?: HeaderRefusal): void {
    this.state.headerLimit.limitBytes = bytes;
    if (refusal !== undefined) this.state.headerLimit.refusal = refusal;
  }

  stats(): Record<string, number> {
    return {
      ...Object.fromEntries(this.state.stats),
      'received-bytes': this.state.link.receivedBytes,
      'link-resets': this.state.link.resets,
    };
  }

  /** Body bytes per route on the link since the stats were last reset: requests and answers. */
  linkBytes(): Record<string, LinkBytes> {
    return Object.fromEntries([...this.state.linkBytes].map(([route, b]) => [route, { ...b }]));
  }

  resetStats(): void {
    this.state.stats.clear();
    this.state.linkBytes.clear();
    this.state.link.receivedBytes = 0;
    this.state.link.resets = 0;
  }

  recordTimeline(): void {
    this.state.link.timeline.start();
  }

  timeline(stop = false): TimelineSnapshot {
    if (stop) this.state.link.timeline.stop();
    return this.state.link.timeline.snapshot();
  }

  getFile(path: string): StoredFileInfo | undefined {
    const e = this.state.ns.get(path);
    if (e?.kind !== 'file') return undefined;
    const { pathDisplay, size, contentHash, rev, id, clientModified } = e;
    return { pathDisplay, size, contentHash, rev, id, clientModified };
  }

  async readFile(path: string): Promise<Buffer> {
    const e = this.state.ns.get(path);
    if (e?.kind !== 'file') throw new Error(`emulator has no file at ${path}`);
    const chunks: Buffer[] = [];
    for await (const chunk of this.state.blobs.read(e.parts)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  listFiles(): { pathDisplay: string; size: number; contentHash: string }[] {
    return this.state.ns
      .files()
      .map(({ pathDisplay, size, contentHash }) => ({ pathDisplay, size, contentHash }));
  }

  putFile(path: string, content: Buffer): void {
    if (!path.startsWith('/') || path.endsWith('/')) {
      throw new Error(`putFile needs a path like "/folder/name.txt"; got "${path}"`);
    }
    const bytes = this.state.blobs.writeSync(content);
    const result = this.state.ns.commit(
      { path, mode: 'overwrite', autorename: false, strictConflict: false },
      bytes,
    );
    if (!result.ok) {
      this.state.blobs.remove(bytes.parts);
      throw new Error(`putFile ${path} failed: ${JSON.stringify(result.error)}`);
    }
    if (!result.written) this.state.blobs.remove(bytes.parts);
  }

  /** Deletes a file or folder (and what is below it), as a person would in Dropbox's web page. */
  deletePath(path: string): void {
    if (!this.state.ns.delete(path)) throw new Error(`emulator has nothing at ${path}`);
  }

  resetCursors(): void {
    this.state.listings.clear();
  }

  async close(): Promise<void> {
    this.state.link.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rdl-emulator-'));
  const state = new EmulatorState({
    dataDir,
    appKey: options.appKey ?? 'emu-app-key',
    appSecret: options.appSecret ?? 'emu-app-secret',
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 14400,
    quotaBytes: options.quotaBytes ?? 2 * TIB,
    adminToken: options.adminToken ?? randomBytes(24).toString('base64url'),
    lockWindowMs: options.lockWindowMs ?? 0,
    now: options.now ?? Date.now,
    headerLimitBytes: options.headerLimitBytes ?? DEFAULT_HEADER_LIMIT_BYTES,
    headerRefusal: options.headerRefusal ?? '431',
    ...(options.team ? { team: options.team } : {}),
  });
  const started: { emulator?: RunningEmulator } = {};
  const server = createEmulatorServer(state, (action, body) => {
    if (!started.emulator) throw new Error('emulator is still starting');
    return runAdminAction(started.emulator, action, body);
  });
  const port = await listen(server, options.port ?? 0);
  started.emulator = new RunningEmulator(`http://127.0.0.1:${port}`, state, server, ownsDataDir);
  return started.emulator;
}
