// What a test (or /__admin/<action> over HTTP) can do to a running emulator. Declared apart from
// the emulator that implements it, so the admin route depends on this list, not on the emulator
// that hosts the route.
import type { FaultRule } from './faults.js';
import type { LinkShape } from './shaping.js';
import type { TimelineSnapshot } from './timeline.js';
import type { HeaderRefusal, LinkBytes } from './state.js';

export interface StoredFileInfo {
  pathDisplay: string;
  size: number;
  contentHash: string;
  rev: string;
  id: string;
  clientModified: string;
}

export interface Emulator {
  readonly url: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly adminToken: string;
  readonly dataDir: string;
  /**
   * Create a refresh token directly (tests skip the browser step). `needsSecret`: as issued to a
   * confidential app, so refreshing it without the app secret is refused (invalid_request).
   */
  issueRefreshToken(opts?: { needsSecret?: boolean }): string;
  /** Simulate the person approving in the browser; returns the code the authorize page would show. */
  approveAuthorization(params: {
    codeChallenge: string;
    codeChallengeMethod?: 'S256' | 'plain';
  }): string;
  revokeRefreshToken(token: string): void;
  /** Server-side expiry of the access tokens issued so far: 401 expired_access_token. */
  expireAccessTokens(opts?: { afterSeconds?: number; afterCalls?: number }): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  setQuota(bytes: number): void;
  /** Request header limit and how it is enforced (see EmulatorOptions.headerLimitBytes). */
  setHeaderLimit(bytes: number, refusal?: HeaderRefusal): void;
  /** Latency per request; bandwidth cap shared by all bodies; a reset of every connection every `resetEveryMs`. */
  shapeLink(opts: LinkShape): void;
  /** Cuts every open API connection now (a WiFi drop); returns how many were open. */
  resetLink(): number;
  /**
   * Per-route call counts since start or last resetStats(), plus `received-bytes` (request-body
   * bytes that crossed the link, cut-off ones included) and `link-resets`.
   */
  stats(): Record<string, number>;
  /**
   * Body bytes per route that crossed the link since start or the last resetStats(): `sent`,
   * the requests' (as their Content-Length declares them), and `answered`, the answers'.
   */
  linkBytes(): Record<string, LinkBytes>;
  resetStats(): void;
  /**
   * Starts recording a fresh timeline: each API request's route, arrival and end, and when the
   * shaped link carried bytes (wall-clock ms). Off until started; stopped by timeline(stop).
   */
  recordTimeline(): void;
  /** What the recording holds so far; `stop` ends the recording. */
  timeline(stop?: boolean): TimelineSnapshot;
  /** Stored file by path (case-insensitive), or undefined. */
  getFile(path: string): StoredFileInfo | undefined;
  /** Small files only (tests). */
  readFile(path: string): Promise<Buffer>;
  /** Every file, sorted by path_lower. */
  listFiles(): { pathDisplay: string; size: number; contentHash: string }[];
  /** Put a file directly (to set up conflicts). */
  putFile(path: string, content: Buffer): void;
  /** Deletes a file or a folder with what is below it (a person in Dropbox's web page). */
  deletePath(path: string): void;
  /** Forget every list_folder cursor: the next continue answers `reset`. */
  resetCursors(): void;
  close(): Promise<void>;
}
