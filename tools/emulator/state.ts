// Everything one emulator instance knows, shared by the routes.
import { randomBytes } from 'node:crypto';
import { AuthState } from './auth.js';
import { BlobDir } from './blobs.js';
import { FaultPlan } from './faults.js';
import { Link } from './shaping.js';
import { SessionTable } from './sessions.js';
import { Namespace } from './store.js';

export interface StateOptions {
  dataDir: string;
  appKey: string;
  appSecret: string;
  accessTokenTtlSeconds: number;
  quotaBytes: number;
  adminToken: string;
  lockWindowMs: number;
  now: () => number;
  headerLimitBytes: number;
  headerRefusal: HeaderRefusal;
  /** Team account: the user's share of a team's space (get_space_usage's team allocation). */
  team?: TeamSpace;
}

/** How a front end refuses headers that are too large. */
export type HeaderRefusal = '431' | '400' | 'reset';

export interface TeamSpace {
  /** The whole team's allocation. */
  allocatedBytes: number;
  /** Used by the other members. */
  usedByOthersBytes: number;
  /** The admin's limit for this member; 0 = none. */
  userLimitBytes: number;
}

/** Commit lock of the one namespace: a commit holds it for lockWindowMs; others inside that lose. */
export class WriteLock {
  private heldUntil = 0;
  /** Batch commits under way: the lock stays theirs until they end, however long they take. */
  private batches = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  tryAcquire(): boolean {
    if (this.windowMs <= 0) return true;
    const t = this.now();
    if (t < this.heldUntil || this.batches > 0) return false;
    this.heldUntil = t + this.windowMs;
    return true;
  }

  /** Holds the acquired lock while `work` runs (a batch that lets other requests in meanwhile). */
  async holdDuring<T>(work: () => Promise<T>): Promise<T> {
    this.batches++;
    try {
      return await work();
    } finally {
      this.batches--;
    }
  }
}

export interface BatchJob {
  entries: unknown[];
  checks: number;
}

/** Body bytes of one route that crossed the link: the client's requests and the answers. */
export interface LinkBytes {
  sent: number;
  answered: number;
}

export class EmulatorState {
  readonly blobs: BlobDir;
  readonly ns: Namespace;
  readonly sessions: SessionTable;
  readonly auth: AuthState;
  readonly faults = new FaultPlan();
  readonly link = new Link();
  readonly lock: WriteLock;
  readonly stats = new Map<string, number>();
  /** Body bytes on the link per route: requests' (as declared) and answers' (the benchmark's view). */
  readonly linkBytes = new Map<string, LinkBytes>();
  readonly jobs = new Map<string, BatchJob>();
  readonly accountId = 'dbid:' + randomBytes(20).toString('base64url');
  readonly namespaceId = String(1000000000 + randomBytes(3).readUIntBE(0, 3));
  /** list_folder listings by id; forgetting them answers `reset` to their cursors. */
  readonly headerLimit: { limitBytes: number; refusal: HeaderRefusal };
  readonly listings = new Map<string, { folder: string; recursive: boolean; paths: string[] }>();

  constructor(readonly options: StateOptions) {
    this.blobs = new BlobDir(options.dataDir);
    this.ns = new Namespace(this.blobs, options.now, options.quotaBytes);
    this.sessions = new SessionTable(this.blobs, options.now);
    this.auth = new AuthState(options.accessTokenTtlSeconds, options.now);
    this.lock = new WriteLock(options.lockWindowMs, options.now);
    this.headerLimit = { limitBytes: options.headerLimitBytes, refusal: options.headerRefusal };
  }

  now(): number {
    return this.options.now();
  }

  count(route: string): void {
    this.stats.set(route, (this.stats.get(route) ?? 0) + 1);
  }

  /** Adds `n` to the counter `name` (bytes, not requests: e.g. bytes appends stored). */
  tally(name: string, n: number): void {
    this.stats.set(name, (this.stats.get(name) ?? 0) + n);
  }

  /** Counts body bytes of `route` on the link: a request's (`sent`) or an answer's (`answered`). */
  countBytes(route: string, side: keyof LinkBytes, bytes: number): void {
    let b = this.linkBytes.get(route);
    if (!b) this.linkBytes.set(route, (b = { sent: 0, answered: 0 }));
    b[side] += bytes;
  }
}
